"""The (Q, S) multiplet mode of the NRG (rglib.nrg.su2) against the (Q, 2Sz) engine.

Untruncated, every multiplet energy (with multiplicity 2S + 1) equals the (Q, 2Sz)
spectrum; truncated at the same kept states, thermodynamics agree shell by shell. The
Clebsch-Gordan coefficients satisfy their orthogonality relations.
"""
import numpy as np
import pytest

from rglib import nrg
from rglib.nrg import iterate, su2
from rglib.nrg.thermo import thermodynamics

MODELS = [nrg.Anderson(-0.04, 0.1, 0.02), nrg.Anderson(-0.05, 0.1, 0.01), nrg.Kondo(0.2), nrg.Bath()]


def test_clebsch_gordan_orthogonality():
    for j1 in range(0, 5):
        for j2 in (1, 2):
            for M in range(-(j1 + j2), j1 + j2 + 1, 2):
                Js = range(abs(j1 - j2), j1 + j2 + 1, 2)
                ms = [m for m in range(-j1, j1 + 1, 2) if abs(M - m) <= j2]
                C = np.array([[su2.cg(j1, m, j2, M - m, J, M) for m in ms] for J in Js if abs(M) <= J])
                np.testing.assert_allclose(C @ C.T, np.eye(len(C)), atol=1e-12)
    assert su2.cg(1, 1, 1, -1, 0, 0) == pytest.approx(np.sqrt(0.5))       # the singlet
    assert su2.cg(1, -1, 1, 1, 0, 0) == pytest.approx(-np.sqrt(0.5))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_untruncated_multiplets_equal_the_abelian_spectrum(model):
    kw = dict(Lam=2.5, N_max=3, N_keep=None)
    for a, b in zip(iterate.run(model, **kw), su2.run(model, **kw)):
        ea = np.sort(np.concatenate(list(a.energies.values())))
        eb = np.sort(np.concatenate([np.repeat(e, q[1] + 1) for q, e in b.energies.items()]))
        assert len(ea) == len(eb) and np.max(np.abs(ea - eb)) < 1e-12, a.N
        assert b.E0 == pytest.approx(a.E0, abs=1e-12)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_truncated_thermodynamics_equal_the_abelian_mode(model):
    kw = dict(Lam=2.0, N_max=30, N_keep=200)
    ta, tb = thermodynamics(iterate.run(model, **kw)), su2.thermodynamics(su2.run(model, **kw))
    for k in ("F", "S", "C", "Tchi", "Q"):
        np.testing.assert_allclose(tb[k], ta[k], rtol=0, atol=1e-9, err_msg=k)


def test_shells_carry_their_symmetry_and_every_consumer_reads_it():
    """A (Q, S) shell handed to the generic consumers (thermodynamics, free energy, entropy,
    level counts) gives the (Q, 2Sz) values: once a silent 25% error in S (issue 25). A shell
    without a symmetry is refused, and so are operators a (Q, S) run did not record."""
    from rglib.nrg import ad, flow, thermo
    p = dict(eps_d=-0.15, U=0.3, Gamma=0.0318, B=0.0)
    kw = dict(N_keep=150, N_max=20)
    _, _, qs = ad.all_shells(p, return_shells=True, **kw)
    qsz = iterate.run(ad.model(p), **kw)
    assert {s.symmetry for s in qs} == {"QS"} and {s.symmetry for s in qsz} == {"QSz"}
    ta, tb = thermodynamics(qsz), nrg.thermodynamics(qs)
    for k in ("F", "S", "C", "Tchi", "Q"):
        np.testing.assert_allclose(tb[k], ta[k], rtol=0, atol=1e-9, err_msg=k)
    assert ad.entropy(qs[-1]) == pytest.approx(float(ta["S"][-1]), abs=1e-9)
    assert thermo.free_energy(qs[-1], 0.01) == pytest.approx(float(thermo.free_energy(qsz[-1], 0.01)), abs=1e-12)
    assert qs[2].n_states == qsz[2].n_states and qs[2].n_kept == qsz[2].n_kept   # (untruncated yet: equal)
    for a, b in zip(qsz[:4], qs[:4]):
        assert flow.low_multiplicity(a) == flow.low_multiplicity(b)
        np.testing.assert_allclose(flow.lowest_levels(b, 12), flow.lowest_levels(a, 12), atol=1e-9)
    with pytest.raises(ValueError, match="symmetry must be one of"):
        iterate.Shell(0, 1.0, 2.0, 0.0, {}, {})
    with pytest.raises(ValueError, match="operators.*mode='QSz'"):
        thermo.shell_thermo(qs[-1], operators=("Sz_d",))


