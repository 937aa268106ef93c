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


#: longest grid or chain the functions here build (far beyond any NRG run)
MAX_SITES = 100_000


def A_Lambda(Lam):
    r"""Wilson's discretization correction :math:`A_\Lambda = \frac{1+\Lambda^{-1}}{1-\Lambda^{-1}}\frac{\ln\Lambda}{2}`."""
    Lam = validate.greater("Lam", Lam, 1.0)
    return (1 + 1 / Lam) / (1 - 1 / Lam) * np.log(Lam) / 2


def log_grid(Lam, n_max, z=1.0):
    """Positive discretization points 1 = x_0 > x_1 > ... > x_{n_max}.

    x_n = Lambda^{-(n + z - 1)} for n >= 1 (x_0 = 1 is the band edge).
    """
    Lam = validate.greater("Lam", Lam, 1.0)
    n_max = validate.integer("n_max", n_max, minimum=1, maximum=MAX_SITES)
    z = validate.in_range("z", z, 0.0, 1.0, lo_open=True)
    n = np.arange(1, n_max + 1)
    return np.concatenate([[1.0], float(Lam) ** (-(n + z - 1.0))])


def hoppings_rescaled(Lam, N):
    r"""Rescaled chain hoppings :math:`t_n = \epsilon_n \Lambda^{n/2}`, n = 0..N-1 (z = 1)."""
    Lam = validate.greater("Lam", Lam, 1.0)
    N = validate.integer("N", N, minimum=0, maximum=MAX_SITES)
    n = np.arange(N, dtype=float)
    L = float(Lam)
    return 0.5 * (1 + 1 / L) * (1 - L ** (-n - 1)) / np.sqrt(
        (1 - L ** (-2 * n - 1)) * (1 - L ** (-2 * n - 3)))


def hoppings(Lam, N):
    r"""Physical chain hoppings :math:`\epsilon_n`, n = 0..N-1 (D = 1, z = 1)."""
    t = hoppings_rescaled(Lam, N)
    return t * float(Lam) ** (-np.arange(len(t)) / 2.0)


def V_of_Gamma(Gamma):
    r"""Hybridization :math:`V = \sqrt{2\Gamma/\pi}` for a flat band of half-width 1."""
    Gamma = validate.nonnegative("Gamma", Gamma)
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
    scheme = validate.one_of("scheme", scheme, SCHEMES)
    M = validate.integer("M", M, minimum=1)
    x = log_grid(Lam, M + 1, z)[: M + 1]
    hi, lo = x[:-1], x[1:]
    if scheme == "wilson":
        xi = (hi + lo) / 2
    else:
        xi = (hi - lo) / np.log(hi / lo)
    return xi, (hi - lo) / 2


def lanczos_tridiagonalize(xi, w, n_sites, prec):
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


#: relative precision to which the Lanczos chain is computed (below double precision)
CHAIN_DIGITS = 17


def lanczos_sites(Lam):
    r"""(n_0, M): Lanczos sites computed and star levels used, for any requested length.

    The rescaled hoppings converge geometrically, t_n = t_\infty + O(\Lambda^{-n})
    (the star is exactly geometric below the band edge; the closed form shows the
    rate at z = 1), so beyond n_0 = 17/log10(Lambda) + 4 sites they equal their limit
    to double precision and are continued by it (checked at run time). Site n probes
    star energies down to ~Lambda^{-n/2}; a star of M = n_0/2 + 17/log10(Lambda) + 10
    levels leaves out only weight below 10^-17 of that scale. Hence the hoppings do
    not depend on how many sites are asked for (a test).
    """
    d = CHAIN_DIGITS / np.log10(Lam)
    n0 = int(np.ceil(d)) + 4
    return n0, int(np.ceil(n0 / 2 + d)) + 10


def lanczos_seconds(Lam):
    """Estimated run time of :func:`chain_hoppings` off the closed form (measured:
    0.25 s at Lambda = 2, 1.5 s at 1.5; the cost grows as n_0 M prec^1.75)."""
    n0, M = lanczos_sites(float(Lam))
    prec = _precision(float(Lam), n0)
    return 1.5 * n0 * M * prec ** 1.75 / (101 * 158 * 781 ** 1.75)


