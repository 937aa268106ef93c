"""Ising toolkit: exact results against each other, samplers against exact, RG exponents.

References: Onsager (1944), Kaufman (1949), Yang (1952); published exact values in docs/references.md.
"""
import numpy as np
import pytest

from rglib import ising, lattice
from rglib.ising import block, mc, rg
from rglib.mcmc import stats

KC = ising.K_C


# --- exact results -------------------------------------------------------------------

@pytest.mark.parametrize("M,N", [(2, 2), (2, 3), (3, 3), (3, 4), (4, 4), (3, 5), (4, 5)])
@pytest.mark.parametrize("K", [0.1, 0.3, KC, 0.6, 1.0])
def test_kaufman_equals_brute_force(M, N, K):
    assert ising.kaufman_lnZ(K, M, N) == pytest.approx(ising.brute_force_lnZ(K, M, N), rel=1e-12)


def test_kaufman_published_values():
    # published exact values (docs/references.md; also NeuralRG etc/exactz.md)
    assert ising.kaufman_lnZ(KC, 16, 16) == pytest.approx(238.642256635, abs=1e-9 * 238.64)
    assert ising.kaufman_lnZ(KC, 32, 32) == pytest.approx(952.6480795485429, rel=1e-12)
    assert ising.kaufman_lnZ(0.2, 4, 4) == pytest.approx(11.771470358541581, rel=1e-13)


def test_kaufman_keeps_the_sign_of_gamma0():
    # below K_c gamma_0 < 0; |gamma_0| would give a wrong Z (compare with enumeration)
    K = 0.25
    assert 2 * K + np.log(np.tanh(K)) < 0
    assert ising.kaufman_lnZ(K, 4, 4) == pytest.approx(ising.brute_force_lnZ(K, 4, 4), rel=1e-12)


def test_finite_size_approach_to_onsager():
    dist = [abs(ising.kaufman_lnZ(KC, L, L) / L ** 2 - ising.onsager_lnZ(KC)) for L in (16, 32, 64)]
    assert dist[0] > dist[1] > dist[2]
    assert ising.onsager_lnZ(KC) == pytest.approx(0.9296953983, abs=1e-10)


def test_onsager_values():
    assert ising.onsager_lnZ(KC) == pytest.approx(np.log(2) / 2 + 2 * 0.915965594177219 / np.pi, abs=1e-13)
    for K, lnz, u in ((0.2, 0.7345308123, -0.4282288), (0.4, 0.8793638208, -1.1060792),
                      (0.5, 1.0257928127, -1.7455646), (0.7, 1.4042215197, -1.9637756)):
        assert ising.onsager_lnZ(K) == pytest.approx(lnz, abs=2e-10)
        assert ising.onsager_energy(K) == pytest.approx(u, abs=1e-7)
    assert ising.onsager_energy(KC) == pytest.approx(-np.sqrt(2), abs=1e-14)
    assert ising.yang_magnetization(0.5) == pytest.approx(0.9113193779, abs=1e-10)
    assert ising.yang_magnetization(0.4) == 0.0


@pytest.mark.parametrize("M,N", [(4, 4), (3, 6), (6, 3), (3, 5), (4, 5)])
@pytest.mark.parametrize("K", [0.2, KC - 1e-9, KC, KC + 1e-9, 0.7])
def test_finite_torus_energy_and_specific_heat_equal_enumeration(M, N, K):
    """Kaufman's u and c (autograd on ln Z) against the exact distribution of the bond
    sum (all 2^(MN) states), also at exactly K_c, where gamma_0 = 0."""
    u, c = ising.kaufman_thermo(K, M, N)
    u_ex, c_ex = ising.exact.brute_force_thermo(K, M, N)
    assert u == pytest.approx(u_ex, rel=1e-11, abs=1e-13)
    assert c == pytest.approx(c_ex, rel=1e-10)


# --- samplers ------------------------------------------------------------------------