def test_symmetry_breaking_models_are_refused():
    with pytest.raises(ValueError, match="SU\\(2\\)"):
        su2.run(nrg.Anderson(-0.05, 0.1, 0.01, B=1e-3), N_max=3)


def _F_shells(run, free_energy, kw):
    import autograd.numpy as anp

    def F(x):
        return anp.array([free_energy(s) for s in run(nrg.Anderson(x[0], x[1], x[2]), **kw)])
    return F


def test_reverse_mode_equals_the_abelian_mode_and_finite_differences_on_every_shell():
    """dF_N/d(eps_d, U, Gamma) of every shell by reverse mode in the (Q, S) mode: equal to
    the (Q, 2Sz) mode's AD to 1e-10, and to central differences to 1e-6 relative at random
    points and at particle-hole symmetry. There the differences move along the symmetric
    line eps_d = -U/2 (and in Gamma): a step off it splits multiplets at the truncation
    edge, the truncation kink of notebook 03, which both modes share."""
    from autograd import jacobian

    kw = dict(Lam=2.0, N_max=14, N_keep=120)
    Fq = _F_shells(su2.run, su2.free_energy, kw)
    Fa = _F_shells(iterate.run, nrg.thermo.free_energy, kw)
    rng = np.random.default_rng(7)
    points = [np.array([rng.uniform(-0.08, 0.0), rng.uniform(0.05, 0.15), rng.uniform(0.01, 0.03)])
              for _ in range(2)] + [np.array([-0.05, 0.1, 0.02])]
    h = 1e-6
    for x in points:
        J = jacobian(Fq)(x)
        np.testing.assert_allclose(J, jacobian(Fa)(x), rtol=0, atol=1e-10)
        dirs = np.eye(3) if x[0] != -x[1] / 2 else np.array([[-0.5, 1.0, 0.0], [0.0, 0.0, 1.0]])
        fd = np.stack([(Fq(x + h * e) - Fq(x - h * e)) / (2 * h) for e in dirs], axis=1)
        np.testing.assert_allclose(J @ dirs.T, fd, rtol=1e-6, atol=1e-8)


def test_pipeline_chooses_the_multiplet_mode_where_allowed_and_agrees():
    from rglib.nrg import impurity

    m = nrg.Anderson(-0.03, 0.1, 0.02)
    assert impurity.choose_mode(m) == "QS" and impurity.choose_mode(m, "QSz") == "QSz"
    field = nrg.Anderson(-0.03, 0.1, 0.02, B=1e-4, field="uniform")
    assert impurity.choose_mode(field) == "QSz"
    with pytest.raises(ValueError, match="mode"):
        impurity.choose_mode(field, "QS")
    kw = dict(Lam=2.5, T_min=1e-6, N_keep=150, N_z=2)
    a = nrg.impurity_per_shell(m, mode="QS", **kw)
    b = nrg.impurity_per_shell(m, mode="QSz", **kw)
    for k in ("S", "C", "Tchi", "F", "Q"):
        np.testing.assert_allclose(a[k], b[k], rtol=0, atol=1e-9, err_msg=k)


def _fd_shells(make, x, e, kw, h=1e-6):
    F = [np.array([float(su2.free_energy(s)) for s in su2.run(make(x + sgn * h * e), **kw)])
         for sgn in (1, -1)]
    return (F[0] - F[1]) / (2 * h)


def test_forward_mode_all_shells_equals_the_abelian_mode_and_finite_differences():
    """dF_N/dtheta on every shell in one forward pass (rglib.nrg.su2_tangent): equal to
    the (Q, 2Sz) forward mode to 1e-10 and to central differences to 1e-6 relative, for
    the Anderson model at random points and at particle-hole symmetry (along eps_d = -U/2,
    see the reverse-mode test) and for the Kondo model in J."""
    from rglib.nrg import ad, su2_tangent, tangent

    kw = dict(Lam=2.0, N_max=14, N_keep=120)
    A = nrg.A_Lambda(2.0)
    rng = np.random.default_rng(3)
    points = [np.array([rng.uniform(-0.08, 0.0), rng.uniform(0.05, 0.15), rng.uniform(0.01, 0.03)])
              for _ in range(2)] + [np.array([-0.05, 0.1, 0.02])]
    for x in points:
        p = dict(zip(("eps_d", "U", "Gamma"), x))
        dH0, dB = ad.first_shell_tangent(p, Lam=2.0)
        _, dF = su2_tangent.run(ad.model(p), dH0[:3], **kw)
        _, dFa = tangent.run(ad.model(p), dH0, dB, **kw)
        np.testing.assert_allclose(dF, dFa[:, :3], rtol=0, atol=1e-10)
        dirs = np.eye(3) if x[0] != -x[1] / 2 else np.array([[-0.5, 1.0, 0.0], [0.0, 0.0, 1.0]])
        for e in dirs:
            fd = _fd_shells(lambda v: nrg.Anderson(*v), x, e, kw)
            np.testing.assert_allclose(dF @ e, fd, rtol=1e-6, atol=1e-8)
    J = 0.15
    dH0 = nrg.Kondo(1.0).first_shell(A).H[None]               # H is linear in J
    _, dF = su2_tangent.run(nrg.Kondo(J), dH0, **kw)
    fd = _fd_shells(lambda v: nrg.Kondo(v[0]), np.array([J]), np.array([1.0]), kw)
    np.testing.assert_allclose(dF[:, 0], fd, rtol=1e-6, atol=1e-8)
    from autograd import grad                                   # and reverse mode in J
    g = grad(lambda j: su2.free_energy(su2.run(nrg.Kondo(j), **kw)[-1]))(J)
    assert g == pytest.approx(dF[-1, 0], rel=1e-10)


