"""NRG engine: exact limits, symmetries, fixed-point plateaus, Kondo universality.

References: Krishna-murthy, Wilkins & Wilson, PRB 21, 1003 (1980) (plateaus);
Bulla, Costi & Pruschke, RMP 80, 395 (2008); Rigo & Mitchell, PRR 4, 013227 (2022)
(the authors' l = 2 example: docs/references.md).
"""
import numpy as np
import pytest

from rglib import nrg
from rglib.nrg import chain, exact, impurity

LN2, LN4 = np.log(2.0), np.log(4.0)


# --- Wilson chain -----------------------------------------------------------------

@pytest.mark.parametrize("Lam,N", [(1.5, 130), (2.0, 90), (3.0, 60)])
def test_lanczos_chain_equals_closed_form(Lam, N):
    t_l = chain.lanczos_hoppings(Lam, N)
    t_c = chain.hoppings_rescaled(Lam, N)
    np.testing.assert_allclose(t_l, t_c, rtol=2e-15)


@pytest.mark.parametrize("z,scheme", [(0.5, "wilson"), (1.0, "campo-oliveira"), (0.3, "campo-oliveira")])
def test_lanczos_chain_does_not_depend_on_the_requested_length(z, scheme):
    """The star is built long enough for double precision whatever N is asked for:
    hoppings of a short request equal the start of a long one, and equal a chain
    computed from a much longer star (an independent, slower construction)."""
    Lam = 1.5
    t20, t150 = chain.chain_hoppings(Lam, 20, z, scheme), chain.chain_hoppings(Lam, 150, z, scheme)
    np.testing.assert_array_equal(t20, t150[:20])
    n0, M = chain.lanczos_sites(Lam)
    xi, w = chain.star(Lam, M + 60, z, scheme)
    ref = chain.lanczos_tridiagonalize(xi, w, 41, 1200) * Lam ** (np.arange(40) / 2.0)
    np.testing.assert_allclose(t150[:40], ref, rtol=1e-14)


def test_campo_oliveira_run_equals_a_reference_chain_without_truncation():
    """Untruncated shells of a run with the Campo-Oliveira chain (z = 0.5) equal exact
    diagonalization of the same chain built from the long-star reference hoppings."""
    Lam, N = 2.0, 3
    sh = nrg.run(nrg.Anderson(-0.07, 0.2, 0.03), Lam, N_max=N, N_keep=None, z=0.5,
                 scheme="campo-oliveira")
    t = chain.chain_hoppings(Lam, N, 0.5, "campo-oliveira")
    xi, w = chain.star(Lam, 300, 0.5, "campo-oliveira")
    ref = chain.lanczos_tridiagonalize(xi, w, N + 1, 900) * Lam ** (np.arange(N) / 2.0)
    np.testing.assert_allclose(t, ref, rtol=1e-14)
    H, _, _ = exact.dense_anderson(-0.07, 0.2, 0.03, Lam, N, hoppings=ref * Lam ** (-np.arange(N) / 2.0),
                                   A_correction=False)
    e = np.sort(np.concatenate(list(sh[N].energies.values()))) * sh[N].scale + sh[N].E0
    np.testing.assert_allclose(e, np.linalg.eigvalsh(H), atol=1e-12)


def test_chain_asymptotes_for_z_and_campo_oliveira():
    Lam = 2.0
    tz = chain.chain_hoppings(Lam, 40, z=0.5)
    # a shift z rescales every energy of the star by Lambda^{1-z}
    assert tz[-1] == pytest.approx(0.5 * (1 + 1 / Lam) * Lam ** 0.5, rel=1e-8)
    tco = chain.chain_hoppings(Lam, 40, scheme="campo-oliveira")
    assert tco[-1] == pytest.approx((1 - 1 / Lam) / np.log(Lam), rel=1e-8)


def test_authors_chain_values():
    # Lambda = 3, the authors' notebook (docs/references.md)
    ref = [0.5547002, 0.6051275, 0.6434475, 0.6586035, 0.6639419, 0.6657543]
    np.testing.assert_allclose(chain.hoppings_rescaled(3.0, 6), ref, atol=6e-8)
    assert chain.A_Lambda(3.0) == pytest.approx(np.log(3.0), rel=1e-14)


# --- exact references ---------------------------------------------------------------

def test_authors_l2_free_energy():
    """eps = -0.15, U = 0.3, V = 0.1, Lambda = 3, beta_bar = 0.9, l = 2 (64 states)."""
    V = 0.1
    m = nrg.Anderson(eps_d=-0.15, U=0.3, Gamma=np.pi * V ** 2 / 2)
    sh = nrg.run(m, 3.0, N_max=1, N_keep=200, beta_bar=0.9)
    F = nrg.thermodynamics(sh)["F"][1]
    assert F == pytest.approx(-4.84039218306791, abs=1e-12)


