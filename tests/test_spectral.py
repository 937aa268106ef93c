"""Spectral function of the Anderson model (full-density-matrix NRG) and its derivatives.

Exact statements checked: the FDM weights sum to 1 at any truncation and temperature
(Weichselbaum & von Delft, PRL 99, 076402 (2007)); the Friedel sum rule
pi Gamma A(0) = sin^2(pi <n_d> / 2) at T -> 0 (Langreth, Phys. Rev. 150, 516 (1966));
the exact U = 0 resonant level; derivatives by autograd against central differences.
The dynamical spin susceptibility: odd in omega, and its Kramers-Kronig integral equals
the static susceptibility of the same Wilson chain solved exactly at U = 0.
"""
import math

import numpy as np
import pytest
from autograd import grad, make_jvp
from autograd.test_util import check_grads
from scipy.integrate import trapezoid

from rglib.nrg import exact, models, run, settings, spectral, spectral_tangent
from rglib.nrg.ad import PARAMS

W_LOW = np.concatenate([-np.logspace(0.5, -7, 500), np.logspace(-7, 0.5, 500)])


def _poles(eps_d, U, Gamma, T=0.0, B=0.0, **kw):
    kw = {"N_keep": 150, **({} if "N_max" in kw else {"T_min": 1e-7}), **kw}
    return spectral.poles(models.Anderson(eps_d, U, Gamma, B), T, **kw)


@pytest.mark.parametrize("T,N_keep", [(0.0, 150), (1e-4, 150), (1e-2, 60), (1e-3, None)])
def test_fdm_weights_sum_to_one(T, N_keep):
    kw = {"N_max": 3} if N_keep is None else {}
    p = _poles(-0.04, 0.1, 0.02, T, N_keep=N_keep, **kw)
    assert abs(float(np.sum(spectral.flat(p)[1])) - 1.0) < 1e-10


def test_finite_T_result_does_not_depend_on_how_far_the_run_goes():
    """At T > 0 the FDM density matrix weighs the discarded states of every shell with
    its environment degeneracy 4^(N_max - N): running further below T (T_min = T/4, T/40,
    T/400) must leave A(omega) unchanged (measured L2 relative change 7e-4; without the
    degeneracy factor, 3.4e-3)."""
    T = 1e-4
    w = np.concatenate([-np.logspace(0, -6, 300), np.logspace(-6, 0, 300)])
    A = [spectral.broaden(_poles(-0.04, 0.1, 0.02, T, T_min=T / f), w, omega0=T) for f in (4, 40, 400)]
    for a in A[1:]:
        assert np.linalg.norm(a - A[0]) < 1.5e-3 * np.linalg.norm(A[0])


def test_sum_rule_after_broadening_and_its_derivative_is_zero():
    p = _poles(-0.04, 0.1, 0.02, 1e-5)
    w = np.concatenate([-np.logspace(2, -9, 3000), np.logspace(-9, 2, 3000)])
    A = spectral.broaden(p, w)
    assert abs(trapezoid(A, w) - 1.0) < 1e-3
    d = grad(lambda th: sum(np.sum(w) for w in _poles(th[0], th[1], th[2], 1e-5)["weight"]))(
        np.array([-0.04, 0.1, 0.02]))
    assert np.max(np.abs(d)) < 1e-8          # single weights move at O(1)-O(100)


def test_friedel_sum_rule_at_particle_hole_symmetry():
    """T = 0, Lambda = 2, N_keep = 300, broadening b = 0.6 (Weichselbaum's kernel):
    pi Gamma A(omega) at omega = 1e-3 T_K ~ 1e-7 (the Kondo plateau)."""
    Gamma, U = 0.01, 0.1
    p = _poles(-U / 2, U, Gamma, T_min=1e-10, N_keep=300)
    A = spectral.broaden(p, np.array([-1e-7, 1e-7]))
    assert np.allclose(math.pi * Gamma * A, 1.0, atol=0.03), math.pi * Gamma * A


def test_friedel_sum_rule_away_from_particle_hole_symmetry():
    Gamma, U, eps_d = 0.01, 0.1, -0.02
    kw = {"T_min": 1e-10, "N_keep": 300}
    p = spectral.poles(models.Anderson(eps_d, U, Gamma), 0.0, **kw)
    A0 = float(np.mean(spectral.broaden(p, np.array([-1e-7, 1e-7]))))
    n_d = run(models.Anderson(eps_d, U, Gamma), operators=("n_d",), **kw)[-1].ops["n_d"]
    assert 0.55 < n_d < 0.95                    # a genuinely asymmetric point
    assert math.pi * Gamma * A0 == pytest.approx(math.sin(math.pi * n_d / 2) ** 2, rel=0.05)


