r"""Impurity spectral function of the Anderson model: full-density-matrix NRG.

Beyond Rigo & Mitchell, PRR 4, 013227 (2022), whose outlook names derivatives of
dynamical quantities: the spectral function of the impurity level,

.. math::

    A_\sigma(\omega) = \sum_{ij} \langle i|d_\sigma|j\rangle
        \big[(\rho\, d_\sigma)_{ij} + (d_\sigma\, \rho)_{ij}\big]\,
        \delta\big(\omega - (E_j - E_i)\big),

(real matrix elements; for a thermal rho = e^{-H/T}/Z it is the familiar
sum |<i|d|j>|^2 (p_i + p_j)), evaluated with the **full density matrix** (FDM) of
Weichselbaum & von Delft, PRL 99, 076402 (2007), on the complete basis of discarded
states of Anders & Schiller, PRL 95, 196801 (2005):

* shell N's discarded states l carry rho^DD_N = 4^{N_max - N} e^{-E_l/T} / Z with
  Z = sum_N 4^{N_max - N} sum_{l discarded at N} e^{-E_l/T} (physical energies; every
  state of the last shell counts as discarded);
* the kept part rho^KK_N is the density matrix of the later shells traced over site
  N+1, built backwards: rho^KK_N = sum_s A_s rho_{N+1} A_s^T with A_s the rows of the
  eigenvectors of shell N+1 that belong to the site state s;
* shell N contributes every pair (i, j) except kept-kept ones (those are resolved by
  later shells); the weights then sum to Tr[rho (d d^+ + d^+ d)] = 1 exactly, at any
  truncation and temperature (a test checks 1e-10).

At T = 0 the density matrix is the ground multiplet of the last shell.

The same construction serves any impurity operator (:class:`Operator`): for the
bosonic S_z of the impurity the anticommutator becomes a commutator, weights
S_ij [(rho S)_ij - (S rho)_ij], and the result is the dynamical spin susceptibility
chi''(omega)/pi (:func:`spin_susceptibility`), odd in omega.

The matrix elements of d travel with the shells like the impurity operators of
:mod:`rglib.nrg.iterate`: <r's'|d|rs> = (-1)^{n_s} delta_{ss'} <r'|d|r>, since d
anticommutes with the n_s creators that make the site state s.

**Broadening** (Bulla, Costi & Pruschke, RMP 80, 395 (2008), Sec. IV.B): each pole
omega' becomes the log-Gaussian

.. math::

    P(\omega|\omega') = \theta(\omega\omega')\,
        \frac{e^{-b^2/4}}{b|\omega'|\sqrt\pi}\exp\Big[-\Big(\frac{\ln|\omega/\omega'|}{b}\Big)^2\Big],

normalized to 1 on its half axis, with b = 0.6 by default; poles with
|omega'| < omega_0 (default: the temperature, at T = 0 the last shell's energy
scale) become Gaussians of width omega_0. The poles are first collected on a fine
grid in ln|omega'| (spacing b/16) with quadratic B-spline weights: exact in the sum
rule, smooth in the pole positions (so the result can be differentiated), and the
cost no longer grows with the number of poles times frequencies.

Everything is written with autograd's NumPy and the degeneracy-safe eigensolver, so
A(omega) can be differentiated with respect to eps_d, U, Gamma and B in reverse mode
(a scalar functional) and with autograd's forward mode (dA/dtheta on the whole
frequency grid, one pass per direction); :mod:`rglib.nrg.spectral_tangent` gives the
forward mode for all directions in one pass, several times faster.
"""
import math

import autograd.numpy as anp
import numpy as np
from autograd.extend import defjvp, defjvp_argnum, defvjp, defvjp_argnum, primitive

from .. import validate
from ..autodiff import is_traced, plain
from . import fock
from .iterate import run, settings

#: spin labels of d_sigma
SIGMAS = {"up": 0, "dn": 1}

#: default width of the log-Gaussian broadening
B_DEFAULT = 0.6


