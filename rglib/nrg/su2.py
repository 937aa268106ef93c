r"""The NRG in (Q, S) multiplet blocks: SU(2) spin symmetry at zero field.

Wilson, RMP 47, 773 (1975) and Krishna-murthy, Wilkins & Wilson, PRB 21, 1003 (1980)
worked with charge and total spin; so does NRG Ljubljana's fastest mode. Where the
Hamiltonian commutes with the total spin (B = 0), every eigenvalue comes in a multiplet
of 2S + 1 states; keeping one representative per multiplet (the state with S_z = S)
cuts the blocks to be diagonalized, the dominant cost, several-fold.

**Blocks and the site.** Block labels (Q, 2S) (charge relative to half filling, twice the
spin). The new site's states form three multiplets: |0> (Q = -1, S = 0), the doublet
(|up>, |dn>) (Q = 0, S = 1/2) and |updn> (Q = +1, S = 0). A multiplet (Q, S; r) of
shell N and a site multiplet t of spin s_t couple to S' in |S - s_t| .. S + s_t:

.. math::  |[r S, t] S' M\rangle = \sum_{m \mu} \langle S m; s_t \mu | S' M\rangle\,
           |t \mu\rangle \otimes |r S m\rangle

(site creators to the left of the old ones, as in :mod:`rglib.nrg.iterate`).

**The operator f^+_N** is a spin-1/2 tensor operator: by the Wigner-Eckart theorem,
with the convention of this module (no 1/sqrt(2S'+1)),

.. math::  \langle r' S' m'|f^+_{N\sigma}|r S m\rangle
           = \langle S m; \tfrac12 \sigma | S' m'\rangle\,\langle r' S'\|f^+_N\|r S\rangle ,

so one reduced matrix per pair of blocks (Q, S) -> (Q + 1, S +- 1/2) replaces the
matrices of both spins.

**Hopping.** Between the coupled states of shell N + 1,

.. math::  \langle [r_a S_a, t_a] S'|\sum_\sigma f^+_{N\sigma} f_{N+1,\sigma}|[r_b S_b, t_b] S'\rangle
           = c_{\rm hop}\,\langle r_a S_a\|f^+_N\|r_b S_b\rangle,\qquad
   c_{\rm hop} = \sum_{\sigma m_a \mu_a m_b \mu_b}
           \langle S_a m_a; s_a\mu_a|S'M\rangle\langle S_b m_b; s_b\mu_b|S'M\rangle\,
           (-1)^{n_{t_a}}\langle t_a\mu_a|f_\sigma|t_b\mu_b\rangle\,
           \langle S_b m_b;\tfrac12\sigma|S_a m_a\rangle ,

independent of M (this is the 6j recoupling coefficient of the textbooks, here summed
out explicitly from Clebsch-Gordan coefficients, :func:`hop_coefficient`). The new site
operator's reduced elements, between states built on the same old multiplet,

.. math::  \langle [r S, t_a] S'_a\|f^+_{N+1}\|[r S, t_b] S'_b\rangle
           = \frac{\sum_{m\mu_a\mu_b}\langle S m; s_a\mu_a|S'_aM_a\rangle
             \langle S m; s_b\mu_b|S'_bM_b\rangle\langle t_a\mu_a|f^+_\sigma|t_b\mu_b\rangle}
             {\langle S'_b M_b;\tfrac12\sigma|S'_a M_a\rangle}

(:func:`fdag_coefficient`; any M_a, sigma with a nonzero denominator give the same).

**Traces** carry the degeneracy: Z = sum (2S + 1) e^{-E/T}, and with <S_z^2> = S(S+1)/3
in every multiplet state, T chi = sum p (2S + 1) S(S + 1)/3 (:func:`shell_thermo`).

**First shell.** From the dense first shell of the model (impurity + f_0): in each
(Q, 2S_z = 2S) block the states annihilated by S^+ are the representatives; H is
diagonalized there, and the reduced elements of f_0^+ follow from the S_z = S - sigma
components obtained by S^- (:func:`first_shell`).

Differentiable like the (Q, 2S_z) engine: the same eigensolver, the same structural
primitives (block assembly, eigenvector contraction).
"""
import functools
import math

