r"""Effective field neural networks and their baselines (Liu et al., arXiv:2502.17665).

**Fully connected** (3-spin and continuous models; S0 = the L spins):

* EFNN: :math:`F_1 = f_1(S_0)`, :math:`S_i = Q_i(S_0)\odot F_i`,
  :math:`F_i = f_i(S_{i-1})` (i = 2..n), :math:`E = \sum_j (S_n)_j`: the continued
  function :math:`E = 1^T[Q_n(S_0)\odot f_n(Q_{n-1}(S_0)\odot f_{n-1}(\cdots Q_1(S_0)\odot
  f_1(S_0)))]`, every Q_i reading the bare spins ("quasi-particle" couplings to the
  renormalized "effective field" F_i). Each f and Q is Linear -> tanh -> Linear.
  Parameters: :math:`n[(L+2)w+w^2] + [(L+2)w+w^2] + (n-1)(2w^2+2w)`;
* DNN: the same without the re-injection, :math:`F_i = {\rm mlp}(S_{i-1})`,
  :math:`S_i = {\rm mlp}(F_i)`;
* ResNet: :math:`S_1 = P S_0 + {\rm mlp}(S_0)`, :math:`S_i = S_{i-1} + {\rm mlp}(S_{i-1})`;
* DenseNet: :math:`F_i = {\rm mlp}([S_0, F_1, \ldots, F_{i-1}])`, E summed over
  :math:`[S_0, F_1..F_n]` (growth rate w).

**Convolutional** (double exchange; S0 = unit spins (3, N, N)); all convolutions k x k
with circular padding (:mod:`rglib.nn.conv`):

* the rotation-invariant bilinear layer
  :math:`\Phi = \sum_{\alpha=x,y,z} (W_0\star S^\alpha)\odot(W_1\star S^\alpha)`, 1 -> C
  channels without bias: a learned bond-weighted sum of dot products
  :math:`S_r\cdot S_{r'}`, so every model is exactly invariant under global spin rotations;
* h-blocks :math:`h(x) = {\rm conv}_{C\to C}(\tanh({\rm conv}_{\cdot\to C}(x)))` with bias;
* EFNN: :math:`F_1 = h(\Phi_0)`, :math:`S_1 = F_1\odot g_1(T_1)`, :math:`F_{i+1} = f_i(S_i)`,
  :math:`S_{i+1} = F_{i+1}\odot g_{i+1}(T_{i+1})` with bilinear :math:`T_i`; site energies
  :math:`e(r) = {\rm conv}_{C\to1}(S_n)`, :math:`E = \sum_r e(r)`. Parameters
  :math:`50C(n+1) + 2n(50C^2+2C) + 25C + 1` at k = 5;
* DNN: :math:`\Phi_0`, then 2n h-blocks; ResNet: :math:`S_1 = T_1 + h(\Phi_0)`,
  :math:`S_{i+1} = S_i + h(S_i)`; DenseNet: features :math:`[T_1, h(\Phi_0)]`, each new
  h-block reads all previous features, the last convolution all of them.

The final site sum makes one set of weights apply to every lattice size. Models are
dicts {"arch", "kind", "net"}: ``init(arch, rng, kind, ...)`` makes one, ``apply(model, S0)``
gives the energies. Each architecture is one entry of a registry (:data:`FC`, :data:`CONV`):
a function that initializes its parameters and one that evaluates them; :func:`register`
adds a new one (``docs/contributing.md``).
"""
import autograd.numpy as anp
import numpy as np

from .. import nn, validate

#: fully connected architectures: name -> (init(rng, L, w, n, dtype) -> net, energies(net, S0 (B, L)) -> (B,))
FC = {}
#: convolutional architectures: name -> (init(rng, C, n, k, dtype) -> net, site energies(net, S0) -> (B, N, N))
CONV = {}


def register(kind, name, init_fn, apply_fn):
    """Add an architecture ``name`` of ``kind`` ("fc" or "conv") to the registry (see :data:`FC`,
    :data:`CONV` for the two functions' signatures); returns the name."""
    validate.one_of("kind", kind, ("fc", "conv"))
    if not (isinstance(name, str) and name.isidentifier()):
        raise ValueError(f"name must be an identifier, got {name!r}")
    if not (callable(init_fn) and callable(apply_fn)):
        raise ValueError("init_fn and apply_fn must be callable")
    (FC if kind == "fc" else CONV)[name] = (init_fn, apply_fn)
    return name


def _mlp(rng, sizes, dtype):
    return nn.init_mlp(rng, sizes, dtype)


# --- fully connected ----------------------------------------------------------------------

def _efnn_fc_init(rng, L, w, n, dtype):
    return {"f1": _mlp(rng, [L, w, w], dtype), "Q": [_mlp(rng, [L, w, w], dtype) for _ in range(n)],
            "f": [_mlp(rng, [w, w, w], dtype) for _ in range(n - 1)]}