class Operator:
    """An impurity operator for a Lehmann sum: its first-shell matrix, how it moves the
    block label q = (Q, 2Sz), and its statistics (fermionic: anticommutator spectral
    function, weights rho O + O rho; bosonic: commutator, rho O - O rho)."""

    def __init__(self, name, shift, fermionic, matrix_of):
        self.name, self.shift, self.fermionic, self.matrix_of = name, shift, fermionic, matrix_of

    def target(self, q):
        """Block reached from block q."""
        return (q[0] + self.shift[0], q[1] + self.shift[1])


def d_operator(sig):
    """d_sigma: one charge less, 2Sz down (up-spin) or up (down-spin) by one; fermionic."""
    return Operator(f"d_{'up' if sig == 0 else 'dn'}", (-1, -1 if sig == 0 else 1), True,
                    lambda fs: fs.d[sig] if fs.d else None)


#: S_z of the impurity level: block diagonal, bosonic
SZ_D = Operator("Sz_d", (0, 0), False, lambda fs: fs.ops.get("Sz_d") if fs.d else None)


def op_first(M, vecs, idx, op):
    """<i|O|j> between all eigenstates of the first shell, keyed by the source block."""
    out = {}
    for q in idx:
        qt = op.target(q)
        if qt in idx:
            out[q] = anp.dot(anp.transpose(vecs[qt]), anp.dot(M[np.ix_(idx[qt], idx[q])], vecs[q]))
    return out


def op_next(D_prev, kept_prev, vecs, segments, op, left=None):
    """<i|O|j> between all eigenstates of shell N+1 from the kept blocks of shell N:
    <r's'|O|rs> = delta_{ss'} (+-1)^{n_s} <r'|O|r>, the sign for a fermionic O, which
    anticommutes with the n_s creators that make the site state s. ``D_prev`` may carry
    a leading axis of tangent directions; ``vecs`` may hold only some columns (e.g. the
    kept ones) of the eigenvectors, and ``left`` (default ``vecs``) other columns for the
    target (bra) side."""
    left = vecs if left is None else left
    out = {}
    for q, segs in segments.items():
        qt = op.target(q)
        if qt not in segments:
            continue
        where_t = {(qo, s): (off, dim) for qo, s, off, dim in segments[qt]}
        acc = None
        for qo, s, off, dim in segs:
            qot = op.target(qo)
            if (qot, s) not in where_t or qo not in D_prev:
                continue
            off_t, dim_t = where_t[(qot, s)]
            M = D_prev[qo][..., :kept_prev[qot], :kept_prev[qo]]
            sign = (-1.0) ** int(fock.SITE_N[s]) if op.fermionic else 1.0
            term = sign * anp.matmul(anp.transpose(left[qt][off_t:off_t + dim_t]),
                                     anp.matmul(M, vecs[q][off:off + dim]))
            acc = term if acc is None else acc + term
        if acc is not None:
            out[q] = acc
    return out


class _Collector:
    """Observer of :func:`rglib.nrg.iterate.run`: keeps what the FDM needs per shell."""

    def __init__(self, op):
        self.op, self.shells = op, []

    def __call__(self, shell, vecs, layout, fs):
        if shell.N == 0:
            M = self.op.matrix_of(fs)
            if M is None:
                raise ValueError("model: spectral functions need an impurity level d "
                                 "(the Anderson model)")
            D = op_first(M, vecs, layout, self.op)
        else:
            prev = self.shells[-1]
            D = op_next(prev["D"], prev["kept"], vecs, layout, self.op)
        self.shells.append({"scale": shell.scale, "beta_bar": shell.beta_bar, "E0": shell.E0,
                            "E": shell.energies, "kept": shell.kept,
                            "vecs": vecs, "layout": layout, "D": D})


