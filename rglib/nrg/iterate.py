r"""Iterative diagonalization of the Wilson chain, block-diagonal in (Q, 2S_z).

Conventions (Krishna-murthy, Wilkins & Wilson, PRB 21, 1003 (1980), Sec. II; the
authors' notebook): shell N holds the impurity and chain sites f_0..f_N; its energy
scale is s_N = Lambda^{-(N-1)/2}, its rescaled Hamiltonian H_N = H_N^phys / s_N obeys

.. math::

    H_{N+1} = \sqrt\Lambda\, H_N + t_N \sum_\sigma (f^\dagger_{N\sigma} f_{N+1,\sigma} + h.c.)
              [+ B\, S_z(f_{N+1}) / s_{N+1}\ \text{for a uniform field}],

with the rescaled hoppings t_N of :mod:`rglib.nrg.chain`, and shell N is assigned
T_N = s_N / beta_bar (see ``docs/nrg-conventions.md`` for other codes' conventions).

Basis of shell N+1: |r, s> = S_s^+ |r>, with |r> a kept eigenstate of shell N and
S_s^+ the product of f^+_{N+1} creators making the site state s. Moving f^+_{N}
through S_s^+ gives the fermionic sign (-1)^{n_s}, so

    <r' s'| f^+_{N sigma} f_{N+1 sigma} |r s> = (-1)^{n_{s'}} <s'|f_sigma|s> <r'|f^+_{N sigma}|r>.

One shell, in :func:`run`: **grow** the block Hamiltonians of shell N+1 from the kept
states of shell N, **diagonalize** each (Q, 2Sz) block, subtract the lowest energy
(accumulated into the physical ground-state energy E0_N), **truncate** to the N_keep
lowest states (and/or those below an energy cutoff) without ever splitting a
degenerate multiplet (every state within ``safeguard`` of the last kept energy is
kept too; multiplets of SU(2) or particle-hole symmetry live in different blocks, so
the cut is decided on the global spectrum), then **record** the shell: its spectrum,
f^+_{N+1} between kept states for the next step, and the thermal averages at T_N of
requested impurity operators (only their kept blocks travel on).

The code uses ``autograd.numpy`` and builds every matrix functionally (no in-place
writes on arrays that depend on the model parameters), so that the NRG can be
differentiated in reverse mode (:mod:`rglib.nrg.ad`); truncation decisions are made
on plain values. Forward-mode derivatives of all shells run their own loop over the
same steps (:mod:`rglib.nrg.tangent`).
"""
import math
from dataclasses import dataclass, field

import autograd.numpy as anp
import numpy as np

from .. import validate
from ..autodiff import is_traced, plain
from ..progress import progress as progress_bar
from . import chain, fock
from .assemble import assemble, contract, sandwich
from .linalg import eigh

SITE_F = fock.site_f()          # (f_up, f_dn) on one chain site

#: the symmetries of a Shell's blocks: (Q, 2Sz) and SU(2) multiplets (Q, 2S)
SYMMETRIES = ("QSz", "QS")

#: largest N_max (last shell) a run accepts; far below T = 1e-30 at any Lambda >= 1.5
MAX_SHELLS = 400


