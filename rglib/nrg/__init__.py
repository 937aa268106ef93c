"""Numerical renormalization group for the Anderson and Kondo impurity models.

Reference: J. B. Rigo and A. K. Mitchell, Phys. Rev. Research 4, 013227 (2022);
K. G. Wilson, RMP 47, 773 (1975); Krishna-murthy, Wilkins & Wilson, PRB 21, 1003 (1980).
"""
from .chain import A_Lambda, V_of_Gamma, hoppings, hoppings_rescaled, log_grid  # noqa: F401
from .iterate import run, shells_for_temperature  # noqa: F401,E402
from .models import Anderson, Bath, Kondo, bath_of  # noqa: F401,E402
from .thermo import (dS_dlnT, even_odd_average, impurity, impurity_thermodynamics,  # noqa: F401,E402
                     thermodynamics, z_average)
