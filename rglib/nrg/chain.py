r"""Logarithmic discretization of a flat band and the Wilson chain.

Units: half-bandwidth D = 1. The conduction band has a flat density of states
rho = 1/2 on [-1, 1]; the impurity couples with V, so Gamma = pi rho V^2 = pi V^2 / 2.

Logarithmic grid (Wilson 1975; Bulla, Costi & Pruschke, RMP 80, 395 (2008), Sec. II):
the band is cut at energies +-Lambda^{-n}, n = 0, 1, 2, ...; with a twist parameter
z in (0, 1] (z-averaging, Oliveira & Oliveira 1994) the points are +-Lambda^{-(n+z-1)}
for n >= 1 together with the band edge +-1.

Wilson chain (Krishna-murthy, Wilkins & Wilson, PRB 21, 1003 (1980)), z = 1:

.. math::

   H = \sum_\sigma \Big[\sqrt{\tfrac{2\Gamma}{\pi}}\, (d^\dagger_\sigma f_{0\sigma} + h.c.)
       + \sum_{n\ge 0} \epsilon_n (f^\dagger_{n\sigma} f_{n+1,\sigma} + h.c.)\Big]

with (physical units, D = 1)

.. math::

   \epsilon_n = \frac{(1+\Lambda^{-1})(1-\Lambda^{-n-1})}
                {2\sqrt{(1-\Lambda^{-2n-1})(1-\Lambda^{-2n-3})}}\,\Lambda^{-n/2}.

The rescaled hoppings :math:`t_n = \epsilon_n \Lambda^{n/2}` tend to
(1 + 1/Lambda)/2. Wilson's correction A_Lambda = (1+1/Lambda)/(1-1/Lambda) ln(Lambda)/2
multiplies the hybridization Gamma (V -> sqrt(A_Lambda) V) so that the discretized
model reproduces the continuum Gamma at low energies; it can be switched off.
"""
import functools

import numpy as np

from .. import validate


def A_Lambda(Lam):
    r"""Wilson's discretization correction :math:`A_\Lambda = \frac{1+\Lambda^{-1}}{1-\Lambda^{-1}}\frac{\ln\Lambda}{2}`."""
    validate.greater("Lambda", Lam, 1.0)
    return (1 + 1 / Lam) / (1 - 1 / Lam) * np.log(Lam) / 2


def log_grid(Lam, n_max, z=1.0):
    """Positive discretization points 1 = x_0 > x_1 > ... > x_{n_max}.

    x_n = Lambda^{-(n + z - 1)} for n >= 1 (x_0 = 1 is the band edge).
    """
    validate.greater("Lambda", Lam, 1.0)
    n_max = validate.integer("n_max", n_max, minimum=1)
    validate.in_range("z", z, 0.0, 1.0)
    if z == 0:
        raise ValueError("z must lie in (0, 1], got 0")
    n = np.arange(1, n_max + 1)
    return np.concatenate([[1.0], float(Lam) ** (-(n + z - 1.0))])


def hoppings_rescaled(Lam, N):
    r"""Rescaled chain hoppings :math:`t_n = \epsilon_n \Lambda^{n/2}`, n = 0..N-1 (z = 1)."""
    validate.greater("Lambda", Lam, 1.0)
    N = validate.integer("N", N, minimum=0)
    n = np.arange(N, dtype=float)
    L = float(Lam)
    return 0.5 * (1 + 1 / L) * (1 - L ** (-n - 1)) / np.sqrt(
        (1 - L ** (-2 * n - 1)) * (1 - L ** (-2 * n - 3)))


def hoppings(Lam, N):
    r"""Physical chain hoppings :math:`\epsilon_n`, n = 0..N-1 (D = 1, z = 1)."""
    return hoppings_rescaled(Lam, N) * float(Lam) ** (-np.arange(N) / 2.0)


def V_of_Gamma(Gamma):
    r"""Hybridization :math:`V = \sqrt{2\Gamma/\pi}` for a flat band of half-width 1."""
    validate.nonnegative("Gamma", Gamma)
    return np.sqrt(2 * Gamma / np.pi)


# --- general discretization (z-shift, schemes) and Lanczos tridiagonalization ---------

