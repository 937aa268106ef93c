"""Inverse design with the differentiable NRG (rglib.nrg.inverse, notebook 05).

Problems with known answers: targets for <n_d> and T_K (met to 1e-3), hidden
parameters behind a T chi_imp curve (recovered to 1%) and behind a spectral function
(the loss converges); L-BFGS-B with AD gradients uses fewer NRG runs than with
finite-difference gradients. Small runs (Lambda = 4, 60 kept states) keep it fast.
"""
import math

import numpy as np
import pytest
from autograd import grad, value_and_grad

from rglib.nrg import Anderson, impurity, inverse, spectral

KW = dict(Lam=4.0, N_keep=60, T_min=1e-6)


@pytest.fixture(scope="module")
def bath():
    return inverse.bath_tchi(**KW)


def test_variables_round_trip_and_smoothing_is_the_even_odd_average(bath):
    p = {"eps_d": -0.07, "U": 0.2, "Gamma": 0.015}
    for problem in ("targets", "spectrum"):
        q = inverse.params_of(inverse.x_of(p, problem), problem)
        assert all(q[k] == pytest.approx(p[k], rel=1e-14) for k in p)
    T, tc, _ = inverse.tchi_imp(p, bath, **KW)
    Te, Xe = impurity.even_odd_average(T, tc)
    np.testing.assert_allclose(inverse.even_odd_smooth(tc), Xe, rtol=1e-12, atol=1e-14)


def test_kondo_temperature_is_differentiable_and_refuses_no_crossing(bath):
    """d ln T_K / dx by reverse mode equals central differences; a model without a
    Kondo crossing inside the run is refused."""
    x = inverse.x_of({"eps_d": -0.1, "U": 0.2, "Gamma": 0.02}, "targets")

    def lnTK(x):
        return np.log(inverse.occupation_and_TK(inverse.params_of(x, "targets"), bath, **KW)[1])

    g = grad(lnTK)(x)
    for k in range(3):
        e = np.eye(3)[k] * 1e-6
        assert g[k] == pytest.approx((lnTK(x + e) - lnTK(x - e)) / 2e-6, rel=1e-5, abs=1e-7)
    with pytest.raises(ValueError, match="T chi_imp"):
        inverse.occupation_and_TK({"eps_d": -0.4, "U": 0.8, "Gamma": 0.01}, bath, **KW)


def test_targets_are_met_with_fewer_runs_than_finite_differences(bath):
    targets = {"n_d": 0.9, "T_K": 1e-3}
    x0 = inverse.x_of({"eps_d": -0.15, "U": 0.3, "Gamma": 0.03}, "targets")
    res = {how: inverse.minimize(x0, "targets", targets, KW, gradient=how, bath=bath, stop_loss=1e-8)
           for how in ("ad", "fd")}
    for r in res.values():
        n_d, T_K = inverse.occupation_and_TK(r["params"], bath, **KW)
        assert abs(n_d / 0.9 - 1) < 1e-3 and abs(T_K / 1e-3 - 1) < 1e-3
    assert res["ad"]["runs"] < res["fd"]["runs"]


def test_hidden_parameters_are_recovered_from_a_tchi_curve(bath):
    hidden = {"eps_d": -0.1, "U": 0.2, "Gamma": 0.015}
    _, target, _ = inverse.tchi_imp(hidden, bath, **KW)
    x0 = inverse.x_of({"eps_d": -0.15, "U": 0.3, "Gamma": 0.02}, "tchi")
    res = {how: inverse.minimize(x0, "tchi", target, KW, gradient=how, bath=bath, stop_loss=1e-14)
           for how in ("ad", "fd")}
    for r in res.values():
        assert all(abs(r["params"][k] / hidden[k] - 1) < 0.01 for k in ("U", "Gamma")), r["params"]
    assert res["ad"]["runs"] < res["fd"]["runs"]
    assert np.all(np.diff(res["ad"]["history"]) <= 1e-15)          # monotone descent


def test_a_spectral_function_fit_converges():
    kw = dict(KW, N_keep=40, T_min=1e-3)        # fewer shells: the fit of A is the slow one
    omega = np.concatenate([-np.logspace(0, -2, 20), np.logspace(-2, 0, 20)])
    hidden = {"eps_d": -0.12, "U": 0.3, "Gamma": 0.025}
    target = spectral.spectral_function(Anderson(**hidden), omega, **kw)
    x0 = inverse.x_of({"eps_d": -0.118, "U": 0.295, "Gamma": 0.0253}, "spectrum")
    r = inverse.minimize(x0, "spectrum", target, kw, omega=omega, stop_loss=1e-11)
    assert r["loss"] < 1e-8 and r["history"][0] > 1e-4
    assert all(abs(r["params"][k] / hidden[k] - 1) < 1e-3 for k in hidden), r["params"]


def test_forward_mode_gradient_of_the_spectrum_loss_equals_reverse_mode():
    """The fit of a spectrum takes its gradient from the batched forward mode (three
    directions dtheta/dx_j in one pass); it equals the reverse pass through the loss."""
    kw = dict(KW, N_keep=40, T_min=1e-3)
    omega = np.concatenate([-np.logspace(0, -2, 20), np.logspace(-2, 0, 20)])
    target = spectral.spectral_function(Anderson(-0.12, 0.3, 0.025), omega, b=0.8, **kw)
    x = inverse.x_of({"eps_d": -0.1, "U": 0.28, "Gamma": 0.03}, "spectrum")
    v, g = inverse.spectrum_loss_and_grad(x, target, kw, omega, {"b": 0.8})
    v_ref, g_ref = value_and_grad(inverse.loss)(x, "spectrum", target, kw, None, omega, {"b": 0.8})
    assert v == pytest.approx(float(v_ref), rel=1e-12) and v > 1e-3
    np.testing.assert_allclose(g, g_ref, rtol=1e-8, atol=1e-12 * np.max(np.abs(g_ref)))


def test_bad_input():
    with pytest.raises(ValueError, match="problem"):
        inverse.minimize(np.zeros(3), "tchi2", None, KW)
    with pytest.raises(ValueError, match="gradient"):
        inverse.minimize(np.zeros(3), "tchi", None, KW, gradient="exact")
    with pytest.raises(ValueError, match="maxiter"):
        inverse.minimize(np.zeros(3), "tchi", None, KW, maxiter=0)
    assert math.isclose(inverse.WILSON_TCHI, 0.0701)
