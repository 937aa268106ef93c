r"""Nested parameters (dicts, lists, tuples of arrays) as one flat vector, and back.

Differentiating with respect to one flat vector instead of a nested dict keeps autograd's
bookkeeping small: every read of an entry of a traced dict is a primitive whose gradient
builds zeros for the *whole* structure, while the gradients of the slices of a traced
vector (:func:`segment`) are added in place into one vector. :func:`flatten` returns the vector and a function that rebuilds
the structure from it (views into the vector for plain arrays, :func:`segment` slices for
traced ones); :class:`rglib.nn.Adam` and :func:`rglib.nn.fit` work on the vector.

The order is that of ``autograd.misc.flatten`` (dict keys sorted).
"""
import numpy as np
from autograd.core import SparseObject
from autograd.extend import defvjp, primitive, vspace
from autograd.tracer import isbox


@primitive
def segment(vec, start, stop, shape):
    """vec[start:stop] of a 1-d vector, reshaped to ``shape``."""
    return vec[start:stop].reshape(shape)


@primitive
def place(g, size, start):
    """A zero vector of ``size`` holding g (raveled) from ``start`` on (the transpose of :func:`segment`)."""
    out = np.zeros(size, dtype=g.dtype)
    out[start:start + g.size] = g.ravel()
    return out


def _segment_vjp(ans, vec, start, stop, shape):
    vs = vspace(vec)

    def vjp(g):
        if isbox(g):                               # a derivative of the gradient is traced
            return place(g, len(vec), start)

        def mut_add(A):                            # added in place into the accumulated gradient
            A[start:stop] += np.ravel(g)
            return A
        return SparseObject(vs, mut_add)
    return vjp


defvjp(segment, _segment_vjp, None, None, None)
defvjp(place, lambda ans, g, size, start: lambda h: segment(h, start, start + g.size, g.shape), None, None)


def leaves(tree):
    """The arrays of a nested structure of dicts (keys sorted), lists and tuples, in order."""
    out = []

    def walk(x):
        if isinstance(x, dict):
            for k in sorted(x):
                walk(x[k])
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v)
        else:
            out.append(x)
    walk(tree)
    return out


def rebuild(template, parts):
    """The structure of ``template`` with its arrays taken in order from the iterator ``parts``."""
    if isinstance(template, dict):
        built = {k: rebuild(template[k], parts) for k in sorted(template)}
        return {k: built[k] for k in template}
    if isinstance(template, (list, tuple)):
        return type(template)(rebuild(v, parts) for v in template)
    return next(parts)


def flatten(tree):
    """(one vector of all the arrays of ``tree``, a function that rebuilds the structure
    from such a vector): views into a plain vector, :func:`segment` slices of a traced one."""
    arrays = [np.asarray(a) for a in leaves(tree)]
    shapes = [a.shape for a in arrays]
    ends = np.cumsum([a.size for a in arrays]).tolist()
    flat = np.concatenate([a.ravel() for a in arrays]) if arrays else np.zeros(0)
    starts = [0] + ends[:-1]

    def unflatten(vec):
        if isbox(vec):
            parts = [segment(vec, a, b, s) for a, b, s in zip(starts, ends, shapes)]
        else:
            parts = [vec[a:b].reshape(s) for a, b, s in zip(starts, ends, shapes)]
        return rebuild(tree, iter(parts))
    return flat, unflatten


