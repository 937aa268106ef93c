r"""Monte Carlo samplers for the 2D Ising model, vectorized over independent chains.

Spins are int8 arrays of shape (chains, L, L) with periodic boundaries; every
function takes an explicit ``numpy.random.Generator`` and is deterministic given it.

* :func:`metropolis`: checkerboard Metropolis. A site with spin s and neighbour sum
  h flips with probability min(1, exp(-2 K s h)); s h takes the five values
  -4, -2, 0, 2, 4, so two thresholds decide every flip (no exp in the loop), and
  the two sublattices are updated alternately (their sites do not interact).
* :func:`swendsen_wang`: cluster update (Swendsen & Wang, PRL 58, 86 (1987)). Bonds
  between equal neighbours are activated with probability p = 1 - exp(-2K); the
  clusters (connected components, periodic wrap included, all chains in one sparse
  graph: ``scipy.sparse.csgraph``, since ``scipy.ndimage.label`` cannot wrap) are
  flipped with probability 1/2.
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .. import lattice, validate


def _check(K, n_chains=None, L=None):
    K = float(validate.finite("K", K))
    if n_chains is not None:
        n_chains = validate.integer("n_chains", n_chains, minimum=1)
    if L is not None:
        L = validate.integer("L", L, minimum=2)
    if n_chains is not None and L is not None:
        validate.budget("L", 16 * n_chains * L * L / 2 ** 30, "GiB",
                        f"the memory of {n_chains} chains of {L} x {L} spins with work arrays")
    return K, n_chains, L


#: measured throughput on one core (benchmarks/ising_speed.py): spin updates per second
#: of checkerboard Metropolis and spins visited per second of Swendsen-Wang, plus the
#: fixed cost of one sweep; the resource guards estimate run times from them
METROPOLIS_RATE, SW_RATE, SWEEP_OVERHEAD_S = 1.0e8, 4.0e6, 1e-4


def _guard_sweeps(n_sweeps, chains, L, rate, measure):
    validate.budget("n_sweeps", n_sweeps * (SWEEP_OVERHEAD_S + chains * L * L / rate), "seconds",
                    f"{n_sweeps} sweeps of {chains} chains of {L} x {L} spins")
    if measure:
        validate.budget("n_sweeps", 16 * n_sweeps * chains / 2 ** 30, "GiB",
                        "the memory of the measured energy and magnetization series")


def random_spins(n_chains, L, rng):
    """Infinite-temperature start: independent +-1 spins, shape (n_chains, L, L)."""
    _, n_chains, L = _check(0.0, n_chains, L)
    rng = validate.rng("rng", rng)
    return (2 * rng.integers(0, 2, size=(n_chains, L, L), dtype=np.int8) - 1).astype(np.int8)


def ordered_spins(n_chains, L):
    """Zero-temperature start: all spins up."""
    _, n_chains, L = _check(0.0, n_chains, L)
    return np.ones((n_chains, L, L), dtype=np.int8)


def check_spins(spins):
    """Spins as an int8 array (chains, L, L) of +-1 (a ValueError names what is wrong)."""
    return validate.spins("spins", spins)


def energy(spins):
    """Energy per site e = -(1/N) sum_<ij> s_i s_j of every chain (two bonds per site)."""
    s = np.asarray(spins)
    return -lattice.bond_sum(s) / s[0].size


def magnetization(spins):
    """Magnetization per site m of every chain."""
    return np.mean(spins, axis=(1, 2), dtype=np.float64)


def _metropolis_group(s, K, masks, n_sweeps, rng, measure):
    """Sweeps of one group of chains, in place; returns (e, m) lists.

    A spin with s h = k in {-4, -2, 0, 2, 4} flips with probability min(1, e^{-2K k}):
    with one uniform u per site and sweep, flip iff k <= 2 t(u), where
    t = [u < e^{-4K}] + [u < e^{-8K}] (k <= 0 always flips). Flipping a +-1 int8 is an
    XOR with -2 (0b11111110). No exp, no table look-up, no temporaries in the loop.
    """
    p2, p4 = np.float32(min(1.0, np.exp(-4.0 * K))), np.float32(min(1.0, np.exp(-8.0 * K)))
    h = np.empty_like(s)
    k = np.empty_like(s)
    t2 = np.empty_like(s)
    f = np.empty(s.shape, dtype=bool)
    es, ms = [], []
    for _ in range(n_sweeps):
        u = rng.random(s.shape, dtype=np.float32)   # one uniform per site and sweep
        np.less(u, p2, out=f)
        t2[...] = f
        np.less(u, p4, out=f)
        t2 += f
        t2 *= 2                                       # 2 t(u) in {0, 2, 4}
        for mask in masks:
            lattice.neighbour_sum(s, out=h)
            np.multiply(s, h, out=k)
            np.less_equal(k, t2, out=f)
            f &= mask
            s ^= f.view(np.int8) * np.int8(-2)
        if measure:
            es.append(energy(s))
            ms.append(magnetization(s))
    return es, ms


def metropolis(spins, K, n_sweeps, rng, measure=True, groups=2):
    """``n_sweeps`` checkerboard Metropolis sweeps; returns (spins, e, m).

    e, m: arrays (n_sweeps, chains) measured after every sweep (empty if not measure).
    The chains are split into ``groups`` with their own generators spawned from
    ``rng`` and run in threads (NumPy releases the GIL): the result depends on
    ``groups`` and the seed only, not on the number of cores.
    """
    s = check_spins(spins).copy()
    K = _check(K)[0]
    n_sweeps = validate.integer("n_sweeps", n_sweeps, minimum=0)
    groups = validate.integer("groups", groups, minimum=1)
    measure = validate.boolean("measure", measure)
    rng = validate.rng("rng", rng)
    _guard_sweeps(n_sweeps, s.shape[0], s.shape[1], METROPOLIS_RATE, measure)
    L = s.shape[1]
    if L % 2:
        raise ValueError(f"L must be even for the checkerboard decomposition, got {L}")
    masks = lattice.checkerboard(L)
    parts = np.array_split(np.arange(s.shape[0]), min(groups, s.shape[0]))
    rngs = rng.spawn(len(parts))
    chunks = [np.ascontiguousarray(s[p]) for p in parts]
    if len(parts) == 1:
        res = [_metropolis_group(chunks[0], K, masks, n_sweeps, rngs[0], measure)]
    else:
        with ThreadPoolExecutor(len(parts)) as ex:
            res = list(ex.map(lambda a: _metropolis_group(a[0], K, masks, n_sweeps, a[1],
                                                          measure), zip(chunks, rngs)))
    s = np.concatenate(chunks)
    if not measure or n_sweeps == 0:
        return s, np.zeros((0, s.shape[0])), np.zeros((0, s.shape[0]))
    e = np.concatenate([np.array(r[0]) for r in res], axis=1)
    m = np.concatenate([np.array(r[1]) for r in res], axis=1)
    return s, e, m


def swendsen_wang(spins, K, n_sweeps, rng, measure=True):
    """``n_sweeps`` Swendsen-Wang cluster updates; returns (spins, e, m) like metropolis."""
    s = check_spins(spins).copy()
    K = _check(K)[0]
    if K < 0:
        raise ValueError(f"K must be >= 0 for Swendsen-Wang (ferromagnet), got {K}")
    n_sweeps = validate.integer("n_sweeps", n_sweeps, minimum=0)
    measure = validate.boolean("measure", measure)
    rng = validate.rng("rng", rng)
    C, L, _ = s.shape
    _guard_sweeps(n_sweeps, C, L, SW_RATE, measure)
    n = C * L * L
    node = np.arange(n).reshape(C, L, L)
    right, down = np.roll(node, -1, 2), np.roll(node, -1, 1)
    p = 1.0 - np.exp(-2.0 * K)
    es, ms = [], []
    for _ in range(n_sweeps):
        a_r = (s == np.roll(s, -1, 2)) & (rng.random(s.shape) < p)
        a_d = (s == np.roll(s, -1, 1)) & (rng.random(s.shape) < p)
        rows = np.concatenate([node[a_r], node[a_d]])
        cols = np.concatenate([right[a_r], down[a_d]])
        g = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n)).tocsr()
        n_cl, labels = connected_components(g, directed=False)
        flip = rng.random(n_cl) < 0.5
        s = np.where(flip[labels].reshape(C, L, L), -s, s).astype(np.int8)
        if measure:
            es.append(energy(s))
            ms.append(magnetization(s))
    return s, np.array(es), np.array(ms)


def susceptibility(m, K, N):
    """chi = K N (<m^2> - <|m|>^2) per site from magnetization samples (finite-lattice
    estimator with |m|, standard below and above T_c); m: per-site magnetizations."""
    K = float(validate.positive("K", K))
    N = validate.integer("N", N, minimum=1)
    m = np.asarray(m, dtype=float)
    return float(K * N * (np.mean(m ** 2) - np.mean(np.abs(m)) ** 2))


def binder_cumulant(m):
    """U_4 = 1 - <m^4> / (3 <m^2>^2): 0 in the disordered phase, 2/3 in the ordered one."""
    m = np.asarray(m, dtype=float)
    m2 = np.mean(m ** 2)
    if m2 == 0:
        raise ValueError("m: all samples are zero, the cumulant is undefined")
    return float(1 - np.mean(m ** 4) / (3 * m2 ** 2))
