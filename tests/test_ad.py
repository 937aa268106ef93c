"""Differentiable NRG: the eigh primitive, and AD through all shells.

Rigo & Mitchell, PRR 4, 013227 (2022); reference values in docs/references.md.
"""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from autograd.test_util import check_grads

from rglib.nrg import linalg


def _sym(n, rng, degenerate=None, split=0.0):
    """Random symmetric matrix, optionally with an exactly (or nearly) degenerate pair."""
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    w = np.sort(rng.standard_normal(n))
    if degenerate is not None:
        w[degenerate + 1] = w[degenerate] + split
    return (Q * w) @ Q.T


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_eigh_vjp_matches_numerical_gradients(seed):
    rng = np.random.default_rng(seed)
    A = _sym(6, rng)
    v = rng.standard_normal(6)

    def f(A):
        w, U = linalg.eigh(A)
        return anp.sum(w ** 3) + anp.sum(anp.dot(v, U) ** 2 * w)   # sign-invariant in U

    check_grads(f, modes=["rev"], order=2)(A)


@pytest.mark.parametrize("k", [0, 2, 6])
def test_eigh_vjp_with_only_the_first_k_columns_used(k):
    """The NRG uses the kept columns U[:, :k] only (k = 0: eigenvalues alone); the
    first-order VJP restricts its products to them and must equal finite differences
    and the full (higher-order) formula."""
    rng = np.random.default_rng(7)
    A = _sym(6, rng)
    P = rng.standard_normal((6, 6))

    def f(A):
        w, U = linalg.eigh(A)
        out = anp.sum(anp.exp(-w))
        if k:
            Uk = U[:, :k]
            out = out + anp.sum(Uk * anp.dot(P + P.T, Uk))
        return out

    check_grads(f, modes=["rev"], order=1)(A)
    g = grad(f)(A)
    for _ in range(2):
        E = rng.standard_normal((6, 6))
        E = E + E.T
        assert np.sum(g * E) == pytest.approx(_fd(f, A, E, h=1e-6), rel=1e-7)   # gaps ~0.04


def _two_copies(rng):
    """A = 1_2 (x) B: every eigenvalue exactly doubly degenerate (a 'spin' symmetry)."""
    B = _sym(3, rng)
    return np.kron(np.eye(2), B), B


def _trace_fn(P):
    def f(A):   # Tr[exp(-A) P] through eigh
        w, U = linalg.eigh(A)
        return anp.sum(anp.exp(-w) * anp.sum(U * anp.dot(P, U), axis=0))
    return f


def _fd(f, A, E, h=1e-5):
    return (f(A + h * E) - f(A - h * E)) / (2 * h)


def test_eigh_vjp_exact_at_symmetry_degeneracy():
    """Degeneracy enforced by a symmetry the function respects: zeroing is exact."""
    rng = np.random.default_rng(3)
    A, B = _two_copies(rng)
    C = rng.standard_normal((3, 3))
    f = _trace_fn(np.kron(np.eye(2), C + C.T))            # respects the symmetry
    g = grad(f)(A)
    assert np.all(np.isfinite(g))
    for _ in range(3):
        E = rng.standard_normal((6, 6))
        E = E + E.T
        assert np.sum(g * E) == pytest.approx(_fd(f, A, E), rel=1e-7)


def test_eigh_vjp_documented_failure_for_symmetry_breaking_function():
    """A function that couples the degenerate copies: the dropped term is finite."""
    rng = np.random.default_rng(3)
    A, _ = _two_copies(rng)
    P = np.kron(np.array([[0.0, 1.0], [1.0, 0.0]]), np.eye(3))   # mixes the copies
    f = _trace_fn(P)
    E = np.kron(np.array([[0.0, 1.0], [1.0, 0.0]]), np.eye(3))
    g = grad(f)(A)
    assert np.all(np.isfinite(g))
    assert abs(np.sum(g * E) - _fd(f, A, E)) > 0.1