def discarded_weights(sh, T):
    """rho^DD of every shell: {block: weights of its discarded states} (sum 1 overall)."""
    last = len(sh) - 1
    if T == 0.0:                       # the ground multiplet of the last shell
        E = sh[last]["E"]
        gs = {q: (plain(e) <= 1e-9).astype(float) for q, e in E.items()}
        g = sum(v.sum() for v in gs.values())
        return [{q: np.zeros(len(e) - s["kept"][q]) for q, e in s["E"].items()} for s in sh[:-1]] + \
            [{q: v / g for q, v in gs.items()}]
    logs = []
    for N, s in enumerate(sh):
        x = {}
        for q, e in s["E"].items():
            k = s["kept"][q] if N < last else 0
            x[q] = -(s["E0"] + s["scale"] * e[k:]) / T + (last - N) * math.log(4.0)
        logs.append(x)
    m = max(float(np.max(plain(v))) for x in logs for v in x.values() if len(v))
    w = [{q: anp.exp(v - m) for q, v in x.items()} for x in logs]
    Z = sum(anp.sum(v) for x in w for v in x.values())
    return [{q: v / Z for q, v in x.items()} for x in w]


@primitive
def conjugate(spec, k, Y, R, p):
    r"""Y_s M Y_s^T for every row segment s = (offset, dim) of ``spec`` (flat, one after
    the other), with M = blockdiag(R, diag(p)): the kept density matrix R of the first k
    eigenstates and the weights p of the discarded ones. What :func:`kept_density` needs
    per block, as one primitive instead of a dozen traced operations per segment."""
    out = []
    for o, d in spec:
        Ys = Y[o:o + d]
        C = (Ys[:, k:] * p) @ Ys[:, k:].T
        if k:
            C = C + Ys[:, :k] @ R @ Ys[:, :k].T
        out.append(C.ravel())
    return np.concatenate(out)


def _conjugate_vjp(argnum, ans, args, kwargs):
    spec, k, Y, R, p = args

    def pieces(g):
        pos = 0
        for o, d in spec:
            yield o, d, anp.reshape(g[pos:pos + d * d], (d, d))
            pos += d * d

    def vjp(g):
        if argnum == 2:                     # d/dY: G Y_k R^T + G^T Y_k R | (G + G^T) Y_d diag(p)
            acc = anp.zeros(Y.shape)
            for o, d, G in pieces(g):
                Ys = Y[o:o + d]
                right = anp.dot(G + anp.transpose(G), Ys[:, k:]) * p
                if k:
                    left = anp.dot(anp.dot(G, Ys[:, :k]), anp.transpose(R)) + anp.dot(
                        anp.dot(anp.transpose(G), Ys[:, :k]), R)
                    right = anp.concatenate([left, right], axis=1)
                acc = acc + anp.concatenate([anp.zeros((o, Y.shape[1])), right,
                                             anp.zeros((Y.shape[0] - o - d, Y.shape[1]))], axis=0)
            return acc
        if argnum == 3:                     # d/dR: sum_s Y_k^T G Y_k
            return sum(anp.dot(anp.transpose(Y[o:o + d, :k]), anp.dot(G, Y[o:o + d, :k]))
                       for o, d, G in pieces(g)) if k else anp.zeros(np.shape(R))
        return sum(anp.sum(Y[o:o + d, k:] * anp.dot(G, Y[o:o + d, k:]), axis=0)   # d/dp: diag(Y_d^T G Y_d)
                   for o, d, G in pieces(g))

    return vjp


defvjp_argnum(conjugate, _conjugate_vjp)


def _conjugate_jvp(argnum, g, ans, args, kwargs):
    spec, k, Y, R, p = args
    if argnum == 3:
        return conjugate(spec, k, Y, g, np.zeros(np.shape(p)))
    if argnum == 4:
        return conjugate(spec, k, Y, np.zeros(np.shape(R)), g)
    out = []                               # dY M Y^T + Y M dY^T = dY M Y^T + (dY M^T Y^T)^T
    for o, d in spec:
        Ys, dYs = Y[o:o + d], g[o:o + d]
        t = anp.dot(dYs[:, k:] * p, anp.transpose(Ys[:, k:]))
        t = t + anp.transpose(t)
        if k:
            t = (t + anp.dot(anp.dot(dYs[:, :k], R), anp.transpose(Ys[:, :k]))
                 + anp.transpose(anp.dot(anp.dot(dYs[:, :k], anp.transpose(R)), anp.transpose(Ys[:, :k]))))
        out.append(anp.ravel(t))
    return anp.concatenate(out)


