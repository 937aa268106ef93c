r"""Forward mode of the spectral function: dA(omega)/dtheta along P directions in one pass.

Beyond Rigo & Mitchell, PRR 4, 013227 (2022), whose outlook names derivatives of
dynamical quantities. autograd's ``make_jvp`` through
:func:`rglib.nrg.spectral.spectral_function` repeats the whole run once per direction
and pays autograd's bookkeeping on every operation. Here the P directions share one
NRG run, one eigendecomposition per block and one pass through the full-density-matrix
(FDM) construction of :mod:`rglib.nrg.spectral`; every tangent is a plain array with a
leading axis of length P.

Every eigenvector tangent is a rotation. For a block with eigenvectors U (all columns)
and tangent Hamiltonian dH (from :func:`rglib.nrg.tangent.run`), first-order
perturbation theory with the degeneracy rule of :mod:`rglib.nrg.linalg` gives

.. math::  dU = U X, \qquad X = F \circ (U^T dH\, U), \qquad X^T = -X.

In the eigenbasis the tangents of the FDM ingredients then read:

* impurity-operator matrices D_N = U_t^T M U_q, M the kept block of D_{N-1} on the
  product basis: dD_N = U_t^T dM U_q + X_t^T D_N + D_N X_q. Only the kept block travels
  to the next shell during the run; the full dD_N is rebuilt when shell N's poles are
  made, so no n x n tangent of D is stored;
* discarded weights p = e^x / Z with x = -(E_0 + s_N E)/T + (N_max - N) ln 4:
  dp = p (dx - sum p dx), zero at T = 0 (rho is the ground multiplet of the last shell);
* kept density matrices rho^KK_N = sum_s Y_s M Y_s^T with M = blockdiag(rho^KK_{N+1},
  diag p): d rho^KK_N = sum_s Y_s (dM + X M - M X) Y_s^T, the rotation entering as a
  commutator;
* poles omega_ij = s_N (E_j - E_i) and weights W = D o (rho D +- D rho), kept-kept
  pairs left out: d omega_ij = s_N (dE_j - dE_i) and
  dW = dD o (rho D +- D rho) + D o (d rho D + rho dD +- (dD rho + D d rho));
* binning: the spline weights move with the poles (:func:`rglib.nrg.spectral.bin_tangents`).

The result equals autograd's forward mode through
:func:`rglib.nrg.spectral.spectral_function` to rounding (``tests/test_spectral.py``);
its cost is measured by ``benchmarks/spectral_speed.py``.
"""
import math

import numpy as np

from .. import validate
from . import spectral, tangent
from .ad import PARAMS, check_params, first_shell_tangent
from .ad import model as anderson
from .iterate import settings


class _Sweep:
    """Observer of :func:`rglib.nrg.tangent.run`: keeps per shell what the FDM and its
    tangents need, and carries the kept block of the operator tangent to the next shell."""

    def __init__(self, op, N_max):
        self.op, self.N_max, self.shells = op, N_max, []

    def __call__(self, shell, vecs, layout, fs, dE, dE0, X):
        op, kept = self.op, shell.kept
        if shell.N == 0:
            M = op.matrix_of(fs)
            if M is None:
                raise ValueError("model: spectral functions need an impurity level d "
                                 "(the Anderson model)")
            D, base = spectral.op_first(M, vecs, layout, op), {}
        else:
            prev = self.shells[-1]
            D = spectral.op_next(prev["D"], prev["kept"], vecs, layout, op)
            base = {} if shell.N == self.N_max else spectral.op_next(
                prev["dDk"], prev["kept"], {q: u[:, :kept[q]] for q, u in vecs.items()}, layout, op)
        dDk = {}
        if shell.N < self.N_max:
            for q, Dq in D.items():
                kt, kq = kept[op.target(q)], kept[q]
                t = (np.matmul(np.swapaxes(X[op.target(q)][:, :, :kt], 1, 2), Dq[:, :kq])
                     + np.matmul(Dq[:kt], X[q][:, :, :kq]))
                dDk[q] = t + base[q] if q in base else t
        self.shells.append({"scale": shell.scale, "beta_bar": shell.beta_bar, "E0": float(shell.E0),
                            "E": shell.energies,
                            "kept": kept, "vecs": vecs, "layout": layout, "D": D, "X": X,
                            "dE": dE, "dE0": dE0, "dDk": dDk})


