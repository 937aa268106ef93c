"""Effective field neural networks: data recipes, exact diagonalization, architectures.

Liu et al., arXiv:2502.17665; data statistics of the authors' generators and the
parameter formulas in docs/references.md.
"""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd.misc import flatten
from autograd.test_util import check_grads

from rglib import data_path, nn
from rglib.efnn import data, effective, experiments, models, training
from rglib.nrg import fock


def _rotation(seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((3, 3)))
    q = q * np.sign(np.diag(r))
    return q * np.sign(np.linalg.det(q))


# --- data -----------------------------------------------------------------------------------

def test_three_spin_data_as_published():
    d = data.three_spin()
    assert d["S"].shape == (20000, 15) and set(np.unique(d["S"])) == {0.0, 1.0}
    assert len(d["J"]) == 455
    assert d["E_train"].mean() == pytest.approx(-61.43, abs=0.01)
    assert d["E_train"].std() == pytest.approx(52.35, abs=0.01)
    assert d["J"].mean() == pytest.approx(1.08, abs=0.01) and d["J"].std() == pytest.approx(2.05, abs=0.01)
    assert len(np.unique(d["S"], axis=0)) == 15016
    S_dd, E_dd, overlap = data.deduplicated(d["S_train"], d["S_test"], d["E_test"])
    assert overlap == pytest.approx(0.39, abs=0.005) and len(S_dd) == round(4000 * (1 - overlap))
    # the energy is the 3-spin sum, recomputed by a loop for one configuration
    s, t = d["S"][7], d["triples"]
    assert d["E"][7] == pytest.approx(-sum(J * s[i] * s[j] * s[k] for J, (i, j, k) in zip(d["J"], t)))


def test_continuous_data_as_in_the_authors_code():
    d = data.continuous()
    assert np.all(np.abs(d["S"]) <= 1) and d["S"].shape == (20000, 15)
    assert d["E_train"].mean() == pytest.approx(0.055, abs=0.001)
    assert d["E_train"].std() == pytest.approx(9.27, abs=0.01)
    assert d["E_test"].mean() == pytest.approx(0.030, abs=0.001)


def test_authors_angle_sampling_has_phi_equal_two_theta():
    S = data.de_spins(5, [100, 101], "authors")
    np.testing.assert_allclose(np.sum(S ** 2, axis=1), 1.0, atol=1e-12)
    theta = np.arccos(S[:, 2])
    phi = np.mod(np.arctan2(S[:, 1], S[:, 0]), 2 * np.pi)
    np.testing.assert_allclose(np.cos(phi), np.cos(2 * theta), atol=1e-10)
    U = data.de_spins(30, [5], "uniform")
    assert abs(U[0, 2].mean()) < 0.1 and abs(np.mean(U[0, 2] ** 2) - 1 / 3) < 0.05   # isotropic


# --- exact diagonalization ---------------------------------------------------------------

def test_grand_potential_equals_a_brute_force_fock_space_sum_at_N2():
    """N = 2: 8 fermion modes, the many-body Hamiltonian built from Jordan-Wigner
    operators (2^8 states), Omega = -T ln Tr exp(-H/T) summed directly."""
    S = data.de_spins(2, [3], "uniform")[0]
    G = data.de_matrix(S)
    c = fock.jordan_wigner(8)
    H = sum(G[i, j] * c[i].T @ c[j] for i in range(8) for j in range(8) if G[i, j] != 0)
    E = np.linalg.eigvalsh(H)
    Omega_fock = -data.DE_TEMP * (np.logaddexp.reduce(-E / data.DE_TEMP))
    assert data.de_energy(S) == pytest.approx(Omega_fock, rel=1e-12)


def test_ferromagnet_against_the_tight_binding_dispersion_at_N4():
    N = 4
    S = np.zeros((3, N, N))
    S[2] = 1.0
    k = 2 * np.pi * np.arange(N) / N
    eps = -2 * data.DE_T * (np.cos(k)[:, None] + np.cos(k)[None, :]).ravel()
    levels = np.concatenate([eps - data.DE_J / 2, eps + data.DE_J / 2]) - data.DE_MU
    np.testing.assert_allclose(np.linalg.eigvalsh(data.de_matrix(S)), np.sort(levels), atol=1e-12)
    assert data.de_energy(S) == pytest.approx(data.grand_potential(levels), rel=1e-13)


