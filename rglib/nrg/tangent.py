r"""Forward mode: derivatives of F_N on *every* shell in one pass (P directions at once).

A direction p is a change dH0[p] of the physical first-shell Hamiltonian and dB[p] of
the uniform field on the chain. The steps of :mod:`rglib.nrg.iterate` are repeated
with tangents carried alongside:

* grow is linear in (kept energies, f^+ matrices, site field): the same function
  returns the tangent Hamiltonian blocks dH;
* diagonalize: first-order perturbation theory with the degeneracy rule of the
  reverse mode (:func:`rglib.nrg.linalg.eigh_jvp`), dE_i = (U^T dH U)_ii and
  dU = U (F o U^T dH U) for the kept columns only;
* the ground-state shift, f^+_{N+1} (bilinear in the eigenvectors) and
  F_N = E0_N - T_N ln Z_N then give dF_N = dE0_N + s_N sum_i p_i dE_i.

All P directions share one NRG run and one eigendecomposition per block, so the
derivatives of F_N for all shells cost 2.4x the plain run at the standard settings
(``benchmarks/dnrg_speed.py``, which also times autograd's own ``make_jvp`` through
the same code: one pass per direction, slower).
"""
import numpy as np

from ..autodiff import plain
from ..progress import progress as progress_bar
from . import iterate
from .linalg import eigh_jvp


def block_tangents(E, e_min, vecs, dblocks, kept, last, full=False):
    """Eigenvalue and kept-eigenvector tangents of every block of one shell, for the
    tangent blocks ``dblocks`` (one dict per direction); no vectors on the last shell.
    With ``full`` also the rotation generators X of all eigenvectors (dU = U X, per
    block, shape (P, n, n); :func:`rglib.nrg.linalg.eigh_jvp`)."""
    dE, dvecs, X = {}, {}, {}
    for q in E:
        dH = np.stack([db[q] for db in dblocks])
        out = eigh_jvp(E[q] + e_min, vecs[q], dH, k=0 if last else kept[q], full=full)
        dE[q], dvecs[q] = out[:2]
        if full:
            X[q] = out[2]
    return (dE, dvecs, X) if full else (dE, dvecs)


def _tangent_shift(dE, q_min):
    """Tangents of E - e_min (e_min = lowest eigenvalue, in block q_min)."""
    return {q: d - dE[q_min][:, :1] for q, d in dE.items()}


def _free_energy_tangent(shell, dE, dE0):
    e = np.concatenate([plain(shell.energies[q]) for q in shell.energies])
    de = np.concatenate([dE[q] for q in shell.energies], axis=1)
    w = np.exp(-shell.beta_bar * (e - e.min()))
    return dE0 + shell.scale * de @ (w / w.sum())


