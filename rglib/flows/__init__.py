"""Learned RG flows of the 2D Ising model (Part II): Shen & Kao's talk, after Hou & You.

J. Shen & Y.-J. Kao, *Learning Renormalization Group Flows* (talk, 2024); W. Hou &
Y.-Z. You, Mach. Learn.: Sci. Technol. 4, 045010 (2023).

Reading order: ``clusters`` (teacher ring and student star, representations, exact
marginals) -> ``kl`` (the exact-KL oracle: divergences, the exact map, its fixed point)
-> ``sampling`` (block Gibbs, contrastive divergence) -> ``network`` (the direct flow
and the monotone) -> ``training`` (annealed HMC couplings, losses, Adam) ->
``analysis`` (Newton fixed points, exponents, physical-line critical points) ->
``ensemble`` (many seeded models, saved and loaded).
"""
from .clusters import B_SCALE, K_C_DECORATED  # noqa: F401
