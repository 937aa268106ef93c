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