defjvp_argnum(conjugate, _conjugate_jvp)


def kept_density(sh, pD):
    """rho^KK of every shell, backwards from the last: {block: kept x kept matrix}."""
    last = len(sh) - 1
    rhoK = [None] * (last + 1)
    rhoK[last] = {}
    for N in range(last - 1, -1, -1):
        nxt, out = sh[N + 1], {}
        for q, segs in nxt["layout"].items():
            kq = nxt["kept"][q] if N + 1 < last else 0
            R = rhoK[N + 1][q] if kq else np.zeros((0, 0))
            flat = conjugate(tuple((off, dim) for _, _, off, dim in segs), kq, nxt["vecs"][q], R, pD[N + 1][q])
            pos = 0
            for qo, s, off, dim in segs:
                c = anp.reshape(flat[pos:pos + dim * dim], (dim, dim))
                pos += dim * dim
                out[qo] = out[qo] + c if qo in out else c
        rhoK[N] = out
    return rhoK


def _positions(s, q, qt, rows=slice(None), cols=slice(None)):
    """omega_ij = s_N (E_j - E_i) of the pairs (i in block qt, j in block q), flat."""
    return anp.ravel(s["scale"] * (anp.reshape(s["E"][q][cols], (1, -1)) - anp.reshape(s["E"][qt][rows], (-1, 1))))


def _shell_poles(s, pD, rhoK, op, is_last):
    """Pole positions (physical) and weights of one shell, kept-kept pairs left out.

    When the discarded states carry no weight (T = 0 before the last shell), only the
    kept-discarded and discarded-kept pairs can: the others are not formed."""
    om, wt = [], []
    sign = 1.0 if op.fermionic else -1.0
    no_discarded = not is_last and not any(np.any(plain(v)) for v in pD.values())
    for q, D in s["D"].items():
        qt = op.target(q)
        kq = 0 if is_last else s["kept"][q]
        kt = 0 if is_last else s["kept"][qt]
        if no_discarded:
            if kt and kq < np.shape(D)[1]:          # W = D o (rho D) on rows kept, columns discarded
                Dk = D[:kt, kq:]
                om.append(_positions(s, q, qt, slice(None, kt), slice(kq, None)))
                wt.append(anp.ravel(Dk * anp.dot(rhoK[qt], Dk)))
            if kq and kt < np.shape(D)[0]:          # W = +-D o (D rho) on rows discarded, columns kept
                Dk = D[kt:, :kq]
                om.append(_positions(s, q, qt, slice(kt, None), slice(None, kq)))
                wt.append(anp.ravel(sign * Dk * anp.dot(Dk, rhoK[q])))
            continue
        rows = [pD[qt][:, None] * D[kt:]]
        if kt:
            rows.insert(0, anp.dot(rhoK[qt], D[:kt]))
        cols = [D[:, kq:] * pD[q][None, :]]
        if kq:
            cols.insert(0, anp.dot(D[:, :kq], rhoK[q]))
        rho_D, D_rho = anp.concatenate(rows, axis=0), anp.concatenate(cols, axis=1)
        W = D * (rho_D + D_rho if op.fermionic else rho_D - D_rho)
        if kt and kq:
            mask = np.ones(np.shape(D))
            mask[:kt, :kq] = 0.0
            W = W * mask
        om.append(_positions(s, q, qt))
        wt.append(anp.ravel(W))
    return om, wt


#: memory of a reverse pass through :func:`poles` over that of the plain run: 1.83 against
#: 0.76 GiB measured at T = 0 (``benchmarks/spectral_speed.py``), with a margin
REVERSE_MEMORY_FACTOR = 2.6


