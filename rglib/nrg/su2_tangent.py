r"""Forward mode in (Q, S) multiplet blocks: dF_N/dtheta on *every* shell in one pass.

The steps of :mod:`rglib.nrg.su2` repeated with P tangent directions carried alongside,
as :mod:`rglib.nrg.tangent` does for the (Q, 2S_z) blocks:

* first shell: dH_q = B_q^T dH_0 B_q / s_0 in the basis B_q of the multiplet
  representatives (:func:`rglib.nrg.su2.first_shell`); a direction must keep SU(2)
  (eps_d, U, Gamma, J; not the field B, whose first derivative vanishes at B = 0);
* :func:`rglib.nrg.su2.grow` is linear in (kept energies, reduced f^+ matrices): the same
  function gives the tangent blocks;
* eigenvalues and kept eigenvectors by first-order perturbation theory with the
  degeneracy rule of the reverse mode (:func:`rglib.nrg.linalg.eigh_jvp`);
* reduced matrices of f^+_{N+1}: bilinear in the eigenvectors, dU^T C U + U^T C dU.

Ground-state shifts. Each shell subtracts its lowest eigenvalue e_min and adds it to
E_0; the free energy F_N = E_0 - T_N ln sum (2S+1) e^{-E/T_N} does not depend on the
shift (it moves E_0 and, through sqrt(Lambda) E on the next diagonal, every later
energy by compensating amounts), so the tangents are carried without it: dE_0 = 0 and

.. math::  dF_N = s_N \sum_i \frac{(2S_i+1)\,e^{-\bar\beta E_i}}{Z}\, dE_i .

One eigendecomposition per block serves all P directions.
"""
import numpy as np

from ..autodiff import plain
from . import su2
from .iterate import Shell, settings
from .tangent import block_tangents
from .linalg import eigh_jvp


def _free_energy_tangent(shell, dE):
    """dF_N = s_N <dE> with multiplet weights (2S + 1) e^{-beta_bar E} / Z."""
    qs = list(shell.energies)
    e = np.concatenate([plain(shell.energies[q]) for q in qs])
    g = np.concatenate([np.full(len(shell.energies[q]), q[1] + 1.0) for q in qs])
    de = np.concatenate([dE[q] for q in qs], axis=1)
    w = g * np.exp(-shell.beta_bar * (e - e.min()))
    return shell.scale * de @ (w / w.sum())


def _fdag_tangent(vecs, dvecs, segments, kept, P):
    """d<q'||f^+_{N+1}||q> along each direction: (P, k', k) per pair of blocks."""
    parts = [(su2.next_fdag({q: d[p] for q, d in dvecs.items()}, segments, kept, right=vecs),
              su2.next_fdag(vecs, segments, kept, right={q: d[p] for q, d in dvecs.items()}))
             for p in range(P)]
    return {key: np.stack([a[key] + b[key] for a, b in parts]) for key in parts[0][0]}


def run(model, dH0, Lam=2.0, N_max=None, T_min=None, N_keep=1000, e_cut=None, beta_bar=2.0,
        z=1.0, scheme="wilson", A_correction=None, safeguard=1e-6):
    """(Q, S)-mode NRG shells of ``model`` and dF_N/dtheta_p for every shell and direction.

    dH0: (P, d, d) derivative of the physical first-shell Hamiltonian along each
    direction (each must commute with the total spin). Other parameters as in
    :func:`rglib.nrg.su2.run`. Returns (shells, dF) with dF of shape (n_shells, P)."""
    cfg = settings(Lam, N_max, T_min, N_keep, e_cut, beta_bar, z, scheme, A_correction, safeguard,
                   symmetry="QS")
    dH0 = np.asarray(dH0, dtype=float)
    P = len(dH0)
    fs = model.first_shell(cfg.A)
    if fs.Splus is None:
        raise ValueError(f"model: the (Q, S) mode needs SU(2) spin symmetry; {model!r} breaks it")
    if dH0.shape[1:] != fs.H.shape:
        raise ValueError(f"dH0: expected shape (P, {fs.H.shape[0]}, {fs.H.shape[1]}), got {dH0.shape}")
    for p in range(P):
        if not np.allclose(fs.Splus @ dH0[p], dH0[p] @ fs.Splus, atol=1e-12):
            raise ValueError(f"dH0[{p}] breaks SU(2) spin symmetry (e.g. a field direction): "
                             "use rglib.nrg.tangent in (Q, 2Sz) blocks")
    s0 = cfg.scale(0)
    blocks, bases, lowered = su2.first_shell(fs, s0)
    E, vecs, e_min = su2.diagonalize(blocks)
    last = cfg.N_max == 0
    kept = {q: len(e) for q, e in E.items()} if last else su2.truncate(
        E, cfg.N_keep, cfg.e_cut, cfg.safeguard)
    dE, dvecs = {}, {}
    for q, B in bases.items():
        dH = np.matmul(np.matmul(B.T, dH0), B) / s0
        dE[q], dvecs[q] = eigh_jvp(E[q] + e_min, vecs[q], dH, k=kept[q])
    F = su2.first_fdag(fs, vecs, bases, lowered, kept)
    dF_op = {}
    for p in range(P):
        a = su2.first_fdag(fs, {q: d[p] for q, d in dvecs.items()}, bases, lowered, kept, right=vecs)
        b = su2.first_fdag(fs, vecs, bases, lowered, kept, right={q: d[p] for q, d in dvecs.items()})
        for key in a:
            dF_op.setdefault(key, []).append(a[key] + b[key])
    dF_op = {key: np.stack(v) for key, v in dF_op.items()}
    shell = Shell(0, s0, cfg.beta_bar, e_min * s0, E, kept, {}, {}, "QS")
    shells, dF = [shell], [_free_energy_tangent(shell, dE)]
    E0 = e_min * s0
    for N in range(1, cfg.N_max + 1):
        scale, last = cfg.scale(N), N == cfg.N_max
        Ek = [q for q in E if kept[q] > 0]
        pairs = [k for k in F if k[0] in Ek and k[1] in Ek]
        blocks, segments = su2.grow({q: E[q][:kept[q]] for q in Ek}, {k: F[k] for k in pairs},
                                    cfg.t[N - 1], cfg.Lam)
        dblocks = [su2.grow({q: dE[q][p, :kept[q]] for q in Ek}, {k: dF_op[k][p] for k in pairs},
                            cfg.t[N - 1], cfg.Lam)[0] for p in range(P)]
        E, vecs, e_min = su2.diagonalize(blocks)
        E0 = E0 + e_min * scale
        kept = {q: len(e) for q, e in E.items()} if last else su2.truncate(
            E, cfg.N_keep, cfg.e_cut, cfg.safeguard)
        dE, dvecs = block_tangents(E, e_min, vecs, dblocks, kept, last)
        if not last:
            F = su2.next_fdag(vecs, segments, kept)
            dF_op = _fdag_tangent(vecs, dvecs, segments, kept, P)
        shell = Shell(N, scale, cfg.beta_bar, E0, E, kept, segments, {}, "QS")
        shells.append(shell)
        dF.append(_free_energy_tangent(shell, dE))
    return shells, np.array(dF)