@pytest.mark.parametrize("field", ["impurity", "uniform"])
def test_untruncated_nrg_equals_dense_exact_diagonalization(field):
    """Every eigenvalue, with U and B: checks the fermionic signs end to end."""
    Lam = 2.5
    m = nrg.Anderson(eps_d=-0.07, U=0.23, Gamma=0.04, B=0.013, field=field)
    sh = nrg.run(m, Lam, N_max=2, N_keep=None)
    H, _, _ = exact.dense_anderson(-0.07, 0.23, 0.04, Lam, 2, B=0.013, field=field)
    e_nrg = np.sort(np.concatenate(list(sh[2].energies.values()))) * sh[2].scale + sh[2].E0
    np.testing.assert_allclose(e_nrg, np.linalg.eigvalsh(H), atol=1e-12)


def test_U0_free_energy_equals_single_particle_result():
    Lam, eps_d, Gamma = 2.0, -0.1, 0.05
    m = nrg.Anderson(eps_d=eps_d, U=0.0, Gamma=Gamma)
    # without truncation: identical up to rounding
    th = nrg.thermodynamics(nrg.run(m, Lam, N_max=4, N_keep=None))
    for N in range(5):
        h = exact.single_particle_matrix(Lam, N, eps_d=eps_d, Gamma=Gamma)
        assert th["F"][N] == pytest.approx(exact.free_fermion_F(h, th["T"][N]), rel=1e-10)
    # truncated (N_keep = 1000) over the whole temperature range: the ground-state energy
    # and, separately, the thermal part ln Z = -(F - E0)/T (E0 alone dominates F: a loose
    # test of F would pass with -T ln Z dropped). Measured: |d ln Z| <= 9e-5 (4.6e-3 with
    # 300 states), |dE0/E0| <= 1.2e-8.
    sh = nrg.run(m, Lam, T_min=1e-9, N_keep=1000)
    th = nrg.thermodynamics(sh)
    for N, s in enumerate(sh):
        h = exact.single_particle_matrix(Lam, N, eps_d=eps_d, Gamma=Gamma)
        E0_exact = 2 * np.sum(np.minimum(np.linalg.eigvalsh(h), 0))
        lnZ_exact = -(exact.free_fermion_F(h, th["T"][N]) - E0_exact) / th["T"][N]
        assert s.E0 == pytest.approx(E0_exact, rel=2e-8), N   # measured max 1.2e-8
        assert -(th["F"][N] - s.E0) / th["T"][N] == pytest.approx(lnZ_exact, abs=2e-4), N


def test_resonant_level_thermodynamics_against_exact_solution():
    """U = 0: S_imp(T) and T chi_imp(T) of the resonant level (Lambda = 3), for a single
    z and for z-averaging with the Campo-Oliveira scheme. (Measured: the residual
    error, 0.012 in S at T ~ 0.1 Gamma, comes from evaluating a finite chain at T_N;
    z-averaging does not reduce it. At Lambda = 2 it is 0.006.)"""
    G = 1e-3
    m = nrg.Anderson(eps_d=0.0, U=0.0, Gamma=G)
    for N_z, scheme in ((1, "wilson"), (2, "campo-oliveira")):
        d = nrg.impurity_thermodynamics(m, 3.0, T_min=1e-7, N_keep=300, N_z=N_z, scheme=scheme)
        sel = d["T"] < 1e-2
        ex = [exact.resonant_level_thermo(0.0, G, t) for t in d["T"][sel]]
        dS = np.abs(d["S"][sel] - [e["S"] for e in ex])
        dX = np.abs(d["Tchi"][sel] - [e["Tchi"] for e in ex])
        assert dS.max() < 0.015 and dX.max() < 1.5e-3
        assert d["S"][sel][-1] < 1e-3                      # strong coupling: S -> 0


# --- fixed points of the symmetric SIAM ------------------------------------------------

@pytest.fixture(scope="module")
def kondo_curves():
    """T chi_imp, S_imp of the symmetric SIAM for U/(pi Gamma) = 3, 4, 6 (U = 0.1)."""
    out = {}
    for r in (3.0, 4.0, 6.0):
        U = 0.1
        G = U / (r * np.pi)
        d = nrg.impurity_thermodynamics(nrg.Anderson(-U / 2, U, G), 2.0, T_min=1e-12,
                                        N_keep=400)
        out[r] = (d, exact.T_K_haldane(U, G))
    return out


