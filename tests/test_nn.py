"""The neural-network kit: gradients checked numerically, optimizer, training, files."""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from autograd.test_util import check_grads

from rglib import nn
from rglib.nn import layers, tree  # noqa: F401


def test_dense_and_mlp_gradients():
    rng = np.random.default_rng(0)
    p = nn.init_mlp(rng, [3, 5, 4, 2])
    x = rng.standard_normal((7, 3))
    check_grads(lambda q: anp.sum(nn.mlp(q, x) ** 2), modes=["rev"], order=2)(p)
    check_grads(lambda z: anp.sum(nn.mlp(p, z, act="softplus", final="tanh") ** 3), modes=["rev"], order=2)(x)
    for act in layers.ACTIVATIONS:
        if act != "relu":                       # relu: not differentiable at 0 (FD at kinks)
            check_grads(lambda z: anp.sum(layers.activation(act)(z) ** 2), modes=["rev"], order=2)(x + 0.1)


def test_layer_norm_gradient_and_values():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 6))
    g, b = rng.standard_normal(6), rng.standard_normal(6)
    y = layers.layer_norm(x)
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=-1), 1, rtol=1e-4)
    check_grads(lambda z: anp.sum(anp.sin(layers.layer_norm(z, g, b))), modes=["rev"], order=2)(x)


def test_initialization_is_pytorch_kaiming_uniform_and_seeded():
    p = nn.init_dense(np.random.default_rng(2), 100, 50)
    assert p["W"].shape == (100, 50) and np.abs(p["W"]).max() <= 0.1 and np.abs(p["W"]).max() > 0.09
    q = nn.init_dense(np.random.default_rng(2), 100, 50)
    np.testing.assert_array_equal(p["W"], q["W"])
    assert nn.init_dense(2, 3, 4, dtype=np.float32)["W"].dtype == np.float32
    assert nn.n_params(nn.init_mlp(0, [15, 60, 60, 1])) == 15 * 60 + 60 + 60 * 60 + 60 + 61


def test_adam_minimizes_a_quadratic_with_schedules_and_weight_decay():
    target = {"a": np.array([1.0, -2.0]), "b": np.array(3.0)}
    loss = lambda p: anp.sum((p["a"] - target["a"]) ** 2) + (p["b"] - target["b"]) ** 2  # noqa: E731
    p = {"a": np.zeros(2), "b": np.array(0.0)}
    opt = nn.Adam(p, lr=nn.exponential_schedule(0.1, 1e-3, 2000))
    for _ in range(2000):
        p = opt.step(p, grad(loss)(p))
    np.testing.assert_allclose(p["a"], target["a"], atol=1e-4)
    # weight decay pulls toward 0: minimum of (x - 1)^2 + (wd/2) x^2 with coupled L2 is 1/(1 + wd/2)
    q = {"x": np.array(0.0)}
    opt = nn.Adam(q, lr=nn.exponential_schedule(0.05, 1e-4, 4000), weight_decay=0.5)
    for _ in range(4000):
        q = opt.step(q, grad(lambda r: (r["x"] - 1.0) ** 2)(q))
    assert float(q["x"]) == pytest.approx(1 / 1.25, abs=1e-3)
    s = nn.step_schedule(1.0, 0.5, 10)
    assert s(0) == 1.0 and s(9) == 1.0 and s(10) == 0.5 and s(25) == 0.25
    with pytest.raises(FloatingPointError, match="NaN"):
        nn.Adam(q).step(q, {"x": np.array(np.nan)})