@dataclass
class Shell:
    """One NRG shell: the full spectrum (before truncation) and what was kept.

    symmetry: "QSz" (blocks q = (Q, 2Sz), one entry per state) or "QS" (blocks q = (Q, 2S),
    one entry per SU(2) multiplet of 2S + 1 states); every consumer of shells reads it.
    energies[q]: all eigenvalues of block q, rescaled, relative to the
    shell's ground state (ascending). kept[q]: number of kept states (multiplets) of block q.
    segments[q]: the product-basis layout of block q [(q_old, site state, offset, dim)].
    ops[name]: the thermal average <O> at T_N of a requested impurity operator.
    """
    N: int                             # shell index
    scale: float                       # s_N = Lambda^{-(N-1)/2}
    beta_bar: float                    # T_N = scale / beta_bar
    E0: object                         # physical ground-state energy of H_N
    energies: dict
    kept: dict
    segments: dict = field(default_factory=dict)
    ops: dict = field(default_factory=dict)
    symmetry: str = None               # "QSz" or "QS": required

    def __post_init__(self):
        if self.symmetry not in SYMMETRIES:
            raise ValueError(f"symmetry must be one of {SYMMETRIES}, got {self.symmetry!r}")

    def multiplicity(self, q):
        """States per entry of block q: 2S + 1 in (Q, S) blocks, 1 in (Q, 2Sz) blocks."""
        return q[1] + 1 if self.symmetry == "QS" else 1

    @property
    def T(self):
        """The shell's temperature T_N = s_N / beta_bar."""
        return self.scale / self.beta_bar

    @property
    def n_states(self):
        """Number of states of the shell (a (Q, S) multiplet counts 2S + 1)."""
        return sum(len(e) * self.multiplicity(q) for q, e in self.energies.items())

    @property
    def n_kept(self):
        """Number of kept states (a (Q, S) multiplet counts 2S + 1)."""
        return sum(k * self.multiplicity(q) for q, k in self.kept.items())


@dataclass(frozen=True)
class Settings:
    """Validated settings of one NRG run (see :func:`settings`)."""
    Lam: float
    N_max: int
    N_keep: object
    e_cut: object
    beta_bar: float
    z: float
    scheme: str
    A: float                           # factor of Gamma (Wilson's A_Lambda or 1)
    safeguard: float
    t: np.ndarray                      # rescaled hoppings t_0 .. t_{N_max - 1}

    def scale(self, N):
        return shell_scale(self.Lam, N)


def shell_scale(Lam, N):
    """s_N = Lambda^{-(N-1)/2}."""
    return float(Lam) ** (-(N - 1) / 2.0)


#: temperature conventions of other NRG codes: T_N = prefactor(Lambda) s_N / beta_bar
T_PREFACTORS = {
    "rglib": lambda Lam: 1.0,
    "kww": lambda Lam: (1 + 1 / Lam) / 2,                       # KWW 1980, NRG Ljubljana
    "zitko-pruschke": lambda Lam: (1 - 1 / Lam) / math.log(Lam),   # NRG Ljubljana, Z chain
}


def equivalent_beta_bar(Lam, beta_bar, convention):
    """rglib's beta_bar that gives the same T_N as ``beta_bar`` in another convention.

    Krishna-murthy, Wilkins & Wilson (and NRG Ljubljana with the Wilson chain) put
    (1 + 1/Lambda)/2 in front of Lambda^{-(N-1)/2}/beta_bar, NRG Ljubljana's Z chain
    (1 - 1/Lambda)/ln Lambda; rglib puts nothing. At Lambda = 2, their beta_bar = 1
    is rglib's 4/3 (KWW) or 2 ln 2 (Z chain). See docs/nrg-conventions.md.
    """
    Lam = float(validate.greater("Lam", Lam, 1.0))
    beta_bar = float(validate.positive("beta_bar", beta_bar))
    validate.one_of("convention", convention, tuple(T_PREFACTORS))
    return beta_bar / T_PREFACTORS[convention](Lam)


def shells_for_temperature(T_min, Lam, beta_bar):
    """Smallest number of shells (N_max + 1) whose last temperature is <= T_min."""
    T_min = float(validate.positive("T_min", T_min))
    Lam = float(validate.greater("Lam", Lam, 1.0))
    beta_bar = float(validate.positive("beta_bar", beta_bar))
    N = 1 + 2 * math.log(1.0 / (beta_bar * T_min)) / math.log(Lam)
    return max(2, int(math.ceil(N - 1e-9)) + 1)


#: the cost of (Q, S) blocks relative to (Q, 2Sz) blocks at equal kept states, with a margin: measured
#: 12x less memory and 77x less time at 15,600 kept states (issue 25; a multiplet of 2S + 1 states is
#: one row of its block, so the blocks are smaller)
QS_COST = {"memory": 1 / 8, "time": 1 / 50}