def test_free_orbital_plateau():
    U = 1e-4
    d = nrg.impurity_thermodynamics(nrg.Anderson(-U / 2, U, U / (4 * np.pi)), 3.0,
                                    T_min=1e-4, N_keep=300)
    i = np.argmin(np.abs(np.log(d["T"] / 3e-3)))         # U << T << D
    assert d["S"][i] == pytest.approx(LN4, rel=0.03)
    assert d["Tchi"][i] == pytest.approx(1 / 8, rel=0.03)


def test_local_moment_plateau():
    U = 0.1
    G = U / (40 * np.pi)                                 # T_K ~ 1e-22: wide LM regime
    d = nrg.impurity_thermodynamics(nrg.Anderson(-U / 2, U, G), 2.0, T_min=1e-8, N_keep=300)
    sel = (d["T"] > 1e-7) & (d["T"] < 1e-5)              # T_K << T << U
    assert sel.sum() >= 4
    np.testing.assert_allclose(d["S"][sel], LN2, rtol=0.03)
    np.testing.assert_allclose(d["Tchi"][sel], 0.25, rtol=0.03)


def test_strong_coupling_plateau(kondo_curves):
    d, TK = kondo_curves[4.0]
    sel = (d["T"] < 1e-3 * TK) & (d["T"] > 1e-6 * TK)
    assert np.all(np.abs(d["S"][sel]) < 0.03 * LN2)
    assert np.all(np.abs(d["Tchi"][sel]) < 0.03 * 0.25)


def test_wilson_ratio_is_two(kondo_curves):
    for r, (d, TK) in kondo_curves.items():
        sel = (d["T"] > 1e-3 * TK) & (d["T"] < 2e-2 * TK)
        R = (4 * np.pi ** 2 / 3) * d["Tchi"][sel] / d["C_dS"][sel]
        np.testing.assert_allclose(R, 2.0, rtol=0.05, err_msg=f"U/(pi Gamma) = {r}")


def test_universal_collapse_on_T_over_TK(kondo_curves):
    x = np.logspace(-2, 1, 25)                            # T/T_K < 10
    ys = np.array([np.interp(np.log(x), np.log(d["T"] / TK)[::-1], d["Tchi"][::-1])
                   for d, TK in kondo_curves.values()])
    assert np.max(np.abs(ys / ys.mean(axis=0) - 1)) < 0.05
    for d, TK in kondo_curves.values():                   # 4 T_K chi_imp(0) -> 1
        assert 4 * TK * d["Tchi"][-3] / d["T"][-3] == pytest.approx(1.0, abs=0.07)


# --- symmetries ---------------------------------------------------------------------

def test_particle_hole_symmetry():
    U, G = 0.2, 0.02
    a = nrg.impurity_thermodynamics(nrg.Anderson(-0.03, U, G), 2.5, T_min=1e-6, N_keep=200)
    b = nrg.impurity_thermodynamics(nrg.Anderson(-U + 0.03, U, G), 2.5, T_min=1e-6, N_keep=200)
    for k in ("S", "Tchi", "C"):
        np.testing.assert_allclose(a[k], b[k], atol=1e-9)
    np.testing.assert_allclose(a["Q"], -b["Q"], atol=1e-9)


def test_zero_field_gives_zero_magnetization():
    th = nrg.thermodynamics(nrg.run(nrg.Anderson(-0.03, 0.1, 0.01), 2.0, T_min=1e-6,
                                    N_keep=200))
    assert np.max(np.abs(th["Sz"])) < 1e-12
    th = nrg.thermodynamics(nrg.run(nrg.Anderson(-0.03, 0.1, 0.01, B=1e-3), 2.0,
                                    T_min=1e-6, N_keep=200))
    assert th["Sz"][-1] < -0.1                             # B S_z favours S_z < 0


def test_degenerate_state_ordering_does_not_matter():
    m = nrg.Anderson(-0.05, 0.1, 0.01)
    a = nrg.run(m, 2.0, N_max=25, N_keep=150)
    b = nrg.run(m, 2.0, N_max=25, N_keep=150, scramble=np.random.default_rng(7))
    for sa, sb in zip(a, b):
        assert sa.kept == sb.kept
        for q in sa.energies:
            np.testing.assert_allclose(sa.energies[q], sb.energies[q], atol=1e-10)


def test_truncation_never_splits_a_multiplet():
    sh = nrg.run(nrg.Anderson(-0.05, 0.1, 0.01), 2.0, N_max=30, N_keep=100)
    for s in sh[:-1]:
        kept = np.concatenate([s.energies[q][:s.kept[q]] for q in s.energies])
        rest = np.concatenate([s.energies[q][s.kept[q]:] for q in s.energies])
        if len(rest):
            assert rest.min() - kept.max() > 1e-7
        assert s.n_kept >= min(100, s.n_states)