def memory_GiB(N_max, N_keep):
    """Estimated peak memory of :func:`poles`: every shell's eigenvectors, d matrices and
    poles, 20 MiB per shell at N_keep = 1000 as N_keep^2 (untruncated: the 4^(N+2) states
    of the last shell): 1.06 GiB measured for 55 shells with a pole for every pair of
    states, as at T > 0; at T = 0 only the pairs with a kept state carry weight and are
    formed, 0.76 GiB measured (``benchmarks/spectral_speed.py``). A reverse pass keeps more
    (:data:`REVERSE_MEMORY_FACTOR` times this; its VJPs recompute the pole positions and the
    eigh VJP works on the kept columns)."""
    n = N_keep if N_keep is not None else 4 ** min(N_max + 2, 14)
    return (N_max + 1) * 0.02 * (n / 1000.0) ** 2


def check_request(T, operator, sigma, T_min, N_max, N_keep=None):
    """(T, :class:`Operator`, T_min) of a request for poles, checked (ValueError naming
    the parameter); T_min defaults to T/20 at T > 0 and is required at T = 0 (or N_max).
    A truncated run (``N_keep`` not None) at T > 0 needs T_min <= T."""
    T = float(validate.nonnegative("T", T))
    op = {"d": None, "Sz_d": SZ_D}[validate.one_of("operator", operator, ("d", "Sz_d"))]
    op = op or d_operator(SIGMAS[validate.one_of("sigma", sigma, tuple(SIGMAS))])
    if T_min is None and N_max is None:
        if T == 0.0:
            raise ValueError("T_min: give the lowest energy to resolve (or N_max) at T = 0")
        T_min = T / 20.0
    if T_min is not None and N_keep is not None and T > 0 \
            and float(validate.positive("T_min", T_min)) > T:
        raise ValueError(f"T_min must be <= T at T > 0 (the full density matrix needs the chain "
                         f"down to the temperature), got T_min = {float(T_min):g} > T = {T:g}")
    return T, op, T_min


def check_reaches_T(shells, T):
    """At T > 0 a truncated chain must reach T (its last shell's T_N <= T): a ValueError
    naming N_max otherwise (the density matrix would weigh the truncated spectrum at a
    temperature it does not describe: garbage, e.g. a negative A(0)). Without truncation
    the basis is complete and any T is exact."""
    T_N = shells[-1]["scale"] / shells[-1]["beta_bar"]
    truncated = any(s["kept"][q] < len(e) for s in shells[:-1] for q, e in s["E"].items())
    if T > 0 and truncated and T_N > T * (1 + 1e-9):
        raise ValueError(f"N_max: the chain stops at T_N = {T_N:.3g}, above T = {T:g}; the full "
                         "density matrix needs shells down to T (raise N_max or give T_min <= T)")


def poles(model, T=0.0, sigma="up", Lam=2.0, N_keep=1000, T_min=None, N_max=None, z=1.0,
          scheme="wilson", A_correction=None, safeguard=1e-6, progress=None, operator="d"):
    """Discrete FDM spectral weights of d_sigma: {"omega": [positions], "weight": [weights]}
    as lists of arrays, one per shell and block (autograd's forward mode concatenates
    many pieces in quadratic time; :func:`flat` joins them for inspection).

    ``T`` is the physical temperature (0: ground state). The run reaches ``T_min``
    (default T/20, required at T = 0) or ``N_max``; other parameters as in
    :func:`rglib.nrg.run`. The weights sum to 1 to rounding. Differentiable
    (autograd) in the model parameters.

    ``operator="Sz_d"``: the poles of chi''(omega)/pi of the impurity spin instead
    (bosonic: weights (p_i - p_j) |<i|S_z|j>|^2, odd in omega, summing to 0;
    :func:`spin_susceptibility`); ``sigma`` is then not used.
    """
    T, op, T_min = check_request(T, operator, sigma, T_min, N_max, N_keep)
    cfg = settings(Lam, N_max, T_min, N_keep, None, 2.0, z, scheme, A_correction, safeguard)
    traced = any(is_traced(getattr(model, k, 0.0)) for k in ("eps_d", "U", "Gamma", "B"))
    factor = REVERSE_MEMORY_FACTOR if traced else 1.0
    validate.budget("N_keep", factor * memory_GiB(cfg.N_max, cfg.N_keep), "GiB",
                    "the memory of the eigenvectors of every shell (FDM)"
                    + (f" kept {factor:g}x by the reverse pass" if traced else ""))
    col = _Collector(op)
    run(model, Lam=Lam, N_max=N_max, T_min=T_min, N_keep=N_keep, z=z, scheme=scheme,
        A_correction=A_correction, safeguard=safeguard, progress=progress, observer=col)
    sh = col.shells
    check_reaches_T(sh, T)
    pD = discarded_weights(sh, T)
    rhoK = kept_density(sh, pD)
    om, wt = [], []
    for N, s in enumerate(sh):
        o, w = _shell_poles(s, pD[N], rhoK[N], op, N == len(sh) - 1)
        om += o
        wt += w
    return {"omega": om, "weight": wt, "T": T, "scale_last": sh[-1]["scale"], "operator": operator}


