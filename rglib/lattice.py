r"""The periodic square lattice: the one home of its neighbour and bond operators.

Configurations are integer arrays of shape (configurations, L, L) (or (C, M, N) for
the rectangular tori of the exact code) with periodic boundaries. Used by the Ising
samplers, the exact enumeration, block-spin RG and MCRG (Part II) and by the
tight-binding matrix of the double-exchange model (Part III).

* :func:`neighbour_sum`: :math:`h_i = \sum_{j \in \partial i} s_j` (four neighbours);
* :func:`bond_sum`: :math:`\sum_{\langle ij\rangle} s_i s_j` (two bonds per site);
* :func:`even_operators`: the three short-range even couplings of Swendsen's MCRG,
  :math:`S_{nn}=\sum_{\langle ij\rangle}s_is_j`, :math:`S_{nnn}=\sum_{\langle\langle ij\rangle\rangle}s_is_j`
  (diagonal next-nearest neighbours), :math:`S_\square=\sum_\square s_is_js_ks_l`;
* :func:`checkerboard`: the two sublattice masks;
* :func:`configurations`: all :math:`2^{MN}` spin configurations of an M x N torus;
* :func:`adjacency`: the N x N periodic nearest-neighbour adjacency matrix.
"""
import numpy as np

from . import validate


def neighbour_sum(s, out=None):
    """Sum of the four periodic neighbours of every site, shape of ``s``.

    With ``out`` (an array like ``s``) the sum is written there without temporaries
    (the inner loop of the Metropolis sampler).
    """
    if out is None:
        return (np.roll(s, 1, -2) + np.roll(s, -1, -2) + np.roll(s, 1, -1) + np.roll(s, -1, -1))
    out[..., 1:, :] = s[..., :-1, :]
    out[..., :1, :] = s[..., -1:, :]
    out[..., :-1, :] += s[..., 1:, :]
    out[..., -1:, :] += s[..., :1, :]
    out[..., :, 1:] += s[..., :, :-1]
    out[..., :, :1] += s[..., :, -1:]
    out[..., :, :-1] += s[..., :, 1:]
    out[..., :, -1:] += s[..., :, :1]
    return out


def bond_sum(s):
    """sum_<ij> s_i s_j of every configuration (periodic; 2 M N bonds for M, N >= 3).

    For a side of length 2 the two bonds between the same pair are both counted, as
    on any torus (each site has a right and a down bond).
    """
    s = np.asarray(s, dtype=np.int64)
    return np.sum(s * np.roll(s, -1, -1) + s * np.roll(s, -1, -2), axis=(-2, -1))


def even_operators(s):
    """(C, 3) float array of S_nn, S_nnn, S_sq per configuration (periodic)."""
    s = np.asarray(s, dtype=np.int32)
    r, d = np.roll(s, -1, -1), np.roll(s, -1, -2)
    rd, ru = np.roll(r, -1, -2), np.roll(r, 1, -2)
    S_nn = np.sum(s * r + s * d, axis=(-2, -1))
    S_nnn = np.sum(s * rd + s * ru, axis=(-2, -1))
    S_sq = np.sum(s * r * d * rd, axis=(-2, -1))
    return np.stack([S_nn, S_nnn, S_sq], axis=-1).astype(float)


def checkerboard(L):
    """The two sublattice masks (even and odd i + j) of an L x L lattice (L even)."""
    L = validate.divisible("L", L, 2)
    ii, jj = np.indices((L, L))
    return [((ii + jj) % 2 == c) for c in (0, 1)]


#: largest number of sites :func:`configurations` enumerates (2^20 states, 20 MB)
MAX_ENUMERATED_SITES = 20


def configurations(M, N):
    """All 2^(MN) configurations of an M x N torus, int8 array (2^(MN), M, N).

    Configuration index b has spin +1 at site k = i N + j iff bit k of b is set.
    """
    M = validate.integer("M", M, minimum=1)
    N = validate.integer("N", N, minimum=1)
    n = M * N
    if n > MAX_ENUMERATED_SITES:
        raise ValueError(f"M*N must be <= {MAX_ENUMERATED_SITES} for enumeration, got {n}")
    bits = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1
    return (2 * bits - 1).astype(np.int8).reshape(-1, M, N)


def adjacency(N):
    """N x N periodic square lattice: (N^2 x N^2) nearest-neighbour adjacency matrix.

    Site index r = i N + j. For N = 2 neighbours coincide and the entry is 2.
    """
    N = validate.integer("N", N, minimum=2)
    idx = np.arange(N * N).reshape(N, N)
    K = np.zeros((N * N, N * N))
    for shift in ((0, 1), (1, 0)):
        nb = np.roll(idx, (-shift[0], -shift[1]), axis=(0, 1))
        np.add.at(K, (idx.ravel(), nb.ravel()), 1.0)
        np.add.at(K, (nb.ravel(), idx.ravel()), 1.0)
    return K
