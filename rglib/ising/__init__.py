"""The 2D Ising model: exact results, samplers, block-spin RG (Part II base).

References: J. Shen & Y.-J. Kao, *Learning Renormalization Group Flows* (talk, 2024), after
W. Hou & Y.-Z. You, Mach. Learn.: Sci. Technol. 4, 045010 (2023); exact results of Onsager
(1944), Kaufman (1949) and Yang (1952); Swendsen's Monte Carlo RG (1979).
Convention: H = -sum_<ij> s_i s_j with Gibbs weight exp(K sum s_i s_j) (J = 1, K = J/T).
Lattice operators (neighbour and bond sums, even operators) live in :mod:`rglib.lattice`.
"""
from .exact import (K_C, brute_force_lnZ, kaufman_lnZ, kaufman_thermo,  # noqa: F401
                    onsager_energy, onsager_lnZ, onsager_specific_heat, yang_magnetization)
