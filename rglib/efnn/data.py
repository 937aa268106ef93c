r"""The three data sets of Liu et al., arXiv:2502.17665, regenerated from their recipes.

* **3-spin infinite-range model** (:func:`three_spin`): L = 15 spins
  :math:`s_i\in\{0,1\}` (not +-1), :math:`H = -\sum_{i<j<k} J_{ijk} s_is_js_k` over all
  455 triples, :math:`J_{ijk}\sim N(1, 2)`; 20000 uniformly random configurations,
  split in order 16000 / 4000. The authors' generator (NumPy's legacy global generator,
  seed 17: a random permutation of the triples, the spins, then one coupling per
  triple in the permuted order) is followed step by step. With only 2^15 states, 39% of
  the test configurations also occur in the training set: :func:`deduplicated` gives
  the test set without them.
* **"continuous" model** (:func:`continuous`): the same Hamiltonian with *scalar* spins
  uniform in [-1, 1], as in the authors' code (the paper calls it a Heisenberg system,
  which would need three-component spins: the code's version is used and said so);
  seed 17, couplings drawn first (no permutation), then the spins.
* **continuous Heisenberg model** (:func:`heisenberg`): the paper's wording, unit 3-vector
  spins, with the rotation-invariant 3-spin term (the scalar chirality), beside the
  authors' scalar version;
* **double-exchange model** (:func:`de_energy`): classical unit spins on an N x N torus
  and electrons with hopping t = 1, Hund coupling J_H = 16 t, chemical potential
  -8.3 t, temperature 0.1 t. The one-body matrix (2N^2 x 2N^2)

  .. math::
      \Gamma = \begin{pmatrix} -tK - \tfrac{J}{2}\,{\rm diag}(S^z) - \mu &
      -\tfrac{J}{2}\,{\rm diag}(S^x - iS^y)\\ -\tfrac{J}{2}\,{\rm diag}(S^x + iS^y) &
      -tK + \tfrac{J}{2}\,{\rm diag}(S^z) - \mu\end{pmatrix}

  (K the periodic nearest-neighbour adjacency) is diagonalized exactly and the target is
  the electronic grand potential :math:`\Omega = -T\sum_n \ln(1 + e^{-\varepsilon_n/T})`.
  Spins: the authors' sampling (sample j re-seeds with 100 + j before drawing
  :math:`\theta\sim U(0,\pi)` and again before :math:`\phi\sim U(0,2\pi)`, so
  :math:`\phi = 2\theta` exactly and :math:`\theta` is uniform rather than
  :math:`\cos\theta`) or uniform on the sphere (``sampling="uniform"``).
"""
import itertools

import numpy as np

from .. import lattice, nn, validate
from ..progress import progress as progress_bar

DE_T, DE_J, DE_MU, DE_TEMP = 1.0, 16.0, -8.3, 0.1
SAMPLINGS = ("authors", "uniform")


def triples(L):
    """All i < j < k of range(L), as an (C(L,3), 3) array."""
    return np.array(list(itertools.combinations(range(L), 3)))


def three_spin_energy(s, J, idx):
    """H(s) = -sum_t J_t s_i s_j s_k for configurations s (n, L), 1000 rows at a time
    (each row summed as a whole: the same numbers as in one piece)."""
    out = np.empty(len(s))
    for a in range(0, len(s), 1000):
        c = s[a:a + 1000]
        out[a:a + 1000] = -np.sum(J * c[:, idx[:, 0]] * c[:, idx[:, 1]] * c[:, idx[:, 2]], axis=1)
    return out


def check_size(n_samples, L):
    """Refuse a data set whose spins or energies exceed :data:`rglib.validate.LIMITS`."""
    n_triples = L * (L - 1) * (L - 2) // 6
    validate.budget("n_samples", 3 * n_samples * L * 8 / 2**30, "GiB",
                    f"the memory of {n_samples} configurations of {L} spins (with the split copies)")
    validate.budget("n_samples", n_samples * n_triples * 3e-8, "seconds",
                    f"the energies of {n_samples} configurations over {n_triples} triples")


def three_spin(n_samples=20000, L=15, seed=17, train_fraction=0.8):
    """The 3-spin data set: dict with S (n, L) in {0,1}, E (n,), J, triples, and the
    train/test split in generation order."""
    n_samples = validate.integer("n_samples", n_samples, minimum=10, maximum=2_000_000)
    L = validate.integer("L", L, minimum=3, maximum=40)
    check_size(n_samples, L)
    rs = np.random.RandomState(validate.seed("seed", seed))
    idx = triples(L)
    idx = idx[rs.permutation(len(idx))]              # the authors' order of the triples
    S = rs.choice([0, 1], size=(n_samples, L)).astype(float)
    J = rs.normal(1.0, 2.0, size=len(idx))
    E = three_spin_energy(S, J, idx)
    return _split({"S": S, "E": E, "J": J, "triples": idx}, train_fraction)


