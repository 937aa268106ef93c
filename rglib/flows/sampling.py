r"""Block Gibbs sampling of the clusters, and contrastive divergence (CD-k).

Both clusters are bipartite (green spins on one side, blue or red on the other), so
every spin of one side is independent given the other: block Gibbs alternates
:math:`P(x_a = +1 | \text{other side}) = 1/(1 + e^{-2 h_a})` with the local fields h of
:mod:`rglib.flows.clusters`. Chains run vectorized, each with its own couplings.

**Teacher samples** (:func:`teacher_samples`): ``gibbs_steps`` sweeps from a uniform
random start, fresh chains every call (the MLRG recipe): a finite number of sweeps is
one possible source of bias, measured in notebook 09.

**CD-k** (:func:`cd_loss`): with teacher samples x0 held fixed (no gradient through
them), k student Gibbs sweeps from x0 give x_k, and the surrogate loss

.. math:: \mathcal L_{CD}(J') = \langle F_S(x_0; J')\rangle - \langle F_S(x_k; J')\rangle,
          \qquad F_S(x) = -\ln\sum_z e^{x^T J' z} = -\sum_a \ln 2\cosh h_a(x),

has the gradient :math:`\langle\partial F_S\rangle_{\rm data} - \langle\partial
F_S\rangle_{k}`, the CD approximation of the forward-KL gradient
:math:`\langle\partial F_S\rangle_T - \langle\partial F_S\rangle_S` (Hinton 2002;
biased for finite k: Carreira-Perpiñán & Hinton 2005). The negative phase is sampled,
not averaged.
"""
import autograd.numpy as anp
import numpy as np

from .. import validate
from . import clusters
from .clusters import STAR_DIRS, TEACHER_BONDS, coupling_matrices


def _bernoulli_spins(h, rng):
    """+-1 spins with P(+1) = sigmoid(2h)."""
    p = 0.5 * (1 + np.tanh(h))
    return np.where(rng.random(h.shape) < p, 1.0, -1.0)


def _check(J, rep):
    J = np.asarray(J, dtype=float)
    c = clusters.n_couplings(rep)
    if J.ndim != 2 or J.shape[1] != c:
        raise ValueError(f"J must have shape (chains, {c}) for representation {rep!r}, got {J.shape}")
    if not np.all(np.isfinite(J)):
        raise ValueError("J holds NaN or inf")
    return J


def teacher_samples(J, rep, gibbs_steps, rng):
    """Green configurations (chains, 4, d) of the teacher ring, one chain per row of J."""
    rep = clusters.check_representation(rep)
    J = _check(J, rep)
    gibbs_steps = validate.integer("gibbs_steps", gibbs_steps, minimum=1, maximum=100_000)
    rng = validate.rng("rng", rng)
    d = clusters.REPRESENTATIONS[rep][0]
    Jd = coupling_matrices(J, rep)                                # (C, 4, d, d)
    g = np.where(rng.random((len(J), 4, d)) < 0.5, 1.0, -1.0)
    for _ in range(gibbs_steps):
        hb = np.zeros((len(J), 4, d))                              # fields on blues (src)
        for b, gi, dr in TEACHER_BONDS:
            hb[:, b] += np.einsum("cij,cj->ci", Jd[:, dr], g[:, gi])
        x = _bernoulli_spins(hb, rng)
        hg = np.zeros((len(J), 4, d))                              # fields on greens (tgt)
        for b, gi, dr in TEACHER_BONDS:
            hg[:, gi] += np.einsum("cij,ci->cj", Jd[:, dr], x[:, b])
        g = _bernoulli_spins(hg, rng)
    return g


def student_gibbs(x, J, rep, k, rng):
    """k block-Gibbs sweeps of the student star from green spins x (chains, 4, d)."""
    rep = clusters.check_representation(rep)
    J = _check(J, rep)
    rng = validate.rng("rng", rng)
    Jd = coupling_matrices(J, rep)
    x = np.array(x, dtype=float)
    for _ in range(validate.integer("k", k, minimum=1, maximum=10_000)):
        hz = sum(np.einsum("cij,ci->cj", Jd[:, STAR_DIRS[gi]], x[:, gi]) for gi in range(4))
        z = _bernoulli_spins(hz, rng)
        hx = np.stack([np.einsum("cij,cj->ci", Jd[:, STAR_DIRS[gi]], z) for gi in range(4)], axis=1)
        x = _bernoulli_spins(hx, rng)
    return x


def student_free_energy(Jp, x, rep):
    """F_S(x; J') = -sum_a ln 2cosh h_a(x) per chain; J' (chains, c), x (chains, 4, d)."""
    Jd = coupling_matrices(Jp, rep)                               # (C, 4, d, d)
    h = 0.0
    for gi in range(4):
        h = h + anp.einsum("cij,ci->cj", Jd[:, STAR_DIRS[gi]], x[:, gi])
    return -anp.sum(anp.logaddexp(h, -h), axis=-1)


def cd_loss(Jp, x0, xk, rep):
    """The CD surrogate <F_S(x0)> - <F_S(xk)> (x0, xk constants; gradient in J')."""
    return anp.mean(student_free_energy(Jp, x0, rep) - student_free_energy(Jp, xk, rep))