def test_kondo_model_scale():
    """Kondo (s-d) model: T_K ~ sqrt(rho J) exp(-1/(rho J)), rho = 1/2."""
    res = []
    for rhoJ in (0.08, 0.1, 0.12):
        d = nrg.impurity_thermodynamics(nrg.Kondo(J=2 * rhoJ), 2.0, T_min=1e-16, N_keep=300)
        sel = (d["Tchi"] < 0.01) & (d["Tchi"] > 0.001)
        res.append((rhoJ, 1 / (4 * np.median(d["Tchi"][sel] / d["T"][sel]))))
        assert d["S"][0] == pytest.approx(LN2, rel=0.03)  # free spin at high T
    r = np.array(res)
    slope = np.polyfit(1 / r[:, 0], np.log(r[:, 1] / np.sqrt(r[:, 0])), 1)[0]
    assert slope == pytest.approx(-1.0, abs=0.05)


# --- bad input ------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,match", [
    (dict(Lam=1.0), "Lam must be > 1"),
    (dict(Lam=0.5), "Lam must be > 1"),
    (dict(N_keep=0), "N_keep must be >= 1"),
    (dict(beta_bar=-1.0), "beta_bar must be > 0"),
    (dict(z=0.0), "z must lie in"),
])
def test_bad_run_arguments(kwargs, match):
    args = dict(Lam=2.0, N_max=3, N_keep=10)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        nrg.run(nrg.Anderson(-0.1, 0.2, 0.01), **args)


@pytest.mark.parametrize("kwargs,match", [
    (dict(Gamma=-0.1), "Gamma must be >= 0"),
    (dict(U=float("nan")), "U must be finite"),
    (dict(eps_d=float("inf")), "eps_d must be finite"),
    (dict(field="x"), "field must be one of"),
])
def test_bad_model_arguments(kwargs, match):
    args = dict(eps_d=-0.1, U=0.2, Gamma=0.01)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        nrg.Anderson(**args)


def test_temperature_below_last_shell_is_refused():
    th = nrg.thermodynamics(nrg.run(nrg.Anderson(-0.1, 0.2, 0.01), 2.0, N_max=10, N_keep=50))
    with pytest.raises(ValueError, match="run more shells"):
        impurity.at_temperature(th["T"], th["S"], 1e-9)
    n = nrg.shells_for_temperature(1e-10, 2.0, 2.0)         # shells 0..n-1
    T_N = lambda N: 2.0 ** (-(N - 1) / 2) / 2.0             # noqa: E731
    assert T_N(n - 1) <= 1e-10 < T_N(n - 2)


def test_dense_reference_nrg_has_the_same_spectra():
    """The no-symmetry dense NRG (authors' algorithm) and the blocked engine agree."""
    from rglib.nrg.dense import run_dense

    m = nrg.Anderson(-0.04, 0.1, 0.01, B=0.0)
    blocked = nrg.run(m, 2.0, N_max=8, N_keep=120)
    dense = run_dense(m, 2.0, N_max=8, N_keep=120)
    for sb, ed in zip(blocked, dense):
        eb = np.sort(np.concatenate(list(sb.energies.values())))
        np.testing.assert_allclose(eb, ed, atol=1e-9)


def test_traced_forward_pass_equals_plain_pass():
    """Under autograd tracing the engine assembles blocks with its own primitive instead
    of filling arrays in place (a different code path): every shell's spectrum agrees."""
    from autograd import make_vjp

    kw = dict(Lam=2.0, N_max=8, N_keep=60, B=0.003) if False else dict(Lam=2.0, N_max=8, N_keep=60)
    got = {}

    def spectra(eps_d):
        sh = nrg.run(nrg.Anderson(eps_d, 0.1, 0.01, B=0.003, field="uniform"), **kw)
        got["traced"] = [np.concatenate([np.asarray(getattr(e, "_value", e)) for e in s.energies.values()])
                         for s in sh]
        return nrg.thermo.free_energy(sh[-1])

    make_vjp(spectra)(-0.04)
    plain = nrg.run(nrg.Anderson(-0.04, 0.1, 0.01, B=0.003, field="uniform"), **kw)
    for a, s in zip(got["traced"], plain):
        np.testing.assert_allclose(np.sort(a), np.sort(np.concatenate(list(s.energies.values()))),
                                   atol=1e-12)