def continuous(n_samples=20000, L=15, seed=17, train_fraction=0.8):
    """The continuous 3-spin data set: scalar spins uniform in [-1, 1] (the authors' code)."""
    n_samples = validate.integer("n_samples", n_samples, minimum=10, maximum=2_000_000)
    L = validate.integer("L", L, minimum=3, maximum=40)
    check_size(n_samples, L)
    rs = np.random.RandomState(validate.seed("seed", seed))
    idx = triples(L)
    J = rs.normal(1.0, 2.0, size=len(idx))
    S = rs.uniform(-1.0, 1.0, size=(n_samples, L))
    return _split({"S": S, "E": three_spin_energy(S, J, idx), "J": J, "triples": idx},
                  train_fraction)


def chirality_energy(S, J, idx):
    r"""H(S) = -sum_t J_t S_i . (S_j x S_k) for unit 3-vector spins S (n, L, 3)."""
    out = np.empty(len(S))
    for a in range(0, len(S), 1000):                   # (1000 x 455 x 3 numbers at a time)
        s = S[a:a + 1000]
        out[a:a + 1000] = -np.einsum("t,nta,nta->n", J, s[:, idx[:, 0]],
                                     np.cross(s[:, idx[:, 1]], s[:, idx[:, 2]]))
    return out


def heisenberg(n_samples=20000, L=15, seed=17, train_fraction=0.8):
    r"""The continuous Heisenberg 3-spin model with unit 3-vector spins (the paper's name for
    its second system; the authors' code uses scalars, :func:`continuous`).

    The only cubic interaction of three unit vectors that is invariant under rotations is the
    scalar spin chirality, so :math:`H = -\sum_{i<j<k} J_{ijk}\,\mathbf S_i\cdot(\mathbf S_j
    \times\mathbf S_k)` over all 455 triples, :math:`J_{ijk}\sim N(1,2)`, spins uniform on the
    sphere; seed 17, the couplings drawn first as in :func:`continuous`, then the spins
    (cos theta and phi uniform). The networks read the 3L components, spin by spin: ``S``
    has shape (n, 3L); ``S_vec`` (n, L, 3) is the same array."""
    n_samples = validate.integer("n_samples", n_samples, minimum=10, maximum=2_000_000)
    L = validate.integer("L", L, minimum=3, maximum=40)
    validate.budget("n_samples", n_samples * len(triples(L)) * 3e-8, "seconds",
                    f"the chirality energies of {n_samples} configurations of {L} spins")
    rs = np.random.RandomState(validate.seed("seed", seed))
    idx = triples(L)
    J = rs.normal(1.0, 2.0, size=len(idx))
    ct = rs.uniform(-1.0, 1.0, size=(n_samples, L))
    phi = rs.uniform(0.0, 2 * np.pi, size=(n_samples, L))
    st = np.sqrt(1 - ct * ct)
    S_vec = np.stack([st * np.cos(phi), st * np.sin(phi), ct], axis=-1)
    E = chirality_energy(S_vec, J, idx)
    d = _split({"S": S_vec.reshape(n_samples, 3 * L), "E": E, "J": J, "triples": idx}, train_fraction)
    d["S_vec"] = S_vec
    return d


def _split(d, frac):
    frac = float(validate.in_range("train_fraction", frac, 0.0, 1.0, lo_open=True))
    n = int(round(frac * len(d["E"])))
    d.update(S_train=d["S"][:n], E_train=d["E"][:n], S_test=d["S"][n:], E_test=d["E"][n:])
    return d


def deduplicated(S_train, S_test, E_test):
    """The test configurations that do not occur in the training set (and the share that
    did). Returns (S_test, E_test, overlap fraction)."""
    seen = {row.tobytes() for row in np.ascontiguousarray(S_train)}
    keep = np.array([row.tobytes() not in seen for row in np.ascontiguousarray(S_test)])
    return S_test[keep], E_test[keep], float(1 - keep.mean())


# --- double exchange ---------------------------------------------------------------------

