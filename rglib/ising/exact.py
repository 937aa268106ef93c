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

from .. import lattice, validate
from ..autodiff import plain

K_C = 0.5 * np.log(1 + np.sqrt(2))          # sinh 2K_c = 1


def _K(K):
    return validate.finite("K", K)


def onsager_lnZ(K):
    """ln Z / N of the infinite square lattice (adaptive quadrature, kink at pi/2 split off)."""
    from scipy.integrate import quad

    K = float(_K(K))
    c, s = np.cosh(2 * K), np.sinh(2 * K)
    kappa = 2 * s / c ** 2

    def f(t):
        return np.log((1 + np.sqrt(max(1 - kappa ** 2 * np.sin(t) ** 2, 0.0))) / 2)

    val = sum(quad(f, a, b, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
              for a, b in ((0, np.pi / 2), (np.pi / 2, np.pi)))
    return float(np.log(2 * c) + val / (2 * np.pi))


def onsager_energy(K):
    r"""Energy per site u = -d(ln Z/N)/dK (two bonds per site):
    u = -coth 2K [1 + (2/pi)(2 tanh^2 2K - 1) K_1(kappa)]."""
    from scipy.special import ellipk

    K = float(_K(K))
    kappa = 2 * np.sinh(2 * K) / np.cosh(2 * K) ** 2
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
    return float((1 - np.sinh(2 * K) ** -4) ** 0.125)


def _kaufman(K, M, N):
    k = np.arange(2 * N)
    c2, s2 = anp.cosh(2 * K), anp.sinh(2 * K)
    arg = c2 * c2 / s2 - np.cos(np.pi * k[1:] / N)
    g_rest = anp.log(arg + anp.sqrt(arg * arg - 1))          # arccosh, k >= 1
    g0 = 2 * K + anp.log(anp.tanh(K))                       # keep the sign!
    gamma = anp.concatenate([anp.reshape(g0, (1,)), g_rest])
    odd, even = gamma[1::2], gamma[0::2]
    logs, signs = [], []
    for g, fn in ((odd, "cosh"), (odd, "sinh"), (even, "cosh"), (even, "sinh")):
        x = M * g / 2
        if fn == "cosh":
            logs.append(anp.sum(anp.abs(x) + anp.log1p(anp.exp(-2 * anp.abs(x)))))
            signs.append(1.0)
        else:
            ax = anp.abs(x)
            logs.append(anp.sum(ax + anp.log(-anp.expm1(-2 * ax))))
            signs.append(float(np.prod(np.sign(plain(x)))))
    lmax = max(float(plain(v)) for v in logs)
    total = sum(s * anp.exp(v - lmax) for s, v in zip(signs, logs))
    return np.log(0.5) + M * N / 2 * anp.log(2 * s2) + lmax + anp.log(total)


def _check_torus(M, N):
    M = validate.integer("M", M, minimum=2)
    N = validate.integer("N", N, minimum=2)
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