def flat(p):
    """All poles of :func:`poles` as two plain arrays (positions, weights)."""
    return (np.concatenate([np.asarray(plain(o)) for o in p["omega"]]),
            np.concatenate([np.asarray(plain(w)) for w in p["weight"]]))


# --- broadening --------------------------------------------------------------------------

def _spline(u):
    """Quadratic B-spline weights of fractional bin positions u on bins i-1, i, i+1 and
    their derivatives in u: sum-preserving, mean-preserving, C^1 in u."""
    i = np.rint(u).astype(int)
    f = u - i
    return i, ((0.5 - f) ** 2 / 2, 0.75 - f ** 2, (0.5 + f) ** 2 / 2), (f - 0.5, -2 * f, 0.5 + f)


def _bin(i, coefs, w, nbins):
    h = np.zeros(nbins)
    for k, ck in zip((-1, 0, 1), coefs):
        h += np.bincount(i + k, weights=ck * w, minlength=nbins)[:nbins]
    return h


def _gather(g, i, c):
    return g[i - 1] * c[0] + g[i] * c[1] + g[i + 1] * c[2]


def log_gaussian(omega, center, b):
    """P(omega|center) of the module docstring (matrix over omega x center)."""
    omega, center = np.asarray(omega, float)[:, None], np.asarray(center, float)[None, :]
    same = omega * center > 0
    ratio = np.where(same, np.abs(omega) / np.where(same, np.abs(center), 1.0), 1.0)
    K = np.exp(-(np.log(ratio) / b - b / 4) ** 2) / (b * np.where(same, np.abs(omega), 1.0) * math.sqrt(math.pi))
    return np.where(same, K, 0.0)


def _region(o, geom):
    """Poles of region ``geom`` = (side, omega0, L0, delta): side +1 / -1 the poles with
    +-omega >= omega0 on the grid u = (ln|omega| - L0)/delta, side 0 the poles with
    |omega| < omega0 on u = (omega + omega0)/delta + 2. Returns (selection, u, du/domega)."""
    side, omega0, L0, delta = geom
    if side:
        sel = np.nonzero(side * o >= omega0)[0]
        return sel, (np.log(side * o[sel]) - L0) / delta, 1.0 / (o[sel] * delta)
    sel = np.nonzero(np.abs(o) < omega0)[0]
    return sel, (o[sel] + omega0) / delta + 2.0, np.full(len(sel), 1.0 / delta)


@primitive
def bin_poles(o, w, geom, nbins):
    """Weights w of the poles o of one region (:func:`_region`) binned with quadratic
    B-splines (:func:`_spline`): selection, grid position and binning as one primitive
    (one autograd node per block of poles instead of eight)."""
    sel, u, _ = _region(o, geom)
    i, c, _ = _spline(u)
    return _bin(i, c, w[sel], nbins)