def legacy_uniform(seeds, n):
    """``[numpy.random.RandomState(s).random_sample(n) for s in seeds]`` as one array, bit for bit,
    without building a generator per seed: the Mersenne Twister MT19937 (Matsumoto & Nishimura
    1998) seeded as NumPy's legacy ``RandomState(int)`` does, run for all seeds at once.

    Seeding: key[0] = s, key[i] = 1812433253 (key[i-1] xor key[i-1] >> 30) + i (mod 2^32);
    each block of 624 words is twisted, tempered, and two words make one double
    ((a >> 5) 2^26 + (b >> 6)) / 2^53."""
    seeds = np.asarray(seeds, dtype=np.uint64)
    if np.any(seeds > 0xFFFFFFFF):
        raise ValueError("seeds must lie in [0, 2^32)")
    n = validate.integer("n", n, minimum=0, maximum=10**7)
    out = np.empty((len(seeds), n))
    M32 = np.uint64(0xFFFFFFFF)
    for a in range(0, len(seeds), 2048):                    # (624 words per seed in memory)
        key = np.empty((624, min(2048, len(seeds) - a)), dtype=np.uint64)     # word, seed
        key[0] = seeds[a:a + 2048]
        for i in range(1, 624):
            key[i] = (np.uint64(1812433253) * (key[i - 1] ^ (key[i - 1] >> np.uint64(30))) + np.uint64(i)) & M32
        words = []
        while 624 * len(words) < 2 * n:
            _twist(key)
            words.append(_temper(key[:2 * n - 624 * len(words)]))
        w = np.concatenate(words, axis=0)[:2 * n] if words else np.zeros((0, key.shape[1]), np.uint64)
        hi, lo = w[0::2] >> np.uint64(5), w[1::2] >> np.uint64(6)
        out[a:a + key.shape[1]] = ((hi.astype(float) * 67108864.0 + lo.astype(float)) / 9007199254740992.0).T
    return out


def _twist(key):
    """The MT19937 state transition of all columns of key (N = 624 words, M = 397), in place."""
    upper, lower, matrix = np.uint64(0x80000000), np.uint64(0x7FFFFFFF), np.uint64(0x9908B0DF)

    def step(i0, i1, src):                   # words i0:i1 from words i0+1:i1+1 and key[src]
        y = (key[i0:i1] & upper) | (key[i0 + 1:i1 + 1] & lower)
        key[i0:i1] = key[src] ^ (y >> np.uint64(1)) ^ ((y & np.uint64(1)) * matrix)
    step(0, 227, slice(397, 624))            # from words not yet updated
    step(227, 454, slice(0, 227))            # from words updated above
    step(454, 623, slice(227, 396))
    y = (key[623] & upper) | (key[0] & lower)
    key[623] = key[396] ^ (y >> np.uint64(1)) ^ ((y & np.uint64(1)) * matrix)


def _temper(key):
    y = key.copy()
    y ^= y >> np.uint64(11)
    y ^= (y << np.uint64(7)) & np.uint64(0x9D2C5680)
    y ^= (y << np.uint64(15)) & np.uint64(0xEFC60000)
    y ^= y >> np.uint64(18)
    return y & np.uint64(0xFFFFFFFF)


def de_spins(N, seeds, sampling="authors"):
    """Unit spins (n, 3, N, N) for the given sample seeds (the authors' recipe or uniform).

    The authors' sampling draws theta = U(0, pi) from ``RandomState(seed)`` and then phi =
    U(0, 2 pi) from a fresh ``RandomState(seed)``: the same deviates, so phi = 2 theta exactly
    (:func:`legacy_uniform` gives them for all seeds at once)."""
    N = validate.integer("N", N, minimum=2, maximum=64)
    validate.one_of("sampling", sampling, SAMPLINGS)
    seeds = np.asarray(seeds, dtype=np.int64).ravel()
    if sampling == "authors":
        u = legacy_uniform(seeds, N * N)
        theta, phi = np.pi * u, 2 * np.pi * u
        ct = np.cos(theta)
    else:
        ct = np.empty((len(seeds), N * N))
        phi = np.empty((len(seeds), N * N))
        for i, s in enumerate(seeds):
            rng = np.random.default_rng(int(s))
            ct[i] = rng.uniform(-1.0, 1.0, N * N)
            phi[i] = rng.uniform(0.0, 2 * np.pi, N * N)
    st = np.sqrt(np.clip(1 - ct * ct, 0.0, 1.0))
    return np.stack([st * np.cos(phi), st * np.sin(phi), ct], axis=1).reshape(len(seeds), 3, N, N)


def de_matrix(S):
    """The 2N^2 x 2N^2 one-body matrix Gamma(S) for spins S (3, N, N)."""
    N = S.shape[-1]
    K = lattice.adjacency(N)
    sx, sy, sz = (S[a].ravel() for a in range(3))
    h = DE_J / 2
    up = -DE_T * K - h * np.diag(sz) - DE_MU * np.eye(N * N)
    dn = -DE_T * K + h * np.diag(sz) - DE_MU * np.eye(N * N)
    off = -h * np.diag(sx - 1j * sy)
    return np.block([[up, off], [off.conj().T, dn]])


def grand_potential(eps, T=DE_TEMP):
    """Omega = -T sum_n ln(1 + exp(-eps_n / T)), evaluated without overflow."""
    return float(-T * np.sum(np.logaddexp(0.0, -np.asarray(eps) / T)))