def _efnn_fc(p, S0):
    S = nn.mlp(p["Q"][0], S0) * nn.mlp(p["f1"], S0)
    for Q, f in zip(p["Q"][1:], p["f"]):
        S = nn.mlp(Q, S0) * nn.mlp(f, S)
    return anp.sum(S, axis=-1)


def _dnn_fc_init(rng, L, w, n, dtype):
    return {"blocks": [_mlp(rng, [L, w, w], dtype)] + [_mlp(rng, [w, w, w], dtype) for _ in range(2 * n - 1)]}


def _dnn_fc(p, S0):
    S = S0
    for b in p["blocks"]:
        S = nn.mlp(b, S)
    return anp.sum(S, axis=-1)


def _resnet_fc_init(rng, L, w, n, dtype):
    return {"P": nn.init_dense(rng, L, w, dtype, bias=False), "m0": _mlp(rng, [L, w, w], dtype),
            "m": [_mlp(rng, [w, w, w], dtype) for _ in range(n - 1)]}


def _resnet_fc(p, S0):
    S = nn.dense(p["P"], S0) + nn.mlp(p["m0"], S0)
    for m in p["m"]:
        S = S + nn.mlp(m, S)
    return anp.sum(S, axis=-1)


def _densenet_fc_init(rng, L, w, n, dtype):
    return {"F": [_mlp(rng, [L + i * w, w, w], dtype) for i in range(n)]}


def _densenet_fc(p, S0):
    feats = [S0]
    for m in p["F"]:
        feats.append(nn.mlp(m, anp.concatenate(feats, axis=-1)))
    return anp.sum(anp.concatenate(feats, axis=-1), axis=-1)


for _name, _fns in (("EFNN", (_efnn_fc_init, _efnn_fc)), ("DNN", (_dnn_fc_init, _dnn_fc)),
                    ("ResNet", (_resnet_fc_init, _resnet_fc)), ("DenseNet", (_densenet_fc_init, _densenet_fc))):
    register("fc", _name, *_fns)


def init_fc(arch, rng, L=15, width=60, layers=2, dtype=np.float64):
    """Parameters of a fully connected model (``arch`` one of :data:`FC`)."""
    validate.one_of("arch", arch, FC)
    rng = validate.rng("rng", rng)
    L = validate.integer("L", L, minimum=1, maximum=10_000)
    w = validate.integer("width", width, minimum=1, maximum=4096)
    n = validate.integer("layers", layers, minimum=1, maximum=16)
    return {"arch": arch, "kind": "fc", "L": L, "net": FC[arch][0](rng, L, w, n, dtype)}


def apply_fc(model, S0):
    """Energies (B,) of configurations S0 (B, L)."""
    return FC[model["arch"]][1](model["net"], S0)


# --- convolutional ---------------------------------------------------------------------------

def _bilinear(rng, C, k, dtype):
    return {"W0": nn.init_conv(rng, 1, C, k, bias=False, dtype=dtype),
            "W1": nn.init_conv(rng, 1, C, k, bias=False, dtype=dtype)}


def bilinear(ps, S):
    """[sum_alpha (W0 * S^alpha) (W1 * S^alpha) for each p in ps]: (B, N, N, C) each, rotation
    invariant. All layers read the bare spins S (B, 3, N, N): two convolutions for all."""
    return nn.conv.bilinear(S, [(p["W0"]["W"], p["W1"]["W"]) for p in ps])


def _h(rng, c_in, C, k, dtype):
    return {"c1": nn.init_conv(rng, c_in, C, k, dtype=dtype), "c2": nn.init_conv(rng, C, C, k, dtype=dtype)}


def h_block(p, x):
    """conv(tanh(conv(x))) on channels-last x (B, N, N, C)."""
    return nn.conv2d(p["c2"], nn.conv2d(p["c1"], x, act="tanh"))


def _out(p, S):
    e = nn.conv2d(p["out"], S)
    return anp.reshape(e, e.shape[:3])


def _efnn_conv_init(rng, C, n, k, dtype):
    return {"phi": _bilinear(rng, C, k, dtype), "T": [_bilinear(rng, C, k, dtype) for _ in range(n)],
            "F1": _h(rng, C, C, k, dtype), "g": [_h(rng, C, C, k, dtype) for _ in range(n)],
            "f": [_h(rng, C, C, k, dtype) for _ in range(n - 1)], "out": nn.init_conv(rng, C, 1, k, dtype=dtype)}


def _efnn_conv(p, S0):
    phi, *T = bilinear([p["phi"]] + p["T"], S0)
    S = h_block(p["F1"], phi) * h_block(p["g"][0], T[0])
    for f, g, Ti in zip(p["f"], p["g"][1:], T[1:]):
        S = h_block(f, S) * h_block(g, Ti)
    return _out(p, S)