def test_ed_energy_is_invariant_under_a_global_spin_rotation():
    S = data.de_spins(4, [11], "authors")[0]
    Sr = np.einsum("ab,bij->aij", _rotation(1), S)
    assert data.de_energy(Sr) == pytest.approx(data.de_energy(S), rel=1e-12)


def test_energy_statistics_at_N10_with_the_authors_sampling():
    d = data.de_dataset(10, 150)
    assert d["E"].mean() == pytest.approx(-51.63, abs=0.3)       # 150 samples: error 0.1
    assert d["E"].std() == pytest.approx(1.17, rel=0.2)


# --- architectures ---------------------------------------------------------------------------

@pytest.mark.parametrize("w,n,ref", [(15, 1, 960), (60, 2, 21180), (150, 3, 190800), (30, 2, 6090)])
def test_fully_connected_efnn_parameter_count(w, n, ref):
    m = models.init_fc("EFNN", 0, L=15, width=w, layers=n)
    assert models.n_params(m) == ref == models.n_params_formula("EFNN", "fc", width=w, layers=n)


@pytest.mark.parametrize("arch,counts", [("EFNN", [1288, 2350, 3412]), ("DNN", [1138, 2050, 2962]),
                                         ("ResNet", [832, 1288, 1744]), ("DenseNet", [907, 1663, 2644])])
def test_convolutional_parameter_counts_at_C3_k5(arch, counts):
    got = [models.n_params(models.init_conv(arch, 0, C=3, layers=n, k=5)) for n in (1, 2, 3)]
    assert got == counts
    if arch == "EFNN":
        assert models.n_params_formula("EFNN", "conv", C=9, layers=3) == 26434 == \
            models.n_params(models.init_conv("EFNN", 0, C=9, layers=3, k=5))


@pytest.mark.parametrize("arch", models.CONV)
def test_convolutional_models_are_extensive_and_rotation_invariant(arch):
    m = models.init_conv(arch, 1, C=2, layers=2, k=3)
    S = data.de_spins(6, [21, 22], "uniform")
    E = models.apply(m, S)
    np.testing.assert_allclose(models.apply(m, np.tile(S, (1, 1, 2, 2))), 4 * E, rtol=1e-10, atol=1e-12)
    Sr = np.einsum("ab,nbij->naij", _rotation(2), S)
    np.testing.assert_allclose(models.apply(m, Sr), E, rtol=1e-10, atol=1e-12)


def test_gradients_of_the_convolution_and_the_models():
    rng = np.random.default_rng(3)
    p = nn.init_conv(rng, 2, 3, 3)
    x = rng.standard_normal((2, 2, 4, 5))
    check_grads(lambda q: anp.sum(nn.conv2d(q, x) ** 2), modes=["rev"], order=2)(p)
    check_grads(lambda z: anp.sum(anp.tanh(nn.conv2d(p, z))), modes=["rev"], order=1)(x)
    m = models.init_conv("EFNN", 4, C=2, layers=2, k=3)
    S = data.de_spins(4, [7], "uniform")
    check_grads(lambda net: models.apply(dict(m, net=net), S)[0], modes=["rev"], order=1)(m["net"])
    f = models.init_fc("DenseNet", 5, L=6, width=4, layers=2)
    X = rng.standard_normal((3, 6))
    check_grads(lambda net: anp.sum(models.apply(dict(f, net=net), X) ** 2), modes=["rev"], order=1)(f["net"])


def test_float32_models_stay_float32_and_train():
    m = models.init_conv("EFNN", 0, C=2, layers=1, k=3, dtype=np.float32)
    S = data.de_spins(4, np.arange(40), "authors")
    E = np.array([data.de_energy(s) for s in S])
    out = models.apply(m, S.astype(np.float32))
    assert out.dtype == np.float32
    m2, log = training.fit(m, S, E, epochs=3, batch_size=20, rng=0)
    assert np.asarray(m2["net"]["out"]["W"]).dtype == np.float32 and np.isfinite(log["loss"][-1])