def _precision(Lam, n_sites):
    # The Lanczos vectors' high-energy components shrink like prod_k Lambda^{-k/2}:
    # about n^2 log10(Lambda)/4 digits cancel by site n, so carry that many plus a margin.
    return 40 + int(np.ceil(0.3 * n_sites * n_sites * np.log10(Lam) + 2 * n_sites))


def chain_hoppings(Lam, N, z=1.0, scheme="wilson"):
    r"""Rescaled Wilson-chain hoppings t_n, n = 0..N-1, for any z and scheme.

    z = 1 with the Wilson scheme: the closed form :func:`hoppings_rescaled`.
    Otherwise: Lanczos tridiagonalization (in ``decimal`` arithmetic) of the star of
    :func:`star` (:func:`lanczos_sites` says how long), in the rescaled units of the
    iteration, t_n = epsilon_n Lambda^{n/2}. At z = 1 the Lanczos chain equals the
    closed form to 1e-15 (a test). Refused (ValueError) when the estimated time
    exceeds ``rglib.validate.LIMITS["seconds"]`` (very small Lambda).
    """
    Lam = float(validate.greater("Lam", Lam, 1.0))
    N = validate.integer("N", N, minimum=1, maximum=MAX_SITES)
    z = float(validate.in_range("z", z, 0.0, 1.0, lo_open=True))
    scheme = validate.one_of("scheme", scheme, SCHEMES)
    if z == 1.0 and scheme == "wilson":
        return hoppings_rescaled(Lam, N)
    return lanczos_hoppings(Lam, N, z, scheme)


def lanczos_hoppings(Lam, N, z=1.0, scheme="wilson"):
    """The Lanczos chain of :func:`chain_hoppings`, also at z = 1 with the Wilson scheme
    (where it must equal the closed form: a check of the tridiagonalization)."""
    Lam = float(validate.greater("Lam", Lam, 1.0))
    N = validate.integer("N", N, minimum=1, maximum=MAX_SITES)
    z = float(validate.in_range("z", z, 0.0, 1.0, lo_open=True))
    scheme = validate.one_of("scheme", scheme, SCHEMES)
    validate.budget("Lam", lanczos_seconds(Lam), "seconds", "the Lanczos Wilson chain")
    t = _lanczos_chain(Lam, z, scheme)
    n0 = len(t)
    if N <= n0:
        return t[:N].copy()
    return np.concatenate([t, np.full(N - n0, t[-1])])


@functools.lru_cache(maxsize=64)
def _lanczos_chain(Lam, z, scheme):
    n0, M = lanczos_sites(Lam)
    xi, w = star(Lam, M, z, scheme)
    eps = lanczos_tridiagonalize(xi, w, n0 + 1, _precision(Lam, n0))
    t = eps * Lam ** (np.arange(n0) / 2.0)
    if abs(t[-1] / t[-2] - 1) > 1e-13:       # the geometric convergence the continuation uses
        raise RuntimeError(f"Wilson chain not converged after {n0} sites at Lambda = {Lam}")
    t.setflags(write=False)
    return t


def coupling_factor(Lam, scheme="wilson", A_correction=None):
    r"""The one rule for Wilson's correction: the factor multiplying Gamma (V^2, J).

    ``A_correction`` None (default) applies :func:`A_Lambda` with the ``wilson``
    scheme and nothing with ``campo-oliveira`` (whose star already reproduces the
    hybridization); an explicit ``True`` with ``campo-oliveira`` is refused rather
    than ignored.
    """
    Lam = validate.greater("Lam", Lam, 1.0)
    scheme = validate.one_of("scheme", scheme, SCHEMES)
    if A_correction is None:
        A_correction = scheme == "wilson"
    A_correction = validate.boolean("A_correction", A_correction)
    if A_correction and scheme != "wilson":
        raise ValueError("A_correction: Wilson's A_Lambda corrects the 'wilson' scheme only; the "
                         "'campo-oliveira' chain reproduces the hybridization without it "
                         "(leave A_correction=None)")
    return float(A_Lambda(Lam)) if A_correction else 1.0