def memory_GiB(N_keep, symmetry="QSz"):
    """Estimated peak memory of a plain run in GiB: 64 N_keep^2 bytes in (Q, 2Sz) blocks (the
    blocks of one shell, their eigenvectors and LAPACK workspace; measured 23 MiB at
    N_keep = 1000, where the largest (Q, 2Sz) block has 386 of the 4000 states), times
    ``QS_COST["memory"]`` in (Q, S) blocks."""
    return 64 * float(N_keep) ** 2 / 2 ** 30 * (QS_COST["memory"] if symmetry == "QS" else 1.0)


def shell_seconds(N_keep, symmetry="QSz"):
    """Estimated time of one full-size shell, twice the measured 0.059 s at N_keep = 1000
    (``benchmarks/nrg_speed.py``), scaled as N_keep^3 (eigh of the blocks); times
    ``QS_COST["time"]`` in (Q, S) blocks."""
    return 0.12 * (float(N_keep) / 1000.0) ** 3 * (QS_COST["time"] if symmetry == "QS" else 1.0)


def settings(Lam=2.0, N_max=None, T_min=None, N_keep=1000, e_cut=None, beta_bar=2.0, z=1.0,
             scheme="wilson", A_correction=None, safeguard=1e-6, symmetry="QSz"):
    """Check the run parameters (ValueError naming the parameter) and build the chain.

    Parameters
    ----------
    Lam : float > 1
        Discretization parameter Lambda.
    N_max, T_min : int or float
        Last shell, or the lowest temperature to reach (then N_max is chosen so
        that T_{N_max} <= T_min). Exactly one of the two is required.
    N_keep : int >= 1 or None
        States kept per shell (None: no truncation). Whole multiplets are kept.
    e_cut : float or None
        Optional energy cutoff (rescaled units); the smaller of the two cuts acts.
    beta_bar : float > 0
        T_N = Lambda^{-(N-1)/2} / beta_bar. Default 2: against the exact U = 0
        resonant level (tests/test_nrg.py) the largest error of S_imp(T) at
        Lambda = 2, N_keep = 1000 was 0.41 / 0.15 / 0.017 / 0.006 / 0.005 for
        beta_bar = 0.75 / 1 / 1.5 / 2 / 3: with a truncated spectrum a small
        beta_bar weighs the discarded high-energy states.
    z, scheme, A_correction
        Discretization twist z in (0, 1], star scheme ("wilson" or
        "campo-oliveira") and Wilson's A_Lambda correction (:func:`chain.coupling_factor`).
    symmetry : "QSz" or "QS"
        The blocks the run uses: the time and memory guards use that mode's cost.
    """
    Lam = float(validate.greater("Lam", Lam, 1.0))
    beta_bar = float(validate.positive("beta_bar", beta_bar))
    symmetry = validate.one_of("symmetry", symmetry, SYMMETRIES)
    if N_keep is not None:
        N_keep = validate.integer("N_keep", N_keep, minimum=1)
        validate.budget("N_keep", memory_GiB(N_keep, symmetry), "GiB", "the memory of one shell")
    if e_cut is not None:
        e_cut = float(validate.positive("e_cut", e_cut))
    safeguard = float(validate.nonnegative("safeguard", safeguard))
    if (N_max is None) == (T_min is None):
        raise ValueError("give exactly one of N_max and T_min")
    name = "N_max"
    if T_min is not None:
        N_max, name = shells_for_temperature(T_min, Lam, beta_bar) - 1, "T_min"
    N_max = validate.integer(name, N_max)
    if not 0 <= N_max <= MAX_SHELLS:
        raise ValueError(f"{name}: the run would need {N_max + 1} shells, more than the limit of "
                         f"{MAX_SHELLS + 1}" if name == "T_min" else
                         f"N_max must lie in [0, {MAX_SHELLS}], got {N_max}")
    if N_keep is not None:
        validate.budget("N_keep", N_max * shell_seconds(N_keep, symmetry), "seconds",
                        f"the run time of {N_max} shells")
    scheme = validate.one_of("scheme", scheme, chain.SCHEMES)
    z = float(validate.in_range("z", z, 0.0, 1.0, lo_open=True))
    A = chain.coupling_factor(Lam, scheme, A_correction)
    t = chain.chain_hoppings(Lam, max(N_max, 1), z, scheme)
    return Settings(Lam, N_max, N_keep, e_cut, beta_bar, z, scheme, A, safeguard, t)