def test_eigh_vjp_at_near_degeneracy():
    rng = np.random.default_rng(4)
    A = _sym(5, rng, degenerate=2, split=1e-6)

    def f(A):
        w, U = linalg.eigh(A)
        return anp.sum(anp.exp(-w) * anp.sum(U[:2] ** 2, axis=0))

    check_grads(f, modes=["rev"], order=1)(A)


def test_safe_eigh_is_right_where_plain_autograd_eigh_is_nan():
    """At an exact degeneracy Giles' formula divides by zero (autograd's own eigh gives
    NaN); rglib's eigh gives the finite-difference gradient of the same function."""
    rng = np.random.default_rng(6)
    A = np.diag([0.3, 1.0, 1.0, 1.7, 2.5])
    P = np.diag(np.arange(5.0))                 # diagonal: respects the degenerate pair

    def make(eig):
        def f(A):
            w, U = eig(A)
            return anp.sum(anp.exp(-w) * anp.sum(U * anp.dot(P, U), axis=0))
        return f

    with np.errstate(all="ignore"):
        assert not np.all(np.isfinite(grad(make(anp.linalg.eigh))(A)))
    f = make(linalg.eigh)
    g = grad(f)(A)
    for _ in range(3):
        E = rng.standard_normal((5, 5))
        E = E + E.T
        assert np.sum(g * E) == pytest.approx(_fd(f, A, E), rel=1e-6)


def test_eigh_jvp_matches_vjp():
    rng = np.random.default_rng(5)
    A = _sym(6, rng)
    dA = rng.standard_normal((2, 6, 6))
    dA = dA + np.transpose(dA, (0, 2, 1))
    w, U = np.linalg.eigh(A)
    dw, dU = linalg.eigh_jvp(w, U, dA, k=3)
    h = 1e-6
    for p in range(2):
        wp, Up = np.linalg.eigh(A + h * dA[p])
        wm, Um = np.linalg.eigh(A - h * dA[p])
        np.testing.assert_allclose(dw[p], (wp - wm) / (2 * h), atol=1e-7)
        s = np.sign(np.sum(Up * U, axis=0))[:3]
        np.testing.assert_allclose(dU[p], (Up[:, :3] * s - Um[:, :3] * s) / (2 * h), atol=1e-6)


# --- AD through the whole NRG -----------------------------------------------------------

from rglib import nrg                      # noqa: E402
from rglib.nrg import ad, thermo           # noqa: E402

AUTHORS = {"eps_d": -0.15, "U": 0.3, "Gamma": np.pi * 0.1 ** 2 / 2, "B": 0.0}   # V = 0.1
AUTHORS_RUN = dict(Lam=3.0, N_max=1, N_keep=200, beta_bar=0.9)


def _shift(params, **d):
    return {k: v + d.get(k, 0.0) for k, v in params.items()}


def test_authors_example_free_energy_and_cross_derivative():
    """Authors' notebook example: F = -4.84039218306791, d2F/d eps dU = -0.2095546."""
    assert float(ad.free_energy(AUTHORS, **AUTHORS_RUN)) == pytest.approx(-4.84039218306791,
                                                                           abs=1e-12)
    H = ad.hessian(AUTHORS, **AUTHORS_RUN)
    assert H["eps_d", "U"] == pytest.approx(-0.2095546, abs=1e-7)
    assert H["eps_d", "U"] == pytest.approx(H["U", "eps_d"], abs=1e-12)
    h = 1e-4
    fd = 0.0
    for s1, s2 in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
        fd += s1 * s2 * float(ad.free_energy(_shift(AUTHORS, eps_d=s1 * h, U=s2 * h),
                                             **AUTHORS_RUN))
    assert H["eps_d", "U"] == pytest.approx(fd / (4 * h * h), abs=1e-7)


SMALL = dict(Lam=2.5, N_max=10, N_keep=80)


def _random_points(n, seed=11):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        U = rng.uniform(0.05, 0.5)
        yield {"eps_d": rng.uniform(-0.8, 0.2) * U, "U": U, "Gamma": rng.uniform(0.005, 0.05),
               "B": rng.uniform(-0.01, 0.01)}