def _discarded_tangents(sh, pD, T):
    """dp of the discarded weights of every shell (None at T = 0, where they are constant)."""
    if T == 0.0:
        return None
    last = len(sh) - 1
    dx = [{q: -(s["dE0"][:, None] + s["scale"] * d[:, (s["kept"][q] if N < last else 0):]) / T
           for q, d in s["dE"].items()} for N, s in enumerate(sh)]
    mean = sum(np.sum(pD[N][q] * v, axis=1) for N, x in enumerate(dx) for q, v in x.items())
    return [{q: pD[N][q] * (v - mean[:, None]) for q, v in x.items()} for N, x in enumerate(dx)]


def _kept_density_tangents(sh, pD, dpD, rhoK, P):
    """d rho^KK of every shell, backwards from the last (module docstring).

    With M' = dM + X M - M X split into kept (k) and discarded (d) blocks, each segment
    gives Y_k M'_kk Y_k^T + Y_d M'_dk Y_k^T + (its transpose) + Y_d M'_dd Y_d^T; the
    last term vanishes when the discarded states carry no weight (T = 0 before the
    last shell)."""
    last = len(sh) - 1
    drhoK = [None] * (last + 1)
    drhoK[last] = {}
    for N in range(last - 1, -1, -1):
        nxt, acc = sh[N + 1], {}
        for q, segs in nxt["layout"].items():
            k = nxt["kept"][q] if N + 1 < last else 0
            Y, X, p = nxt["vecs"][q], nxt["X"][q], pD[N + 1][q]
            dp = None if dpD is None else dpD[N + 1][q]
            R = rhoK[N + 1][q] if k else np.zeros((0, 0))
            XR = np.matmul(X[:, :, :k], R)                        # (X M)[:, :k]
            Xp = X[:, :k, k:] * p                                  # (X M)[:k, k:]
            Mkk = XR[:, :k] + np.swapaxes(XR[:, :k], 1, 2) + (drhoK[N + 1][q] if k else 0.0)
            Mdk = XR[:, k:] + np.swapaxes(Xp, 1, 2)
            Mdd = None
            if dp is not None or np.any(p):
                XD = X[:, k:, k:] * p
                Mdd = XD + np.swapaxes(XD, 1, 2)
                if dp is not None:
                    Mdd[:, np.arange(len(p)), np.arange(len(p))] += dp
            for qo, _, off, dim in segs:
                Yk, Yd = Y[off:off + dim, :k], Y[off:off + dim, k:]
                G = np.matmul(Yk, 0.5 * Mkk) + np.matmul(Yd, Mdk)
                c = np.matmul(G, Yk.T)
                c = c + np.swapaxes(c, 1, 2)
                if Mdd is not None:
                    c += np.matmul(np.matmul(Yd, Mdd), Yd.T)
                acc[qo] = acc[qo] + c if qo in acc else c
        drhoK[N] = acc
    return drhoK


def _rect_weights(D, dD, sign, rows, cols):
    """Weights W = D o (rho D +- D rho) and dW on one rectangle of a pair matrix.

    ``rows`` / ``cols`` describe rho on the rectangle's target / source states:
    ("kept", rho^KK, d rho^KK) or ("discarded", p, dp), dp None when zero."""
    kind, R, dR = rows
    if kind == "kept":
        rD, drD = R @ D, np.matmul(R, dD) + np.matmul(dR, D)
    else:
        rD, drD = R[:, None] * D, R[:, None] * dD
        if dR is not None:
            drD += dR[:, :, None] * D
    kind, R, dR = cols
    if kind == "kept":
        rD += sign * (D @ R)
        drD += sign * (np.matmul(dD, R) + np.matmul(D, dR))
    elif np.any(R) or dR is not None:
        rD += sign * (D * R[None, :])
        drD += sign * (dD * R[None, :] + (0.0 if dR is None else D * dR[:, None, :]))
    return D * rD, dD * rD + D * drD


