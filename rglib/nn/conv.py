r"""2-D convolution with circular padding (periodic boundaries), for autograd.

:math:`y_{b,o,i,j} = \sum_{c,u,v} W_{o,c,u,v}\, x_{b,c,(i+u-p)\bmod N,(j+v-p)\bmod M} + b_o`,
p = k // 2 (odd k): a cross-correlation, as PyTorch's ``Conv2d(padding_mode="circular")``.
The output has the input's lattice size and every weight is translation invariant, so a
fully convolutional network followed by a sum over sites applies to any lattice size.

Implementation: the k^2 shifted copies of the input (``np.roll``, whose gradient is the
opposite roll) contracted with the kernel in one ``tensordot`` (an im2col without
index gathers). float32 inputs and weights stay float32.
"""
import autograd.numpy as anp
import numpy as np

from .. import validate


def init_conv(rng, c_in, c_out, k, bias=True, dtype=np.float64):
    """{"W": (c_out, c_in, k, k), "b": (c_out,)} uniform in +-1/sqrt(c_in k^2) (PyTorch)."""
    rng = validate.rng("rng", rng)
    c_in = validate.integer("c_in", c_in, minimum=1)
    c_out = validate.integer("c_out", c_out, minimum=1)
    k = validate.integer("k", k, minimum=1)
    if k % 2 == 0:
        raise ValueError(f"k must be odd (a centred kernel), got {k}")
    bound = 1.0 / np.sqrt(c_in * k * k)
    p = {"W": rng.uniform(-bound, bound, (c_out, c_in, k, k)).astype(dtype)}
    if bias:
        p["b"] = rng.uniform(-bound, bound, c_out).astype(dtype)
    return p


def shifted(x, k):
    """The k^2 periodic shifts of x (B, C, N, M): (B, C, k*k, N, M)."""
    p = k // 2
    rows = [anp.roll(x, p - u, axis=2) for u in range(k)]
    return anp.stack([anp.roll(r, p - v, axis=3) for r in rows for v in range(k)], axis=2)


def conv2d(params, x):
    """Circular convolution of x (B, C_in, N, M) with params from :func:`init_conv`."""
    W = params["W"]
    c_out, c_in, k, _ = W.shape
    if x.shape[1] != c_in:
        raise ValueError(f"x has {x.shape[1]} channels, the kernel expects {c_in}")
    X = shifted(x, k)                                            # (B, C, k*k, N, M)
    y = anp.tensordot(X, anp.reshape(W, (c_out, c_in, k * k)), axes=([1, 2], [1, 2]))
    y = anp.transpose(y, (0, 3, 1, 2))                           # (B, C_out, N, M)
    if "b" in params:
        y = y + params["b"][None, :, None, None]
    return y