def _bin_poles_vjp_o(ans, o, w, geom, nbins):
    def vjp(g):               # positions recomputed here: nothing extra kept on the tape
        sel, u, du = _region(o, geom)
        i, _, dc = _spline(u)
        out = np.zeros(np.shape(o))
        out[sel] = w[sel] * _gather(g, i, dc) * du
        return out
    return vjp


def _bin_poles_vjp_w(ans, o, w, geom, nbins):
    def vjp(g):
        sel, u, _ = _region(o, geom)
        i, c, _ = _spline(u)
        out = np.zeros(np.shape(w))
        out[sel] = _gather(g, i, c)
        return out
    return vjp


defvjp(bin_poles, _bin_poles_vjp_o, _bin_poles_vjp_w)


def _bin_poles_jvp_o(g, ans, o, w, geom, nbins):
    sel, u, du = _region(o, geom)
    i, _, dc = _spline(u)
    return _bin(i, dc, w[sel] * g[sel] * du, nbins)


defjvp(bin_poles, _bin_poles_jvp_o, lambda g, ans, o, w, geom, nbins: bin_poles(o, g, geom, nbins))


def bin_tangents(o, w, do, dw, geom, nbins):
    """Binned weights of one region (:func:`bin_poles`) and their tangents for P
    directions at once: do, dw of shape (P, len(o)); returns (h, dh (P, nbins))."""
    sel, u, du = _region(o, geom)
    P = len(do)
    if not len(sel):
        return np.zeros(nbins), np.zeros((P, nbins))
    i, c, dc = _spline(u)
    ws = w[sel]
    a, b = ws * du * do[:, sel], dw[:, sel]
    idx = np.concatenate([i - 1, i, i + 1])
    vals = np.empty((P, 3 * len(sel)))
    for k in range(3):
        np.add(a * dc[k], b * c[k], out=vals[:, k * len(sel):(k + 1) * len(sel)])
    dh = np.array([np.bincount(idx, weights=v, minlength=nbins)[:nbins] for v in vals])
    return _bin(i, c, ws, nbins), dh


def broaden(p, omega, b=B_DEFAULT, omega0=None):
    """A(omega) on the frequencies ``omega`` from :func:`poles` ``p``.

    b: log-Gaussian width; omega0: below it, Gaussians of width omega0 (default: the
    temperature, or the last shell's energy scale at T = 0).
    """
    b, omega = check_broadening(b, omega)
    if omega0 is None:
        omega0 = p["T"] if p["T"] > 0 else p["scale_last"]
    omega0 = float(validate.positive("omega0", omega0))
    pieces = [(o, w, np.asarray(plain(o))) for o, w in zip(p["omega"], p["weight"])]
    top = {}
    for side in (1, -1):
        far = [np.max(np.log(side * op[side * op >= omega0])) for _, _, op in pieces
               if np.any(side * op >= omega0)]
        top[side] = float(max(far)) if far else None
    A = 0.0
    for geom, nb, K in regions(omega, b, omega0, top):
        side = geom[0]
        sel = [(o, w) for o, w, op in pieces
               if np.any(side * op >= omega0 if side else np.abs(op) < omega0)]
        if sel:
            A = A + anp.dot(K, sum(bin_poles(o, w, geom, nb) for o, w in sel))
    return A


def check_broadening(b, omega):
    """``b`` and ``omega`` of :func:`broaden`, checked (ValueError naming them)."""
    b = float(validate.in_range("b", b, 0.05, 2.0))
    omega = np.asarray(omega, float)
    if omega.ndim != 1 or not np.all(np.isfinite(omega)):
        raise ValueError("omega must be a 1-D array of finite frequencies")
    return b, omega