@pytest.mark.parametrize("sampler", ["metropolis", "swendsen_wang"])
@pytest.mark.parametrize("K", [0.3, KC, 0.6])
def test_monte_carlo_energy_equals_kaufman(sampler, K):
    """16 x 16 torus: MC energy per site within 3 standard errors of the exact value."""
    rng = np.random.default_rng(42)
    run = getattr(mc, sampler)
    n_sweeps = 3000 if sampler == "metropolis" else 1500
    s = mc.random_spins(32, 16, rng) if K < KC else mc.ordered_spins(32, 16)
    s, _, _ = run(s, K, 300, rng, measure=False)
    s, e, m = run(s, K, n_sweeps, rng)
    mean, err = stats.mean_error(e)
    exact = ising.kaufman_thermo(K, 16, 16)[0]
    assert abs(mean - exact) < 3 * err, (mean, err, exact)
    assert err < 3e-3          # between-chain error (the tau estimate was 20-30% low here)


def test_energy_distribution_on_a_4x4_torus_by_enumeration():
    """Both samplers reproduce the exact energy distribution of the 4 x 4 torus
    (all 65536 states enumerated). (On a 2 x 2 torus checkerboard Metropolis is not
    ergodic: stripe states map onto each other deterministically.)"""
    K = 0.35
    n = 16
    st = ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(np.int8) * 2 - 1
    s16 = st.reshape(-1, 4, 4)
    E = -(np.sum(s16 * np.roll(s16, 1, 1), axis=(1, 2)) + np.sum(s16 * np.roll(s16, 1, 2), axis=(1, 2)))
    levels = np.arange(-32, 33, 4)
    w = np.bincount((E + 32) // 4, minlength=len(levels)) * np.exp(-K * levels)
    p = w / w.sum()
    for run in (mc.metropolis, mc.swendsen_wang):
        rng = np.random.default_rng(3)
        s, _, _ = run(mc.random_spins(1000, 4, rng), K, 30, rng, measure=False)
        s, e, _ = run(s, K, 40, rng)
        counts = np.bincount(np.rint((e.ravel() * 16 + 32) / 4).astype(int), minlength=len(levels))
        freq = counts / counts.sum()
        tol = 5 * np.sqrt(p * (1 - p) * 4 / e.size) + 2e-3   # samples correlated (tau ~ 2)
        assert np.all(np.abs(freq - p) < tol), (run.__name__, freq, p)


def test_seeds_reproduce_runs_bit_for_bit():
    for run in (mc.metropolis, mc.swendsen_wang):
        a = run(mc.random_spins(8, 16, np.random.default_rng(5)), 0.4, 20,
                np.random.default_rng(6))
        b = run(mc.random_spins(8, 16, np.random.default_rng(5)), 0.4, 20,
                np.random.default_rng(6))
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_cluster_updates_beat_critical_slowing_down():
    """tau_int of m^2 (the slowest mode) at K_c, L = 64, per sweep: Swendsen-Wang at
    least 10x shorter than Metropolis. The Metropolis run (2000 sweeps, tau of several
    hundred) underestimates its tau, which only makes the test harder to pass."""
    rng = np.random.default_rng(8)
    s, _, _ = mc.swendsen_wang(mc.random_spins(16, 64, rng), KC, 200, rng, measure=False)
    _, _, m_sw = mc.swendsen_wang(s, KC, 400, rng)
    _, _, m_me = mc.metropolis(s, KC, 2000, rng)
    tau_sw, tau_me = stats.tau_int(m_sw ** 2), stats.tau_int(m_me ** 2)
    assert tau_me > 10 * tau_sw, (tau_me, tau_sw)


def test_error_bars_are_calibrated_for_short_correlated_chains():
    """48 x 8 chains of an AR(1) process with tau_int = 99.5, each 2000 steps (20 tau):
    the spread of the repeated means equals the reported error (between-chain
    estimate, expected ratio 1/c4(8) = 1.036); the windowed-tau estimate is ~20% low."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(0)
    a, n, C = 0.99, 2000, 8
    means, errs, errs_tau = [], [], []
    for _ in range(400):
        x = lfilter([1.0], [1.0, -a], rng.standard_normal((n + 2000, C)), axis=0)[2000:]
        m, e = stats.mean_error(x)
        means.append(m)
        errs.append(e)
        errs_tau.append(stats.mean_error(x, method="tau")[1])
    ratio = np.std(means, ddof=1) / np.mean(errs)
    assert 0.95 < ratio < 1.12, ratio
    assert np.std(means, ddof=1) / np.mean(errs_tau) > 1.12     # the documented bias


def test_stats_on_an_ar1_process():
    """AR(1) with coefficient a: tau_int = (1 + a) / (2 (1 - a))."""
    rng = np.random.default_rng(0)
    a, n = 0.8, 200000
    x = np.zeros(n)
    eps = rng.standard_normal(n)
    for t in range(1, n):
        x[t] = a * x[t - 1] + eps[t]
    assert stats.tau_int(x) == pytest.approx((1 + a) / (2 * (1 - a)), rel=0.1)
    sizes, errs = stats.binning_errors(x)
    _, err = stats.mean_error(x)
    assert errs[-1] == pytest.approx(err, rel=0.25)


# --- blocking and RG -------------------------------------------------------------------

def test_majority_rule():
    rng = np.random.default_rng(0)
    s = np.ones((1, 4, 4), dtype=np.int8)
    s[0, :2, :2] = -1
    s[0, 2, 2] = -1
    out = block.majority(s, rng)
    np.testing.assert_array_equal(out[0], [[-1, 1], [1, 1]])
    tie = np.array([[[1, -1], [-1, 1]]], dtype=np.int8)
    draws = {int(block.majority(tie, np.random.default_rng(k))[0, 0, 0]) for k in range(20)}
    assert draws == {-1, 1}                                   # random tie-break
    assert block.decimation(s)[0, 0, 0] == -1


def test_block_spin_flows_to_the_fixed_points():
    """Repeated majority blocking drives the nearest-neighbour correlation to 0 below
    K_c and to 1 above (an identity "blocking" would leave it where it started)."""
    rng = np.random.default_rng(2)
    corr = {}
    for K in (0.3, 0.6):
        s = mc.random_spins(8, 64, rng) if K < KC else mc.ordered_spins(8, 64)
        s, _, _ = mc.swendsen_wang(s, K, 100, rng, measure=False)
        c = [lattice.even_operators(s)[:, 0].mean() / (2 * s.shape[1] ** 2)]
        for _ in range(4):
            s = block.majority(s, rng)
            c.append(lattice.even_operators(s)[:, 0].mean() / (2 * s.shape[1] ** 2))
        assert s.shape == (8, 4, 4)
        corr[K] = c
    assert corr[0.3][-1] < 0.3 * corr[0.3][0] and corr[0.3][0] > 0.2      # flows to K = 0
    assert corr[0.6][-1] > 0.99 and corr[0.6][-1] > corr[0.6][0]            # flows to K = inf


def test_migdal_kadanoff_fixed_point():
    Ks, lam, yt, nu = rg.mk_fixed_point()
    assert Ks == pytest.approx(0.304689, abs=1e-6)
    assert nu == pytest.approx(1.3383, abs=1e-4)
    flow_lo, flow_hi = rg.mk_flow(Ks - 0.01, 12), rg.mk_flow(Ks + 0.01, 12)
    assert flow_lo[-1] < 1e-3 and flow_hi[-1] > 10


def test_mcrg_nu_at_Kc():
    """Swendsen MCRG at K_c, L = 64, 3 even couplings, levels 1 -> 2: nu within 5% of 1."""
    rng = np.random.default_rng(1)
    C = 24
    s, _, _ = mc.swendsen_wang(mc.random_spins(C, 64, rng), KC, 100, rng, measure=False)
    ops, chains = [], []
    for _ in range(250):
        s, _, _ = mc.swendsen_wang(s, KC, 1, rng, measure=False)
        ops.append(rg.blocked_operators(s, rng, 2))
        chains.append(np.arange(C))
    ops, chains = np.concatenate(ops, axis=1), np.concatenate(chains)
    _, yt, nu, err_y, err_nu = rg.mcrg_exponent(ops, 1, 3, chains=chains)
    assert nu == pytest.approx(1.0, rel=0.05) and 0 < err_nu < 0.05
    assert abs(nu - 1) < 3 * err_nu + 0.01


# --- bad input -----------------------------------------------------------------------

@pytest.mark.parametrize("call,match", [
    (lambda: mc.random_spins(0, 8, np.random.default_rng()), "n_chains must be >= 1"),
    (lambda: mc.metropolis(mc.ordered_spins(2, 8), float("nan"), 1, np.random.default_rng()),
     "K must be finite"),
    (lambda: mc.metropolis(mc.ordered_spins(2, 7), 0.4, 1, np.random.default_rng()),
     "L must be even"),
    (lambda: block.majority(mc.ordered_spins(2, 6), np.random.default_rng(), b=4),
     "L must be divisible by the block size"),
    (lambda: ising.brute_force_lnZ(0.3, 5, 5), "M\\*N must be <= 20"),
    (lambda: ising.kaufman_lnZ(-0.1, 4, 4), "K must be > 0"),
    (lambda: stats.tau_int([1.0, 2.0]), "at least 4 samples"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_binder_cumulant_and_susceptibility_limits():
    rng = np.random.default_rng(4)
    out = {}
    for K in (0.2, 0.7):
        s = mc.random_spins(16, 16, rng) if K < KC else mc.ordered_spins(16, 16)
        s, _, m = mc.swendsen_wang(s, K, 400, rng)
        out[K] = (mc.binder_cumulant(m[50:]), mc.susceptibility(m[50:], K, 256))
    assert abs(out[0.2][0]) < 0.05 and out[0.7][0] == pytest.approx(2 / 3, abs=0.01)
    # exact moments of m on the 4 x 4 torus by enumeration
    K = 0.4
    st = ((np.arange(2 ** 16)[:, None] >> np.arange(16)) & 1).astype(np.int8) * 2 - 1
    s16 = st.reshape(-1, 4, 4)
    E = -(np.sum(s16 * np.roll(s16, 1, 1), axis=(1, 2)) + np.sum(s16 * np.roll(s16, 1, 2), axis=(1, 2)))
    w = np.exp(-K * (E - E.min()))
    w /= w.sum()
    mm = s16.mean(axis=(1, 2))
    m2, m4, am = np.sum(w * mm ** 2), np.sum(w * mm ** 4), np.sum(w * np.abs(mm))
    s, _, m = mc.swendsen_wang(mc.random_spins(64, 4, rng), K, 1500, rng)
    assert mc.binder_cumulant(m[50:]) == pytest.approx(1 - m4 / (3 * m2 ** 2), abs=0.01)
    assert mc.susceptibility(m[50:], K, 16) == pytest.approx(K * 16 * (m2 - am ** 2), rel=0.05)


def test_lattice_operators_against_explicit_loops():
    """rglib.lattice (used by samplers, enumeration, blocking and MCRG) against plain
    loops over the sites of random periodic configurations."""
    rng = np.random.default_rng(9)
    for L in (2, 3, 5):
        s = (2 * rng.integers(0, 2, size=(3, L, L)) - 1).astype(np.int8)
        for c in range(3):
            x = s[c].astype(int)
            nn = nnn = sq = 0
            h = np.zeros((L, L), int)
            for i in range(L):
                for j in range(L):
                    r, d = x[i, (j + 1) % L], x[(i + 1) % L, j]
                    nn += x[i, j] * (r + d)
                    nnn += x[i, j] * (x[(i + 1) % L, (j + 1) % L] + x[(i - 1) % L, (j + 1) % L])
                    sq += x[i, j] * r * d * x[(i + 1) % L, (j + 1) % L]
                    h[i, j] = x[(i + 1) % L, j] + x[i - 1, j] + x[i, (j + 1) % L] + x[i, j - 1]
            np.testing.assert_array_equal(lattice.even_operators(s)[c], [nn, nnn, sq])
            assert lattice.bond_sum(s)[c] == nn
            np.testing.assert_array_equal(lattice.neighbour_sum(s)[c], h)
            out = np.empty_like(s)
            np.testing.assert_array_equal(lattice.neighbour_sum(s, out=out)[c], h)
    assert len(lattice.configurations(2, 3)) == 64
    K = lattice.adjacency(4)
    assert np.allclose(K, K.T) and np.all(K.sum(axis=1) == 4)
