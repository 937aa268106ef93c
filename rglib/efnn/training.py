r"""Training energy models and measuring them.

Targets are centred and scaled, the network learning the rest:
:math:`E = N_{\rm sites}\,\bar\varepsilon + \sigma\,{\rm net}(S)`, with
:math:`\bar\varepsilon` the mean training energy per site and :math:`\sigma` the training
standard deviation (for the fully connected models :math:`N_{\rm sites}\bar\varepsilon`
is the mean energy). The model stays extensive, and short CPU budgets train in minutes
(with raw targets an 800-step run of the convolutional model did not beat the constant
predictor). Loss: mean squared error; Adam with an exponentially decaying learning
rate and optional coupled weight decay (the authors' L2 setting).

Metrics (:func:`metrics`): RMSE, the relative error RMSE / |mean E| (the paper's measure,
which falls like 1/N for any local model: compare with the trivial predictor), and
RMSE / std(E).
"""
import time

import autograd.numpy as anp
import numpy as np

from .. import nn, validate
from . import models


def sites(S):
    """Number of lattice sites of configurations S (1 for fully connected inputs)."""
    return 1 if S.ndim == 2 else S.shape[-1] * S.shape[-2]


def predict(model, S, batch=256):
    """Energies of configurations S with the model's target scaling."""
    out = []
    for i in range(0, len(S), batch):
        x = S[i:i + batch]
        out.append(sites(x) * model["eps"] + model["sigma"] * np.asarray(models.apply(model, x)))
    return np.concatenate(out) if out else np.zeros(0)


def fit(model, S, E, epochs, batch_size=100, lr0=3e-3, lr1=1e-4, gamma=None, every=None,
        weight_decay=0.0, rng=0, progress=False, desc="training", checkpoint=None, eval_set=None,
        eval_epochs=(), micro_batch=None, stop_after=None):
    """Train ``model`` (from :func:`rglib.efnn.models.init`) on (S, E); returns (model, log).

    Learning rate: geometric from lr0 to lr1 over the run, or, with ``gamma`` and ``every``,
    the authors' step schedule lr0 * gamma^(epoch // every) (PyTorch's StepLR). Adam with
    coupled weight decay (PyTorch's ``Adam(weight_decay=...)``). The arithmetic runs in the
    model's dtype. ``checkpoint``: a file to resume from and write after every epoch
    (:func:`rglib.nn.fit`). ``eval_set`` = (S, E): after each epoch in ``eval_epochs``
    (counted from 1) the metrics on it go to ``log["evals"]`` (a learning curve). ``stop_after``:
    only the first epochs of the run.
    """
    S, E = np.asarray(S), np.asarray(E, dtype=float)
    if len(S) != len(E) or len(S) < 2 or E.ndim != 1:
        raise ValueError(f"S and E must hold the same number (>= 2) of configurations and E one energy each, "
                         f"got S of shape {S.shape} and E of shape {E.shape}")
    for name, a in (("S", S), ("E", E)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} holds NaN or inf (first in configuration "
                             f"{int(np.argwhere(~np.isfinite(a.reshape(len(a), -1)))[0][0])})")
    epochs = validate.integer("epochs", epochs, minimum=1, maximum=100_000)
    batch_size = validate.integer("batch_size", batch_size, minimum=1, maximum=100_000)
    rng = validate.rng("rng", rng)
    n_sites = sites(S)
    eps = float(np.mean(E) / n_sites)
    sigma = float(np.std(E)) or 1.0
    dtype = np.asarray(nn.tree.leaves(model["net"])[0]).dtype
    y = ((E - n_sites * eps) / sigma).astype(dtype)
    S = S.astype(dtype)
    arch, kind = model["arch"], model["kind"]
    per_epoch = int(np.ceil(len(S) / batch_size))
    if gamma is None:
        lr = nn.exponential_schedule(lr0, lr1, epochs * per_epoch)
    else:
        lr = nn.step_schedule(lr0, gamma, validate.integer("every", every, minimum=1) * per_epoch)

    def loss(net, xb, yb):
        r = models.apply({"arch": arch, "kind": kind, "net": net}, xb) - yb
        return anp.sum(r * r) / len(yb)           # (autograd's mean would make the gradient float64)

    on_epoch = None
    if eval_set is not None:
        S_ev, E_ev = eval_set
        wanted = {int(e) for e in eval_epochs}

        def on_epoch(epoch, net):
            if epoch + 1 in wanted:
                m = dict(model, net=net, eps=eps, sigma=sigma)
                return metrics(predict(m, S_ev), E_ev)
    opt = nn.Adam(model["net"], lr=lr, weight_decay=weight_decay)
    net, log = nn.fit(loss, model["net"], data=(S, y), epochs=epochs, batch_size=batch_size, rng=rng,
                      optimizer=opt, progress=progress, desc=desc, checkpoint=checkpoint, on_epoch=on_epoch,
                      micro_batch=micro_batch, stop_after=stop_after)
    return dict(model, net=net, eps=eps, sigma=sigma), log


def metrics(E_pred, E_true, mean_ref=None):
    """RMSE, relative error RMSE/|mean| (mean_ref: the mean used, default the true one),
    and RMSE/std of the true energies."""
    E_pred, E_true = np.asarray(E_pred, float), np.asarray(E_true, float)
    if E_pred.ndim != 1 or E_pred.shape != E_true.shape or not len(E_true):
        raise ValueError(f"E_pred and E_true must be 1-D arrays of the same, non-zero length, got shapes "
                         f"{E_pred.shape} and {E_true.shape}")
    for name, a in (("E_pred", E_pred), ("E_true", E_true)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} holds NaN or inf")
    rmse = float(np.sqrt(np.mean((E_pred - E_true) ** 2)))
    mean = float(np.mean(E_true) if mean_ref is None else mean_ref)
    return {"rmse": rmse, "relative": rmse / abs(mean), "rmse_over_std": rmse / float(np.std(E_true))}


def trivial(E_train, S_train, S_test):
    """The constant predictor: N_sites x mean energy per site of the training set."""
    eps = float(np.mean(E_train)) / sites(np.asarray(S_train))
    return np.full(len(S_test), sites(np.asarray(S_test)) * eps)
