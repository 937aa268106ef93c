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