def _bin_shell(s, prev, pD, dpD, rhoK, drhoK, op, is_last, regions, h, dh):
    """Add the binned weights of shell ``s`` and their tangents to h, dh (per region).

    The pairs of every block are taken in rectangles: kept-discarded, discarded-kept and
    discarded-discarded (kept-kept pairs belong to later shells; on the last shell all
    states count as discarded). The discarded-discarded rectangle carries no weight when
    the discarded states have none (T = 0 before the last shell) and is then skipped."""
    P = len(s["dE0"])
    X, E, dE, vecs, sign = s["X"], s["E"], s["dE"], s["vecs"], 1.0 if op.fermionic else -1.0
    k = {q: 0 if is_last else n for q, n in s["kept"].items()}
    rho = {q: (("kept", rhoK[q], drhoK[q]) if k[q] else None,
               ("discarded", pD[q], None if dpD is None else dpD[q])) for q in E}
    rects = []                                   # (rows kept?, cols kept?)
    if not is_last:
        rects += [(True, False), (False, True)]
    if is_last or dpD is not None or any(np.any(v) for v in pD.values()):
        rects.append((False, False))

    def part(q, kept_side):
        return slice(None, k[q]) if kept_side else slice(k[q], None)

    for rows_kept, cols_kept in rects:
        right = {q: u[:, part(q, cols_kept)] for q, u in vecs.items()}
        left = {q: u[:, part(q, rows_kept)] for q, u in vecs.items()}
        base = {} if prev is None else spectral.op_next(prev["dDk"], prev["kept"], right, s["layout"], op,
                                                        left=left)
        for q, D in s["D"].items():
            qt = op.target(q)
            rs, cs = part(qt, rows_kept), part(q, cols_kept)
            if (rows_kept and not k[qt]) or (cols_kept and not k[q]):
                continue
            Dsub = D[rs, cs]
            if not Dsub.size:
                continue
            dD = np.matmul(np.swapaxes(X[qt][:, :, rs], 1, 2), D[:, cs]) + np.matmul(D[rs], X[q][:, :, cs])
            if q in base:
                dD += base[q]
            W, dW = _rect_weights(Dsub, dD, sign, rho[qt][0 if rows_kept else 1], rho[q][0 if cols_kept else 1])
            om = (s["scale"] * (E[q][cs][None, :] - E[qt][rs][:, None])).ravel()
            dom = (s["scale"] * (dE[q][:, None, cs] - dE[qt][:, rs, None])).reshape(P, -1)
            W, dW = W.ravel(), dW.reshape(P, -1)
            for r, (geom, nb, _) in enumerate(regions):
                a, da = spectral.bin_tangents(om, W, dom, dW, geom, nb)
                h[r] += a
                dh[r] += da


def memory_GiB(N_max, N_keep, P):
    """Estimated peak memory: that of the FDM (:func:`rglib.nrg.spectral.memory_GiB`,
    every shell's eigenvectors and operator matrices) plus the P rotation generators X of
    every shell's eigenvectors, (1 + P/4) times it: measured 1.93 GiB for P = 4 at
    N_keep = 1000, 55 shells, against 1.06 GiB for A(omega) alone
    (``benchmarks/spectral_speed.py``; no pole lists are kept here)."""
    return (1.0 + P / 4.0) * spectral.memory_GiB(N_max, N_keep)


