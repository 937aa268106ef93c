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