def test_resonant_level_at_U0():
    """U = 0 against the exact Lorentzian with the flat band's real part, for |omega| <=
    Gamma/10: within 5% (measured 0.4-4% at Lambda = 2 without z-averaging, b = 0.6: the
    logarithmic discretization and the broadening; near omega ~ Gamma the log-Gaussian
    smears the resonance, 8% low at the half width)."""
    Gamma = 0.01
    for eps_d in (0.0, 0.005, -0.01):
        p = _poles(eps_d, 0.0, Gamma, T_min=1e-9, N_keep=300)
        w = np.array([-Gamma / 10, -1e-4, -1e-6, 1e-6, 1e-4, Gamma / 10])
        assert np.allclose(spectral.broaden(p, w), spectral.resonant_level(w, eps_d, Gamma), rtol=0.05)


def test_spin_symmetry_and_field():
    p_up, p_dn = (_poles(-0.03, 0.08, 0.02, 1e-4, sigma=s) for s in ("up", "dn"))
    A_up, A_dn = spectral.broaden(p_up, W_LOW), spectral.broaden(p_dn, W_LOW)
    assert np.allclose(A_up, A_dn, rtol=1e-9, atol=1e-9 * A_up.max())
    B = 1e-3                                    # a field moves up-spin weight below the Fermi level
    A_up, A_dn = (spectral.broaden(_poles(-0.03, 0.08, 0.02, 1e-4, B=B, sigma=s), W_LOW) for s in ("up", "dn"))
    neg = W_LOW < 0
    assert trapezoid(A_dn[neg], W_LOW[neg]) > trapezoid(A_up[neg], W_LOW[neg]) + 0.03


@pytest.mark.parametrize("point", range(5))
def test_forward_mode_dA_equals_central_differences(point):
    """dA(omega)/dtheta for eps_d, U, Gamma (and B away from 0) on the whole grid by the
    batched forward mode (all four in one pass), against central differences of the
    broadened A: L2 relative difference below 1e-4 at five random parameter points and
    temperatures."""
    rng = np.random.default_rng(point)
    th = np.array([rng.uniform(-0.06, 0.0), rng.uniform(0.02, 0.12), rng.uniform(0.01, 0.03),
                   rng.uniform(1e-4, 1e-3)])
    T = [0.0, 1e-4][point % 2]
    kw = dict(T_min=1e-5, N_keep=100)

    def A(x):
        return spectral.spectral_function(models.Anderson(*x), W_LOW, T, **kw)

    A0, dA = spectral_tangent.derivatives(dict(zip(PARAMS, th)), W_LOW, T, **kw)
    np.testing.assert_allclose(A0, A(th), rtol=1e-12, atol=1e-14)
    for k in range(4):
        v = np.eye(4)[k]
        h = 1e-6 * max(abs(th[k]), 0.01)
        fd = (A(th + h * v) - A(th - h * v)) / (2 * h)
        assert np.linalg.norm(dA[PARAMS[k]] - fd) < 1e-4 * np.linalg.norm(fd), (point, k)


@pytest.mark.parametrize("T,operator,field", [(0.0, "d", "uniform"), (1e-4, "d", "impurity"),
                                              (0.0, "Sz_d", "impurity"), (1e-3, "Sz_d", "uniform")])
def test_batched_forward_mode_equals_autograds_forward_mode(T, operator, field):
    """The batched forward mode (rotation generators X, dU = U X, carried through the FDM)
    against autograd's make_jvp through spectral_function, one direction at a time: equal
    to 1e-8 relative (L2) for all four parameters, the uniform field exercising the chain
    field's tangent, at T = 0 and T > 0, for d and for S_z of the impurity."""
    th = np.array([-0.035, 0.09, 0.015, 4e-4])
    w = W_LOW[::4]
    kw = dict(T_min=T / 10 if T else 1e-4, N_keep=60, operator=operator)

    def A(x):
        return spectral.spectral_function(models.Anderson(*x, field=field), w, T, **kw)

    A0, dA = spectral_tangent.derivatives(dict(zip(PARAMS, th)), w, T, field=field, **kw)
    np.testing.assert_allclose(A0, A(th), rtol=1e-12, atol=1e-14)
    for k, name in enumerate(PARAMS):
        ref = make_jvp(A)(th)(np.eye(4)[k])[1]
        assert np.linalg.norm(dA[name] - ref) < 1e-8 * np.linalg.norm(ref), name