def test_fit_learns_a_linear_map_on_minibatches():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((400, 3))
    y = X @ np.array([1.0, -1.0, 0.5]) + 0.2
    p = [nn.init_dense(rng, 3, 1)]
    loss = lambda q, xb, yb: anp.mean((nn.mlp(q, xb)[:, 0] - yb) ** 2)  # noqa: E731
    p, log = nn.fit(loss, p, data=(X, y), epochs=60, batch_size=50, rng=rng,
                    optimizer=nn.Adam(p, lr=0.05), progress=False)
    assert log["loss"][-1] < 1e-6 < log["loss"][0]
    np.testing.assert_allclose(p[0]["W"][:, 0], [1.0, -1.0, 0.5], atol=1e-3)
    with pytest.raises(FloatingPointError, match="step 0"):
        nn.fit(lambda q, step: anp.sum(q["x"]) * np.nan, {"x": np.ones(2)}, n_steps=3, progress=False)


def test_save_and_load_roundtrip(tmp_path):
    p = {"flow": nn.init_mlp(0, [1, 4, 1]), "scale": np.array(2.5), "tag": [np.arange(3)],
         "none": [], "deep": {"empty": [], "x": [[], [np.ones(2)]]}}     # a one-layer EFNN has f = []
    nn.save(tmp_path / "m.npz", p, meta={"seed": 3, "loss": "kl"})
    q, meta = nn.load(tmp_path / "m.npz")
    assert meta == {"seed": 3, "loss": "kl"}
    np.testing.assert_array_equal(q["flow"][1]["W"], p["flow"][1]["W"])
    assert float(q["scale"]) == 2.5 and list(q["tag"][0]) == [0, 1, 2]
    assert q["none"] == [] and q["deep"]["empty"] == [] and q["deep"]["x"][0] == []
    assert list(q["deep"]["x"][1][0]) == [1.0, 1.0]
    x = np.linspace(0, 1, 5)[:, None]
    np.testing.assert_array_equal(nn.mlp(q["flow"], x), nn.mlp(p["flow"], x))


# --- the custom primitives: against plain autograd compositions, and check_grads -----------------

def _conv_reference(x, W):
    """Circular cross-correlation in plain autograd (rolls), channels last."""
    p = W.shape[2] // 2
    y = 0.0
    for u in range(W.shape[2]):
        for v in range(W.shape[3]):
            xs = anp.roll(anp.roll(x, p - u, axis=1), p - v, axis=2)
            y = y + anp.dot(xs, anp.transpose(W[:, :, u, v]))
    return y