SCHEMES = ("wilson", "campo-oliveira")


def star(Lam, M, z=1.0, scheme="wilson"):
    r"""Star representation of the flat band on the grid of :func:`log_grid`.

    Returns (xi, w): representative energies xi_n > 0 of the intervals
    [x_{n+1}, x_n], n = 0..M-1, and their weights w_n = (x_n - x_{n+1})/2 (flat band,
    rho = 1/2). The band is represented by levels +-xi_n with coupling^2 w_n to f_0.

    * ``wilson``: xi_n = (x_n + x_{n+1}) / 2, the interval mean (KWW). Needs the
      A_Lambda correction of Gamma.
    * ``campo-oliveira``: xi_n = (x_n - x_{n+1}) / ln(x_n / x_{n+1}) (Campo & Oliveira,
      PRB 72, 104432 (2005)); reproduces the hybridization without A_Lambda.
    """
    validate.one_of("scheme", scheme, SCHEMES)
    M = validate.integer("M", M, minimum=1)
    x = log_grid(Lam, M + 1, z)[: M + 1]
    hi, lo = x[:-1], x[1:]
    if scheme == "wilson":
        xi = (hi + lo) / 2
    else:
        xi = (hi - lo) / np.log(hi / lo)
    return xi, (hi - lo) / 2


def _lanczos_decimal(xi, w, n_sites, prec):
    """Tridiagonalize diag(+xi, -xi) from the start vector ~ sqrt(w) in high precision.

    Returns the hoppings between chain sites 0..n_sites-1 (physical units). The star
    is particle-hole symmetric, so all on-site energies vanish; floating point would
    lose Lambda^{-n/2}-small hoppings after a few dozen sites, hence ``decimal``
    (the recurrence cancels about n^2 log10(Lambda) / 4 digits by site n).
    """
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = prec
        e = [Decimal(repr(float(v))) for v in xi] + [-Decimal(repr(float(v))) for v in xi]
        g = [Decimal(repr(float(v))).sqrt() for v in w] * 2
        norm = sum(c * c for c in g).sqrt()
        q = [c / norm for c in g]
        q_prev = [Decimal(0)] * len(q)
        b_prev = Decimal(0)
        hops = []
        for _ in range(n_sites - 1):
            r = [ei * qi for ei, qi in zip(e, q)]
            a = sum(qi * ri for qi, ri in zip(q, r))          # zero by symmetry
            r = [ri - a * qi - b_prev * pi for ri, qi, pi in zip(r, q, q_prev)]
            b = sum(ri * ri for ri in r).sqrt()
            hops.append(float(b))
            q_prev, q, b_prev = q, [ri / b for ri in r], b
    return np.array(hops)


def chain_hoppings(Lam, N, z=1.0, scheme="wilson"):
    r"""Rescaled Wilson-chain hoppings t_n, n = 0..N-1, for any z and scheme.

    Computed by Lanczos tridiagonalization (in ``decimal`` arithmetic) of the star
    of :func:`star`; returned in the rescaled units of the iteration,
    t_n = epsilon_n Lambda^{n/2}. For z = 1 and the Wilson scheme they equal the
    closed form :func:`hoppings_rescaled` (a test).
    """
    validate.greater("Lambda", Lam, 1.0)
    validate.in_range("z", z, 0.0, 1.0)
    return _chain_hoppings_cached(float(Lam), validate.integer("N", N, minimum=1), float(z),
                                  validate.one_of("scheme", scheme, SCHEMES)).copy()


@functools.lru_cache(maxsize=64)
def _chain_hoppings_cached(Lam, N, z, scheme):
    M = N + 10                 # star levels; site n probes levels up to ~n (tested)
    xi, w = star(Lam, M, z, scheme)
    # The Lanczos vectors' high-energy components shrink like prod_k Lambda^{-k/2}:
    # about N^2 log10(Lambda)/4 digits cancel, so carry that many plus a margin.
    prec = 40 + int(np.ceil(0.3 * N * N * np.log10(Lam) + 2 * N))
    eps = _lanczos_decimal(xi, w, N + 1, prec)
    return eps * float(Lam) ** (np.arange(N) / 2.0)