# --- the steps of one shell ----------------------------------------------------------

def truncate(energies, N_keep, e_cut, safeguard, multiplicity=None):
    """Number of states to keep per block: lowest N_keep / below e_cut, whole multiplets.

    ``multiplicity`` (optional): {block: states per listed level} (2S + 1 in the (Q, S)
    mode of :mod:`rglib.nrg.su2`), so that N_keep counts states in either mode."""
    mult = multiplicity or {}
    allE = np.sort(np.concatenate([np.repeat(plain(e), mult.get(q, 1)) for q, e in energies.items()]))
    n = len(allE) if N_keep is None else min(N_keep, len(allE))
    thr = allE[n - 1]
    if e_cut is not None:
        thr = min(thr, e_cut)
    thr = thr + safeguard * max(1.0, abs(thr))
    return {q: int(np.searchsorted(plain(e), thr, side="right")) for q, e in energies.items()}


def grow(E, fdag, t, Lam, B_site):
    """Product-basis block Hamiltonians of shell N+1 from the kept states of shell N.

    E[q]: kept energies; fdag[sigma][q]: <r'|f^+_{N sigma}|r> from block q to
    q + (1, +-1); B_site: rescaled uniform field on the new site. Linear in
    (E, fdag, B_site): called with tangents it returns tangent Hamiltonians.
    Returns dict q' -> H block, and dict q' -> segments [(q_old, s, offset, dim)].
    """
    sqL = np.sqrt(Lam)
    targets = {}
    for q in E:
        for s in range(4):
            targets.setdefault((q[0] + int(fock.SITE_Q[s]), q[1] + int(fock.SITE_2SZ[s])),
                               []).append((q, s))
    traced = (is_traced(t) or is_traced(B_site) or any(is_traced(v) for v in E.values())
              or any(is_traced(m) for f in fdag for m in f.values()))
    blocks, segments = {}, {}
    for qn, segs in targets.items():
        segs = sorted(segs, key=lambda x: x[1])
        dims = [len(E[q]) for q, _ in segs]
        offs = np.concatenate([[0], np.cumsum(dims)]).astype(int)
        diag = [sqL * E[q] + B_site * fock.SITE_2SZ[s] / 2.0 for q, s in segs]
        off_diag = {}
        for a, (qa, sa) in enumerate(segs):
            for b in range(a + 1, len(segs)):
                qb, sb = segs[b]
                for sig in (0, 1):
                    # <s_a|f_sig|s_b> != 0: the site loses sigma, the old part gains it (a <- b)
                    c = SITE_F[sig][sa, sb]
                    if c != 0.0:
                        off_diag[a, b] = t * ((-1.0) ** int(fock.SITE_N[sa]) * c) * fdag[sig][qb]
                        break
                    c = SITE_F[sig][sb, sa]      # the h.c. term connects b <- a
                    if c != 0.0:
                        off_diag[a, b] = anp.transpose(
                            t * ((-1.0) ** int(fock.SITE_N[sb]) * c) * fdag[sig][qa])
                        break
        n = int(offs[-1])
        if traced:                             # one primitive; its VJP slices the cotangent
            spec = tuple([("diag", int(offs[a])) for a in range(len(segs))]
                         + [("block", int(offs[a]), int(offs[b])) for a, b in off_diag])
            H = assemble(n, spec, *diag, *off_diag.values())
        else:                                  # plain arrays: fill in place (fast path)
            H = np.zeros((n, n))
            H[np.diag_indices(n)] = np.concatenate(diag)
            for (a, b), blk in off_diag.items():
                H[offs[a]:offs[a + 1], offs[b]:offs[b + 1]] = blk
                H[offs[b]:offs[b + 1], offs[a]:offs[a + 1]] = blk.T
        blocks[qn] = H
        segments[qn] = [(q, s, int(offs[k]), dims[k]) for k, (q, s) in enumerate(segs)]
    return blocks, segments


