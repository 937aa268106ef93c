r"""The exact KL oracle: divergences, the exact-KL RG map and its fixed point.

For teacher couplings J and student couplings J' (:mod:`rglib.flows.clusters`) on the
same green spins,

.. math::

    D_{\rm fwd}(J, J') = \sum_g p_T(g|J)\,[\ln p_T(g|J) - \ln p_S(g|J')],\qquad
    D_{\rm rev}(J, J') = \sum_g p_S(g|J')\,[\ln p_S(g|J') - \ln p_T(g|J)],

computed exactly by enumeration. The forward divergence is what the MLRG loss (and
contrastive divergence, its sampled surrogate) minimizes: maximum likelihood of the
student on teacher data. Its minimizer J'*(J) is the *exact-KL RG map*: the best any
learned flow can do with this representation, so the learned flows are measured
against it. With one coupling the stationarity condition

.. math::  \langle m\tanh(K'm)\rangle_T = \langle m\tanh(K'm)\rangle_S,\qquad m=\sum_g s_g,

is solved by root finding (Brent), the fixed point K* = K'*(K*) by root finding again,
and :math:`\lambda_t = dK'^*/dK` at K* gives :math:`y_t = \ln\lambda_t/\ln\sqrt2` and
:math:`\nu = 1/y_t` (exact 2D Ising: :math:`\lambda_t = \sqrt2`, :math:`\nu = 1`). The
derivation is in ``docs/exact-kl.md``. With five couplings the map is a minimization
(L-BFGS with the exact gradient).
"""
import autograd.numpy as anp
import numpy as np
from autograd import grad
from scipy.optimize import brentq, minimize

from .. import validate
from . import clusters
from .clusters import log_normalize, student_logweights, teacher_logweights

DIRECTIONS = ("forward", "reverse")


def _couplings(name, J, rep):
    J = np.asarray(J, dtype=float) if not hasattr(J, "_value") else J
    c = clusters.n_couplings(rep)
    if np.shape(J)[-1:] != (c,):
        raise ValueError(f"{name} must hold {c} coupling(s) for representation {rep!r} "
                         f"(last axis), got shape {np.shape(J)}")
    if not np.all(np.isfinite(np.asarray(getattr(J, "_value", J)))):
        raise ValueError(f"{name} holds NaN or inf")
    return J


def divergence(J, Jp, rep="A1", direction="forward"):
    """The exact KL divergence between teacher(J) and student(J') marginals (nats per
    4-spin cluster); batched over leading axes; differentiable in J' (and J)."""
    validate.one_of("direction", direction, DIRECTIONS)
    lT = log_normalize(teacher_logweights(_couplings("J", J, rep), rep))
    lS = log_normalize(student_logweights(_couplings("Jp", Jp, rep), rep))
    if direction == "forward":
        return anp.sum(anp.exp(lT) * (lT - lS), axis=-1)
    return anp.sum(anp.exp(lS) * (lS - lT), axis=-1)


def _dD_dK1(Kp, K, direction):
    """d D / dK' for one coupling (closed form, for root finding)."""
    g = clusters.visible_states("A1")[:, :, 0]
    m = g.sum(axis=1)
    lT = log_normalize(teacher_logweights(np.array([K]), "A1"))
    lS = log_normalize(student_logweights(np.array([Kp]), "A1"))
    pT, pS = np.exp(lT), np.exp(lS)
    t = m * np.tanh(Kp * m)                     # d ln p_S / dK' = t - <t>_S
    if direction == "forward":
        return -(pT @ t) + pS @ t
    return pS @ ((t - pS @ t) * (lS - lT))


def exact_map(J, rep="A1", direction="forward", start=None):
    """J'*(J): the student couplings minimizing the KL divergence to teacher(J).

    One coupling: Brent root finding of dD/dK' on (0, 20], to 1e-14. Five couplings:
    L-BFGS from ``start`` (default J itself) with the exact gradient; the result is put
    on the canonical E-flip branch (:func:`rglib.flows.clusters.canonical`).
    """
    rep = clusters.check_representation(rep)
    validate.one_of("direction", direction, DIRECTIONS)
    J = _couplings("J", J, rep)
    if rep == "A1":
        K = float(J[0])
        if K <= 0:
            return np.array([0.0])
        return np.array([brentq(_dD_dK1, 1e-12, 20.0, args=(K, direction), xtol=1e-15,
                                rtol=1e-15)])
    x0 = J if start is None else _couplings("start", start, rep)
    f = lambda x: float(divergence(J, x, rep, direction))          # noqa: E731
    g = grad(lambda x: divergence(J, x, rep, direction))
    res = minimize(f, x0, jac=g, method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-11,
                                                                "maxiter": 2000})
    return clusters.canonical(res.x, rep)


def fixed_point(rep="A1", direction="forward", bracket=(0.5, 1.2)):
    """K* with K'*(K*) = K* (one coupling), by Brent root finding; returns
    (K*, lambda_t, y_t, nu) with lambda_t = dK'*/dK at K* by central differences
    (h = 1e-4; the map is smooth, h = 1e-3 .. 1e-5 agree to 1e-8)."""
    if clusters.check_representation(rep) != "A1":
        raise ValueError("representation: the one-coupling fixed point needs 'A1' (for A1E use "
                         "rglib.flows.analysis on a learned or exact map)")
    Ks = brentq(lambda K: exact_map([K], "A1", direction)[0] - K, *bracket, xtol=1e-14)
    h = 1e-4
    lam = (exact_map([Ks + h], "A1", direction)[0] - exact_map([Ks - h], "A1", direction)[0]) / (2 * h)
    yt = np.log(lam) / np.log(clusters.B_SCALE)
    return float(Ks), float(lam), float(yt), float(1 / yt)
