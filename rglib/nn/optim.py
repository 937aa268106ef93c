r"""Adam with learning-rate schedules and weight decay (what autograd's own lacks).

``autograd.misc.optimizers.adam`` has a constant step size and no weight decay; this
class keeps its update (Kingma & Ba, arXiv:1412.6980) on the parameters flattened with
plain NumPy (:func:`flatten`, the order of ``autograd.misc.flatten``) and adds

* a schedule lr(step) (:func:`exponential_schedule`, :func:`step_schedule`);
* weight decay, either coupled (L2 added to the gradient, as PyTorch's ``Adam``) or
  decoupled (AdamW, Loshchilov & Hutter, arXiv:1711.05101).

    opt = Adam(params, lr=exponential_schedule(3e-3, 1e-4, n_steps))
    for step in range(n_steps):
        params = opt.step(params, grad(loss)(params))
"""
import numpy as np

from .. import validate
from .tree import flatten, leaves


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
    """Adam on a nested structure of arrays. ``lr``: a number or a schedule(step).

    The state (moments m, v and the step count t) is in :meth:`state` and restored by
    :meth:`load_state`, so an interrupted training resumes exactly.
    """

    def __init__(self, params, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0,
                 decoupled=False):
        flat, self._unflatten = flatten(params)
        self.lr = lr if callable(lr) else (lambda step, v=float(validate.positive("lr", lr)): v)
        self.b1 = float(validate.in_range("b1", b1, 0, 1, hi_open=True))
        self.b2 = float(validate.in_range("b2", b2, 0, 1, hi_open=True))
        self.eps = float(validate.positive("eps", eps))
        self.weight_decay = float(validate.nonnegative("weight_decay", weight_decay))
        self.decoupled = validate.boolean("decoupled", decoupled)
        self.m = np.zeros_like(flat)
        self.v = np.zeros_like(flat)
        self.t = 0

    def step(self, params, grads):
        """One update; returns the new parameters (the inputs are not modified)."""
        x = np.concatenate([np.ravel(a) for a in leaves(params)])
        g = np.concatenate([np.ravel(a) for a in leaves(grads)])
        return self._unflatten(self.update(x, g))

    def update(self, x, g):
        """One update of the flat parameter vector x (:func:`rglib.nn.tree.flatten`) for its
        gradient g; returns the new vector."""
        if np.shape(x) != self.m.shape or np.shape(g) != self.m.shape:
            raise ValueError(f"Adam: params hold {np.size(x)} and grads {np.size(g)} numbers, the optimizer "
                             f"was made for {self.m.size}")
        if not np.all(np.isfinite(g)):
            raise FloatingPointError("Adam: the gradient holds NaN or inf (lower the learning "
                                     "rate, or check the loss)")
        lr = self.lr(self.t)
        if self.weight_decay and not self.decoupled:
            g = g + self.weight_decay * x
        self.t += 1
        # m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, in place (the same operations in the same order)
        self.m *= self.b1
        self.m += (1 - self.b1) * g
        self.v *= self.b2
        self.v += (1 - self.b2) * g * g
        mhat = self.m / (1 - self.b1 ** self.t)
        den = self.v / (1 - self.b2 ** self.t)
        np.sqrt(den, out=den)
        den += self.eps
        x = x - lr * mhat / den
        if self.weight_decay and self.decoupled:
            x = x - lr * self.weight_decay * x
        return x.astype(self.m.dtype, copy=False)

    def state(self):
        """{"m", "v", "t"}: everything that changes during the run."""
        return {"m": self.m.copy(), "v": self.v.copy(), "t": np.array(self.t)}

    def load_state(self, state):
        """Continue from :meth:`state` of an optimizer made for the same parameters."""
        m, v = np.asarray(state["m"]), np.asarray(state["v"])
        if m.shape != self.m.shape or v.shape != self.m.shape:
            raise ValueError(f"Adam.load_state: the state holds {m.size} moments, the optimizer {self.m.size}")
        self.m, self.v, self.t = m.astype(self.m.dtype), v.astype(self.m.dtype), int(state["t"])
