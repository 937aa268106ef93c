"""Two structural autograd primitives of the NRG iteration (speed of reverse mode).

Building a block Hamiltonian from its sub-blocks, and contracting eigenvectors into
the f^+ matrices of the next shell, are each hundreds of tiny slice / transpose /
concatenate operations when traced op by op. Each is one primitive here, computed
in place, with a vector-Jacobian product that only slices (assemble) or performs
the transposed contractions (contract). Both VJPs fall back to autograd operations
when their inputs are themselves traced, so reverse-over-reverse still works.
Forward-mode rules (for autograd's ``make_jvp``) follow from linearity.
"""
import autograd.numpy as anp
import numpy as np
from autograd.extend import def_linear, defjvp_argnum, defjvp_argnums, defvjp_argnum, primitive

from ..autodiff import is_traced


def _traced(*xs):
    return any(is_traced(x) for x in xs)


def _entry(sp):
    """A spec entry with its defaults: ("diag", r0, coef) or ("block", r0, c0, coef, transposed)."""
    if sp[0] == "diag":
        return sp[0], sp[1], None, (sp[2] if len(sp) > 2 else 1.0), False
    return sp[0], sp[1], sp[2], (sp[3] if len(sp) > 3 else 1.0), (sp[4] if len(sp) > 4 else False)


@primitive
def assemble(n, spec, *parts):
    """Symmetric n x n matrix from parts placed by ``spec``.

    spec[k] = ("diag", r0[, coef]) puts coef * the 1-D parts[k] on the diagonal at offset
    r0; spec[k] = ("block", r0, c0[, coef, transposed]) puts X = coef * parts[k] (or its
    transpose) at (r0, c0) and X^T at (c0, r0). Constant coefficients inside the spec
    keep the scalings out of the traced graph (one node per block Hamiltonian).
    """
    H = np.zeros((n, n))
    for sp, x in zip(spec, parts):
        kind, r0, c0, coef, tr = _entry(sp)
        if kind == "diag":
            i = np.arange(r0, r0 + len(x))
            H[i, i] = coef * x
        else:
            x = coef * (x.T if tr else x)
            a, b = x.shape
            H[r0:r0 + a, c0:c0 + b] = x
            H[c0:c0 + b, r0:r0 + a] = x.T
    return H


def _assemble_vjp(argnum, ans, args, kwargs):
    kind, r0, c0, coef, tr = _entry(args[1][argnum - 2])
    x = args[argnum]

    def vjp(g):
        if kind == "diag":
            return coef * anp.diag(g[r0:r0 + len(x), r0:r0 + len(x)])
        a, b = x.shape[::-1] if tr else x.shape
        gb = g[r0:r0 + a, c0:c0 + b] + anp.transpose(g[c0:c0 + b, r0:r0 + a])
        return coef * (anp.transpose(gb) if tr else gb)

    return vjp


defvjp_argnum(assemble, _assemble_vjp)


def _assemble_jvp(argnums, gs, ans, args, kwargs):
    # linear in the parts jointly: all tangents placed in one matrix (zeros for the
    # parts that carry none), not one n x n matrix per traced part
    n, spec, parts = args[0], args[1], args[2:]
    tangent = dict(zip(argnums, gs))
    return assemble(n, spec, *[tangent[i + 2] if i + 2 in tangent else np.zeros(np.shape(p))
                               for i, p in enumerate(parts)])


defjvp_argnums(assemble, _assemble_jvp)


@primitive
def contract(spec, kt, kq, Ut, Uq):
    """sum_k c_k Ut[o2:o2+d2, :kt]^T Uq[o:o+d, :kq] for spec = [(c, o2, d2, o, d), ...]."""
    out = np.zeros((kt, kq))
    for c, o2, d2, o, d in spec:
        out += c * (Ut[o2:o2 + d2, :kt].T @ Uq[o:o + d, :kq])
    return out