def regions(omega, b, omega0, top):
    """The binning regions of :func:`broaden`: [(geom, number of bins, kernel)], the
    kernel being the (len(omega), bins) matrix from binned weights to A(omega).

    Two log grids (spacing b/16 in ln|omega'|) for the poles with +-omega' >= omega0,
    present when ``top[side]`` (the largest ln|omega'| of that side, or an upper bound
    of it) is not None, with log-Gaussian kernels; then a linear grid (spacing
    omega0/16) for |omega'| < omega0 with Gaussians of width omega0."""
    out = []
    delta = b / 16.0
    L0 = math.log(omega0) - delta
    for side in (1, -1):
        if top.get(side) is None:
            continue
        nb = max(int(math.ceil((top[side] - L0) / delta)) + 3, 3)
        centers = side * np.exp(L0 + delta * np.arange(nb))
        out.append(((side, omega0, L0, delta), nb, log_gaussian(omega, centers, b)))
    dl = omega0 / 16.0
    nb = int(math.ceil(2 * omega0 / dl)) + 4
    centers = -omega0 + dl * (np.arange(nb) - 2.0)
    G = np.exp(-((omega[:, None] - centers[None, :]) / omega0) ** 2) / (omega0 * math.sqrt(math.pi))
    out.append(((0, omega0, 0.0, dl), nb, G))
    return out


def spectral_function(model, omega, T=0.0, b=B_DEFAULT, omega0=None, **run_kw):
    """A_sigma(omega) of the Anderson model: :func:`poles` then :func:`broaden`."""
    return broaden(poles(model, T, **run_kw), omega, b, omega0)


def spin_susceptibility(model, omega, T=0.0, b=B_DEFAULT, omega0=None, **run_kw):
    r"""chi''(omega) of the impurity spin, Im of chi(t) = -i theta(t) <[S_z^d(t), S_z^d]>:

    .. math::  \chi''(\omega) = \pi \sum_{ij} (p_i - p_j) |\langle i|S^d_z|j\rangle|^2
               \delta\big(\omega - (E_j - E_i)\big)

    (full density matrix, the same broadening as A(omega)); odd in omega, > 0 for
    omega > 0. Its Kramers-Kronig integral is the static local susceptibility,
    :func:`static_susceptibility`."""
    return math.pi * broaden(poles(model, T, operator="Sz_d", **run_kw), omega, b, omega0)


def static_susceptibility(p):
    r"""chi = \int chi''(omega) / (pi omega) d omega = sum over poles of weight / omega
    (poles of :func:`poles` with ``operator="Sz_d"``; pairs at omega = 0, which carry no
    weight, left out). At T = 0 this is the static local susceptibility -d^2F/dB^2 of
    a field on the impurity alone (Kramers-Kronig). Poles of another operator (the
    d electron's A(omega)) are refused: their sum of weight / omega is no susceptibility."""
    if not isinstance(p, dict) or not {"omega", "weight"} <= set(p):
        raise ValueError("p must be the poles of rglib.nrg.spectral.poles(..., operator='Sz_d')")
    if p.get("operator") != "Sz_d":
        raise ValueError(f"p: static_susceptibility needs the poles of operator='Sz_d' (the "
                         f"impurity spin), got those of operator={p.get('operator')!r}")
    tot = 0.0
    for o, w in zip(p["omega"], p["weight"]):
        nz = np.nonzero(np.abs(np.asarray(plain(o))) > 1e-300)[0]
        if len(nz):
            tot = tot + anp.sum(w[nz] / o[nz])
    return tot


def resonant_level(omega, eps_d, Gamma):
    """Exact U = 0 spectral function for the flat band of half-width D = 1:
    A(omega) = (Gamma/pi) / ((omega - eps_d - Lambda(omega))^2 + Gamma^2) for |omega| < 1,
    with Lambda(omega) = (Gamma/pi) ln|(1 + omega)/(1 - omega)|. Needs Gamma > 0."""
    eps_d = float(validate.finite("eps_d", eps_d))
    Gamma = float(validate.positive("Gamma", Gamma))
    omega = np.asarray(omega, float)
    if not np.all(np.isfinite(omega)):
        raise ValueError("omega must hold finite frequencies")
    lam = Gamma / math.pi * np.log(np.abs((1 + omega) / (1 - omega)))
    return np.where(np.abs(omega) < 1, Gamma / math.pi / ((omega - eps_d - lam) ** 2 + Gamma ** 2), 0.0)