def test_batched_forward_mode_refuses_bad_input():
    p = {"eps_d": -0.03, "U": 0.08, "Gamma": 0.02}
    for kw, name in [({"wrt": ("U", "U")}, "wrt"), ({"wrt": "V"}, "wrt"), ({"wrt": ()}, "wrt"),
                     ({"T": -1.0}, "T"), ({"b": 5.0}, "b"), ({"operator": "Sx"}, "operator")]:
        with pytest.raises(ValueError, match=name):
            spectral_tangent.derivatives(p, W_LOW, **{"T_min": 1e-3, "N_keep": 20, **kw})
    with pytest.raises(ValueError, match="N_keep: the memory of every shell's eigenvectors and their 4 tangents"):
        spectral_tangent.derivatives(p, W_LOW, T_min=1e-8, N_keep=2000)   # 8.6 GiB estimated, before any run
    m = models.Anderson(-0.03, 0.08, 0.02)
    with pytest.raises(ValueError, match="dH0"):
        spectral_tangent.spectral_function_jvp(m, np.zeros((2, 16)), np.zeros(2), W_LOW, T_min=1e-3)
    with pytest.raises(ValueError, match="dB"):
        spectral_tangent.spectral_function_jvp(m, np.zeros((2, 16, 16)), np.zeros(3), W_LOW, T_min=1e-3)


def test_reverse_mode_of_a_functional_equals_forward_mode():
    th = np.array([-0.03, 0.08, 0.02, 5e-4])
    dw = np.gradient(W_LOW)

    def A(x):
        return spectral.spectral_function(models.Anderson(*x), W_LOW, 1e-4, T_min=1e-5, N_keep=100)

    g = grad(lambda x: np.sum(A(x) ** 2 * dw))(th)
    A0 = A(th)
    for k in range(4):
        dA = make_jvp(A)(th)(np.eye(4)[k])[1]
        assert g[k] == pytest.approx(np.sum(2 * A0 * dA * dw), rel=1e-8)


def test_spin_susceptibility_is_odd_and_its_weights_sum_to_zero():
    """chi''(omega) of S_z^d (bosonic weights (p_i - p_j)|<i|S_z|j>|^2): every pair (i, j)
    comes with (j, i) at -omega and the opposite weight, at T = 0 and T > 0; chi''(omega) > 0
    for omega > 0 after broadening."""
    for T in (0.0, 1e-4):
        p = _poles(-0.03, 0.08, 0.02, T, operator="Sz_d", N_keep=100)
        om, w = spectral.flat(p)
        assert abs(np.sum(w)) < 1e-12 and np.max(np.abs(w)) > 1e-3
        chi = spectral.broaden(p, W_LOW)
        assert np.all(chi[W_LOW > 0] > 0)        # (single FDM weights may be slightly negative)
        np.testing.assert_allclose(chi, -chi[::-1], atol=1e-10 * np.max(np.abs(chi)))


def test_static_spin_susceptibility_against_the_exact_chain_at_U0():
    """U = 0: the Kramers-Kronig integral sum_poles w / omega of chi'' equals the static
    local susceptibility of the same Wilson chain, sum over occupied k and empty k' of
    phi_k(d)^2 phi_k'(d)^2 / (e_k' - e_k) (single-particle levels e_k, amplitudes phi_k(d)
    on the impurity). Truncation lowers it: 8.7% at N_keep = 150, 3.4% at 300, 1.6% at 600
    (eps_d = 0.003, Gamma = 0.02); the test asserts 4% at 300 and that 300 beats 150."""
    eps_d, Gamma, T_min = 0.003, 0.02, 1e-8
    h = exact.single_particle_matrix(2.0, settings(T_min=T_min).N_max, eps_d, Gamma)
    e, v = np.linalg.eigh(h)
    occ, phi2 = e < 0, v[0] ** 2
    ref = np.sum(np.outer(phi2[occ], phi2[~occ]) / (e[~occ][None, :] - e[occ][:, None]))
    err = [spectral.static_susceptibility(_poles(eps_d, 0.0, Gamma, operator="Sz_d", T_min=T_min,
                                                 N_keep=n)) / ref - 1 for n in (150, 300)]
    assert abs(err[1]) < 0.04 and abs(err[1]) < abs(err[0]), err