def _dnn_conv_init(rng, C, n, k, dtype):
    return {"phi": _bilinear(rng, C, k, dtype), "h": [_h(rng, C, C, k, dtype) for _ in range(2 * n)],
            "out": nn.init_conv(rng, C, 1, k, dtype=dtype)}


def _dnn_conv(p, S0):
    S, = bilinear([p["phi"]], S0)
    for h in p["h"]:
        S = h_block(h, S)
    return _out(p, S)


def _resnet_conv_init(rng, C, n, k, dtype):
    return {"phi": _bilinear(rng, C, k, dtype), "T": _bilinear(rng, C, k, dtype),
            "h": [_h(rng, C, C, k, dtype) for _ in range(n)], "out": nn.init_conv(rng, C, 1, k, dtype=dtype)}


def _resnet_conv(p, S0):
    phi, T = bilinear([p["phi"], p["T"]], S0)
    S = T + h_block(p["h"][0], phi)
    for h in p["h"][1:]:
        S = S + h_block(h, S)
    return _out(p, S)


def _densenet_conv_init(rng, C, n, k, dtype):
    return {"phi": _bilinear(rng, C, k, dtype), "T": _bilinear(rng, C, k, dtype),
            "h": [_h(rng, C if i == 0 else (i + 1) * C, C, k, dtype) for i in range(n)],
            "out": nn.init_conv(rng, C * (n + 1), 1, k, dtype=dtype)}


def _densenet_conv(p, S0):
    phi, T = bilinear([p["phi"], p["T"]], S0)
    feats = [T, h_block(p["h"][0], phi)]
    for h in p["h"][1:]:
        feats.append(h_block(h, anp.concatenate(feats, axis=-1)))
    return _out(p, anp.concatenate(feats, axis=-1))


for _name, _fns in (("EFNN", (_efnn_conv_init, _efnn_conv)), ("DNN", (_dnn_conv_init, _dnn_conv)),
                    ("ResNet", (_resnet_conv_init, _resnet_conv)),
                    ("DenseNet", (_densenet_conv_init, _densenet_conv))):
    register("conv", _name, *_fns)


def init_conv(arch, rng, C=3, layers=2, k=5, dtype=np.float64):
    """Parameters of a convolutional model for spins (B, 3, N, N) (``arch`` one of :data:`CONV`)."""
    validate.one_of("arch", arch, CONV)
    rng = validate.rng("rng", rng)
    C = validate.integer("C", C, minimum=1, maximum=256)
    n = validate.integer("layers", layers, minimum=1, maximum=16)
    k = validate.integer("k", k, minimum=1, maximum=15)
    return {"arch": arch, "kind": "conv", "net": CONV[arch][0](rng, C, n, k, dtype)}


def site_energies(model, S0):
    """e(r) (B, N, N): the network's energy per site, for spins S0 (B, 3, N, N)."""
    return CONV[model["arch"]][1](model["net"], S0)


def apply_conv(model, S0):
    """Energies (B,) of spin configurations S0 (B, 3, N, N): the sum of site energies."""
    return anp.sum(site_energies(model, S0), axis=(1, 2))


def init(arch, rng, kind="fc", dtype=np.float64, **kw):
    """A model of either kind (see :func:`init_fc`, :func:`init_conv`)."""
    validate.one_of("kind", kind, ("fc", "conv"))
    return init_fc(arch, rng, dtype=dtype, **kw) if kind == "fc" else init_conv(arch, rng, dtype=dtype, **kw)


def apply(model, S0):
    """Raw network energies (no target scaling; see :mod:`rglib.efnn.training`) of configurations
    S0: (B, L) for a fully connected model, spins (B, 3, N, N) for a convolutional one."""
    shape = np.shape(S0)
    if model["kind"] == "conv" and (len(shape) != 4 or shape[1] != 3 or shape[2] != shape[3]):
        raise ValueError(f"S0 must be spins of shape (B, 3, N, N), got shape {shape}")
    if model["kind"] == "fc" and (len(shape) != 2 or shape[1] != model.get("L", shape[-1])):
        raise ValueError(f"S0 must have shape (B, {model.get('L', 'L')}), got shape {shape}")
    return apply_fc(model, S0) if model["kind"] == "fc" else apply_conv(model, S0)


def n_params(model):
    return nn.n_params(model["net"])


def n_params_formula(arch, kind, width=None, layers=2, L=15, C=None, k=5):
    """The paper's parameter counts (EFNN; baselines from their architecture)."""
    n = layers
    if kind == "fc":
        w = width
        if arch == "EFNN":
            return n * ((L + 2) * w + w * w) + ((L + 2) * w + w * w) + (n - 1) * (2 * w * w + 2 * w)
        raise ValueError("n_params_formula: only the EFNN formula is the paper's")
    if arch == "EFNN":
        K = k * k
        return 2 * K * C * (n + 1) + 2 * n * (2 * K * C * C + 2 * C) + K * C + 1
    raise ValueError("n_params_formula: only the EFNN formula is the paper's")
