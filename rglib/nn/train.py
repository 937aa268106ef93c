r"""Mini-batches and a training loop with a progress bar, a loss log and checkpoints.

The loop differentiates with respect to one flat parameter vector (:mod:`rglib.nn.tree`),
so that autograd's bookkeeping does not grow with the nesting of the parameters:

    x, unflatten = flatten(params)
    value, g = value_and_grad(lambda x, *batch: loss(unflatten(x), *batch))(x, *batch)
    x = optimizer.update(x, g)

**Checkpoints** (``checkpoint=path``): at the end of every epoch (every ``checkpoint_every``
steps without data) the parameters, the optimizer's moments, the random generator's state
and the log are written to one file (atomically). A call with the same ``checkpoint``
continues from it, and the result equals that of an uninterrupted run bit for bit; a
checkpoint of another set-up (parameter count, data size, batch size, epochs) is refused.

**Micro-batches** (``micro_batch=m``): a batch of size b is evaluated in pieces of at most
m configurations and the gradients are combined with weights :math:`n_i/b`, which equals
the gradient of the batch's mean loss (to rounding) while the intermediate arrays stay
small enough for the CPU's caches. Only for losses that are means over the batch.
"""
import json
import os
import time
from pathlib import Path

import numpy as np
from autograd import value_and_grad

from .. import validate
from ..progress import progress as progress_bar
from .optim import Adam
from .tree import flatten


def minibatches(n, batch_size, rng):
    """Index arrays of a random partition of range(n) into batches (the last may be short)."""
    n = validate.integer("n", n, minimum=1)
    batch_size = validate.integer("batch_size", batch_size, minimum=1)
    rng = validate.rng("rng", rng)
    perm = rng.permutation(n)
    return [perm[i:i + batch_size] for i in range(0, n, batch_size)]


def fit(loss, params, n_steps=None, data=None, epochs=None, batch_size=None, rng=None,
        optimizer=None, progress=True, desc="training", log_every=1, micro_batch=None,
        checkpoint=None, checkpoint_every=100, on_epoch=None, stop_after=None):
    """Minimize ``loss`` by Adam; returns (params, log).

    Two modes:

    * ``data`` None: ``loss(params, step)`` is minimized for ``n_steps`` steps (the loss
      draws its own samples from the step number, e.g. a coupling batch);
    * ``data`` = (inputs, targets, ...) arrays with a first axis of equal length:
      ``loss(params, *batch)`` over ``epochs`` epochs of shuffled mini-batches.

    ``on_epoch(epoch, params)`` (data mode) may return a dict of numbers (a test error, say),
    kept in ``log["evals"]`` with the number of epochs done. ``stop_after``: return after
    that many epochs of the ``epochs``-epoch run (its first part, schedules unchanged). ``log``: {"step": [...], "loss": [...],
    "evals": [...], "seconds": total}. A NaN or inf loss stops the run with a
    FloatingPointError naming the step.
    """
    x, unflatten = flatten(params)
    opt = optimizer or Adam(params)
    if opt.m.shape != x.shape:
        raise ValueError(f"optimizer: made for {opt.m.size} parameters, params hold {x.size}")
    vg = value_and_grad(lambda v, *a: loss(unflatten(v), *a))
    log_every = validate.integer("log_every", log_every, minimum=1)
    log = {"step": [], "loss": [], "evals": []}
    if data is None:
        n_steps = validate.integer("n_steps", n_steps, minimum=1)
        every = validate.integer("checkpoint_every", checkpoint_every, minimum=1)
        setup = {"mode": "steps", "n_params": int(x.size), "n_steps": n_steps}
        start, x, log, seconds = _resume(checkpoint, setup, x, opt, None, log)
        t0 = time.perf_counter() - seconds
        bar = progress_bar(range(start, n_steps), desc=desc, disable=not progress, initial=start, total=n_steps)
        for step in bar:
            val, g = vg(x, step)
            _check(val, step)
            x = opt.update(x, g)
            if step % log_every == 0 or step == n_steps - 1:
                log["step"].append(step)
                log["loss"].append(float(val))
            if checkpoint and ((step + 1) % every == 0 or step == n_steps - 1):
                _save(checkpoint, setup, step + 1, x, opt, None, log, time.perf_counter() - t0)
    else:
        arrays = [np.asarray(a) for a in data]
        n = len(arrays[0])
        if any(len(a) != n for a in arrays):
            raise ValueError("data: all arrays must have the same first dimension, got "
                             + ", ".join(str(len(a)) for a in arrays))
        for i, a in enumerate(arrays):
            if a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
                bad = int(np.argwhere(~np.isfinite(a.reshape(n, -1)))[0][0])
                raise ValueError(f"data[{i}] holds NaN or inf (first in row {bad}): the loss cannot be trained on it")
        epochs = validate.integer("epochs", epochs, minimum=1)
        rng = validate.rng("rng", rng)
        bs = validate.integer("batch_size", batch_size or n, minimum=1)
        mb = validate.integer("micro_batch", micro_batch or bs, minimum=1)
        setup = {"mode": "data", "n_params": int(x.size), "n": n, "batch_size": bs, "epochs": epochs}
        start, x, log, seconds = _resume(checkpoint, setup, x, opt, rng, log)
        t0 = time.perf_counter() - seconds
        step = opt.t
        last = epochs if stop_after is None else validate.integer("stop_after", stop_after, minimum=1, maximum=epochs)
        bar = progress_bar(range(start, last), desc=desc, disable=not progress, initial=start, total=last)
        for epoch in bar:
            total, count = 0.0, 0
            for idx in minibatches(n, bs, rng):
                val, g = _batch_gradient(vg, x, [a[idx] for a in arrays], mb)
                _check(val, step)
                x = opt.update(x, g)
                total += float(val) * len(idx)
                count += len(idx)
                step += 1
            if epoch % log_every == 0 or epoch == epochs - 1:
                log["step"].append(epoch)
                log["loss"].append(total / count)
            if on_epoch is not None:
                ev = on_epoch(epoch, unflatten(x))
                if ev is not None:
                    log["evals"].append(dict(ev, epoch=epoch + 1))         # (epochs completed)
            if checkpoint:
                _save(checkpoint, setup, epoch + 1, x, opt, rng, log, time.perf_counter() - t0)
    log["seconds"] = time.perf_counter() - t0
    return unflatten(x), log


