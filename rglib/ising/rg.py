r"""Renormalization-group flows of the 2D Ising model: Migdal-Kadanoff and MCRG.

Migdal-Kadanoff bond moving with b = 2 (Migdal 1975, Kadanoff 1976): move bonds to
double them (K -> 2K), then decimate a chain of two bonds,
:math:`\tanh K' = \tanh^2(2K)`. Non-trivial fixed point K* = 0.304689 (exact
K_c = 0.440687), thermal eigenvalue lambda_t = dK'/dK at K*, y_t = ln lambda_t / ln 2,
nu = 1 / y_t = 1.338 (exact 1).

Monte Carlo RG (R. H. Swendsen, PRL 42, 859 (1979)): with configurations sampled at
K and blocked repeatedly, the linearized RG matrix between blocking levels n and
n + 1 follows from correlation functions of the even operators S_alpha
(:func:`rglib.lattice.even_operators`):

.. math::

    A_{\gamma\beta} = \langle S^{(n+1)}_\gamma S^{(n)}_\beta\rangle_c,\quad
    B_{\gamma\alpha} = \langle S^{(n+1)}_\gamma S^{(n+1)}_\alpha\rangle_c,\quad
    T = B^{-1} A = \partial K^{(n+1)}/\partial K^{(n)}.

Its leading eigenvalue gives y_t = ln lambda_t / ln b; error bars by jackknife over
independent chains.
"""
import numpy as np
from scipy.optimize import brentq

from .. import lattice, validate
from . import block, mc
from .exact import K_C


def mk_map(K, b=2):
    """Migdal-Kadanoff recursion K -> K' for scale factor b (d = 2): tanh K' = tanh^b(bK).

    Evaluated in logarithms, so that large K gives K' = bK - ln(b)/2 + ... rather than inf.
    """
    K = float(validate.nonnegative("K", K))
    b = validate.integer("b", b, minimum=2, maximum=64)
    if K == 0:
        return 0.0
    y = b * K
    e = np.exp(-2 * y)
    log_tanh = np.log1p(-e) - np.log1p(e)
    if b * log_tanh < np.log(0.5):                  # tanh^b < 1/2: arctanh directly
        return float(np.arctanh(np.exp(b * log_tanh)))
    one_minus = -np.expm1(b * log_tanh)             # 1 - tanh^b, accurate when tiny
    if one_minus < 1e-300:                          # 1 - tanh^b = 2b e^{-2y} (1 + ...)
        return float(y - 0.5 * np.log(b))
    return float(0.5 * (np.log(2 - one_minus) - np.log(one_minus)))


def mk_fixed_point(b=2):
    """(K*, lambda_t, y_t, nu) of the Migdal-Kadanoff map."""
    b = validate.integer("b", b, minimum=2, maximum=64)
    Ks = brentq(lambda K: mk_map(K, b) - K, 0.05, 2.0, xtol=1e-15)
    t = np.tanh(b * Ks)                  # dK'/dK = b^2 t^{b-1} (1 - t^2) / (1 - t^{2b})
    lam = b * b * t ** (b - 1) * (1 - t * t) / (1 - t ** (2 * b))
    yt = np.log(lam) / np.log(b)
    return Ks, lam, yt, 1 / yt


#: longest Migdal-Kadanoff flow computed (the flow reaches a fixed point long before)
MAX_FLOW_STEPS = 100_000


def mk_flow(K0, n_steps, b=2):
    """K_0, K_1, ... under the Migdal-Kadanoff map (K grows like b^n in the ordered phase;
    values beyond 1e300 are held there)."""
    n_steps = validate.integer("n_steps", n_steps, minimum=0, maximum=MAX_FLOW_STEPS)
    Ks = [float(validate.nonnegative("K0", K0))]
    for _ in range(n_steps):
        Ks.append(min(mk_map(Ks[-1], b), 1e300))
    return np.array(Ks)


def blocked_operators(configs, rng, n_levels, b=2, rule="majority"):
    """Even operators at blocking levels 0..n_levels: array (levels+1, C, 3)."""
    validate.one_of("rule", rule, ("majority", "decimation"))
    n_levels = validate.integer("n_levels", n_levels, minimum=1)
    rng = validate.rng("rng", rng)
    out = [lattice.even_operators(configs)]
    s = configs
    for _ in range(n_levels):
        s = block.majority(s, rng, b) if rule == "majority" else block.decimation(s, b)
        out.append(lattice.even_operators(s))
    return np.array(out)


def mcrg_samples(K, L, n_chains, n_samples, n_levels, seed, burn_in=150, b=2):
    """Blocked even operators of Swendsen-Wang samples at K: (levels+1, n_samples*n_chains, 3).

    ``n_chains`` chains from random starts (ordered above K_c), ``burn_in`` updates, then
    one measurement per update, blocked ``n_levels`` times by majority rule. Returns
    (ops, chain labels 0..n_chains-1 of every sample). Independent groups of chains
    (different seeds) can run on different workers (:func:`rglib.sweep.run`) and be
    concatenated, with their labels offset.
    """
    rng = validate.rng("seed", seed)
    n_samples = validate.integer("n_samples", n_samples, minimum=1, maximum=10**6)
    burn_in = validate.integer("burn_in", burn_in, minimum=0, maximum=10**6)
    s = mc.random_spins(n_chains, L, rng) if K < K_C else mc.ordered_spins(n_chains, L)
    s, _, _ = mc.swendsen_wang(s, K, burn_in, rng, measure=False)
    ops, chains = [], []
    for _ in range(n_samples):
        s, _, _ = mc.swendsen_wang(s, K, 1, rng, measure=False)
        ops.append(blocked_operators(s, rng, n_levels, b))
        chains.append(np.arange(s.shape[0]))
    return np.concatenate(ops, axis=1), np.concatenate(chains)


def _T_matrix(Sn, Sn1):
    """T = B^-1 A from samples of S^(n) (M, k) and S^(n+1) (M, k)."""
    a = Sn1 - Sn1.mean(0)
    A = a.T @ (Sn - Sn.mean(0)) / len(Sn)
    B = a.T @ a / len(Sn)
    return np.linalg.solve(B, A)


def mcrg_exponent(ops, level, n_ops=3, b=2, chains=None):
    """y_t from the linearized RG between ``level`` and ``level + 1``.

    ops: (levels+1, M, 3) operators; ``chains``: integer chain label of every sample,
    for a jackknife over chains. Returns (lambda_t, y_t, nu, err_y, err_nu).
    """
    level = validate.integer("level", level, minimum=0, maximum=ops.shape[0] - 2)
    n_ops = validate.integer("n_ops", n_ops, minimum=1, maximum=ops.shape[2])
    Sn, Sn1 = ops[level][:, :n_ops], ops[level + 1][:, :n_ops]

    def lam(idx):
        ev = np.linalg.eigvals(_T_matrix(Sn[idx], Sn1[idx]))
        return float(np.max(ev.real))

    lt = lam(slice(None))
    yt = np.log(lt) / np.log(b)
    err_y = err_nu = float("nan")
    if chains is not None:
        labels = np.unique(chains)
        if len(labels) >= 2:
            ys = np.array([np.log(lam(chains != c)) / np.log(b) for c in labels])
            n = len(labels)
            err_y = float(np.sqrt((n - 1) / n * np.sum((ys - ys.mean()) ** 2)))
            err_nu = err_y / yt ** 2
    return lt, yt, 1 / yt, err_y, err_nu