def _contract_vjp(argnum, ans, args, kwargs):
    spec, kt, kq, Ut, Uq = args

    def vjp(g):
        if _traced(g, Ut, Uq):        # second order: plain autograd operations
            terms = []
            for c, o2, d2, o, d in spec:
                if argnum == 3:
                    blk = c * anp.dot(Uq[o:o + d, :kq], anp.transpose(g))
                    terms.append((o2, d2, kt, blk))
                else:
                    blk = c * anp.dot(Ut[o2:o2 + d2, :kt], g)
                    terms.append((o, d, kq, blk))
            shape = (Ut if argnum == 3 else Uq).shape
            acc = anp.zeros(shape)
            for off, d, k, blk in terms:
                pad = anp.concatenate([anp.zeros((off, k)), blk,
                                       anp.zeros((shape[0] - off - d, k))], axis=0)
                pad = anp.concatenate([pad, anp.zeros((shape[0], shape[1] - k))], axis=1)
                acc = acc + pad
            return acc
        gU = np.zeros((Ut if argnum == 3 else Uq).shape)
        for c, o2, d2, o, d in spec:
            if argnum == 3:
                gU[o2:o2 + d2, :kt] += c * (Uq[o:o + d, :kq] @ g.T)
            else:
                gU[o:o + d, :kq] += c * (Ut[o2:o2 + d2, :kt] @ g)
        return gU

    return vjp


defvjp_argnum(contract, _contract_vjp)
def_linear(contract)          # bilinear in (Ut, Uq): the forward-mode rule


@primitive
def sandwich(spec, k, Y, *Os):
    r"""Operator O = blockdiag(Os) (placed at the row ranges ``spec`` = [(offset, dim)])
    in the eigenbasis Y of a block: one flat array holding the diagonal
    <i|O|i> for all n states, then the kept block <i|O|j>, i, j < k (row-major k x k).

    What :func:`rglib.nrg.iterate.transport` needs per block, as one primitive (the
    averages of every shell and the operator of the next), instead of a few traced
    operations per segment."""
    n = Y.shape[1]
    diag, kept = np.zeros(n), np.zeros((k, k))
    for (o, d), O in zip(spec, Os):
        OY = O @ Y[o:o + d]
        diag += np.einsum("ij,ij->j", Y[o:o + d], OY)
        if k:
            kept += Y[o:o + d, :k].T @ OY[:, :k]
    return np.concatenate([diag, kept.ravel()])


def _split(g, n, k):
    return g[:n], anp.reshape(g[n:], (k, k))


def _sandwich_vjp(argnum, ans, args, kwargs):
    spec, k, Y = args[0], args[1], args[2]
    n = Y.shape[1]

    def vjp(g):
        gd, gK = _split(g, n, k)
        if argnum == 2:                      # d/dY: 2 O Y diag(gd) + O Y_k (G + G^T), per segment
            rows = []
            for (o, d), O in zip(spec, args[3:]):
                OY = anp.dot(O, Y[o:o + d])
                r = 2.0 * OY * gd
                if k:
                    rk = anp.dot(OY[:, :k], gK + anp.transpose(gK))
                    r = r + anp.concatenate([rk, anp.zeros((d, n - k))], axis=1)
                rows.append((o, d, r))
            acc = anp.zeros(Y.shape)
            for o, d, r in rows:
                acc = acc + anp.concatenate([anp.zeros((o, n)), r, anp.zeros((Y.shape[0] - o - d, n))], axis=0)
            return acc
        o, d = spec[argnum - 3]             # d/dO: Y diag(gd) Y^T + Y_k G Y_k^T on its segment
        Ys = Y[o:o + d]
        out = anp.dot(Ys * gd, anp.transpose(Ys))
        if k:
            out = out + anp.dot(anp.dot(Ys[:, :k], gK), anp.transpose(Ys[:, :k]))
        return out

    return vjp


defvjp_argnum(sandwich, _sandwich_vjp)


def _sandwich_jvp(argnum, g, ans, args, kwargs):
    spec, k, Y = args[0], args[1], args[2]
    if argnum >= 3:                          # linear in each O
        Os = [g if i == argnum - 3 else np.zeros(np.shape(O)) for i, O in enumerate(args[3:])]
        return sandwich(spec, k, Y, *Os)
    n = Y.shape[1]                           # quadratic in Y: dY^T O Y + Y^T O dY
    diag, kept = 0.0, 0.0
    for (o, d), O in zip(spec, args[3:]):
        OY = anp.dot(O, Y[o:o + d])
        diag = diag + 2.0 * anp.sum(g[o:o + d] * OY, axis=0)
        if k:
            t = anp.dot(anp.transpose(g[o:o + d, :k]), OY[:, :k])
            kept = kept + t + anp.transpose(t)
    kept = kept if k else anp.zeros((0, 0))
    return anp.concatenate([diag * anp.ones(n), anp.ravel(kept)])


defjvp_argnum(sandwich, _sandwich_jvp)
