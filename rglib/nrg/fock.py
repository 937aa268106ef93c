r"""Fermionic operators: one Wilson-chain site, and small Fock spaces.

One site has the basis (|0>, |up>, |dn>, |updn>) with |updn> = f_up^+ f_dn^+ |0>, so

    f_up |up> = |0>,  f_up |updn> = |dn>,  f_dn |dn> = |0>,  f_dn |updn> = -|up>.

Quantum numbers: Q = n - 1 (charge relative to half filling) and 2 S_z (integer).
Spin index sigma = 0 (up), 1 (down) throughout rglib.nrg.
"""
import numpy as np

#: (Q, 2Sz) of the four site states
SITE_Q = np.array([-1, 0, 0, 1])
SITE_2SZ = np.array([0, 1, -1, 0])
SITE_N = SITE_Q + 1


def site_f():
    """(f_up, f_dn) as 4x4 matrices <s'|f_sigma|s> in the basis (0, up, dn, updn)."""
    f_up = np.zeros((4, 4))
    f_dn = np.zeros((4, 4))
    f_up[0, 1] = 1.0    # f_up |up> = |0>
    f_up[2, 3] = 1.0    # f_up |updn> = |dn>
    f_dn[0, 2] = 1.0    # f_dn |dn> = |0>
    f_dn[1, 3] = -1.0   # f_dn |updn> = -|up>
    return f_up, f_dn


def jordan_wigner(n_modes):
    """Annihilators c_j (2^n x 2^n) of n spinless modes, Jordan-Wigner ordered.

    Basis state index b has occupation n_j = bit j of b; c_j carries the string
    prod_{k<j} (-1)^{n_k}.
    """
    dim = 2 ** n_modes
    b = np.arange(dim)
    ops = []
    for j in range(n_modes):
        c = np.zeros((dim, dim))
        occ = (b >> j) & 1
        src = b[occ == 1]
        sign = (-1.0) ** np.array([bin(s & ((1 << j) - 1)).count("1") for s in src])
        c[src ^ (1 << j), src] = sign
        ops.append(c)
    return ops


def spinful(n_orbitals):
    """c[i][sigma] for n spinful orbitals (modes ordered 0up, 0dn, 1up, 1dn, ...),
    and the particle number and 2 S_z of every basis state."""
    modes = jordan_wigner(2 * n_orbitals)
    c = [[modes[2 * i], modes[2 * i + 1]] for i in range(n_orbitals)]
    b = np.arange(2 ** (2 * n_orbitals))
    n_up = sum((b >> (2 * i)) & 1 for i in range(n_orbitals))
    n_dn = sum((b >> (2 * i + 1)) & 1 for i in range(n_orbitals))
    return c, n_up + n_dn, n_up - n_dn