def test_forward_mode_of_the_spin_susceptibility():
    th = np.array([-0.03, 0.08, 0.02])

    def chi(x):
        return spectral.spin_susceptibility(models.Anderson(*x), W_LOW, 1e-4, T_min=1e-5, N_keep=80)

    for k in range(3):
        v = np.eye(3)[k]
        h = 1e-6 * abs(th[k])
        fd = (chi(th + h * v) - chi(th - h * v)) / (2 * h)
        assert np.linalg.norm(make_jvp(chi)(th)(v)[1] - fd) < 1e-4 * np.linalg.norm(fd), k


def test_spline_binning_gradients_and_moments():
    """The binning primitive keeps the sum and the first moment of the weights on the
    linear grid, and its derivatives in pole positions and weights (both regions) are
    right in forward and reverse mode."""
    rng = np.random.default_rng(3)
    omega0, dl = 1e-3, 1e-3 / 16
    o, w = rng.uniform(-0.9e-3, 0.9e-3, 40), rng.uniform(0, 1, 40)
    h = spectral.bin_poles(o, w, (0, omega0, 0.0, dl), 40)
    assert h.sum() == pytest.approx(w.sum(), rel=1e-13)
    assert np.dot(np.arange(40), h) == pytest.approx(np.dot((o + omega0) / dl + 2, w), rel=1e-13)
    geom_log = (1, omega0, np.log(omega0) - 0.6 / 16, 0.6 / 16)
    o2 = np.concatenate([rng.uniform(2e-3, 0.5, 30), -rng.uniform(2e-3, 0.5, 10), [1e-4]])
    w2 = rng.uniform(0, 1, 41)
    for geom, oo, ww, nb in (((0, omega0, 0.0, dl), o, w, 40), (geom_log, o2, w2, 200)):
        # positions in units of omega0: check_grads steps by 1e-6, a fraction of a bin
        check_grads(lambda t, w_: spectral.bin_poles(t * omega0, w_, geom, nb), modes=["fwd", "rev"],
                    order=1)(oo / omega0, ww)


def test_density_matrix_primitive_gradients():
    """conjugate (Y_s blockdiag(R, diag p) Y_s^T per segment), forward and reverse mode,
    with and without kept states."""
    rng = np.random.default_rng(0)
    Y, R, p = rng.normal(size=(7, 7)), rng.normal(size=(3, 3)), rng.uniform(size=4)
    check_grads(lambda Y_, R_, p_: spectral.conjugate(((0, 3), (3, 4)), 3, Y_, R_, p_),
                modes=["rev", "fwd"], order=1)(Y, R, p)
    check_grads(lambda Y_, p_: spectral.conjugate(((0, 3), (3, 4)), 0, Y_, np.zeros((0, 0)), p_),
                modes=["rev", "fwd"], order=1)(Y, rng.uniform(size=7))


def test_bad_input():
    m = models.Anderson(-0.05, 0.1, 0.02)
    with pytest.raises(ValueError, match="T_min"):
        spectral.poles(m, 0.0, N_keep=50)
    with pytest.raises(ValueError, match="sigma"):
        spectral.poles(m, 1e-3, sigma="left", N_keep=50)
    with pytest.raises(ValueError, match="T"):
        spectral.poles(m, -1.0, N_keep=50)
    with pytest.raises(ValueError, match="model"):
        spectral.poles(models.Kondo(0.2), 1e-3, N_keep=50)
    with pytest.raises(ValueError, match="N_keep"):
        spectral.poles(m, 1e-3, N_keep=4000)          # every shell's eigenvectors: > 8 GiB
    with pytest.raises(ValueError, match="N_keep"):
        spectral.poles(m, 1e-3, N_keep=None, N_max=12)
    p = spectral.poles(m, 1e-3, N_keep=50)
    with pytest.raises(ValueError, match="b"):
        spectral.broaden(p, W_LOW, b=0.0)
    with pytest.raises(ValueError, match="omega"):
        spectral.broaden(p, np.array([0.1, np.nan]))