def diagonalize(blocks, scramble=None):
    """Eigenvalues shifted to the shell's ground state, eigenvectors, and the shift.

    Returns (E, vecs, e_min, q_min) with E[q] = eigenvalues - e_min. ``scramble`` (a
    Generator, test hook): rotate eigenvectors inside degenerate multiplets at random.
    """
    E, vecs = {}, {}
    for q, H in blocks.items():
        E[q], vecs[q] = eigh(H)
        if scramble is not None:
            vecs[q] = scramble_multiplets(E[q], vecs[q], scramble)
    e_min, q_min = min((float(plain(e)[0]), q) for q, e in E.items())
    return {q: e - e_min for q, e in E.items()}, vecs, e_min, q_min


def next_fdag(left, right, segments, kept):
    """<r'|f^+_{N+1,sigma}|r> between kept eigenstates of shell N+1.

    Bilinear in the eigenvectors: left[q'] (target block) and right[q] (source
    block), restricted to kept columns; either may carry a leading tangent axis, so
    the same function gives the forward-mode tangent dU^T C U + U^T C dU.
    """
    out = ({}, {})
    for q, segs in segments.items():
        kq = kept[q]
        for sig in (0, 1):
            qt = (q[0] + 1, q[1] + (1 if sig == 0 else -1))
            if qt not in segments:
                out[sig][q] = np.zeros(np.shape(right[q])[:-2] + (0, kq))
                continue
            kt = kept[qt]
            where_t = {(qo, s): (off, d) for qo, s, off, d in segments[qt]}
            # f^+_sig on the new site: s -> s2 with amplitude <s2|f^+|s> = <s|f|s2>
            terms = [(SITE_F[sig][s, s2], where_t[(qo, s2)][0], where_t[(qo, s2)][1], off, d)
                     for qo, s, off, d in segs for s2 in range(4)
                     if SITE_F[sig][s, s2] != 0.0 and (qo, s2) in where_t]
            if np.ndim(left[qt]) == 2 and np.ndim(right[q]) == 2:     # primal: one primitive
                out[sig][q] = contract(tuple(terms), kt, kq, left[qt], right[q])
                continue
            acc = np.zeros(np.broadcast_shapes(np.shape(left[qt])[:-2],
                                               np.shape(right[q])[:-2]) + (kt, kq))
            for c, off2, d2, off, d in terms:
                acc = acc + c * anp.matmul(anp.swapaxes(left[qt][..., off2:off2 + d2, :kt], -1, -2),
                                           right[q][..., off:off + d, :kq])
            out[sig][q] = acc
    return out


def thermal_weights(E, beta_bar):
    """Boltzmann weights p_i = exp(-beta_bar E_i)/Z of a shell at T_N, per block."""
    w = {q: anp.exp(-beta_bar * e) for q, e in E.items()}
    Z = sum(anp.sum(v) for v in w.values())
    return {q: v / Z for q, v in w.items()}