def _conv_by_definition(x, W):
    """y[b,i,j,o] = sum W[o,c,u,v] x[b,(i+u-p)%N,(j+v-p)%M,c], term by term (tiny inputs)."""
    B, N, M, _ = x.shape
    c_out, c_in, k, _ = W.shape
    y = np.zeros((B, N, M, c_out))
    for i in range(N):
        for j in range(M):
            for u in range(k):
                for v in range(k):
                    y[:, i, j] += x[:, (i + u - k // 2) % N, (j + v - k // 2) % M] @ W[:, :, u, v].T
    return y


@pytest.mark.parametrize("shape,k", [((2, 4, 5, 2, 3), 3), ((3, 5, 5, 3, 1), 5), ((2, 3, 4, 1, 4), 3),
                                     ((1, 6, 6, 4, 2), 5), ((2, 2, 3, 2, 2), 5)])
def test_circular_convolution_primitive(shape, k):
    """Equal to the rolled and the term-by-term definition (every site wraps when k > N),
    gradients equal to those of the plain autograd version, check_grads to second order."""
    from autograd import grad
    B, N, M, c_in, c_out = shape
    rng = np.random.default_rng(sum(shape) + k)
    x, W = rng.standard_normal((B, N, M, c_in)), rng.standard_normal((c_out, c_in, k, k))
    y = nn.conv.circular_conv(x, W)
    np.testing.assert_allclose(y, _conv_by_definition(x, W), rtol=0, atol=1e-12)
    np.testing.assert_allclose(y, _conv_reference(x, W), rtol=0, atol=1e-12)
    for argnum in (0, 1):
        f = lambda c: lambda a, b: anp.sum(anp.tanh(c(a, b)) ** 2)   # noqa: E731
        np.testing.assert_allclose(grad(f(nn.conv.circular_conv), argnum)(x, W),
                                   grad(f(_conv_reference), argnum)(x, W), rtol=0, atol=1e-12)
    check_grads(lambda a, b: anp.sum(anp.sin(nn.conv.circular_conv(a, b))), modes=["rev"], order=2)(x, W)
    g = rng.standard_normal((B, N, M, c_out))
    check_grads(lambda a, b: anp.sum(anp.sin(nn.conv.weight_gradient(a, b, k))), modes=["rev"], order=2)(x, g)
    np.testing.assert_allclose(nn.conv.weight_gradient(x, g, k), grad(lambda w: anp.sum(_conv_reference(x, w) * g))(W),
                               rtol=0, atol=1e-12)


def test_primitives_keep_float32():
    rng = np.random.default_rng(0)
    x, W = rng.standard_normal((2, 4, 4, 3)).astype(np.float32), rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
    from autograd import grad
    assert nn.conv.circular_conv(x, W).dtype == np.float32
    assert grad(lambda w: anp.sum(nn.conv.circular_conv(x, w)) / 7)(W).dtype == np.float32
    p = nn.init_mlp(0, [3, 4, 2], dtype=np.float32)
    assert nn.mlp(p, x[..., 0, :]).dtype == np.float32


@pytest.mark.parametrize("act", sorted(layers.ACTIVATIONS))
def test_dense_layer_primitive(act):
    """act(x W + b) as one primitive equals the plain composition, with equal gradients for
    every argument; check_grads to second order (relu: away from its kink)."""
    from autograd import grad
    rng = np.random.default_rng(5)
    x, W, b = rng.standard_normal((2, 7, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    if act == "relu":
        x = np.abs(x) + 0.1
        W, b = np.abs(W), np.abs(b)
    plain = lambda x, W, b: layers.activation(act)(anp.dot(x, W) + b)   # noqa: E731
    np.testing.assert_allclose(layers.dense_act(x, W, b, act), plain(x, W, b), rtol=0, atol=1e-12)
    f = lambda fn: lambda *a: anp.sum(anp.sin(fn(*a)))                   # noqa: E731
    for argnum in range(3):
        np.testing.assert_allclose(grad(f(lambda *a: layers.dense_act(*a, act)), argnum)(x, W, b),
                                   grad(f(plain), argnum)(x, W, b), rtol=0, atol=1e-12)
    check_grads(f(lambda *a: layers.dense_act(*a, act)), modes=["rev"], order=2)(x, W, b)


def test_flat_parameters_and_channel_slices():
    """segment/place (rglib.nn.tree) and channels/embed_channels (rglib.nn.conv): gradients
    equal to plain slicing, to second order; flatten/unflatten in autograd's order."""
    from autograd import grad
    from autograd.misc import flatten as autograd_flatten

    from rglib.nn import tree
    p = {"b": [np.arange(6.0).reshape(2, 3), {"z": np.ones(2), "a": np.array(0.5)}], "a": np.linspace(0, 1, 4)}
    x, unflatten = tree.flatten(p)
    np.testing.assert_array_equal(x, autograd_flatten(p)[0])
    f = lambda v: (anp.sum(anp.sin(unflatten(v)["a"])) * anp.sum(unflatten(v)["b"][0] ** 2)  # noqa: E731
                   + unflatten(v)["b"][1]["a"] ** 3)
    f_plain = lambda v: anp.sum(anp.sin(v[:4])) * anp.sum(v[4:10] ** 2) + v[10] ** 3           # noqa: E731
    np.testing.assert_allclose(grad(f)(x + 0.1), grad(f_plain)(x + 0.1), rtol=0, atol=1e-12)
    check_grads(f, modes=["rev"], order=2)(x + 0.1)
    y = np.random.default_rng(1).standard_normal((2, 3, 3, 6))
    h = lambda z: anp.sum(nn.conv.channels(z, 1, 4) ** 3) + anp.sum(anp.sin(nn.conv.channels(z, 3, 6)))  # noqa: E731
    h_plain = lambda z: anp.sum(z[..., 1:4] ** 3) + anp.sum(anp.sin(z[..., 3:6]))                      # noqa: E731
    np.testing.assert_allclose(grad(h)(y), grad(h_plain)(y), rtol=0, atol=1e-12)
    check_grads(h, modes=["rev"], order=2)(y)


def test_adam_is_elementwise_and_matches_the_formula():
    """Adam.update on the flat vector equals the textbook update computed here, step by step."""
    rng = np.random.default_rng(2)
    x0 = rng.standard_normal(5)
    opt = nn.Adam({"x": x0}, lr=0.01, weight_decay=0.1)
    x, m, v = x0.copy(), np.zeros(5), np.zeros(5)
    for t in range(1, 4):
        g = rng.standard_normal(5)
        new = opt.update(x, g)
        gg = g + 0.1 * x
        m, v = 0.9 * m + 0.1 * gg, 0.999 * v + 0.001 * gg * gg
        x = x - 0.01 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        np.testing.assert_allclose(new, x, rtol=1e-14)
    with pytest.raises(ValueError, match="b1 must lie in"):
        nn.Adam({"x": x0}, b1=1.0)
    with pytest.raises(ValueError, match="params hold 3"):
        opt.step({"x": np.ones(3)}, {"x": np.ones(3)})


def test_training_resumes_from_a_checkpoint_bit_for_bit(tmp_path):
    """An interrupted training continued from its checkpoint equals the uninterrupted run."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((90, 3))
    y = np.tanh(X @ np.array([1.0, -1.0, 0.5]))
    loss = lambda q, xb, yb: anp.sum((nn.mlp(q, xb)[:, 0] - yb) ** 2) / len(yb)  # noqa: E731

    def run(epochs, path=None, seed=7):
        p0 = nn.init_mlp(0, [3, 8, 1])
        opt = nn.Adam(p0, lr=nn.exponential_schedule(1e-2, 1e-3, 6 * 9))
        return nn.fit(loss, p0, data=(X, y), epochs=epochs, batch_size=10, rng=seed, optimizer=opt,
                      progress=False, checkpoint=path, on_epoch=lambda e, q: {"w": float(q[0]["W"][0, 0])})
    full, log_full = run(6)
    ck = tmp_path / "ck.npz"
    with pytest.raises(ValueError, match="another set-up"):
        run(3, ck)                                   # writes a 3-epoch checkpoint ...
        run(6, ck)                                   # ... which a 6-epoch run refuses
    ck.unlink()

    class Stop(Exception):
        pass

    def interrupted(e, q):
        if e == 3:
            raise Stop
        return {"w": float(q[0]["W"][0, 0])}
    p0 = nn.init_mlp(0, [3, 8, 1])
    with pytest.raises(Stop):
        nn.fit(loss, p0, data=(X, y), epochs=6, batch_size=10, rng=7, progress=False, checkpoint=ck,
               optimizer=nn.Adam(p0, lr=nn.exponential_schedule(1e-2, 1e-3, 6 * 9)), on_epoch=interrupted)
    resumed, log_res = run(6, ck)
    for a, b in zip(nn.tree.leaves(full), nn.tree.leaves(resumed)):
        np.testing.assert_array_equal(a, b)
    assert log_res["loss"] == log_full["loss"] and log_res["evals"] == log_full["evals"]


def test_micro_batches_give_the_batch_gradient():
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((40, 3)), rng.standard_normal(40)
    loss = lambda q, xb, yb: anp.sum((nn.mlp(q, xb)[:, 0] - yb) ** 2) / len(yb)  # noqa: E731
    runs = []
    for mb in (None, 7):
        p0 = nn.init_mlp(0, [3, 5, 1])
        p, _ = nn.fit(loss, p0, data=(X, y), epochs=2, batch_size=20, rng=1, micro_batch=mb, progress=False)
        runs.append(nn.tree.flatten(p)[0])
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-12, atol=1e-14)
