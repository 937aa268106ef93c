r"""Degeneracy-safe symmetric eigensolver for reverse-mode AD (HIPS autograd primitive).

``eigh(H)`` returns (w, U) of the symmetric part (H + H^T)/2. Its vector-Jacobian
product is Giles' formula (M. Giles, "An extended collection of matrix derivative
results", 2008) with the eigenvector term regularized *at degeneracies only*:

.. math::

    \bar H = U\Big[\mathrm{diag}(\bar w) + F \circ (U^T \bar U)\Big] U^T,\qquad
    F_{ij} = \begin{cases} 1/(w_j - w_i) & |w_j - w_i| > \tau \\ 0 & \text{otherwise,}\end{cases}

symmetrized. Plain autograd divides by zero there and returns NaN. A forward-mode
rule (same degeneracy rule) serves autograd's ``make_jvp``; :func:`eigh_jvp` is the
batched form used by :mod:`rglib.nrg.tangent`.

When is it exact? Write the downstream computation as a function of
H' = U diag(w) U^T with gradient G = d(output)/dH'. Giles' eigenvector term then
contributes (U^T G U)_ij for i != j, also in the degenerate limit, where it is the
finite divided difference 0/0 -> (U^T G U)_ij. Zeroing F_ij is therefore exact
whenever G has no matrix elements between degenerate eigenvectors. That holds when
the degeneracy is enforced by a symmetry that G respects: states of different
(Q, S_z) sectors, or members of one SU(2) multiplet under a spin-scalar G
(Wigner-Eckart), whatever mixture of them LAPACK returns. It is the NRG's situation
inside (Q, S_z) blocks for the free energy and its derivatives by scalar
parameters, provided truncation never splits a multiplet. It fails for accidental
degeneracies between states that G couples, and for a G that breaks the symmetry
(e.g. a transverse field): the dropped term is then finite (Kasim,
arXiv:2011.04366). For second derivatives by a field coupling to S_z,
the symmetry blocks make the perturbation diagonal between degenerate states, so
the Curie terms come from the eigenvalue part and are kept. The VJP is written with
autograd operations, so it can itself be differentiated (reverse over reverse).
"""
import autograd.numpy as anp
import numpy as np
from autograd.extend import defjvp, defvjp, primitive

from ..autodiff import is_traced, plain

#: relative gap below which two eigenvalues count as degenerate
DEGENERACY_TOL = 1e-9


def degenerate_mask(w, tol=DEGENERACY_TOL):
    """Boolean matrix: |w_i - w_j| <= tol * max(1, max|w|) (diagonal included)."""
    w = plain(w)
    scale = max(1.0, float(np.max(np.abs(w)))) if w.size else 1.0
    return np.abs(w[None, :] - w[:, None]) <= tol * scale


@primitive
def eigh(H):
    """Eigenvalues (ascending) and eigenvectors of the symmetric part of H."""
    H = np.asarray(H)
    w, U = np.linalg.eigh(0.5 * (H + H.T))
    return w, U


def _inverse_gaps(w, k):
    """F[:, :k] of the module docstring: 1/(w_j - w_i), zero at degeneracies."""
    deg = degenerate_mask(w)[:, :k]
    gap = w[None, :k] - w[:, None]                        # w_j - w_i (differentiable)
    return np.where(deg, 0.0, 1.0) / (gap + np.where(deg, 1.0, 0.0))


def _eigh_vjp(ans, H):
    w, U = ans

    def vjp(g):
        gw, gU = g
        if is_traced(gw) or is_traced(gU) or is_traced(U):     # higher order: autograd ops
            F = _inverse_gaps(w, len(w))
            inner = anp.diag(gw) + F * anp.dot(anp.transpose(U), gU)
            Hbar = anp.dot(U, anp.dot(inner, anp.transpose(U)))
            return 0.5 * (Hbar + anp.transpose(Hbar))
        # First order: the NRG uses only the first k (kept) eigenvector columns, so
        # U^T gU has k nonzero columns; U diag(gw) U^T + U X U_k^T costs n^3 + 4 n^2 k
        # multiply-adds instead of 3 n^3.
        used = np.flatnonzero(np.any(gU != 0.0, axis=0))
        k = int(used[-1]) + 1 if used.size else 0
        Hbar = (U * gw) @ U.T
        if k:
            X = _inverse_gaps(w, k) * (U.T @ gU[:, :k])
            Hbar += (U @ X) @ U[:, :k].T
        return 0.5 * (Hbar + Hbar.T)

    return vjp


defvjp(eigh, _eigh_vjp)


def _eigh_jvp_rule(g, ans, H):
    """Forward mode for autograd's ``make_jvp``: one tangent direction, all columns."""
    w, U = ans
    dw, dU = eigh_jvp(w, U, 0.5 * (g + g.T)[None])
    return dw[0], dU[0]


defjvp(eigh, _eigh_jvp_rule)


def eigh_jvp(w, U, dH, k=None, full=False):
    """Forward-mode tangent of eigh for tangent matrices dH (shape (P, n, n)).

    Returns (dw, dU_k): eigenvalue tangents (P, n) and tangents of the first k
    eigenvector columns (P, n, k), with the same degeneracy rule as the VJP:
    dU = U X, X = F o U^T dH U. With ``full`` also X itself (P, n, n; antisymmetric,
    zero between degenerate states), the generator of the rotation of all columns.
    """
    n = len(w)
    k = n if k is None else k
    deg = degenerate_mask(w)
    gap = w[None, :] - w[:, None]
    F = np.where(deg, 0.0, 1.0 / np.where(deg, 1.0, gap))
    HU = np.matmul(dH, U)                                  # (P, n, n)
    dw = np.einsum("ij,pij->pj", U, HU)
    if full:
        X = F[None] * np.matmul(U.T, HU)                   # (P, n, n)
        return dw, np.matmul(U, X[:, :, :k]), X
    G = np.matmul(U.T, HU[:, :, :k])                       # (P, n, k)
    dU = np.matmul(U, F[None, :, :k] * G)
    return dw, dU