def _batch_gradient(vg, x, batch, micro_batch):
    """(mean loss, gradient) of one batch, evaluated in pieces of at most micro_batch."""
    b = len(batch[0])
    if b <= micro_batch:
        return vg(x, *batch)
    val, g = 0.0, 0.0
    for i in range(0, b, micro_batch):
        v, gi = vg(x, *[a[i:i + micro_batch] for a in batch])
        w = min(micro_batch, b - i) / b
        val, g = val + w * v, g + w * gi
    return val, g


def _check(val, step):
    if not np.isfinite(float(val)):
        raise FloatingPointError(f"the loss is {float(val)} at step {step} (lower the learning rate)")


# --- checkpoints ---------------------------------------------------------------------------------

def _save(path, setup, done, x, opt, rng, log, seconds):
    """Write the state after ``done`` epochs (or steps) to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    st = opt.state()
    meta = {"setup": setup, "done": done, "seconds": seconds, "log": log,
            "rng": None if rng is None else rng.bit_generator.state}
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, x=x, m=st["m"], v=st["v"], t=st["t"], meta=np.array(json.dumps(meta)))
    os.replace(tmp, path)


def _resume(path, setup, x, opt, rng, log):
    """(first epoch or step to run, x, log, seconds so far) from ``path`` if it exists."""
    if not path or not Path(path).exists():
        return 0, x, log, 0.0
    try:
        with np.load(path, allow_pickle=False) as f:
            xs, m, v, t = f["x"], f["m"], f["v"], f["t"]
            meta = json.loads(str(f["meta"]))
    except Exception as e:
        raise ValueError(f"checkpoint {path}: not a readable checkpoint ({type(e).__name__}: {e}); "
                         "delete it to start afresh") from None
    if meta.get("setup") != setup or xs.shape != x.shape:
        raise ValueError(f"checkpoint {path} was written by another set-up ({meta.get('setup')}, this run "
                         f"{setup}): delete it or choose another path")
    opt.load_state({"m": m, "v": v, "t": t})
    if rng is not None:
        rng.bit_generator.state = meta["rng"]
    return int(meta["done"]), xs.astype(x.dtype), meta["log"], float(meta["seconds"])
