r"""Exact results for the square-lattice Ising model, H = -sum_<ij> s_i s_j, weight e^{K s_i s_j}.

* Onsager (infinite lattice): free energy per site
  :math:`\ln Z/N = \ln(2\cosh 2K) + \frac{1}{2\pi}\int_0^\pi \ln\frac{1+\sqrt{1-\kappa^2\sin^2\theta}}{2}d\theta`,
  :math:`\kappa = 2\sinh 2K/\cosh^2 2K`; energy from the closed form with the complete
  elliptic integral, specific heat by differentiating it; Yang's magnetization
  :math:`M = (1-\sinh^{-4}2K)^{1/8}` for K > K_c.
* Kaufman (B. Kaufman, Phys. Rev. 76, 1232 (1949)): the exact partition function of
  an M x N torus,
  :math:`Z = \tfrac12(2\sinh 2K)^{MN/2}\sum_{i=1}^4 Z_i` with
  :math:`Z_{1,2} = \prod_{r=0}^{N-1} 2\{\cosh,\sinh\}(M\gamma_{2r+1}/2)`,
  :math:`Z_{3,4} = \prod_{r=0}^{N-1} 2\{\cosh,\sinh\}(M\gamma_{2r}/2)`,
  :math:`\cosh\gamma_k = \cosh 2K\coth 2K - \cos(\pi k/N)` and
  :math:`\gamma_0 = 2K + \ln\tanh K` **with its sign** (negative for K < K_c; dropping
  it is the classic bug). Energy and specific heat of the finite torus by autograd.
* Brute-force enumeration of small tori (up to 4 x 4 = 65536 states), the test of Kaufman.
"""
import autograd.numpy as anp
import numpy as np
from autograd import grad
from scipy.integrate import quad
from scipy.special import ellipk

from .. import lattice, validate
from ..autodiff import plain

K_C = 0.5 * np.log(1 + np.sqrt(2))          # sinh 2K_c = 1


def _K(K):
    return validate.finite("K", K)


def _kappa(K):
    """kappa = 2 sinh 2K / cosh^2 2K = 2 tanh 2K sech 2K, without overflow."""
    e = np.exp(-4 * abs(K))
    return 2 * np.tanh(2 * K) * 2 * np.sqrt(e) / (1 + e)


