r"""Iterative diagonalization of the Wilson chain, block-diagonal in (Q, 2S_z).

Conventions (Krishna-murthy, Wilkins & Wilson 1980; the authors' notebook):
shell N holds the impurity and chain sites f_0..f_N; its energy scale is
s_N = Lambda^{-(N-1)/2} and its rescaled Hamiltonian H_N = H_N^phys / s_N obeys

.. math::

    H_{N+1} = \sqrt\Lambda\, H_N + t_N \sum_\sigma (f^\dagger_{N\sigma} f_{N+1,\sigma} + h.c.)
              [+ B\, S_z(f_{N+1}) / s_{N+1}\ \text{for a uniform field}],

with the rescaled hoppings t_N of :mod:`rglib.nrg.chain`. Shell N is assigned the
temperature T_N = s_N / beta_bar.

Basis of shell N+1: |r, s> = S_s^+ |r>, with |r> a kept eigenstate of shell N and
S_s^+ the product of f^+_{N+1} creators making the site state s. Moving f^+_{N}
through S_s^+ gives the fermionic sign (-1)^{n_s}, so

    <r' s'| f^+_{N sigma} f_{N+1 sigma} |r s> = (-1)^{n_{s'}} <s'|f_sigma|s> <r'|f^+_{N sigma}|r>.

Every shell: diagonalize each (Q, 2Sz) block, subtract the lowest energy of the shell
(accumulated into the physical ground-state energy E0_N), keep the N_keep lowest
states (and/or those below an energy cutoff) **without ever splitting a degenerate
multiplet**: every state within ``safeguard`` (relative) of the last kept energy is
kept too. Multiplets of SU(2) spin or of particle-hole symmetry live in different
blocks, so the cut is decided on the global spectrum.

The code is written with ``autograd.numpy`` and builds every matrix functionally
(no in-place writes on arrays that depend on the model parameters), so that
``rglib.nrg`` can be differentiated in reverse mode (notebook 03). Truncation
decisions are made on plain values.
"""
import math
from dataclasses import dataclass, field

import autograd.numpy as anp
import numpy as np

from .. import validate
from ..autodiff import is_traced as _is_traced
from ..autodiff import plain as _plain
from . import chain as _chain
from . import fock
from .assemble import assemble, contract
from .linalg import eigh, eigh_jvp

_F_UP, _F_DN = fock.site_f()
_SITE_F = (_F_UP, _F_DN)


@dataclass
class Shell:
    """One NRG shell: the full spectrum (before truncation) and what was kept.

    energies[q]: all eigenvalues of block q = (Q, 2Sz), rescaled, relative to the
    shell's ground state (ascending). kept[q]: number of kept states of block q.
    vectors[q]: eigenvectors (only with ``store_vectors=True``), columns in the
    product basis of the block (segments listed in ``segments[q]``).
    """
    N: int
    scale: float                       # s_N = Lambda^{-(N-1)/2}
    beta_bar: float                    # T_N = scale / beta_bar
    E0: object                         # physical ground-state energy of H_N
    energies: dict
    kept: dict
    segments: dict = field(default_factory=dict)
    vectors: dict = field(default_factory=dict)
    ops: dict = field(default_factory=dict)   # expectation-value operators, all states
    denergies: dict = field(default_factory=dict)   # forward-mode tangents (P, n) per block
    dE0: object = None                               # tangent of E0, shape (P,)

    @property
    def n_states(self):
        return sum(len(e) for e in self.energies.values())

    @property
    def n_kept(self):
        return sum(self.kept.values())


def shell_scale(Lam, N):
    return float(Lam) ** (-(N - 1) / 2.0)


def shells_for_temperature(T_min, Lam, beta_bar):
    """Smallest number of shells (N_max + 1) whose last temperature is <= T_min."""
    validate.positive("T_min", T_min)
    N = 1 + 2 * math.log(1.0 / (beta_bar * T_min)) / math.log(Lam)
    return max(2, int(math.ceil(N - 1e-9)) + 1)


