r"""2-D convolution with circular padding (periodic boundaries), one autograd primitive.

.. math::
    y_{b,i,j,o} = \sum_{u,v,c} W_{o,c,u,v}\; x_{b,\,(i+u-p)\bmod N,\,(j+v-p)\bmod M,\,c} \;+\; b_o,
    \qquad p = k/\!/2,

a cross-correlation, as PyTorch's ``Conv2d(padding_mode="circular")`` (odd k, weights in
PyTorch's layout ``(C_out, C_in, k, k)``). Arrays are **channels last**: x is
``(B, N, M, C_in)``, y is ``(B, N, M, C_out)``. The output has the input's lattice size
and every weight is translation invariant, so a fully convolutional network followed by a
sum over sites applies to any lattice size.

How it is computed (:func:`circular_conv`): one gather with :func:`numpy.take` on a
cached wrap-around index builds the patch matrix P of shape ``(B N M, k^2 C_in)`` (the
"im2col" matrix, periodic images included), and one matrix product gives
:math:`y = P\,W_{\rm mat}`. Its gradients are written by hand and are themselves
primitives, so every order of derivative is available:

* :math:`\bar x = \bar y \star \widetilde W`, with
  :math:`\widetilde W_{c,o,u,v} = W_{o,c,k-1-u,k-1-v}` (the transpose of a correlation is
  the correlation with the flipped, channel-transposed kernel);
* :math:`\bar W_{o,c,u,v} = \sum_{b,i,j} x_{b,i+u-p,j+v-p,c}\,\bar y_{b,i,j,o}`
  (:func:`weight_gradient`, a product of the patch matrix of whichever of x or
  :math:`\bar y` has fewer channels with the other);
* the gradients of :func:`weight_gradient` are again :func:`circular_conv` of the
  cotangent kernel.

At first order (no derivative of the gradient being traced) both gradients come from one
gather of the cotangent at reversed offsets, :math:`P_{\bar y}`:
:math:`\bar x = P_{\bar y}\,W'` and :math:`\bar W = x^T P_{\bar y}` (reshaped).

Cost of one convolution of B configurations: one gather of :math:`B N M k^2 C_{in}`
numbers and :math:`2 B N M k^2 C_{in} C_{out}` flops; its gradient, twice that. float32
inputs and weights stay float32.
"""
from functools import lru_cache

import autograd.numpy as anp
import numpy as np
from autograd.extend import defvjp, defvjp_argnums, primitive
from autograd.tracer import isbox

from .. import validate
from .layers import IN_PLACE, ACTIVATIONS, DERIVATIVES


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


@lru_cache(maxsize=64)
def patch_index(N, M, k, C, sign=1):
    """Flat indices (N M, k^2 C) into an (N M C) channels-last lattice: row (i, j), column
    (u, v, c) holds site ((i + sign (u - p)) mod N, (j + sign (v - p)) mod M), channel c."""
    p = k // 2
    i, j = np.divmod(np.arange(N * M), M)
    d = np.arange(k) - p
    rows = (i[:, None, None] + sign * d[None, :, None]) % N
    cols = (j[:, None, None] + sign * d[None, None, :]) % M
    site = (rows * M + cols).reshape(N * M, k * k)
    idx = (site[:, :, None] * C + np.arange(C)).reshape(N * M, k * k * C)
    idx.setflags(write=False)
    return idx


def patches(x, k, sign=1):
    """The patch matrix (B N M, k^2 C) of x (B, N, M, C): one gather (im2col, periodic)."""
    B, N, M, C = x.shape
    P = np.take(x.reshape(B, N * M * C), patch_index(N, M, k, C, sign), axis=1)
    return P.reshape(B * N * M, k * k * C)


def _check(x, W):
    if np.ndim(x) != 4:
        raise ValueError(f"x must have shape (B, N, M, C_in) (channels last), got shape {np.shape(x)}")
    if np.ndim(W) != 4 or W.shape[2] != W.shape[3] or W.shape[2] % 2 == 0:
        raise ValueError(f"the kernel W must have shape (C_out, C_in, k, k) with odd k, got {np.shape(W)}")
    if x.shape[3] != W.shape[1]:
        raise ValueError(f"x has {x.shape[3]} channels (last axis of shape {tuple(x.shape)}), "
                         f"the kernel expects {W.shape[1]}")


@primitive
def circular_conv(x, W):
    """y (B, N, M, C_out) = x (B, N, M, C_in) correlated with W (C_out, C_in, k, k), periodic."""
    _check(x, W)
    dtype = np.result_type(x, W)             # (mixed dtypes would leave BLAS)
    x, W = x.astype(dtype, copy=False), W.astype(dtype, copy=False)
    B, N, M, _ = x.shape
    c_out, c_in, k, _ = W.shape
    Wm = W.transpose(2, 3, 1, 0).reshape(k * k * c_in, c_out)
    return (patches(x, k) @ Wm).reshape(B, N, M, c_out)


