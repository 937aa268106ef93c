r"""Energy-level flow: the rescaled many-body spectrum shell by shell.

Wilson's picture of the RG (KWW 1980, Figs. 5-6; Bulla RMP 2008, Fig. 8): plot the
lowest rescaled levels E_N (relative to the ground state) of H_N against N,
separately for even and odd N. Plateaus are fixed points. For the symmetric SIAM
the flow passes the free-orbital (FO), local-moment (LM) and strong-coupling (SC)
fixed points, whose spectra are those of *free* chains:

* FO: chain f_0..f_N plus a decoupled impurity level at zero energy (x4 degeneracy);
* LM: chain f_0..f_N times a free spin 1/2 (x2);
* SC: the impurity is bound to f_0 and drops out: the free chain f_1..f_N.

:func:`free_chain_levels` builds these many-body spectra from the single-particle
levels of the bare chain (exactly, no NRG), for comparison with the flow.
"""
import numpy as np

from .. import validate
from . import chain


def _levels(shell, blocks=None):
    """All rescaled energies of a shell, each repeated by its multiplicity (2S + 1 in (Q, S)
    blocks), from ``blocks`` (default all)."""
    qs = list(shell.energies) if blocks is None else [q for q in blocks if q in shell.energies]
    if not qs:
        return np.zeros(0)
    return np.concatenate([np.repeat(np.asarray(shell.energies[q], float), shell.multiplicity(q)) for q in qs])


def lowest_levels(shell, n_levels=12, sector=None):
    """The ``n_levels`` lowest rescaled energies of a shell (with multiplicity: a (Q, S)
    multiplet counts 2S + 1 times).

    ``sector`` restricts to one symmetry block: (Q, 2Sz) for a (Q, 2Sz)-mode shell, (Q, 2S)
    (the 2S + 1 states of each multiplet) for a (Q, S)-mode shell.
    """
    n_levels = validate.integer("n_levels", n_levels, minimum=1)
    e = np.sort(_levels(shell, None if sector is None else [tuple(sector)]))[:n_levels]
    return np.pad(e, (0, n_levels - len(e)), constant_values=np.nan)


def distinct_levels(shell, n_levels=8, tol=1e-6):
    """The ``n_levels`` lowest *distinct* rescaled energies of a shell (NaN padded)."""
    e = np.sort(_levels(shell))
    keep = np.concatenate([[True], np.diff(e) > tol])
    e = e[keep][:n_levels]
    return np.pad(e, (0, n_levels - len(e)), constant_values=np.nan)


def low_multiplicity(shell, e_max=0.05):
    """Number of states with rescaled energy below ``e_max`` (ground multiplet size; a (Q, S)
    multiplet counts 2S + 1)."""
    return int(np.sum(_levels(shell) < e_max))


#: ground-multiplet sizes of the SIAM fixed points, (even N, odd N)
FIXED_POINT_MULTIPLICITY = {"FO": (16, 4), "LM": (8, 2), "SC": (1, 4)}


def _count_below(b, x):
    """Sturm count: eigenvalues < x of the zero-diagonal tridiagonal matrix tri(b)."""
    d = -x
    cnt = (d < 0).astype(int)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for bi in b:                    # IEEE infinities keep the count right
            d = np.where(d == 0, -1e-300, d)
            d = -x - bi * bi / d
            cnt += d < 0
    return cnt


def _lowest_nonnegative(b, k):
    """Lowest k non-negative eigenvalues of tri(b) (zero diagonal), by bisection.

    Zero-diagonal tridiagonal matrices have eigenvalues +-sigma determined to high
    *relative* accuracy by their entries (Demmel & Kahan 1990), and Sturm-sequence
    bisection delivers that accuracy, while a dense eigensolver would lose the tiny
    low-energy levels of a graded Wilson chain to rounding of the large hoppings.
    """
    M = len(b) + 1
    idx = M // 2 + np.arange(k)               # spectrum is symmetric about zero
    hi = np.full(k, 2.0 * (np.max(b) if len(b) else 1.0) + 1.0)
    lo = np.full(k, 1e-300)
    for _ in range(200):
        mid = np.sqrt(lo * hi)                 # geometric bisection: relative precision
        below = _count_below(b, mid) > idx
        hi = np.where(below, mid, hi)
        lo = np.where(below, lo, mid)
    e = np.sqrt(lo * hi)
    return np.where(e < 1e-200, 0.0, e)


def _subset_sums(pool, e_max):
    """All sums of subsets of the sorted positive ``pool`` that do not exceed e_max."""
    out = []

    def dfs(start, total):
        out.append(total)
        for i in range(start, len(pool)):
            if total + pool[i] > e_max * (1 + 1e-12):
                break                     # sorted: no later element fits either
            dfs(i + 1, total + pool[i])

    dfs(0, 0.0)
    return np.array(out)


def free_chain_levels(Lam, N, first_site=0, extra_degeneracy=1, n_levels=12, n_single=8):
    """Lowest many-body levels (rescaled at shell N) of the free chain f_first..f_N.

    Single-particle levels +-eps_k of the chain (rescaled by s_N = Lambda^{-(N-1)/2});
    a many-body excitation adds a particle at +eps_k or a hole at -eps_k (two spins
    each): its energy is a sum of eps_k over a set of those 4 channels per level;
    a zero mode gives a 4-fold degenerate ground state.
    ``extra_degeneracy`` multiplies every level (2 for LM, 4 for FO).
    """
    Lam = validate.greater("Lam", Lam, 1.0)
    N = validate.integer("N", N, minimum=first_site)
    # rescaled hoppings eps_n / s_N = t_n Lambda^{(N-1-n)/2}: graded over many decades
    n_idx = np.arange(N)
    b = (chain.hoppings_rescaled(Lam, N) * float(Lam) ** ((N - 1 - n_idx) / 2.0))[first_site:]
    e = _lowest_nonnegative(b, min(n_single, (len(b) + 2) // 2))
    zero = e < 1e-9
    base = e[~zero]
    pool = np.sort(np.repeat(base, 4))      # particle/hole x spin per level
    mult = extra_degeneracy * 4 ** int(zero.sum())       # zero modes: 4 states each
    need = -(-n_levels // mult)                          # distinct sums needed
    e_max = pool[0] if len(pool) else 0.0
    while True:
        sums = _subset_sums(pool, e_max)
        if len(sums) >= need or len(sums) >= 2 ** len(pool):
            break
        e_max *= 2
    levels = np.repeat(np.sort(sums), mult)
    return levels[:n_levels]
