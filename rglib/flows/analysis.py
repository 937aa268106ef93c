r"""Fixed points, exponents and critical points of an RG map (learned or exact).

* :func:`newton`: fixed point of J' = R(J), i.e. a zero of f(J) = R(J) - J, by Newton's
  method :math:`J \leftarrow J - (\partial f/\partial J)^{-1} f(J)` (damped when a step
  would grow |f|);
* :func:`exponents`: the eigenvalues of :math:`\partial J'/\partial J` at a fixed point;
  the largest gives :math:`y_t = \ln\lambda_t/\ln b` with :math:`b = \sqrt2`, and
  :math:`\nu = 1/y_t`;
* :func:`critical_point`: the critical coupling on the physical line J = (K, 0, ...):
  by **flow destination** (bisection on K: the iterated map runs to weak coupling in the
  disordered phase and to strong coupling in the ordered one). For one coupling it
  equals the fixed point; for five couplings the fixed point lies off the physical line,
  and the physical-line point is where the line crosses its critical surface. The
  destination criterion is used because it needs no linearization: the critical
  surface of the learned map is curved between the physical line and the fixed point.
  :func:`critical_point_linear` gives the linearized estimate
  :math:`u_t\cdot(J - J^*) = 0` (u_t the left eigenvector of :math:`\lambda_t`) as a
  cross-check.
"""
import numpy as np
from scipy.optimize import brentq

from .. import validate
from . import clusters

B = clusters.B_SCALE


def newton(f, jac, J0, tol=1e-12, max_iter=100):
    """Zero of f from J0 (f, jac: functions of an (n,) array). Returns (J*, converged)."""
    J = np.array(J0, dtype=float)
    r = np.asarray(f(J), dtype=float)
    for _ in range(validate.integer("max_iter", max_iter, minimum=1, maximum=10_000)):
        if not np.all(np.isfinite(r)):
            return J, False
        if np.linalg.norm(r) < tol:
            return J, True
        try:
            step = np.linalg.solve(np.atleast_2d(jac(J)), r)
        except np.linalg.LinAlgError:
            return J, False
        lam = 1.0
        while lam > 1e-4:                       # damping: accept a step that lowers |f|
            Jn = J - lam * step
            rn = np.asarray(f(Jn), dtype=float)
            if np.all(np.isfinite(rn)) and np.linalg.norm(rn) < np.linalg.norm(r):
                break
            lam /= 2
        J, r = Jn, rn
    return J, bool(np.linalg.norm(r) < tol)


def critical_zero(f, near=0.85, lo=0.02, hi=2.0, n=400):
    """The zero of a 1-D flow f(K) with f' > 0 (an unstable fixed point) nearest to
    ``near`` on [lo, hi]: sign changes on a grid, then Brent's method. Returns
    (K*, found); NaN when f has no unstable zero there (Newton from a single start can
    run to a far, unphysical zero of a poorly trained f)."""
    K = np.linspace(lo, hi, n)
    fk = np.array([f(k) for k in K])
    idx = np.where((fk[:-1] < 0) & (fk[1:] >= 0) & np.isfinite(fk[:-1]) & np.isfinite(fk[1:]))[0]
    if not len(idx):
        return float("nan"), False
    i = idx[np.argmin(np.abs(K[idx] - near))]
    return float(brentq(f, K[i], K[i + 1], xtol=1e-14)), True


def exponents(jac_map):
    """(lambda_t, y_t, nu, all eigenvalues) from dJ'/dJ at a fixed point."""
    ev = np.linalg.eigvals(np.atleast_2d(jac_map))
    lam = float(np.max(ev.real))
    yt = np.log(lam) / np.log(B) if lam > 0 else float("nan")
    return lam, float(yt), float(1 / yt) if yt else float("nan"), ev


def destination(rg_map, J0, n_iter=40, weak=0.1, strong=3.0):
    """Where the iterated map takes J0: -1 (weak coupling: disordered), +1 (strong:
    ordered), 0 (undecided after n_iter steps, at most 10000)."""
    n_iter = validate.integer("n_iter", n_iter, minimum=1, maximum=10_000)
    weak = float(validate.positive("weak", weak))
    strong = float(validate.greater("strong", strong, weak))
    J = np.array(J0, dtype=float)
    if J.ndim != 1 or not len(J) or not np.all(np.isfinite(J)):
        raise ValueError(f"J0 must be a 1-D array of finite couplings, got {J0!r}")
    for _ in range(n_iter):
        J = np.asarray(rg_map(J), dtype=float)
        if not np.all(np.isfinite(J)):
            return 0
        a = J[0]
        if abs(a) < weak and np.all(np.abs(J) < strong):
            return -1
        if np.max(np.abs(J)) > strong:
            return +1
    return 0


def critical_point(rg_map, n, lo=0.3, hi=1.6, tol=1e-6, n_iter=40):
    """K_c on the physical line (K, 0, ..., 0) by bisection on the flow destination.

    Returns NaN when the two ends do not flow to different phases."""
    lo, hi = float(validate.finite("lo", lo)), float(validate.finite("hi", hi))
    if not lo < hi:
        raise ValueError(f"lo must be < hi, got lo = {lo}, hi = {hi}")
    tol = float(validate.in_range("tol", tol, 1e-15, hi - lo))
    n = validate.integer("n", n, minimum=1, maximum=100)
    phys = lambda K: np.array([K] + [0.0] * (n - 1))    # noqa: E731
    d_lo, d_hi = destination(rg_map, phys(lo), n_iter), destination(rg_map, phys(hi), n_iter)
    if d_lo != -1 or d_hi != +1:
        return float("nan")
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        d = destination(rg_map, phys(mid), n_iter)
        if d == -1:
            lo = mid
        elif d == +1:
            hi = mid
        else:                     # undecided: the point flows to the fixed point itself
            return mid
    return 0.5 * (lo + hi)


def critical_point_linear(J_star, jac_map):
    """Physical-line K where u_t . (J - J*) = 0 (u_t: left eigenvector of lambda_t)."""
    ev, left = np.linalg.eig(np.atleast_2d(jac_map).T)
    u = np.real(left[:, np.argmax(ev.real)])
    return float(u @ np.asarray(J_star) / u[0]) if abs(u[0]) > 1e-12 else float("nan")