def _truncate(energies, N_keep, e_cut, safeguard):
    """Number of states to keep per block: lowest N_keep / below e_cut, whole multiplets."""
    allE = np.sort(np.concatenate([_plain(e) for e in energies.values()]))
    n_total = len(allE)
    n = n_total if N_keep is None else min(N_keep, n_total)
    thr = allE[n - 1]
    if e_cut is not None:
        thr = min(thr, e_cut)
    thr = thr + safeguard * max(1.0, abs(thr))
    return {q: int(np.searchsorted(_plain(e), thr, side="right")) for q, e in energies.items()}


def _site_energy(B_site, s):
    return B_site * fock.SITE_2SZ[s] / 2.0


def _grow(E, fdag, ops_prev, t, Lam, B_site):
    """Product-basis block Hamiltonians of shell N+1 from the kept states of shell N.

    E[q]: kept energies; fdag[sigma][q]: <r'|f^+_{N sigma}|r> from block q to
    q + (1, +-1). Returns dict q' -> (H block, segments [(q_old, s, offset, dim)]).
    """
    sqL = np.sqrt(Lam)
    targets = {}
    for q, e in E.items():
        for s in range(4):
            qn = (q[0] + int(fock.SITE_Q[s]), q[1] + int(fock.SITE_2SZ[s]))
            targets.setdefault(qn, []).append((q, s))
    traced = t is not None and _is_traced(t) or any(_is_traced(v) for v in E.values()) or any(
        _is_traced(m) for f in fdag for m in f.values())
    blocks = {}
    for qn, segs in targets.items():
        segs = sorted(segs, key=lambda x: x[1])
        dims = [len(E[q]) for q, _ in segs]
        offs = np.concatenate([[0], np.cumsum(dims)]).astype(int)
        sub = {}
        for a, (qa, sa) in enumerate(segs):
            for b, (qb, sb) in enumerate(segs):
                if b <= a:
                    continue
                for sig in (0, 1):
                    # <s_a|f_sig|s_b> != 0: site loses sigma, old part gains it (a <- b)
                    c = _SITE_F[sig][sa, sb]
                    if c != 0.0:
                        sub[a, b] = t * ((-1.0) ** int(fock.SITE_N[sa]) * c) * fdag[sig][qb]
                        break
                    c = _SITE_F[sig][sb, sa]      # the h.c. term connects b <- a
                    if c != 0.0:
                        sub[a, b] = anp.transpose(
                            t * ((-1.0) ** int(fock.SITE_N[sb]) * c) * fdag[sig][qa])
                        break
        diag = [sqL * E[q] + _site_energy(B_site, s) for q, s in segs]
        if traced:                             # one primitive, VJP slices the cotangent
            spec = [("diag", int(offs[a])) for a in range(len(segs))]
            parts = list(diag)
            for (a, b), blk in sub.items():
                spec.append(("block", int(offs[a]), int(offs[b])))
                parts.append(blk)
            H = assemble(int(offs[-1]), tuple(spec), *parts)
        else:                                  # plain arrays: fill in place (fast path)
            H = np.zeros((offs[-1], offs[-1]))
            H[np.diag_indices(offs[-1])] = np.concatenate(diag)
            for (a, b), blk in sub.items():
                H[offs[a]:offs[a + 1], offs[b]:offs[b + 1]] = blk
                H[offs[b]:offs[b + 1], offs[a]:offs[a + 1]] = blk.T
        blocks[qn] = (H, [(q, s, int(offs[k]), dims[k]) for k, (q, s) in enumerate(segs)])
    return blocks


