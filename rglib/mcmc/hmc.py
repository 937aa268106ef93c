r"""Hamiltonian Monte Carlo for continuous variables (e.g. couplings), many chains at once.

Target density :math:`\pi(q) \propto e^{-U(q)}`; momenta :math:`p \sim N(0, 1)`,
:math:`H = U(q) + p^2/2`. One transition: leapfrog with step ``dt`` for ``n_leapfrog``
steps, then the Metropolis test :math:`\min(1, e^{H_0 - H_1})` per chain (Duane et al.,
Phys. Lett. B 195, 216 (1987); Neal, "MCMC using Hamiltonian dynamics", 2011).

* Chains are rows of q (shape (chains, n)); U returns one energy per chain and its
  gradient comes from autograd (``elementwise_grad`` of the sum).
* A proposal whose energy or gradient is NaN or inf is rejected (never accepted, never
  propagated); the counts are in the statistics.
* During adaptation (``adapt=True``) dt is multiplied after every transition by
  exp(0.5 (acceptance - target)) toward the target acceptance (default 0.8), within
  [dt_min, dt_max]; the final dt is returned with the chains.

The random numbers come from an explicit generator: runs are reproducible from seeds.
"""
import autograd.numpy as anp
import numpy as np
from autograd import elementwise_grad

from .. import validate


def _energy_and_grad(U, q):
    with np.errstate(all="ignore"):
        u = np.asarray(U(q), dtype=float)
        g = np.asarray(elementwise_grad(lambda x: anp.sum(U(x)))(q), dtype=float)
    return u, g


def hmc(U, q0, rng, n_transitions=8, dt=0.05, n_leapfrog=16, adapt=False, target=0.8,
        dt_range=(1e-4, 1.0)):
    """Run ``n_transitions`` HMC transitions of every chain; returns (q, dt, stats).

    U(q) -> (chains,) energies (autograd-differentiable); q0: (chains, n) start.
    stats: {"acceptance": mean over chains and transitions, "rejected_nonfinite": count,
    "accepted": (n_transitions,) fraction per transition}.
    """
    if not callable(U):
        raise ValueError(f"U must be a function q -> energies of the chains, got "
                         f"{type(U).__name__} {U!r}")
    try:
        q = np.array(q0, dtype=float, copy=True)
    except (TypeError, ValueError):
        raise ValueError(f"q0 must be an array of shape (chains, n), got {q0!r}") from None
    if q.ndim != 2:
        raise ValueError(f"q0 must have shape (chains, n), got {q.shape}")
    if not np.all(np.isfinite(q)):
        raise ValueError("q0 holds NaN or inf")
    rng = validate.rng("rng", rng)
    n_transitions = validate.integer("n_transitions", n_transitions, minimum=0, maximum=100_000)
    n_leapfrog = validate.integer("n_leapfrog", n_leapfrog, minimum=1, maximum=10_000)
    dt = float(validate.positive("dt", dt))
    target = float(validate.in_range("target", target, 0.05, 0.99))
    if isinstance(dt_range, (str, bytes)) or not hasattr(dt_range, "__len__") or len(dt_range) != 2:
        raise ValueError(f"dt_range must be a pair (dt_min, dt_max), got {dt_range!r}")
    lo, hi = (float(validate.positive("dt_range", v)) for v in dt_range)
    if not lo < hi:
        raise ValueError(f"dt_range must be (dt_min, dt_max) with dt_min < dt_max, got {dt_range!r}")
    adapt = validate.boolean("adapt", adapt)
    if adapt and not lo <= dt <= hi:
        raise ValueError(f"dt = {dt:g} must lie in dt_range [{lo:g}, {hi:g}] when adapting")
    u, g = _energy_and_grad(U, q)
    if u.shape != (len(q),) or g.shape != q.shape:
        raise ValueError(f"U must return one energy per chain, shape ({len(q)},), got shape {u.shape}")
    bad0 = ~(np.isfinite(u) & np.all(np.isfinite(g), axis=1))
    if bad0.any():
        raise ValueError(f"U is NaN or inf at the start for {int(bad0.sum())} chain(s)")
    acc, rejected = [], 0
    for _ in range(n_transitions):
        p = rng.standard_normal(q.shape)
        H0 = u + 0.5 * np.sum(p * p, axis=1)
        qn, pn, gn = q.copy(), p - 0.5 * dt * g, g
        for step in range(n_leapfrog):
            qn = qn + dt * pn
            un, gn = _energy_and_grad(U, qn)
            if step < n_leapfrog - 1:
                pn = pn - dt * gn
        pn = pn - 0.5 * dt * gn
        H1 = un + 0.5 * np.sum(pn * pn, axis=1)
        finite = np.isfinite(H1) & np.all(np.isfinite(qn), axis=1) & np.all(np.isfinite(gn), axis=1)
        rejected += int((~finite).sum())
        with np.errstate(over="ignore", invalid="ignore"):
            accept = finite & (np.log(rng.random(len(q))) < np.where(finite, H0 - H1, -np.inf))
        q[accept], u[accept], g[accept] = qn[accept], un[accept], gn[accept]
        a = float(accept.mean())
        acc.append(a)
        if adapt:
            dt = float(np.clip(dt * np.exp(0.5 * (a - target)), lo, hi))
    stats = {"acceptance": float(np.mean(acc)) if acc else float("nan"),
             "rejected_nonfinite": rejected, "accepted": np.array(acc)}
    return q, dt, stats
