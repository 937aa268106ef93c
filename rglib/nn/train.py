"""Mini-batches and a training loop with a progress bar and a loss log."""
import time

import numpy as np
from autograd import value_and_grad

from .. import validate
from ..progress import progress as progress_bar
from .optim import Adam


def minibatches(n, batch_size, rng):
    """Index arrays of a random partition of range(n) into batches (the last may be short)."""
    n = validate.integer("n", n, minimum=1)
    batch_size = validate.integer("batch_size", batch_size, minimum=1)
    rng = validate.rng("rng", rng)
    perm = rng.permutation(n)
    return [perm[i:i + batch_size] for i in range(0, n, batch_size)]


def fit(loss, params, n_steps=None, data=None, epochs=None, batch_size=None, rng=None,
        optimizer=None, progress=True, desc="training", log_every=1):
    """Minimize ``loss`` by Adam; returns (params, log).

    Two modes:

    * ``data`` None: ``loss(params, step)`` is minimized for ``n_steps`` steps (the loss
      draws its own samples from the step number, e.g. a coupling batch);
    * ``data`` = (inputs, targets, ...) arrays with a first axis of equal length:
      ``loss(params, *batch)`` over ``epochs`` epochs of shuffled mini-batches.

    ``log``: {"step": [...], "loss": [...], "seconds": total}. A NaN or inf loss stops
    the run with a FloatingPointError naming the step.
    """
    opt = optimizer or Adam(params)
    vg = value_and_grad(loss)
    log = {"step": [], "loss": []}
    t0 = time.perf_counter()
    log_every = validate.integer("log_every", log_every, minimum=1)
    if data is None:
        n_steps = validate.integer("n_steps", n_steps, minimum=1)
        bar = progress_bar(range(n_steps), desc=desc, disable=not progress)
        for step in bar:
            val, g = vg(params, step)
            _check(val, step)
            params = opt.step(params, g)
            if step % log_every == 0 or step == n_steps - 1:
                log["step"].append(step)
                log["loss"].append(float(val))
    else:
        arrays = [np.asarray(a) for a in data]
        n = len(arrays[0])
        if any(len(a) != n for a in arrays):
            raise ValueError("data: all arrays must have the same first dimension")
        epochs = validate.integer("epochs", epochs, minimum=1)
        rng = validate.rng("rng", rng)
        bs = validate.integer("batch_size", batch_size or n, minimum=1)
        step = 0
        bar = progress_bar(range(epochs), desc=desc, disable=not progress)
        for epoch in bar:
            total, count = 0.0, 0
            for idx in minibatches(n, bs, rng):
                val, g = vg(params, *[a[idx] for a in arrays])
                _check(val, step)
                params = opt.step(params, g)
                total += float(val) * len(idx)
                count += len(idx)
                step += 1
            if epoch % log_every == 0 or epoch == epochs - 1:
                log["step"].append(epoch)
                log["loss"].append(total / count)
    log["seconds"] = time.perf_counter() - t0
    return params, log


def _check(val, step):
    if not np.isfinite(float(val)):
        raise FloatingPointError(f"the loss is {float(val)} at step {step} (lower the learning rate)")