@primitive
def weight_gradient(x, g, k):
    """W-bar (C_out, C_in, k, k) of y = circular_conv(x, W) for the cotangent g of y."""
    B, N, M, c_in = x.shape
    c_out = g.shape[3]
    g = g.astype(x.dtype, copy=False)        # (a float64 cotangent of a float32 model: float32 BLAS)
    if c_in <= c_out:                        # gather the thinner array
        Wm = g.reshape(B * N * M, c_out).T @ patches(x, k)                   # (c_out, k k c_in)
        return Wm.reshape(c_out, k, k, c_in).transpose(0, 3, 1, 2)
    return _weight_from(x, patches(g, k, sign=-1), k)


def _weight_from(x, Pg, k):
    """W-bar from x and the patch matrix of the cotangent at reversed offsets."""
    c_in = x.shape[3]
    Wm = x.reshape(-1, c_in).T @ Pg                                          # (c_in, k k c_out)
    return Wm.reshape(c_in, k, k, -1).transpose(3, 0, 1, 2)


def flipped(W):
    """W~[c, o, u, v] = W[o, c, k-1-u, k-1-v]: the kernel of the transposed correlation."""
    return anp.transpose(W, (1, 0, 2, 3))[:, :, ::-1, ::-1]


def _gradients(x, W, d, argnums):
    """{0: x-bar, 1: W-bar} of the correlation for the cotangent d of its output."""
    k = W.shape[2]
    if isbox(d) or isbox(x) or isbox(W):                      # higher orders: primitives again
        return {a: circular_conv(d, flipped(W)) if a == 0 else weight_gradient(x, d, k) for a in argnums}
    if 0 not in argnums:                                       # only the kernel: the thinner gather
        return {1: weight_gradient(x, d, k)}
    d = d.astype(np.result_type(x, W), copy=False)
    Pd = patches(d, k, sign=-1)                                # one gather for both gradients
    c_out, c_in = W.shape[:2]
    out = {0: (Pd @ W.transpose(2, 3, 0, 1).reshape(k * k * c_out, c_in)).reshape(x.shape)}
    if 1 in argnums:
        out[1] = _weight_from(x, Pd, k)
    return out


defvjp_argnums(circular_conv, lambda argnums, ans, args, kwargs:
               lambda g: tuple(_gradients(args[0], args[1], g, argnums)[a] for a in argnums))
defvjp(weight_gradient,
       lambda ans, x, g, k: lambda G: circular_conv(g, flipped(G)),
       lambda ans, x, g, k: lambda G: circular_conv(x, G),
       None)


@primitive
def conv_act(x, W, b, act="identity"):
    """act(circular_conv(x, W) + b): a convolutional layer as one primitive (the bias added and
    the activation applied in place; the gradient needs only the output, as for
    :func:`rglib.nn.layers.dense_act`)."""
    z = circular_conv(x, W)
    z += b.astype(z.dtype, copy=False)
    return IN_PLACE[act](z)


def _conv_act_vjp(argnums, ans, args, kwargs):
    x, W = args[:2]
    act = args[3] if len(args) > 3 else kwargs.get("act", "identity")
    da = DERIVATIVES[act]

    def vjp(g):
        if not da:
            d = g
        elif isbox(g) or isbox(ans):
            d = g * da(ans)
        else:
            d = da(ans)
            d *= g
        out = _gradients(x, W, d, [a for a in argnums if a < 2])
        if 2 in argnums:
            out[2] = anp.sum(d, axis=(0, 1, 2))
        return tuple(out[a] for a in argnums)
    return vjp


defvjp_argnums(conv_act, _conv_act_vjp)


def conv2d(params, x, act="identity"):
    """act(circular convolution of x (B, N, M, C_in) with params from :func:`init_conv`)."""
    if "b" in params:
        return conv_act(x, params["W"], params["b"], act)
    return ACTIVATIONS[act](circular_conv(x, params["W"]))




# --- the rotation-invariant bilinear form of several layers ---------------------------------------

def bilinear(S, kernels):
    r"""[:math:`\Phi_l = \sum_\alpha (W_{0,l}\star S^\alpha)\odot(W_{1,l}\star S^\alpha)`, each
    (B, N, M, C)] for spins S (B, A, N, M) (A components, treated alike) and kernels
    [(W_{0,l}, W_{1,l})] of shape (C, 1, k, k): two convolutions of the spins for all layers."""
    B, A, N, M = S.shape
    x = anp.reshape(S, (B * A, N, M, 1))
    a, b = (anp.reshape(circular_conv(x, anp.concatenate([pair[i] for pair in kernels], axis=0)), (B, A, N, M, -1))
            for i in (0, 1))
    z = anp.sum(a * b, axis=1)
    C = z.shape[-1] // len(kernels)
    return [channels(z, l * C, (l + 1) * C) for l in range(len(kernels))]


@primitive
def channels(x, start, stop):
    """x[..., start:stop] (its gradient writes into zeros: no ``np.add.at``)."""
    return x[..., start:stop]


@primitive
def embed_channels(g, shape, start):
    """Zeros of ``shape`` with g in channels start:start + g.shape[-1] (the transpose of :func:`channels`)."""
    out = np.zeros(shape, dtype=g.dtype)
    out[..., start:start + g.shape[-1]] = g
    return out


defvjp(channels, lambda ans, x, start, stop: lambda g: embed_channels(g, x.shape, start), None, None)
defvjp(embed_channels, lambda ans, g, shape, start: lambda h: channels(h, start, start + g.shape[-1]), None, None)
