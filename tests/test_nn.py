"""The neural-network kit: gradients checked numerically, optimizer, training, files."""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from autograd.test_util import check_grads

from rglib import nn
from rglib.nn import layers


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
