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
from autograd.extend import defvjp_argnums, primitive
from autograd.tracer import isbox

from .. import validate

ACTIVATIONS = {
    "tanh": anp.tanh,
    "relu": lambda x: anp.maximum(x, 0.0),
    "softplus": lambda x: anp.logaddexp(0.0, x),
    "sigmoid": lambda x: 0.5 * (anp.tanh(x / 2) + 1),
    "identity": lambda x: x,
}

#: d act / dz written through y = act(z) alone (softplus: sigmoid(z) = 1 - exp(-y)), so
#: that the gradient of :func:`dense_act` needs only its output
DERIVATIVES = {
    "tanh": lambda y: 1 - y * y,
    "relu": lambda y: anp.sign(y),
    "softplus": lambda y: 1 - anp.exp(-y),
    "sigmoid": lambda y: y * (1 - y),
    "identity": None,
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
    activation(act), final and activation(final)
    if params and np.shape(x)[-1:] != np.shape(params[0]["W"])[:1]:
        raise ValueError(f"x must have {np.shape(params[0]['W'])[0]} features in its last axis (the first layer's "
                         f"input width), got shape {np.shape(x)}")
    if not all("b" in p for p in params):
        f = activation(act)
        for i, p in enumerate(params):
            x = dense(p, x)
            if i < len(params) - 1:
                x = f(x)
        return activation(final)(x) if final else x
    for i, p in enumerate(params):
        x = dense_act(x, p["W"], p["b"], act if i < len(params) - 1 else (final or "identity"))
    return x


#: the activations in place, on plain arrays (the forward pass of :func:`dense_act`)
IN_PLACE = {
    "tanh": lambda z: np.tanh(z, out=z),
    "relu": lambda z: np.maximum(z, 0.0, out=z),
    "softplus": lambda z: np.logaddexp(0.0, z, out=z),
    "sigmoid": lambda z: np.add(np.tanh(np.multiply(z, 0.5, out=z), out=z), 1.0, out=z).__imul__(0.5),
    "identity": lambda z: z,
}


@primitive
def dense_act(x, W, b, act="identity"):
    r"""y = act(x W + b), one autograd primitive (one node on the tape instead of three).

    Gradient, from the output alone: :math:`\bar z = \bar y\,a'(z)` with a'(z) written
    through y (:data:`DERIVATIVES`), :math:`\bar x = \bar z W^T`, :math:`\bar W = x^T\bar z`,
    :math:`\bar b = \sum\bar z`; with autograd's NumPy when a derivative of the gradient is
    traced (so that it can be differentiated again), in place otherwise."""
    z = np.dot(x, W)
    z += b
    return IN_PLACE[act](z)


def _dense_act_vjp(argnums, ans, args, kwargs):
    x, W, b = args[:3]
    act = args[3] if len(args) > 3 else kwargs.get("act", "identity")
    da = DERIVATIVES[act]

    def vjp(g):
        nested = isbox(g) or isbox(x) or isbox(W) or isbox(ans)
        if nested:
            d = g * da(ans) if da else g
        elif da:
            d = da(ans)
            d *= g
        else:
            d = g
        out = {}
        if 0 in argnums:
            out[0] = anp.dot(d, anp.transpose(W)) if nested else d @ W.T
        if 1 in argnums or 2 in argnums:
            d2 = anp.reshape(d, (-1, W.shape[1]))
            x2 = anp.reshape(x, (-1, W.shape[0]))
            out[1] = anp.dot(anp.transpose(x2), d2) if nested else x2.T @ d2
            out[2] = anp.sum(d2, axis=0)
        return tuple(out[a] for a in argnums)
    return vjp


defvjp_argnums(dense_act, _dense_act_vjp)


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
