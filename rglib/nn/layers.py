r"""Layers as pure functions of (params, x), and their initializations.

* dense: :math:`y = x W + b`, W of shape (n_in, n_out);
* mlp: dense -> activation -> ... -> dense (no activation after the last layer unless
  ``final`` is given);
* layer_norm: :math:`(x - \mu)/\sqrt{\sigma^2 + \epsilon}\, g + b` over the last axis.

Initialization follows PyTorch's defaults (Kaiming-uniform): W and b uniform in
:math:`\pm 1/\sqrt{n_{in}}`, drawn from an explicit ``numpy.random.Generator``.
"""
import autograd.numpy as anp
import numpy as np

from .. import validate

ACTIVATIONS = {
    "tanh": anp.tanh,
    "relu": lambda x: anp.maximum(x, 0.0),
    "softplus": lambda x: anp.logaddexp(0.0, x),
    "sigmoid": lambda x: 0.5 * (anp.tanh(x / 2) + 1),
    "identity": lambda x: x,
}


def activation(name):
    """The activation function called ``name`` (see :data:`ACTIVATIONS`)."""
    return ACTIVATIONS[validate.one_of("activation", name, tuple(ACTIVATIONS))]


def init_dense(rng, n_in, n_out, dtype=np.float64, bias=True):
    """{"W": (n_in, n_out), "b": (n_out,)} uniform in +-1/sqrt(n_in) (PyTorch default)."""
    rng = validate.rng("rng", rng)
    n_in = validate.integer("n_in", n_in, minimum=1)
    n_out = validate.integer("n_out", n_out, minimum=1)
    bound = 1.0 / np.sqrt(n_in)
    p = {"W": rng.uniform(-bound, bound, (n_in, n_out)).astype(dtype)}
    if bias:
        p["b"] = rng.uniform(-bound, bound, n_out).astype(dtype)
    return p


def dense(p, x):
    """x W + b (the bias is optional)."""
    y = anp.dot(x, p["W"])
    return y + p["b"] if "b" in p else y


def init_mlp(rng, sizes, dtype=np.float64):
    """Layers for ``mlp`` with widths ``sizes`` = [n_in, hidden..., n_out]."""
    sizes = validate.integers("sizes", sizes, minimum=1, min_length=2)
    rng = validate.rng("rng", rng)
    return [init_dense(rng, a, b, dtype) for a, b in zip(sizes[:-1], sizes[1:])]


def mlp(params, x, act="tanh", final=None):
    """Dense layers with ``act`` between them (``final`` after the last one, if given)."""
    f = activation(act)
    for i, p in enumerate(params):
        x = dense(p, x)
        if i < len(params) - 1:
            x = f(x)
    return activation(final)(x) if final else x


def layer_norm(x, gain=None, bias=None, eps=1e-5):
    """Normalize the last axis to zero mean and unit variance, then scale and shift."""
    mu = anp.mean(x, axis=-1, keepdims=True)
    var = anp.mean((x - mu) ** 2, axis=-1, keepdims=True)
    y = (x - mu) / anp.sqrt(var + eps)
    if gain is not None:
        y = y * gain
    if bias is not None:
        y = y + bias
    return y


def n_params(params):
    """Number of scalar parameters in a nested structure of arrays."""
    if isinstance(params, dict):
        return sum(n_params(v) for v in params.values())
    if isinstance(params, (list, tuple)):
        return sum(n_params(v) for v in params)
    return int(np.size(params))