def _new_fdag(UL, UR, segments, kept):
    """<r'|f^+_{N+1,sigma}|r> between kept eigenstates of shell N+1.

    Bilinear in the eigenvectors: UL[q'] (target block) and UR[q] (source block),
    both restricted to kept columns; either may carry a leading tangent axis, so
    the same function gives the forward-mode tangent dUL^T C U + U^T C dUR.
    """
    out = ({}, {})
    for q, segs in segments.items():
        kq = kept[q]
        for sig in (0, 1):
            qt = (q[0] + 1, q[1] + (1 if sig == 0 else -1))
            if qt not in segments:
                out[sig][q] = np.zeros((0, kq))
                continue
            kt = kept[qt]
            where_t = {(qo, s): (off, d) for qo, s, off, d in segments[qt]}
            if np.ndim(UL[qt]) == 2 and np.ndim(UR[q]) == 2:     # primal: one primitive
                spec = tuple((_SITE_F[sig][s, s2], where_t[(qo, s2)][0], where_t[(qo, s2)][1],
                              off, d) for qo, s, off, d in segs for s2 in range(4)
                             if _SITE_F[sig][s, s2] != 0.0 and (qo, s2) in where_t)
                out[sig][q] = contract(spec, kt, kq, UL[qt], UR[q])
                continue
            acc = None
            for qo, s, off, d in segs:
                # f^+_sig on the new site: s -> s' with amplitude <s'|f^+|s> = <s|f|s'>
                for s2 in range(4):
                    c = _SITE_F[sig][s, s2]
                    if c == 0.0 or (qo, s2) not in where_t:
                        continue
                    off2, d2 = where_t[(qo, s2)]
                    term = c * anp.matmul(anp.swapaxes(UL[qt][..., off2:off2 + d2, :kt], -1, -2),
                                          UR[q][..., off:off + d, :kq])
                    acc = term if acc is None else acc + term
            out[sig][q] = acc if acc is not None else np.zeros((kt, kq))
    return out


def _transport(op_prev, U, segments, kept, all_states=False):
    """Even operator acting on the old part (O x 1_site) in the new eigenbasis."""
    out = {}
    for q, segs in segments.items():
        k = U[q].shape[1] if all_states else kept[q]
        acc = None
        for qo, s, off, d in segs:
            if d == 0:
                continue
            Uq = U[q][off:off + d, :k]
            term = anp.transpose(Uq) @ op_prev[qo] @ Uq
            acc = term if acc is None else acc + term
        out[q] = acc if acc is not None else np.zeros((k, k))
    return out


def _scramble(e, U, rng, tol=1e-9):
    """Random orthogonal rotation inside each degenerate group of eigenvalues."""
    e, U = _plain(e), np.array(_plain(U))
    start = 0
    for i in range(1, len(e) + 1):
        if i == len(e) or e[i] - e[i - 1] > tol * max(1.0, abs(e[i])):
            if i - start > 1:
                Q, R = np.linalg.qr(rng.standard_normal((i - start, i - start)))
                U[:, start:i] = U[:, start:i] @ (Q * np.sign(np.diag(R)))
            start = i
    return U


def _first_shell_blocks(fs, scale):
    """Split the dense shell-0 Hamiltonian into (Q, 2Sz) blocks and diagonalize."""
    Hs = fs.H / scale
    keys = sorted(set(zip(fs.Q.tolist(), fs.twoSz.tolist())))
    idx = {q: np.where((fs.Q == q[0]) & (fs.twoSz == q[1]))[0] for q in keys}
    E, U = {}, {}
    for q in keys:
        i = idx[q]
        Hq = Hs[i][:, i] if hasattr(Hs, "shape") else Hs
        E[q], U[q] = eigh(Hq)
    return E, U, idx


