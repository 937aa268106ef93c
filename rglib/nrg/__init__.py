"""Numerical renormalization group for the Anderson and Kondo impurity models (Part I).

Reference: J. B. Rigo and A. K. Mitchell, Phys. Rev. Research 4, 013227 (2022);
K. G. Wilson, RMP 47, 773 (1975); Krishna-murthy, Wilkins & Wilson, PRB 21, 1003 (1980).

Reading order: ``chain`` (discretization, Wilson chain) -> ``fock``, ``models`` (first
shell) -> ``linalg``, ``assemble`` (autograd primitives) -> ``iterate`` (the NRG loop)
-> ``thermo`` (one shell) -> ``impurity`` (impurity minus bath, averaging) -> ``ad``,
``tangent`` (derivatives) -> ``su2``, ``su2_tangent`` (the same in (Q, S) multiplet blocks
at B = 0) -> ``spectral`` (A(omega), full density matrix) -> ``flow``
(level flow), ``exact``, ``dense`` (references), ``degeneracy`` (the degenerate-eigh
demonstration).
"""
from .chain import A_Lambda, V_of_Gamma, hoppings, hoppings_rescaled, log_grid  # noqa: F401
from .impurity import (dS_dlnT, even_odd_average, impurity_per_shell, subtract_bath,  # noqa: F401
                       impurity_thermodynamics, z_average)
from .iterate import run, settings, shells_for_temperature  # noqa: F401
from .models import Anderson, Bath, Kondo, bath_of  # noqa: F401
from .thermo import thermodynamics  # noqa: F401