def test_first_derivatives_equal_finite_differences_at_20_points_all_shells():
    n_compared = 0
    for params in _random_points(20):
        F, dF = ad.all_shells(params, **SMALL)                 # forward mode, every shell
        g_rev = ad.gradient(params, **SMALL)                    # reverse mode, last shell
        for k in ad.PARAMS:
            assert g_rev[k] == pytest.approx(dF[k][-1], rel=1e-9, abs=1e-12)
        base = nrg.run(ad.model(params), **SMALL)
        for k in ad.PARAMS:
            h = 1e-5 * max(abs(params[k]), 0.01)
            runs = [nrg.run(ad.model(_shift(params, **{k: s * h})), **SMALL) for s in (1, -1)]
            fd = (np.array([float(thermo.free_energy(x)) for x in runs[0]])
                  - np.array([float(thermo.free_energy(x)) for x in runs[1]])) / (2 * h)
            for N in range(len(base)):
                # compare where the truncation does not change (no multiplet crosses the cut)
                if all(r[j].kept == base[j].kept for r in runs for j in range(N)):
                    assert dF[k][N] == pytest.approx(fd[N], rel=1e-6, abs=1e-8), (params, k, N)
                    n_compared += 1
    assert n_compared > 0.8 * 20 * 4 * (SMALL["N_max"] + 1)


def test_chi_from_AD_at_zero_field_equals_spin_fluctuation():
    params = {"eps_d": -0.07, "U": 0.2, "Gamma": 0.02, "B": 0.0}
    kw = dict(Lam=2.5, N_max=12, N_keep=100)
    for N in (4, 8, 12):
        chi = -ad.hessian_row(params, "B", shell=N, field="uniform", **kw)["B"]
        th = thermo.shell_thermo(ad.shells(params, "uniform", **kw)[N])
        assert chi == pytest.approx(th["Tchi"] / th["T"], rel=1e-8)


def test_impurity_field_chi_against_finite_differences_without_truncation():
    params = {"eps_d": -0.07, "U": 0.2, "Gamma": 0.02, "B": 0.0}
    kw = dict(Lam=2.5, N_max=2, N_keep=None)
    chi = -ad.hessian_row(params, "B", field="impurity", **kw)["B"]
    h = 1e-4
    F = [float(ad.free_energy(_shift(params, B=s * h), **kw)) for s in (1, 0, -1)]
    assert chi == pytest.approx(-(F[0] - 2 * F[1] + F[2]) / h ** 2, rel=1e-5)


def test_n_d_from_AD_equals_operator_expectation_value_without_truncation():
    ops = ("n_d", "docc", "hyb")
    for params in list(_random_points(4, seed=5)):
        kw = dict(Lam=2.5, N_max=3, N_keep=None)
        g = ad.gradient(params, **kw)
        sh = nrg.run(ad.model(params), operators=ops, **kw)
        th = thermo.shell_thermo(sh[-1], operators=ops)
        assert g["eps_d"] == pytest.approx(th["n_d"], rel=1e-8)
        assert g["U"] == pytest.approx(th["docc"], rel=1e-8)
        V = np.sqrt(2 * params["Gamma"] / np.pi * nrg.A_Lambda(2.5))
        assert 2 * params["Gamma"] * g["Gamma"] == pytest.approx(V * th["hyb"], rel=1e-8)


def test_derivatives_of_operator_averages_equal_second_derivatives_of_F():
    """d<n_d>/dtheta through the transported operator (reverse mode, forward mode) equals
    d2F/d eps_d dtheta by reverse over reverse (untruncated: <n_d> = dF/d eps_d exactly)."""
    from autograd import make_jvp

    kw = dict(Lam=2.5, N_max=3, N_keep=None)
    for params in list(_random_points(2, seed=11)):
        x0 = np.array([params[k] for k in ad.PARAMS])

        def n_d(x):
            sh = nrg.run(ad.model(dict(zip(ad.PARAMS, x))), operators=("n_d",), **kw)
            return sh[-1].ops["n_d"]

        h = ad.hessian_row(params, "eps_d", **kw)
        ref = np.array([h[k] for k in ad.PARAMS])
        np.testing.assert_allclose(grad(n_d)(x0), ref, rtol=1e-7, atol=1e-9)
        for i in range(4):
            e = np.eye(4)[i]
            assert make_jvp(n_d)(x0)(e)[1] == pytest.approx(ref[i], rel=1e-7, abs=1e-9)


