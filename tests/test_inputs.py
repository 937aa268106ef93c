"""Bad input is answered by a clear ValueError naming the parameter, never by a hang, a
memory blow-up, a deep traceback or silent garbage (the cases a new user found).

Each case is a call and the words its ValueError must contain; the guards estimate the
cost before starting, so every refused call returns at once.
"""
import time

import numpy as np
import pytest

from rglib import ising, validate
from rglib.ising import block, mc, rg
from rglib.mcmc import stats
from rglib.nrg import ad, chain, exact, thermo
from rglib import nrg

RNG = np.random.default_rng(0)
P = {"eps_d": -0.05, "U": 0.1, "Gamma": 0.01}

CASES = [
    # hangs and memory blow-ups: refused with the estimate and the limit
    ("nrg.run N_keep=1e9", lambda: nrg.run(nrg.Anderson(-0.05, 0.1, 0.01), N_max=5, N_keep=10**9),
     "N_keep: the memory of one shell is estimated"),
    ("nrg.run N_keep=8000 T_min=1e-10", lambda: nrg.run(nrg.Anderson(-0.05, 0.1, 0.01), T_min=1e-10,
                                                         N_keep=8000), "N_keep: the run time"),
    ("nrg.run T_min=1e-300", lambda: nrg.run(nrg.Anderson(-0.05, 0.1, 0.01), T_min=1e-300, N_keep=10),
     "T_min: the run would need"),
    ("nrg.run N_max=500", lambda: nrg.run(nrg.Anderson(-0.05, 0.1, 0.01), N_max=500), "N_max must lie in"),
    ("chain z=0.5 Lam=1.01", lambda: chain.chain_hoppings(1.01, 50, z=0.5), "Lam: the Lanczos Wilson chain"),
    ("metropolis n_sweeps=1e9", lambda: mc.metropolis(mc.ordered_spins(1, 8), 0.4, 10**9, RNG),
     "n_sweeps: "),
    ("swendsen_wang n_sweeps=1e9", lambda: mc.swendsen_wang(mc.ordered_spins(1, 8), 0.4, 10**9, RNG),
     "n_sweeps: "),
    ("mk_flow n_steps=1e9", lambda: rg.mk_flow(0.3, 10**9), "n_steps must be <="),
    ("log_grid n_max=1e9", lambda: chain.log_grid(2.0, 10**9), "n_max must be <="),
    ("kaufman N=1e9", lambda: ising.kaufman_lnZ(0.4, 4, 10**9), "N must be <="),
    ("random_spins L=1e6", lambda: mc.random_spins(1, 10**6, RNG), "L: the memory"),
    ("reverse mode N_keep=5000", lambda: ad.gradient(P, Lam=2.0, T_min=1e-10, N_keep=5000),
     "N_keep: the memory of the reverse-mode pass"),
    # silent garbage before
    ("metropolis {0,1} spins", lambda: mc.metropolis(np.zeros((1, 4, 4), np.int8), 0.4, 1, RNG),
     "spins must only hold the values"),
    ("swendsen_wang 2s", lambda: mc.swendsen_wang(2 * np.ones((1, 4, 4), np.int8), 0.4, 1, RNG),
     "spins must only hold the values"),
    ("majority {0,1} spins", lambda: block.majority(np.zeros((1, 4, 4), np.int8), RNG),
     "spins must only hold the values"),
    ("free energy at T=0", lambda: thermo.free_energy(nrg.run(nrg.Bath(), N_max=2, N_keep=20)[-1], T=0.0),
     "T must be > 0"),
    ("free energy at T=-1", lambda: ad.free_energy(P, T=-1.0, N_max=2, N_keep=20), "T must be > 0"),
    ("derivatives at Gamma=0", lambda: ad.gradient(dict(P, Gamma=0.0), N_max=2, N_keep=20),
     "Gamma must be > 0 for derivatives"),
    ("Anderson(U=True)", lambda: nrg.Anderson(-0.05, True, 0.01), "U must be a real number"),
    ("Anderson(U=[0.1])", lambda: nrg.Anderson(-0.05, [0.1], 0.01), "U must be a real number"),
    ("kaufman K=True", lambda: ising.kaufman_lnZ(True, 4, 4), "K must be a real number"),
    ("integer from bool", lambda: validate.integer("N_keep", True), "N_keep must be an integer"),
    # unclear before
    ("rng=-1", lambda: mc.random_spins(2, 4, -1), "rng must be a numpy.random.Generator or a seed"),
    ("rng='x'", lambda: block.majority(mc.ordered_spins(1, 4), "x"), "rng must be"),
    ("params of length 2", lambda: ad.gradient({"eps_d": 0.1, "U": 0.2}, N_max=2), "params: missing"),
    ("params as an array", lambda: ad.gradient(np.array([0.1, 0.2, 0.3, 0.0]), N_max=2),
     "params must be a dict"),
    ("A_correction with campo-oliveira", lambda: nrg.run(nrg.Bath(), N_max=2, scheme="campo-oliveira",
                                                          A_correction=True), "A_correction"),
    ("operator not recorded", lambda: thermo.shell_thermo(nrg.run(nrg.Bath(), N_max=2)[-1], ("n_d",)),
     "was not recorded"),
    ("unknown operator", lambda: nrg.run(nrg.Anderson(-0.05, 0.1, 0.01), N_max=2, operators=("x",)),
     "operators: 'x' is not an operator"),
    ("mean_error chains with 2 chains", lambda: stats.mean_error(np.zeros((10, 2)), method="chains"),
     "at least 8 chains"),
]


@pytest.mark.parametrize("name,call,match", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_at_once_with_a_clear_message(name, call, match):
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=match.replace("(", r"\(").replace(")", r"\)")):
        call()
    assert time.perf_counter() - t0 < 5.0, f"{name}: the refusal took too long"


def test_numeric_strings_are_kept_converted():
    """A numeric string accepted by a check is used as a number (not thrown away)."""
    sh = nrg.run(nrg.Anderson("-0.05", "0.1", "0.01"), Lam="2.0", N_max="3", N_keep="50",
                 beta_bar="2")
    ref = nrg.run(nrg.Anderson(-0.05, 0.1, 0.01), Lam=2.0, N_max=3, N_keep=50)
    assert float(thermo.free_energy(sh[-1])) == float(thermo.free_energy(ref[-1]))
    assert ising.kaufman_lnZ("0.3", "4", "4") == ising.kaufman_lnZ(0.3, 4, 4)


def test_rng_accepts_a_seed_or_a_generator():
    a = mc.random_spins(2, 4, 7)
    b = mc.random_spins(2, 4, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)


def test_large_couplings_and_zero_coupling_give_numbers():
    """Formerly NaN or inf: now the exact limits."""
    assert ising.kaufman_lnZ(200.0, 4, 4) == pytest.approx(2 * 16 * 200 + np.log(2), rel=1e-15)
    assert ising.onsager_energy(0.0) == 0.0
    assert ising.onsager_energy(400.0) == -2.0
    assert ising.onsager_lnZ(400.0) == pytest.approx(800.0, rel=1e-15)
    assert rg.mk_map(20.0) == pytest.approx(40 - 0.5 * np.log(2), rel=1e-15)   # 2K - ln(2)/2
    assert rg.mk_map(1e-9) == pytest.approx(4e-18, rel=1e-6)                  # tanh^2(2K)
    assert np.all(np.isfinite(rg.mk_flow(0.31, 2000)))
    assert exact.T_K_haldane("0.1", "0.01") == exact.T_K_haldane(0.1, 0.01)