def spectral_function_jvp(model, dH0, dB, omega, T=0.0, b=spectral.B_DEFAULT, omega0=None,
                          sigma="up", operator="d", Lam=2.0, N_keep=1000, T_min=None, N_max=None,
                          z=1.0, scheme="wilson", A_correction=None, safeguard=1e-6, progress=None):
    """A(omega) of ``model`` and its derivatives along P directions: (A, dA (P, len(omega))).

    A direction p is a change dH0[p] of the physical first-shell Hamiltonian (shape
    (P, d, d)) and dB[p] of the uniform chain field (shape (P,)), as in
    :func:`rglib.nrg.tangent.run`. Other parameters as in
    :func:`rglib.nrg.spectral.spectral_function` (``operator="Sz_d"``: chi''(omega)/pi of
    the impurity spin). A equals :func:`rglib.nrg.spectral.spectral_function` and dA
    autograd's forward mode through it, to rounding.
    """
    T, op, T_min = spectral.check_request(T, operator, sigma, T_min, N_max, N_keep)
    b, omega = spectral.check_broadening(b, omega)
    dH0, dB = np.asarray(dH0, dtype=float), np.asarray(dB, dtype=float)
    if dH0.ndim != 3 or dH0.shape[1] != dH0.shape[2]:
        raise ValueError(f"dH0: expected shape (P, d, d), got {dH0.shape}")
    if dB.shape != dH0.shape[:1]:
        raise ValueError(f"dB: expected shape ({len(dH0)},) like dH0's directions, got {dB.shape}")
    P = len(dB)
    if P == 0:
        raise ValueError("dH0: give at least one direction")
    if not (np.all(np.isfinite(dH0)) and np.all(np.isfinite(dB))):
        raise ValueError("dH0 and dB must hold finite numbers")
    d = model.first_shell(1.0).H.shape[0]
    if dH0.shape[1:] != (d, d):
        raise ValueError(f"dH0: expected shape (P, {d}, {d}) (the first shell of {type(model).__name__} "
                         f"has {d} states), got {dH0.shape}")
    cfg = settings(Lam, N_max, T_min, N_keep, None, 2.0, z, scheme, A_correction, safeguard)
    validate.budget("N_keep", memory_GiB(cfg.N_max, cfg.N_keep, P), "GiB",
                    f"the memory of every shell's eigenvectors and their {P} tangents (FDM)")
    sweep = _Sweep(op, cfg.N_max)
    tangent.run(model, dH0, dB, Lam=Lam, N_max=N_max, T_min=T_min, N_keep=N_keep, z=z, scheme=scheme,
                A_correction=A_correction, safeguard=safeguard, progress=progress, observer=sweep)
    sh = sweep.shells
    spectral.check_reaches_T(sh, T)
    if omega0 is None:
        omega0 = T if T > 0 else sh[-1]["scale"]
    omega0 = float(validate.positive("omega0", omega0))
    pD = spectral.discarded_weights(sh, T)
    rhoK = spectral.kept_density(sh, pD)
    dpD = _discarded_tangents(sh, pD, T)
    drhoK = _kept_density_tangents(sh, pD, dpD, rhoK, P)
    # every |omega_ij| <= s_N max E (energies count from each shell's ground state):
    # bins up to that bound; those beyond the actual poles stay empty
    top = math.log(max(s["scale"] * max(float(np.max(e)) for e in s["E"].values() if len(e))
                       for s in sh))
    regions = spectral.regions(omega, b, omega0, {1: top, -1: top})
    h = [np.zeros(nb) for _, nb, _ in regions]
    dh = [np.zeros((P, nb)) for _, nb, _ in regions]
    for N, s in enumerate(sh):
        _bin_shell(s, sh[N - 1] if N else None, pD[N], dpD[N] if dpD else None, rhoK[N], drhoK[N],
                   op, N == len(sh) - 1, regions, h, dh)
    A = sum(K @ hr for (_, _, K), hr in zip(regions, h))
    dA = sum(dhr @ K.T for (_, _, K), dhr in zip(regions, dh))
    return A, dA


def derivatives(params, omega, T=0.0, wrt=PARAMS, field="impurity", **kw):
    """A(omega) of the Anderson model at ``params`` (a dict as in
    :func:`rglib.nrg.ad.check_params`) and {name: dA/d name} for the names in ``wrt``, all
    in one pass (:func:`spectral_function_jvp`; keywords passed on)."""
    p = check_params(params)
    wrt = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    for k in wrt:
        validate.one_of("wrt", k, PARAMS)
    if not wrt or len(set(wrt)) != len(wrt):
        raise ValueError(f"wrt: give distinct names among {PARAMS}, got {wrt}")
    dH0, dB = first_shell_tangent(p, field, kw.get("Lam", 2.0), kw.get("scheme", "wilson"),
                                  kw.get("A_correction"))
    rows = [PARAMS.index(k) for k in wrt]
    A, dA = spectral_function_jvp(anderson(p, field), dH0[rows], dB[rows], omega, T, **kw)
    return A, dict(zip(wrt, dA))