def run(model, Lam=2.0, N_max=None, T_min=None, N_keep=1000, e_cut=None, beta_bar=2.0,
        z=1.0, scheme="wilson", A_correction=True, store_vectors=False,
        operators=(), safeguard=1e-6, progress=None, scramble=None, tangent=None):
    """Run the NRG for ``model`` (:mod:`rglib.nrg.models`) and return its shells.

    Parameters
    ----------
    Lam : float > 1
        Discretization parameter Lambda.
    N_max, T_min : int or float
        Last shell, or the lowest temperature to reach (then N_max is chosen so
        that T_{N_max} <= T_min). One of the two is required.
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
        Discretization twist, scheme ("wilson" or "campo-oliveira"), and Wilson's
        A_Lambda correction of the impurity coupling.
    store_vectors : bool
        Keep every shell's eigenvectors (memory!).
    operators : sequence of str
        Names of impurity operators of the model (e.g. "n_d") whose thermal
        expectation values are wanted; they are transported through all shells.
    scramble : numpy.random.Generator or None
        Test hook: rotate the eigenvectors inside every degenerate multiplet by a
        random orthogonal matrix. Physical results must not change.
    tangent : (dH0, dB) or None
        Forward-mode differentiation (P directions at once): dH0 (P, d, d) is the
        derivative of the physical first-shell Hamiltonian, dB (P,) that of the
        uniform field on the chain. Every shell then carries ``denergies`` and
        ``dE0``, from which :func:`rglib.nrg.thermo.free_energy_tangent` gives
        dF_N for all shells in one pass (see :mod:`rglib.nrg.ad`).
    """
    validate.greater("Lambda", Lam, 1.0)
    validate.positive("beta_bar", beta_bar)
    if N_keep is not None:
        N_keep = validate.integer("N_keep", N_keep, minimum=1)
    if e_cut is not None:
        validate.positive("e_cut", e_cut)
    validate.nonnegative("safeguard", safeguard)
    if (N_max is None) == (T_min is None):
        raise ValueError("give exactly one of N_max and T_min")
    if T_min is not None:
        N_max = shells_for_temperature(T_min, Lam, beta_bar) - 1
    N_max = validate.integer("N_max", N_max, minimum=0, maximum=400)
    validate.one_of("scheme", scheme, _chain.SCHEMES)
    validate.in_range("z", z, 0.0, 1.0)
    if z == 0:
        raise ValueError("z must lie in (0, 1], got 0")
    use_A = A_correction and scheme == "wilson"
    A_corr = _chain.A_Lambda(Lam) if use_A else 1.0
    if z == 1.0 and scheme == "wilson":
        t = _chain.hoppings_rescaled(Lam, max(N_max, 1))
    else:
        t = _chain.chain_hoppings(Lam, max(N_max, 1), z, scheme)
    # The chain's uniform field on sites f_1, f_2, ... (f_0 is in the first shell)
    B_uniform = model.B if getattr(model, "field", "impurity") == "uniform" else 0.0

    fs = model.first_shell(A_corr)
    for name in operators:
        if name not in fs.ops:
            raise ValueError(f"operators: {name!r} is not an operator of the {model.name} "
                             f"model (known: {sorted(fs.ops)})")
    scale = shell_scale(Lam, 0)
    E, U, idx = _first_shell_blocks(fs, scale)
    if tangent is not None:
        dH0, dB = np.asarray(tangent[0], dtype=float), np.asarray(tangent[1], dtype=float)
        dEr, dU = {}, {}
        for q in E:
            i = idx[q]
            dEr[q], dU[q] = eigh_jvp(_plain(E[q]), _plain(U[q]), dH0[:, i][:, :, i] / scale)
    e_min, q_min = min((float(_plain(e)[0]), q) for q, e in E.items())
    E = {q: e - e_min for q, e in E.items()}
    E0 = e_min * scale
    if tangent is not None:
        dE = {q: d - dEr[q_min][:, :1] for q, d in dEr.items()}
        dE0 = dEr[q_min][:, 0] * scale
    shells = []
    kept = _truncate(E, N_keep, e_cut, safeguard) if N_max > 0 else {q: len(e) for q, e in E.items()}
    # f_0^+ in the eigenbasis of shell 0 (and its forward-mode tangent)
    fd = ({}, {})
    dfd = ({}, {}) if tangent is not None else None
    for sig in (0, 1):
        for q in E:
            qt = (q[0] + 1, q[1] + (1 if sig == 0 else -1))
            if qt not in E:
                fd[sig][q] = np.zeros((0, kept[q]))
                if tangent is not None:
                    dfd[sig][q] = np.zeros((len(dB), 0, kept[q]))
                continue
            M = fs.fdag0[sig][np.ix_(idx[qt], idx[q])]
            fd[sig][q] = anp.transpose(U[qt][:, :kept[qt]]) @ M @ U[q][:, :kept[q]]
            if tangent is not None:
                Ut, Uq = _plain(U[qt])[:, :kept[qt]], _plain(U[q])[:, :kept[q]]
                dUt, dUq = dU[qt][:, :, :kept[qt]], dU[q][:, :, :kept[q]]
                dfd[sig][q] = (np.matmul(np.swapaxes(dUt, 1, 2), M @ Uq)
                               + np.matmul(Ut.T @ M, dUq))
    ops_all = {name: {q: anp.transpose(U[q]) @ fs.ops[name][np.ix_(idx[q], idx[q])] @ U[q]
                      for q in E} for name in operators}
    shells.append(Shell(0, scale, beta_bar, E0, E, kept,
                        vectors=dict(U) if store_vectors else {},
                        ops={n: {q: anp.diag(m[q]) for q in m} for n, m in ops_all.items()},
                        denergies=dE if tangent is not None else {},
                        dE0=dE0 if tangent is not None else None))
    it = range(N_max)
    if progress:
        from ..notebook import progress as _progress
        it = _progress(it, desc=f"NRG shells ({model.name})", total=N_max)
    for n in it:
        N = n + 1
        scale = shell_scale(Lam, N)
        Ek = {q: e[:kept[q]] for q, e in E.items() if kept[q] > 0}
        fdk = tuple({q: fd[sig][q] for q in Ek} for sig in (0, 1))
        opk = {name: {q: ops_all[name][q][:kept[q], :kept[q]] for q in Ek} for name in operators}
        blocks = _grow(Ek, fdk, None, t[n], Lam, B_uniform / scale)
        if tangent is not None:     # tangent Hamiltonians: _grow is linear in (E, f, B)
            dblocks = [_grow({q: dE[q][p, :kept[q]] for q in Ek},
                             tuple({q: dfd[sig][q][p] for q in Ek} for sig in (0, 1)),
                             None, t[n], Lam, dB[p] / scale) for p in range(len(dB))]
        E, U, segments = {}, {}, {}
        for q, (H, segs) in blocks.items():
            E[q], U[q] = eigh(H)
            if scramble is not None:
                U[q] = _scramble(E[q], U[q], scramble)
            segments[q] = segs
        e_min, q_min = min((float(_plain(e)[0]), q) for q, e in E.items())
        E = {q: e - e_min for q, e in E.items()}
        E0 = E0 + e_min * scale
        kept = _truncate(E, N_keep, e_cut, safeguard) if N < N_max else {q: len(e) for q, e in E.items()}
        if tangent is not None:
            dEr, dU = {}, {}
            for q in E:
                dHq = np.stack([db[q][0] for db in dblocks])
                k = kept[q] if N < N_max else 0
                dEr[q], dU[q] = eigh_jvp(E[q] + e_min, U[q], dHq, k=k)
            dE = {q: d - dEr[q_min][:, :1] for q, d in dEr.items()}
            dE0 = dE0 + dEr[q_min][:, 0] * scale
        if N < N_max:
            Uk = {q: u[:, :kept[q]] for q, u in U.items()}
            fd = _new_fdag(Uk, Uk, segments, kept)
            if tangent is not None:
                a, b = _new_fdag(dU, Uk, segments, kept), _new_fdag(Uk, dU, segments, kept)
                dfd = tuple({q: a[sig][q] + b[sig][q] if a[sig][q].ndim == 3
                             else np.zeros((len(dB),) + a[sig][q].shape) for q in a[sig]}
                            for sig in (0, 1))
        ops_all = {name: _transport(opk[name], U, segments, kept, all_states=True)
                   for name in operators}
        shells.append(Shell(N, scale, beta_bar, E0, E, kept, segments=segments,
                            vectors=dict(U) if store_vectors else {},
                            ops={nm: {q: anp.diag(m[q]) for q in m} for nm, m in ops_all.items()},
                            denergies=dE if tangent is not None else {},
                            dE0=dE0 if tangent is not None else None))
    return shells