def test_particle_hole_symmetric_n_d_is_one_on_every_shell():
    U = 0.1
    F, dF = ad.all_shells({"eps_d": -U / 2, "U": U, "Gamma": 0.01}, Lam=2.0, N_max=40,
                          N_keep=200)
    np.testing.assert_allclose(dF["eps_d"], 1.0, atol=1e-10)
    np.testing.assert_allclose(dF["B"], 0.0, atol=1e-10)      # <S_z> = 0 at B = 0


def test_entropy_and_heat_capacity_from_T_derivatives():
    sh = ad.shells({"eps_d": -0.05, "U": 0.1, "Gamma": 0.01}, Lam=2.0, N_max=20, N_keep=120)
    for s in sh[::5]:
        th = thermo.shell_thermo(s)
        assert ad.entropy(s) == pytest.approx(th["S"], rel=1e-10, abs=1e-12)
        assert ad.heat_capacity(s) == pytest.approx(th["C"], rel=1e-8, abs=1e-10)


def test_derivatives_at_degenerate_points_are_right_not_just_finite():
    """p-h symmetric, B = 0 (degenerate everywhere): first and second derivatives by AD
    against identities and finite differences of AD first derivatives."""
    params = {"eps_d": -0.05, "U": 0.1, "Gamma": 0.01, "B": 0.0}
    kw = dict(Lam=2.0, N_max=14, N_keep=80)
    for field, mode in (("impurity", "QSz"), ("uniform", "QSz"), ("uniform", "QS")):
        g = ad.gradient(params, field=field, mode=mode, **kw)
        _, dF = ad.all_shells(params, field=field, mode=mode, **kw)
        assert g["eps_d"] == pytest.approx(1.0, abs=1e-10) and g["B"] == pytest.approx(0.0, abs=1e-12)
        np.testing.assert_allclose([dF[k][-1] for k in ad.PARAMS], [g[k] for k in ad.PARAMS],
                                   rtol=1e-9, atol=1e-12)
    chi_u = -ad.hessian_row(params, "B", field="uniform", **kw)["B"]
    th = thermo.shell_thermo(ad.shells(params, "uniform", **kw)[-1])
    assert chi_u == pytest.approx(th["Tchi"] / th["T"], rel=1e-8)
    h_eps = ad.hessian_row(params, "eps_d", **kw)
    h = 1e-6
    n_d = [ad.gradient(_shift(params, eps_d=s * h), **kw)["eps_d"] for s in (1, -1)]
    assert -h_eps["eps_d"] == pytest.approx(-(n_d[0] - n_d[1]) / (2 * h), rel=1e-5)
    assert -h_eps["eps_d"] > 0


def test_observables_are_the_derivatives_and_identities_of_one_shell():
    params = {"eps_d": -0.07, "U": 0.2, "Gamma": 0.02, "B": 0.0}
    kw = dict(Lam=2.5, N_max=3, N_keep=None)
    obs = ad.observables(params, field="uniform", **kw)
    sh = nrg.run(ad.model(params, "uniform"), operators=("n_d", "docc"), **kw)[-1]
    th = thermo.shell_thermo(sh, operators=("n_d", "docc"))
    assert obs["n_d"] == pytest.approx(th["n_d"], rel=1e-8)
    assert obs["docc"] == pytest.approx(th["docc"], rel=1e-8)
    assert obs["S"] == pytest.approx(th["S"], rel=1e-10)
    assert obs["C"] == pytest.approx(th["C"], rel=1e-8)
    assert obs["chi"] == pytest.approx(th["Tchi"] / th["T"], rel=1e-8)
    h = 1e-4
    n_d = [ad.gradient(_shift(params, eps_d=s * h), field="uniform", **kw)["eps_d"] for s in (1, -1)]
    assert obs["chi_c"] == pytest.approx(-(n_d[0] - n_d[1]) / (2 * h), rel=1e-6)