def onsager_lnZ(K):
    """ln Z / N of the infinite square lattice (adaptive quadrature, kink at pi/2 split off)."""
    K = float(_K(K))
    kappa = _kappa(K)

    def f(t):
        return np.log((1 + np.sqrt(max(1 - kappa ** 2 * np.sin(t) ** 2, 0.0))) / 2)

    val = sum(quad(f, a, b, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
              for a, b in ((0, np.pi / 2), (np.pi / 2, np.pi)))
    return float(np.logaddexp(2 * K, -2 * K) + val / (2 * np.pi))


def onsager_energy(K):
    r"""Energy per site u = -d(ln Z/N)/dK (two bonds per site):
    u = -coth 2K [1 + (2/pi)(2 tanh^2 2K - 1) K_1(kappa)]."""
    K = float(_K(K))
    if abs(K) < 1e-5:            # high-temperature series (the closed form cancels): -2t - 4t^3
        t = np.tanh(K)
        return float(-2 * t - 4 * t ** 3)
    kappa = _kappa(K)
    a = 2 * np.tanh(2 * K) ** 2 - 1               # vanishes at K_c, where K_1 diverges
    term = 0.0 if abs(a) < 1e-15 else a * ellipk(kappa ** 2)
    return float(-1 / np.tanh(2 * K) * (1 + 2 / np.pi * term))


def onsager_specific_heat(K, h=1e-5):
    """Specific heat per site c = K^2 d^2(ln Z/N)/dK^2 (central difference of u(K))."""
    K = _K(K)
    return float(-K ** 2 * (onsager_energy(K + h) - onsager_energy(K - h)) / (2 * h))


def yang_magnetization(K):
    """Spontaneous magnetization per site (C. N. Yang 1952); 0 for K <= K_c."""
    K = _K(K)
    if K <= K_C:
        return 0.0
    e = np.exp(-4 * float(K))
    inv_sinh = 2 * np.sqrt(e) / (1 - e)                      # 1/sinh 2K, no overflow
    return float((1 - inv_sinh ** 4) ** 0.125)


def _log2cosh(x):
    """log(2 cosh x): smooth (all derivatives right, also at x = 0), no overflow."""
    return anp.logaddexp(x, -x)


def _log2sinh(x):
    """log(2 sinh x) for x > 0, no overflow."""
    return x + anp.log1p(-anp.exp(-2 * x))


def _kaufman(K, M, N):
    """ln Z of the M x N torus, written so that it is smooth in K everywhere.

    gamma_0 = 2K + ln tanh K changes sign at K_c, where 2 sinh(M gamma_0 / 2) = 0: the
    sinh product with k = 0 is written as tanh(x_0) * 2cosh(x_0) * prod_{k>=2}, so its
    derivatives stay right at K_c (a product of |x| and sign(x) would lose them), and
    everything is in logarithms, so large K does not overflow.
    """
    e4 = anp.exp(-4 * K)
    l2s, l2c = 2 * K + anp.log1p(-e4), 2 * K + anp.log1p(e4)      # log 2sinh 2K, log 2cosh 2K
    lcc = 2 * l2c - l2s - np.log(2.0)                            # log(cosh 2K coth 2K)
    k = np.arange(1, 2 * N)
    la = lcc + anp.log1p(-np.cos(np.pi * k / N) * anp.exp(-lcc))  # log cosh gamma_k
    gamma = la + anp.log1p(anp.sqrt(1 - anp.exp(-2 * la)))       # arccosh, k >= 1
    e2 = anp.exp(-2 * K)
    g0 = 2 * K + anp.log1p(-e2) - anp.log1p(e2)                  # 2K + ln tanh K: keep the sign!
    x0 = M * g0 / 2
    x_odd, x_even = M * gamma[0::2] / 2, M * gamma[1::2] / 2     # k = 1, 3, ... and k = 2, 4, ...
    logs = [anp.sum(_log2cosh(x_odd)), anp.sum(_log2sinh(x_odd)),
            _log2cosh(x0) + anp.sum(_log2cosh(x_even)), _log2cosh(x0) + anp.sum(_log2sinh(x_even))]
    lmax = max(float(plain(v)) for v in logs)
    total = (anp.exp(logs[0] - lmax) + anp.exp(logs[1] - lmax) + anp.exp(logs[2] - lmax)
             + anp.tanh(anp.clip(x0, -40.0, 40.0)) * anp.exp(logs[3] - lmax))   # tanh = +-1 beyond
    return np.log(0.5) + M * N / 2 * l2s + lmax + anp.log(total)


#: largest side of a torus for Kaufman's formula (cost and memory grow as N)
MAX_SIDE = 1_000_000


def _check_torus(M, N):
    M = validate.integer("M", M, minimum=2, maximum=MAX_SIDE)
    N = validate.integer("N", N, minimum=2, maximum=MAX_SIDE)
    return M, N


def kaufman_lnZ(K, M, N):
    """ln Z of the M x N torus (exact, Kaufman 1949); K > 0."""
    M, N = _check_torus(M, N)
    return float(_kaufman(validate.positive("K", K), M, N))


def kaufman_thermo(K, M, N):
    """Exact energy and specific heat per site of the M x N torus: (u, c).

    u = -(1/MN) d ln Z/dK, c = (K^2/MN) d^2 ln Z/dK^2 (autograd on Kaufman's formula).
    """
    M, N = _check_torus(M, N)
    K = float(validate.positive("K", K))
    f = lambda k: _kaufman(k, M, N)                        # noqa: E731
    return -grad(f)(K) / (M * N), K * K * grad(grad(f))(K) / (M * N)


def brute_force_lnZ(K, M, N):
    """ln Z of the M x N torus by enumerating all 2^(MN) states (MN <= 20)."""
    M, N = _check_torus(M, N)
    K = float(validate.finite("K", K))
    x = K * lattice.bond_sum(lattice.configurations(M, N)).astype(float)
    m = x.max()
    return float(m + np.log(np.sum(np.exp(x - m))))


def brute_force_thermo(K, M, N):
    """Energy and specific heat per site (u, c) of the M x N torus by enumeration.

    From the exact distribution of the bond sum B: u = -<B>/MN, c = K^2 var(B)/MN.
    The independent check of :func:`kaufman_thermo` (MN <= 20).
    """
    M, N = _check_torus(M, N)
    K = float(validate.finite("K", K))
    B = lattice.bond_sum(lattice.configurations(M, N)).astype(float)
    x = K * B
    w = np.exp(x - x.max())
    p = w / w.sum()
    mean = np.sum(p * B)
    return float(-mean / (M * N)), float(K * K * np.sum(p * (B - mean) ** 2) / (M * N))