def test_effective_model_recovers_a_spin_hamiltonian():
    """Energies of a known shell Hamiltonian are fitted exactly (least squares)."""
    S = data.de_spins(6, np.arange(60), "uniform")
    X = effective.features(S, 2)
    true = np.array([-0.5, 1.0, -0.3, 0.2])[:X.shape[1]]
    model = effective.fit(S, X @ true, 2)
    np.testing.assert_allclose(model["coef"], true, atol=1e-10)
    np.testing.assert_allclose(effective.predict(model, data.de_spins(8, [1], "uniform")),
                               effective.features(data.de_spins(8, [1], "uniform"), 2) @ true, atol=1e-9)


def test_bad_input():
    with pytest.raises(ValueError, match="arch must be one of"):
        models.init_fc("CNN", 0)
    with pytest.raises(ValueError, match="k must be odd"):
        nn.init_conv(0, 1, 1, 4)
    with pytest.raises(ValueError, match="n_samples: exact diagonalization"):
        data.de_dataset(40, 10 ** 6)
    with pytest.raises(ValueError, match="sampling must be one of"):
        data.de_spins(4, [1], "random")


# --- the stored experiments (scripts/make_efnn.py) ----------------------------------------------

def _load(name):
    path = data_path("efnn", f"{name}.npz")
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/make_efnn.py")
    nets, meta = nn.load(path)
    return nets["nets"], meta["results"]


def test_stored_three_spin_efnn_beats_the_baselines_on_deduplicated_data():
    nets, res = _load("three_spin")
    d = data.three_spin()
    S_dd, E_dd, _ = data.deduplicated(d["S_train"], d["S_test"], d["E_test"])
    mean = float(np.mean(d["E_train"]))
    err = {}
    for net, r in zip(nets, res):
        m = dict(r["model"], net=net)
        err[r["arch"], r["width"], r["layers"]] = training.metrics(training.predict(m, S_dd), E_dd, mean)["relative"]
    for w in (30, 60):
        for n in (2, 3):
            assert err["EFNN", w, n] < min(err[a, w, n] for a in ("DNN", "ResNet", "DenseNet")), (w, n)


def test_stored_double_exchange_model_extrapolates_from_N10_to_N40():
    """Trained at N = 10 (scripts/make_efnn.py), recomputed here on the stored test sets:
    at N = 10 and at the largest N, at least 3x below the trivial predictor N^2 eps (which
    shares the 1/N fall of the relative error), and RMSE/std(E) at most 1.5x its N = 10
    value (a model that learned boundary-dependent features would blow up)."""
    nets, res = _load("de")
    i, r = next((i, r) for i, r in enumerate(res) if r["arch"] == "EFNN" and r["C"] == 3 and r["layers"] == 2
                and r["sampling"] == "authors")
    m = dict(r["model"], net=nets[i])
    tr = experiments.de_data(10, "authors")
    ros = {}
    for N in (10, max(experiments.DE_TEST_SIZES)):
        te = experiments.de_data(N, "authors", experiments.DE_TEST_SIZES[N], seed0=experiments.DE_TEST_SEED0)
        ours = training.metrics(training.predict(m, te["S"], batch=8), te["E"])
        triv = training.metrics(training.trivial(tr["E"], tr["S"], te["S"]), te["E"])["relative"]
        assert ours["relative"] * 3 < triv, (N, ours, triv)
        ros[N] = ours["rmse_over_std"]
    assert ros[max(ros)] < 1.5 * ros[10], ros


def test_stored_double_exchange_data_and_models_are_regenerated_from_their_seeds():
    """data/efnn is ours: a few stored grand potentials recomputed by ED from their seeds,
    and one stored network (ResNet, C = 1, the cheapest) retrained from its seed equals the
    stored float32 weights bit for bit."""
    for N in (10, 16):
        d = experiments.de_data(N, "authors", experiments.DE_TEST_SIZES[N], seed0=experiments.DE_TEST_SEED0)
        for j in (0, len(d["E"]) - 1):
            assert data.de_energy(d["S"][j]) == pytest.approx(d["E"][j], abs=1e-9), (N, j)
    nets, res = _load("de")
    i = next(i for i, r in enumerate(res) if r["arch"] == "ResNet" and r["C"] == 1 and r["layers"] == 2
             and r["sampling"] == "authors")
    fresh = experiments.train_de_model("ResNet", 1, 2, seed=0)          # scripts/make_efnn.py: seed 0
    a, b = flatten(fresh["model"]["net"])[0], flatten(nets[i])[0]
    assert len(a) == len(b)
    np.testing.assert_array_equal(np.asarray(a, dtype=np.float32), b)