def transport(ops_kept, vecs, segments, kept, p, last=False):
    """Impurity operators (O x 1_site) in the new eigenbasis: averages and kept blocks.

    ``ops_kept``: {name: {old block: kept x kept matrix}}; ``p``: thermal weights of
    this shell (:func:`thermal_weights`). The thermal average is Tr(rho O) with
    rho = sum_i p_i |i><i|, summed segment by segment: rho restricted to a segment of
    dimension d costs d^2 n once for all operators, then each operator d^2. Returns
    ({name: <O> at T_N}, {name: {block: kept x kept matrix for the next shell}};
    ``last``: none). No n x n matrix is formed or kept.
    """
    names = list(ops_kept)
    avg = {nm: 0.0 for nm in names}
    nxt = {nm: {} for nm in names}
    if not names:
        return {}, nxt
    traced = (any(is_traced(v) for v in vecs.values()) or any(is_traced(v) for v in p.values())
              or any(is_traced(o) for m in ops_kept.values() for o in m.values()))
    if traced:                  # one primitive per block and operator (fast reverse mode)
        for q, segs in segments.items():
            k, n = kept[q], vecs[q].shape[1]
            for nm in names:
                used = [(qo, off, d) for qo, s, off, d in segs if d]
                flat = sandwich(tuple((off, d) for _, off, d in used), 0 if last else k, vecs[q],
                                *[ops_kept[nm][qo] for qo, _, _ in used])
                avg[nm] = avg[nm] + anp.sum(p[q] * flat[:n])
                if not last:
                    nxt[nm][q] = anp.reshape(flat[n:], (k, k))
        return avg, nxt
    for q, segs in segments.items():
        k = kept[q]
        for qo, s, off, d in segs:
            if d == 0:
                continue
            Y = vecs[q][off:off + d]                 # (d, n): segment rows of all states
            rho = np.dot(Y * p[q], Y.T)              # this segment's block of rho (d, d)
            Yk = Y[:, :k]
            for nm in names:
                O = ops_kept[nm][qo]
                avg[nm] = avg[nm] + np.sum(rho * O)
                if not last:
                    t = Yk.T @ (O @ Yk)
                    nxt[nm][q] = nxt[nm][q] + t if q in nxt[nm] else t
        if not last:
            for nm in names:
                nxt[nm].setdefault(q, np.zeros((k, k)))
    return avg, nxt


def scramble_multiplets(e, U, rng, tol=1e-9):
    """Random orthogonal rotation inside each degenerate group of eigenvalues."""
    e, U = plain(e), np.array(plain(U))
    start = 0
    for i in range(1, len(e) + 1):
        if i == len(e) or e[i] - e[i - 1] > tol * max(1.0, abs(e[i])):
            if i - start > 1:
                Q, R = np.linalg.qr(rng.standard_normal((i - start, i - start)))
                U[:, start:i] = U[:, start:i] @ (Q * np.sign(np.diag(R)))
            start = i
    return U


# --- the first shell (impurity + f_0, a dense Fock space) ------------------------------

def first_shell_blocks(fs, scale):
    """(Q, 2Sz) blocks of the rescaled first-shell Hamiltonian and their basis indices."""
    keys = sorted(set(zip(fs.Q.tolist(), fs.twoSz.tolist())))
    idx = {q: np.where((fs.Q == q[0]) & (fs.twoSz == q[1]))[0] for q in keys}
    Hs = fs.H / scale
    return {q: Hs[i][:, i] for q, i in idx.items()}, idx


def first_fdag(fs, left, right, idx, kept):
    """<r'|f_0^+|r> between kept first-shell eigenstates (bilinear like :func:`next_fdag`)."""
    out = ({}, {})
    for sig in (0, 1):
        for q in idx:
            qt = (q[0] + 1, q[1] + (1 if sig == 0 else -1))
            if qt not in idx:
                out[sig][q] = np.zeros(np.shape(right[q])[:-2] + (0, kept[q]))
                continue
            M = fs.fdag0[sig][np.ix_(idx[qt], idx[q])]
            out[sig][q] = (anp.matmul(anp.swapaxes(left[qt][..., :kept[qt]], -1, -2),
                                      anp.matmul(M, right[q][..., :kept[q]])))
    return out


def first_ops(fs, vecs, idx, kept, names, p, last=False):
    """Averages and kept blocks of first-shell operators (like :func:`transport`)."""
    avg, nxt = {}, {}
    for name in names:
        avg[name], nxt[name] = 0.0, {}
        for q, i in idx.items():
            Y = vecs[q]
            OY = anp.dot(fs.ops[name][np.ix_(i, i)], Y)
            avg[name] = avg[name] + anp.sum(p[q] * anp.sum(Y * OY, axis=0))
            if not last:
                nxt[name][q] = anp.dot(anp.transpose(Y[:, :kept[q]]), OY[:, :kept[q]])
    return avg, nxt