def test_forward_mode_refuses_directions_that_break_su2():
    from rglib.nrg import ad, su2_tangent

    p = {"eps_d": -0.03, "U": 0.1, "Gamma": 0.02}
    dH0, _ = ad.first_shell_tangent(p)
    with pytest.raises(ValueError, match="dH0\\[3\\]"):             # the field direction
        su2_tangent.run(ad.model(p), dH0, N_max=3)
    with pytest.raises(ValueError, match="mode"):
        ad.all_shells(p, mode="QS", operators=("n_d",), N_max=3)


def test_all_shells_auto_mode_is_multiplets_and_agrees_with_the_abelian_mode():
    from rglib.nrg import ad

    p = {"eps_d": -0.03, "U": 0.1, "Gamma": 0.02, "B": 0.0}
    kw = dict(Lam=2.5, N_max=12, N_keep=100)
    F, dF, sh = ad.all_shells(p, return_shells=True, **kw)
    Fa, dFa, sha = ad.all_shells(p, return_shells=True, mode="QSz", **kw)
    assert all(q[1] >= 0 for q in sh[-1].energies) and any(q[1] < 0 for q in sha[-1].energies)
    np.testing.assert_allclose(F, Fa, rtol=0, atol=1e-12)
    for k in ad.PARAMS:
        np.testing.assert_allclose(dF[k], dFa[k], rtol=0, atol=1e-10, err_msg=k)
    g, ga = ad.gradient(p, **kw), ad.gradient(p, mode="QSz", **kw)  # reverse mode, both modes
    for k in ad.PARAMS:
        assert g[k] == pytest.approx(dF[k][-1], rel=1e-9, abs=1e-12)
        assert ga[k] == pytest.approx(dF[k][-1], rel=1e-9, abs=1e-12)


def test_chi_from_multiplet_traces_equals_the_abelian_AD_second_derivative():
    """T chi = sum_multiplets p (2S + 1) S(S + 1)/3 in the (Q, S) mode against
    chi = -d2F/dB2 at B = 0 (uniform field) by reverse over reverse in (Q, 2Sz) blocks,
    at equal kept states, on several shells (also at particle-hole symmetry)."""
    from rglib.nrg import ad

    kw = dict(Lam=2.5, N_max=12, N_keep=80)
    for p, shells in (({"eps_d": -0.07, "U": 0.2, "Gamma": 0.02, "B": 0.0}, (5, 12)),
                      ({"eps_d": -0.05, "U": 0.1, "Gamma": 0.01, "B": 0.0}, (11,))):
        sh = su2.run(ad.model(p, "uniform"), **kw)
        for N in shells:
            chi = -ad.hessian_row(p, "B", shell=N, field="uniform", **kw)["B"]
            th = su2.shell_thermo(sh[N])
            assert th["Tchi"] / th["T"] == pytest.approx(chi, rel=1e-9)


def test_cost_guards_use_the_cost_of_the_mode_that_runs():
    """(Q, S) blocks are far cheaper than (Q, 2Sz) blocks at equal kept states: a run of 15,600
    kept states (measured 295 s and 1.2 GB in (Q, S)) passes the guards there and is refused,
    naming N_keep, in (Q, 2Sz) blocks."""
    assert iterate.settings(N_keep=15_600, N_max=40, symmetry="QS").N_keep == 15_600
    with pytest.raises(ValueError, match="N_keep"):
        iterate.settings(N_keep=15_600, N_max=40)
    with pytest.raises(ValueError, match="symmetry must be one of"):
        iterate.settings(N_max=4, symmetry="SU2")