import autograd.numpy as anp
import numpy as np

from ..autodiff import is_traced, plain
from ..progress import progress as progress_bar
from . import fock, iterate, thermo
from .assemble import assemble, contract
from .iterate import Shell, settings
from .linalg import eigh

SITE_F = fock.site_f()

#: the site's multiplets: (Q, 2s, [(Fock index, 2 mu)]) for |0>, the doublet, |updn>
SITE_MULTIPLETS = ((-1, 0, ((0, 0),)), (0, 1, ((1, 1), (2, -1))), (1, 0, ((3, 0),)))


@functools.lru_cache(maxsize=None)
def cg(j1, m1, j2, m2, J, M):
    """Clebsch-Gordan coefficient <j1 m1; j2 m2 | J M>, all arguments twice their value
    (integers), by Racah's formula (Condon-Shortley phases)."""
    if m1 + m2 != M or abs(m1) > j1 or abs(m2) > j2 or abs(M) > J:
        return 0.0
    if J > j1 + j2 or J < abs(j1 - j2) or (j1 + j2 + J) % 2 or (j1 + m1) % 2 or (j2 + m2) % 2:
        return 0.0
    f = math.factorial
    a = (j1 + j2 - J) // 2, (j1 - j2 + J) // 2, (-j1 + j2 + J) // 2, (j1 + j2 + J) // 2 + 1
    pre = math.sqrt((J + 1) * f(a[0]) * f(a[1]) * f(a[2]) / f(a[3]))
    pre *= math.sqrt(f((j1 + m1) // 2) * f((j1 - m1) // 2) * f((j2 + m2) // 2) * f((j2 - m2) // 2)
                     * f((J + M) // 2) * f((J - M) // 2))
    s = 0.0
    for k in range(0, a[0] + 1):
        d = (k, a[0] - k, (j1 - m1) // 2 - k, (j2 + m2) // 2 - k, (J - j2 + m1) // 2 + k,
             (J - j1 - m2) // 2 + k)
        if min(d) < 0:
            continue
        s += (-1) ** k / math.prod(f(x) for x in d)
    return pre * s


@functools.lru_cache(maxsize=None)
def hop_coefficient(Sb, tb, Sa, ta, Sp):
    """c_hop of the module docstring (spins as 2S; t: index into SITE_MULTIPLETS)."""
    sa, sb = SITE_MULTIPLETS[ta][1], SITE_MULTIPLETS[tb][1]
    M = Sp
    c = 0.0
    for sig, two_sig in ((0, 1), (1, -1)):
        for ia, mua in SITE_MULTIPLETS[ta][2]:
            for ib, mub in SITE_MULTIPLETS[tb][2]:
                f = SITE_F[sig][ia, ib]
                if f == 0.0:
                    continue
                ma, mb = M - mua, M - mub
                c += (cg(Sa, ma, sa, mua, Sp, M) * cg(Sb, mb, sb, mub, Sp, M)
                      * (-1.0) ** int(fock.SITE_N[ia]) * f * cg(Sb, mb, 1, two_sig, Sa, ma))
    return c


@functools.lru_cache(maxsize=None)
def fdag_coefficient(S, ta, tb, Spa, Spb):
    """Reduced element of the new site's f^+ between [S, tb] S'_b and [S, ta] S'_a."""
    sa, sb = SITE_MULTIPLETS[ta][1], SITE_MULTIPLETS[tb][1]
    for sig, two_sig in ((0, 1), (1, -1)):
        Ma = Spa
        Mb = Ma - two_sig
        den = cg(Spb, Mb, 1, two_sig, Spa, Ma)
        if abs(den) < 1e-12:
            continue
        el = 0.0
        for ia, mua in SITE_MULTIPLETS[ta][2]:
            for ib, mub in SITE_MULTIPLETS[tb][2]:
                f = SITE_F[sig][ib, ia]            # <ia|f^+_sig|ib> = <ib|f_sig|ia>
                if f == 0.0 or Ma - mua != Mb - mub:
                    continue
                m = Ma - mua
                el += cg(S, m, sa, mua, Spa, Ma) * cg(S, m, sb, mub, Spb, Mb) * f
        return el / den
    return 0.0


# --- first shell -----------------------------------------------------------------------

def _null(A, tol=1e-10):
    """Orthonormal basis of the null space of A (columns)."""
    if A.shape[0] == 0:
        return np.eye(A.shape[1])
    u, s, vt = np.linalg.svd(A)
    rank = int(np.sum(s > tol))
    return vt[rank:].T


def first_shell(fs, scale):
    """Multiplet blocks of the first shell: (H blocks {(Q, 2S): matrix}, bases {(Q, 2S):
    Fock-space columns of the representatives' basis}, lowered bases {(Q, 2S, 2M): the
    same states at S_z = M})."""
    if fs.Splus is None:
        raise ValueError("model: the (Q, S) mode needs SU(2) spin symmetry (B = 0)")
    Sp, Sm = fs.Splus, fs.Splus.T
    blocks, bases, lowered = {}, {}, {}
    for Q in sorted(set(fs.Q.tolist())):
        for two_s in sorted(set(fs.twoSz[fs.Q == Q].tolist())):
            if two_s < 0:
                continue
            cols = np.where((fs.Q == Q) & (fs.twoSz == two_s))[0]
            rows = np.where((fs.Q == Q) & (fs.twoSz == two_s + 2))[0]
            B = np.zeros((len(fs.Q), 0))
            kernel = _null(Sp[np.ix_(rows, cols)])
            if kernel.shape[1]:
                B = np.zeros((len(fs.Q), kernel.shape[1]))
                B[cols] = kernel
                q = (Q, two_s)
                bases[q] = B
                blocks[q] = anp.dot(B.T, anp.dot(fs.H, B)) / scale
                V, M = B, two_s
                lowered[(Q, two_s, M)] = V
                while M > -two_s:
                    # S^- |S M> = sqrt((S + M)(S - M + 1)) |S M-1>   (in units of 1/2: /2)
                    norm = math.sqrt((two_s + M) * (two_s - M + 2)) / 2.0
                    V = Sm @ V / norm
                    M -= 2
                    lowered[(Q, two_s, M)] = V
    return blocks, bases, lowered


def first_fdag_matrices(fs, bases, lowered):
    """Reduced <(Q+1, S')||f_0^+||(Q, S)> in the representatives' bases of the first
    shell (before diagonalization): {(source block, target block): matrix}."""
    out = {}
    for (Q, S) in bases:
        for Sa in (S + 1, S - 1):
            qa = (Q + 1, Sa)
            if qa not in bases or Sa < 0:
                continue
            for sig, two_sig in ((0, 1), (1, -1)):
                Mb = Sa - two_sig
                den = cg(S, Mb, 1, two_sig, Sa, Sa)
                if abs(Mb) > S or abs(den) < 1e-12:
                    continue
                # <S' S'| f^+_sig |S Mb> = <S Mb; 1/2 sig|S' S'> <S'||f^+||S>
                out[((Q, S), qa)] = bases[qa].T @ fs.fdag0[sig] @ lowered[(Q, S, Mb)] / den
                break
    return out


def first_fdag(fs, vecs, bases, lowered, kept, right=None):
    """Reduced <(Q+1, S') || f_0^+ || (Q, S)> between kept first-shell multiplets,
    {(source block, target block): kept_t x kept_s}: Ua^T M Ub with Ua from ``vecs``
    and Ub from ``right`` (default ``vecs``; bilinear, so tangents enter either side)."""
    right = vecs if right is None else right
    out = {}
    for (qb, qa), M in first_fdag_matrices(fs, bases, lowered).items():
        out[(qb, qa)] = anp.dot(anp.transpose(vecs[qa][:, :kept[qa]]),
                                anp.dot(M, right[qb][:, :kept[qb]]))
    return out


# --- one step -------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _couplings(Sp, segs):
    """(a, b, c_hop) for the segments (old block, site multiplet) of a new block of spin
    Sp joined by f^+_N f_{N+1}: old charge up by one, site charge down by one. Depends
    on labels only, so it is computed once per kind of block."""
    out = []
    for a, (qa, ta) in enumerate(segs):
        for b, (qb, tb) in enumerate(segs):
            if qa[0] != qb[0] + 1 or SITE_MULTIPLETS[ta][0] != SITE_MULTIPLETS[tb][0] - 1:
                continue
            c = hop_coefficient(qb[1], tb, qa[1], ta, Sp)
            if c != 0.0:
                out.append((a, b, c))
    return tuple(out)


def grow(E, F, t, Lam):
    """Block Hamiltonians of shell N+1 in (Q, 2S) from the kept multiplets of shell N.

    E[q]: kept energies; F[(q, q')]: reduced <q'||f^+_N||q>. Returns (blocks,
    segments) with segments[q'] = [(q_old, site multiplet, offset, dim)]."""
    sqL = np.sqrt(Lam)
    targets = {}
    for q in E:
        for ti, (Qt, st, _) in enumerate(SITE_MULTIPLETS):
            for Sp in range(abs(q[1] - st), q[1] + st + 1, 2):
                targets.setdefault((q[0] + Qt, Sp), []).append((q, ti))
    traced = is_traced(t) or any(is_traced(v) for v in E.values()) or any(is_traced(m) for m in F.values())
    blocks, segments = {}, {}
    for qn, segs in targets.items():
        segs = tuple(sorted(segs, key=lambda x: (x[1], x[0])))
        dims = [len(E[q]) for q, _ in segs]
        offs = [0]
        for d in dims:
            offs.append(offs[-1] + d)
        # off-diagonal parts: (a, b, coefficient, reduced matrix, transposed)
        parts = [(min(a, b), max(a, b), c, F[(segs[b][0], segs[a][0])], a > b)
                 for a, b, c in _couplings(qn[1], segs) if (segs[b][0], segs[a][0]) in F]
        n = offs[-1]
        if traced:
            # one primitive per block; the constant scalings ride in its spec unless the
            # hopping t itself is traced
            if is_traced(t):
                blks = [(t * c) * M for _, _, c, M, _ in parts]
                coefs = [1.0] * len(parts)
            else:
                blks = [M for _, _, _, M, _ in parts]
                coefs = [t * c for _, _, c, _, _ in parts]
            spec = tuple([("diag", offs[a], sqL) for a in range(len(segs))]
                         + [("block", offs[a], offs[b], cf, tr)
                            for (a, b, _, _, tr), cf in zip(parts, coefs)])
            H = assemble(n, spec, *[E[q] for q, _ in segs], *blks)
        else:
            H = np.zeros((n, n))
            H.flat[::n + 1] = sqL * np.concatenate([E[q] for q, _ in segs])
            for a, b, c, M, tr in parts:
                blk = H[offs[a]:offs[a + 1], offs[b]:offs[b + 1]]
                np.multiply(M.T if tr else M, t * c, out=blk)       # in place, no temporary
                H[offs[b]:offs[b + 1], offs[a]:offs[a + 1]] = blk.T
        blocks[qn] = H
        segments[qn] = [(q, ti, offs[k], dims[k]) for k, (q, ti) in enumerate(segs)]
    return blocks, segments


def next_fdag(vecs, segments, kept, right=None):
    """Reduced <q'||f^+_{N+1}||q> between the kept multiplets of shell N+1 (target-side
    eigenvectors from ``vecs``, source side from ``right``, default ``vecs``)."""
    right = vecs if right is None else right
    out = {}
    for qb, segs_b in segments.items():
        for Spa in (qb[1] + 1, qb[1] - 1):
            qa = (qb[0] + 1, Spa)
            if Spa < 0 or qa not in segments:
                continue
            where_a = {(q, t): (off, d) for q, t, off, d in segments[qa]}
            terms = []
            for q, tb, off, d in segs_b:
                for ta in range(3):
                    if SITE_MULTIPLETS[ta][0] != SITE_MULTIPLETS[tb][0] + 1 or (q, ta) not in where_a:
                        continue
                    c = fdag_coefficient(q[1], ta, tb, Spa, qb[1])
                    if c != 0.0:
                        off_a, d_a = where_a[(q, ta)]
                        terms.append((c, off_a, d_a, off, d))
            if terms:
                out[(qb, qa)] = contract(tuple(terms), kept[qa], kept[qb], vecs[qa], right[qb])
    return out


def truncate(E, N_keep, e_cut, safeguard):
    """Multiplets to keep per block: the lowest N_keep *states* (2S + 1 per multiplet) by
    the threshold rule of :func:`rglib.nrg.iterate.truncate`, so that both modes keep the
    same states."""
    return iterate.truncate(E, N_keep, e_cut, safeguard, {q: q[1] + 1 for q in E})


def diagonalize(blocks):
    E, vecs = {}, {}
    for q, H in blocks.items():
        E[q], vecs[q] = eigh(H)
    e_min = min(float(plain(e)[0]) for e in E.values())
    return {q: e - e_min for q, e in E.items()}, vecs, e_min


def run(model, Lam=2.0, N_max=None, T_min=None, N_keep=1000, e_cut=None, beta_bar=2.0, z=1.0,
        scheme="wilson", A_correction=None, safeguard=1e-6, progress=None):
    """The NRG of ``model`` in (Q, 2S) multiplet blocks; parameters as in
    :func:`rglib.nrg.run` (``N_keep`` counts states, 2S + 1 per multiplet). Returns
    :class:`rglib.nrg.iterate.Shell` objects whose blocks are (Q, 2S) and whose
    ``energies`` list one value per multiplet (use :func:`shell_thermo`)."""
    cfg = settings(Lam, N_max, T_min, N_keep, e_cut, beta_bar, z, scheme, A_correction, safeguard,
                   symmetry="QS")
    fs = model.first_shell(cfg.A)
    if fs.Splus is None:
        raise ValueError(f"model: the (Q, S) mode needs SU(2) spin symmetry; {model!r} breaks "
                         "it (B != 0, or B is being differentiated): use the (Q, 2Sz) mode")
    blocks, bases, lowered = first_shell(fs, cfg.scale(0))
    E, vecs, e_min = diagonalize(blocks)
    E0 = e_min * cfg.scale(0)
    last = cfg.N_max == 0
    kept = {q: len(e) for q, e in E.items()} if last else truncate(E, cfg.N_keep, cfg.e_cut, cfg.safeguard)
    F = first_fdag(fs, vecs, bases, lowered, kept)
    shells = [Shell(0, cfg.scale(0), cfg.beta_bar, E0, E, kept, {}, {}, "QS")]
    steps = range(1, cfg.N_max + 1)
    if progress:
        steps = progress_bar(steps, desc=f"NRG shells, (Q, S) mode ({model.name})")
    for N in steps:
        scale, last = cfg.scale(N), N == cfg.N_max
        Ek = {q: e[:kept[q]] for q, e in E.items() if kept[q] > 0}
        Fk = {k: v for k, v in F.items() if k[0] in Ek and k[1] in Ek}
        blocks, segments = grow(Ek, Fk, cfg.t[N - 1], cfg.Lam)
        E, vecs, e_min = diagonalize(blocks)
        E0 = E0 + e_min * scale
        kept = {q: len(e) for q, e in E.items()} if last else truncate(E, cfg.N_keep, cfg.e_cut, cfg.safeguard)
        if not last:
            F = next_fdag(vecs, segments, kept)
        shells.append(Shell(N, scale, cfg.beta_bar, E0, E, kept, segments, {}, "QS"))
    return shells


def shell_thermo(shell):
    """T, F, S, C, T chi of one shell at T_N (:func:`rglib.nrg.thermo.shell_thermo`: either
    symmetry, multiplicities 2S + 1 included in (Q, S) blocks)."""
    return thermo.shell_thermo(shell)


def thermodynamics(shells):
    """Arrays over shells of :func:`shell_thermo` (plain floats)."""
    return thermo.thermodynamics(shells)


def free_energy(shell, T=None):
    """F = E0 - T ln sum (2S + 1) e^{-E/T} of one shell (default T = T_N;
    :func:`rglib.nrg.thermo.free_energy`, either symmetry)."""
    return thermo.free_energy(shell, T)