def check_operators(model, operators):
    """``operators`` (names of the model's impurity operators) as a tuple."""
    if isinstance(operators, str):
        operators = (operators,)
    known = model.operator_names
    for name in operators:
        if name not in known:
            raise ValueError(f"operators: {name!r} is not an operator of the {model.name} "
                             f"model (known: {sorted(known)})")
    return tuple(operators)


# --- the loop --------------------------------------------------------------------------

def run(model, Lam=2.0, N_max=None, T_min=None, N_keep=1000, e_cut=None, beta_bar=2.0,
        z=1.0, scheme="wilson", A_correction=None, operators=(), safeguard=1e-6,
        progress=None, scramble=None, observer=None):
    """Run the NRG for ``model`` (:mod:`rglib.nrg.models`) and return its shells.

    Parameters as in :func:`settings`, and

    operators : sequence of str
        Impurity operators of the model (e.g. "n_d", "docc") whose thermal averages
        at T_N are recorded on every shell (``shell.ops``, also in
        :func:`rglib.nrg.thermo.shell_thermo`).
    progress : bool
        Show a progress bar over the shells.
    scramble : numpy.random.Generator or None
        Test hook: rotate the eigenvectors inside every degenerate multiplet by a
        random orthogonal matrix. Physical results must not change.
    observer : callable or None
        Called after every shell as ``observer(shell, vecs, layout, fs)`` with all
        eigenvectors of the shell (per block), its basis layout (shell 0: the Fock
        indices of each block; later: the segments) and the first shell's dense
        operators; what the spectral functions of :mod:`rglib.nrg.spectral` need.
    """
    cfg = settings(Lam, N_max, T_min, N_keep, e_cut, beta_bar, z, scheme, A_correction, safeguard)
    operators = check_operators(model, operators)
    fs = model.first_shell(cfg.A)
    blocks, idx = first_shell_blocks(fs, cfg.scale(0))
    E, vecs, e_min, _ = diagonalize(blocks, scramble)
    E0 = e_min * cfg.scale(0)
    last = cfg.N_max == 0
    kept = {q: len(e) for q, e in E.items()} if last else truncate(E, cfg.N_keep, cfg.e_cut,
                                                                   cfg.safeguard)
    fdag = first_fdag(fs, vecs, vecs, idx, kept)
    avg, ops = first_ops(fs, vecs, idx, kept, operators, thermal_weights(E, cfg.beta_bar), last)
    shells = [Shell(0, cfg.scale(0), cfg.beta_bar, E0, E, kept, {}, avg, "QSz")]
    if observer is not None:
        observer(shells[-1], vecs, idx, fs)
    steps = range(1, cfg.N_max + 1)
    if progress:
        steps = progress_bar(steps, desc=f"NRG shells ({model.name})")
    for N in steps:
        scale, last = cfg.scale(N), N == cfg.N_max
        Ek = {q: e[:kept[q]] for q, e in E.items() if kept[q] > 0}
        fk = tuple({q: f[q] for q in Ek} for f in fdag)
        blocks, segments = grow(Ek, fk, cfg.t[N - 1], cfg.Lam, model.chain_field / scale)
        E, vecs, e_min, _ = diagonalize(blocks, scramble)
        E0 = E0 + e_min * scale
        kept = {q: len(e) for q, e in E.items()} if last else truncate(E, cfg.N_keep, cfg.e_cut,
                                                                       cfg.safeguard)
        if not last:
            kv = {q: u[:, :kept[q]] for q, u in vecs.items()}
            fdag = next_fdag(kv, kv, segments, kept)
        avg, ops = (transport(ops, vecs, segments, kept, thermal_weights(E, cfg.beta_bar), last)
                    if operators else ({}, {}))
        shells.append(Shell(N, scale, cfg.beta_bar, E0, E, kept, segments, avg, "QSz"))
        if observer is not None:
            observer(shells[-1], vecs, segments, fs)
    return shells