def run(model, dH0, dB, Lam=2.0, N_max=None, T_min=None, N_keep=1000, e_cut=None,
        beta_bar=2.0, z=1.0, scheme="wilson", A_correction=None, safeguard=1e-6, operators=(),
        progress=None, observer=None):
    """NRG shells of ``model`` and dF_N/dtheta_p for every shell N and direction p.

    dH0: (P, d, d) derivative of the *physical* first-shell Hamiltonian along each
    direction; dB: (P,) derivative of the uniform chain field. Other parameters as in
    :func:`rglib.nrg.iterate.settings`. Returns (shells, dF) with dF of shape
    (n_shells, P). ``operators``: impurity operators recorded on the shells, as in
    :func:`rglib.nrg.iterate.run` (AD derivatives and expectation values from one run).
    ``progress``: a progress bar over the shells. ``observer``: called after every shell
    as ``observer(shell, vecs, layout, fs, dE, dE0, X)`` with, besides the arguments of
    :func:`rglib.nrg.iterate.run`'s observer, the tangents of the shell's energies
    (per block, (P, n), relative to its ground state) and of its ground-state energy E0
    (P,), and the rotation generators X of all its eigenvectors (per block, (P, n, n));
    what the forward mode of the spectral function needs (:mod:`rglib.nrg.spectral_tangent`).
    """
    cfg = iterate.settings(Lam, N_max, T_min, N_keep, e_cut, beta_bar, z, scheme, A_correction,
                           safeguard)
    dH0, dB = np.asarray(dH0, dtype=float), np.asarray(dB, dtype=float)
    P = len(dB)
    operators = iterate.check_operators(model, operators)
    fs = model.first_shell(cfg.A)
    blocks, idx = iterate.first_shell_blocks(fs, cfg.scale(0))
    E, vecs, e_min, q_min = iterate.diagonalize(blocks)
    E0 = e_min * cfg.scale(0)
    last = cfg.N_max == 0
    kept = {q: len(e) for q, e in E.items()} if last else iterate.truncate(
        E, cfg.N_keep, cfg.e_cut, cfg.safeguard)
    full = observer is not None
    dblocks = [{q: dH0[p][np.ix_(i, i)] / cfg.scale(0) for q, i in idx.items()} for p in range(P)]
    dE, dvecs, *X = block_tangents(E, e_min, vecs, dblocks, kept, False, full)
    dE0 = dE[q_min][:, 0] * cfg.scale(0)
    dE = _tangent_shift(dE, q_min)
    fdag = iterate.first_fdag(fs, vecs, vecs, idx, kept)
    a = iterate.first_fdag(fs, dvecs, vecs, idx, kept)
    b = iterate.first_fdag(fs, vecs, dvecs, idx, kept)
    dfdag = tuple({q: a[s][q] + b[s][q] for q in a[s]} for s in (0, 1))
    avg, ops = iterate.first_ops(fs, vecs, idx, kept, operators,
                                 iterate.thermal_weights(E, cfg.beta_bar), last)
    shell = iterate.Shell(0, cfg.scale(0), cfg.beta_bar, E0, E, kept, {}, avg, "QSz")
    shells, dF = [shell], [_free_energy_tangent(shell, dE, dE0)]
    if full:
        observer(shell, vecs, idx, fs, dE, dE0, X[0])
    steps = range(1, cfg.N_max + 1)
    if progress:
        steps = progress_bar(steps, desc=f"NRG shells with {P} tangents ({model.name})")
    for N in steps:
        scale, last = cfg.scale(N), N == cfg.N_max
        Ek = [q for q in E if kept[q] > 0]
        blocks, segments = iterate.grow({q: E[q][:kept[q]] for q in Ek},
                                        tuple({q: f[q] for q in Ek} for f in fdag),
                                        cfg.t[N - 1], cfg.Lam, model.chain_field / scale)
        dblocks = [iterate.grow({q: dE[q][p, :kept[q]] for q in Ek},
                                tuple({q: f[q][p] for q in Ek} for f in dfdag),
                                cfg.t[N - 1], cfg.Lam, dB[p] / scale)[0] for p in range(P)]
        E, vecs, e_min, q_min = iterate.diagonalize(blocks)
        E0 = E0 + e_min * scale
        kept = {q: len(e) for q, e in E.items()} if last else iterate.truncate(
            E, cfg.N_keep, cfg.e_cut, cfg.safeguard)
        dE, dvecs, *X = block_tangents(E, e_min, vecs, dblocks, kept, last, full)
        dE0 = dE0 + dE[q_min][:, 0] * scale
        dE = _tangent_shift(dE, q_min)
        if not last:
            kv = {q: u[:, :kept[q]] for q, u in vecs.items()}
            fdag = iterate.next_fdag(kv, kv, segments, kept)
            a = iterate.next_fdag(dvecs, kv, segments, kept)
            b = iterate.next_fdag(kv, dvecs, segments, kept)
            dfdag = tuple({q: np.broadcast_to(a[s][q] + b[s][q], (P,) + fdag[s][q].shape)
                           for q in a[s]} for s in (0, 1))
        avg, ops = (iterate.transport(ops, vecs, segments, kept,
                                      iterate.thermal_weights(E, cfg.beta_bar), last)
                    if operators else ({}, {}))
        shell = iterate.Shell(N, scale, cfg.beta_bar, E0, E, kept, segments, avg, "QSz")
        shells.append(shell)
        dF.append(_free_energy_tangent(shell, dE, dE0))
        if full:
            observer(shell, vecs, segments, fs, dE, dE0, X[0])
    return shells, np.array(dF)