def test_structural_primitives_have_right_gradients():
    """assemble, contract and sandwich (rglib.nrg.assemble) against numerical derivatives,
    reverse and forward mode, to second order (autograd's check_grads), with respect to
    every array argument (check_grads differentiates only the first unless told)."""
    from autograd.test_util import check_grads

    from rglib.nrg.assemble import assemble, contract, sandwich

    rng = np.random.default_rng(3)
    Y, a, b = rng.normal(size=(7, 7)), rng.normal(size=(3, 3)), rng.normal(size=(4, 4))
    for k in (0, 2):
        check_grads(lambda Y, a, b: sandwich(((0, 3), (3, 4)), k, Y, a + a.T, b + b.T), (0, 1, 2),
                    modes=["rev", "fwd"], order=2)(Y, a, b)
    check_grads(lambda d, x: assemble(7, (("diag", 0), ("block", 0, 3)), d, x), (0, 1),
                modes=["rev", "fwd"], order=2)(rng.normal(size=7), rng.normal(size=(3, 4)))
    spec = (("diag", 0, 1.5), ("block", 0, 3, -0.7, True))              # coefficients, transposed part
    check_grads(lambda d, x: assemble(7, spec, d, x), (0, 1),
                modes=["rev", "fwd"], order=2)(rng.normal(size=7), rng.normal(size=(4, 3)))
    d, x = rng.normal(size=7), rng.normal(size=(4, 3))
    H = np.diag(1.5 * d)
    H[0:3, 3:7] = -0.7 * x.T
    H[3:7, 0:3] = -0.7 * x
    np.testing.assert_array_equal(assemble(7, spec, d, x), H)
    check_grads(lambda U, V: contract(((1.0, 0, 3, 4, 3), (-1.0, 3, 3, 0, 3)), 2, 3, U, V), (0, 1),
                modes=["rev", "fwd"], order=2)(Y, rng.normal(size=(7, 5)))


def test_traced_operator_averages_equal_plain_ones():
    """Traced runs transport impurity operators with the sandwich primitive (one per block),
    plain runs segment by segment: equal averages on every shell."""
    from autograd import make_vjp

    kw = dict(Lam=2.0, N_max=12, N_keep=80, operators=("n_d", "docc", "Sz2_d"))
    got = {}

    def avgs(U):
        sh = nrg.run(nrg.Anderson(-0.04, U, 0.01), **kw)
        got["traced"] = [{k: float(getattr(v, "_value", v)) for k, v in s.ops.items()} for s in sh]
        return sh[-1].ops["n_d"]

    make_vjp(avgs)(0.1)
    for a, s in zip(got["traced"], nrg.run(nrg.Anderson(-0.04, 0.1, 0.01), **kw)):
        for k, v in s.ops.items():
            assert a[k] == pytest.approx(v, abs=1e-12), k


def test_bare_chain_thermodynamics_equal_free_fermions_without_truncation():
    """The bath run (no impurity) is a free-fermion chain: S, C and T chi from the
    single-particle levels of the same finite chain, shell by shell."""
    Lam = 2.5
    th = nrg.thermodynamics(nrg.run(nrg.Bath(), Lam, N_max=4, N_keep=None))
    for N in range(5):
        ex = exact.free_fermion_thermo(exact.single_particle_matrix(Lam, N), th["T"][N])
        for k in ("S", "C", "Tchi"):
            assert th[k][N] == pytest.approx(ex[k], rel=1e-10, abs=1e-12), (N, k)


@pytest.mark.parametrize("Lam", [1.8, 2.0, 3.0])
def test_documented_temperature_conventions_reproduce_kww_and_z_chain(Lam):
    """docs/nrg-conventions.md: with the converted beta_bar, rglib's T_N equals the KWW
    formula T_N = (1 + 1/Lambda)/2 Lambda^{-(N-1)/2} / beta_bar (and the Z-chain one)."""
    from rglib.nrg import iterate

    for conv, pref in (("kww", (1 + 1 / Lam) / 2), ("zitko-pruschke", (1 - 1 / Lam) / np.log(Lam))):
        bb = iterate.equivalent_beta_bar(Lam, 1.0, conv)
        sh = nrg.run(nrg.Bath(), Lam, N_max=12, N_keep=40, beta_bar=bb)
        for s in sh:
            assert s.T == pytest.approx(pref * Lam ** (-(s.N - 1) / 2) / 1.0, rel=1e-14)
    assert iterate.equivalent_beta_bar(2.0, 1.0, "kww") == pytest.approx(4 / 3, rel=1e-15)
    assert iterate.equivalent_beta_bar(2.0, 1.0, "zitko-pruschke") == pytest.approx(2 * np.log(2))