def de_seconds(N):
    """Estimated exact-diagonalization time per configuration (measured 1.2e-2 s at N = 10
    and 37 s at N = 40 on one core; the cost grows as (2N^2)^3)."""
    return 1.2e-2 * (N / 10.0) ** 6


def check_unit_spins(name, S, tol=1e-6):
    """Classical unit spins of shape (3, N, N) (2 <= N <= 64), finite, |S| = 1 within
    ``tol``; returns them as a float array."""
    S = np.asarray(S)
    if S.dtype.kind not in "iuf" or S.ndim != 3 or S.shape[0] != 3 or S.shape[1] != S.shape[2] \
            or not 2 <= S.shape[1] <= 64:
        raise ValueError(f"{name} must be real spins of shape (3, N, N) with 2 <= N <= 64, got "
                         f"shape {S.shape} and dtype {S.dtype}")
    S = S.astype(float)
    if not np.all(np.isfinite(S)):
        raise ValueError(f"{name} holds NaN or inf")
    norm = np.sqrt(np.sum(S * S, axis=0))
    if not np.all(np.abs(norm - 1.0) <= tol):
        raise ValueError(f"{name} must hold unit spins (|S| = 1 on every site), found lengths "
                         f"from {norm.min():.6g} to {norm.max():.6g}")
    return S


def de_energy(S):
    """Omega(S) by exact diagonalization (Hermitian eigvalsh) for unit spins (3, N, N)."""
    S = check_unit_spins("S", S)
    validate.budget("S", de_seconds(S.shape[-1]), "seconds",
                    f"the exact diagonalization at N = {S.shape[-1]}")
    return grand_potential(np.linalg.eigvalsh(de_matrix(S)))


def de_energies(N, seed0, n_samples, sampling="authors"):
    """Grand potentials of the configurations with sample seeds seed0 ... seed0 + n_samples - 1
    (a pure function of its arguments: one task of the data generator's sweep)."""
    N = validate.integer("N", N, minimum=2, maximum=64)
    n_samples = validate.integer("n_samples", n_samples, minimum=1, maximum=1_000_000)
    validate.budget("n_samples", n_samples * de_seconds(N), "seconds",
                    f"exact diagonalization of {n_samples} configurations at N = {N}")
    seeds = np.arange(seed0, seed0 + n_samples)
    return np.array([de_energy(S) for S in de_spins(N, seeds, sampling)])


def de_dataset(N, n_samples, seed0=100, sampling="authors", progress=False):
    """Spins and grand potentials of n_samples configurations with seeds seed0, seed0 + 1, ..."""
    N = validate.integer("N", N, minimum=2, maximum=64)
    n_samples = validate.integer("n_samples", n_samples, minimum=1, maximum=1_000_000)
    validate.budget("n_samples", n_samples * de_seconds(N), "seconds",
                    f"exact diagonalization of {n_samples} configurations at N = {N}")
    seeds = np.arange(seed0, seed0 + n_samples)
    S = de_spins(N, seeds, sampling)
    it = progress_bar(range(n_samples), desc=f"ED N = {N}") if progress else range(n_samples)
    E = np.array([de_energy(S[i]) for i in it])
    return {"S": S, "E": E, "seeds": seeds, "N": N, "sampling": sampling}


def save_energies(path, seeds, E, meta=None):
    """Store sample seeds and their energies (:func:`rglib.nn.save`: with a checksum)."""
    seeds, E = check_energies(path, {"seeds": seeds, "E": E})
    nn.save(path, {"seeds": seeds, "E": E}, meta=meta)


def load_energies(path):
    """(seeds, E) stored by :func:`save_energies` (or an older ``np.savez`` of the two);
    a ValueError naming the file when it is damaged, foreign or inconsistent."""
    d, _ = nn.load(path)
    return check_energies(path, d)


def check_energies(path, d):
    """Seeds (integers) and energies (finite) of the same length, one per configuration."""
    if not isinstance(d, dict) or set(d) != {"seeds", "E"}:
        raise nn.io.DamagedFile(f"{path}: expected the arrays seeds and E, found "
                                f"{sorted(d) if isinstance(d, dict) else type(d).__name__}")
    seeds, E = np.asarray(d["seeds"]), np.asarray(d["E"])
    if seeds.ndim != 1 or E.ndim != 1 or len(seeds) != len(E) or not len(E):
        raise nn.io.DamagedFile(f"{path}: seeds {seeds.shape} and E {E.shape} must be 1-D arrays "
                                "of the same, non-zero length")
    if seeds.dtype.kind not in "iu" or E.dtype.kind != "f" or not np.all(np.isfinite(E)):
        raise nn.io.DamagedFile(f"{path}: seeds must be integers and E finite numbers (got "
                                f"{seeds.dtype}, {E.dtype})")
    return seeds, E
