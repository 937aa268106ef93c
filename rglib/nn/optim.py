r"""Adam with learning-rate schedules and weight decay (what autograd's own lacks).

``autograd.misc.optimizers.adam`` has a constant step size and no weight decay; this
class keeps its update (Kingma & Ba, arXiv:1412.6980) on the flattened parameters
(``autograd.misc.flatten``) and adds

* a schedule lr(step) (:func:`exponential_schedule`, :func:`step_schedule`);
* weight decay, either coupled (L2 added to the gradient, as PyTorch's ``Adam``) or
  decoupled (AdamW, Loshchilov & Hutter, arXiv:1711.05101).

    opt = Adam(params, lr=exponential_schedule(3e-3, 1e-4, n_steps))
    for step in range(n_steps):
        params = opt.step(params, grad(loss)(params))
"""
import numpy as np
from autograd.misc import flatten

from .. import validate


def exponential_schedule(lr0, lr1, n_steps):
    """lr decaying geometrically from lr0 (step 0) to lr1 (step n_steps - 1)."""
    lr0, lr1 = float(validate.positive("lr0", lr0)), float(validate.positive("lr1", lr1))
    n = validate.integer("n_steps", n_steps, minimum=1)
    rate = (lr1 / lr0) ** (1.0 / max(n - 1, 1))
    return lambda step: lr0 * rate ** min(step, n - 1)


def step_schedule(lr0, gamma, every):
    """lr0 * gamma^(step // every) (PyTorch's StepLR)."""
    lr0 = float(validate.positive("lr0", lr0))
    gamma = float(validate.positive("gamma", gamma))
    every = validate.integer("every", every, minimum=1)
    return lambda step: lr0 * gamma ** (step // every)


class Adam:
    """Adam on a nested structure of arrays. ``lr``: a number or a schedule(step)."""

    def __init__(self, params, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0,
                 decoupled=False):
        flat, self._unflatten = flatten(params)
        self.lr = lr if callable(lr) else (lambda step, v=float(validate.positive("lr", lr)): v)
        self.b1, self.b2 = float(validate.in_range("b1", b1, 0, 1)), float(validate.in_range("b2", b2, 0, 1))
        self.eps = float(validate.positive("eps", eps))
        self.weight_decay = float(validate.nonnegative("weight_decay", weight_decay))
        self.decoupled = validate.boolean("decoupled", decoupled)
        self.m = np.zeros_like(flat)
        self.v = np.zeros_like(flat)
        self.t = 0

    def step(self, params, grads):
        """One update; returns the new parameters (the inputs are not modified)."""
        x, _ = flatten(params)
        g, _ = flatten(grads)
        if not np.all(np.isfinite(g)):
            raise FloatingPointError("Adam: the gradient holds NaN or inf (lower the learning "
                                     "rate, or check the loss)")
        lr = self.lr(self.t)
        if self.weight_decay and not self.decoupled:
            g = g + self.weight_decay * x
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        mhat = self.m / (1 - self.b1 ** self.t)
        vhat = self.v / (1 - self.b2 ** self.t)
        x = x - lr * mhat / (np.sqrt(vhat) + self.eps)
        if self.weight_decay and self.decoupled:
            x = x - lr * self.weight_decay * x
        return self._unflatten(x.astype(self.m.dtype))
