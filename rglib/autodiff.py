"""Helpers for code that runs both plain and under autograd tracing (HIPS autograd)."""
import autograd.numpy as anp
import numpy as np
from autograd.tracer import Box, getval


def is_traced(x):
    """True for an autograd box (a value being differentiated)."""
    return isinstance(x, Box)


def value(x):
    """The value behind (possibly nested) autograd boxes; plain values pass."""
    return getval(x)


def plain(x):
    """The plain NumPy array behind (possibly nested) autograd boxes."""
    return np.asarray(getval(x))


def logsumexp(x):
    r""":math:`\ln\sum_i e^{x_i}` of a 1-D array, shifted by its largest element for stability;
    differentiable by autograd in reverse and forward mode (the shift is a constant: the
    identity :math:`{\rm lse}(x) = m + {\rm lse}(x - m)` holds for any m). Written here
    because ``autograd.scipy.special`` imports scipy.integrate and scipy.stats (about 0.6 s)."""
    m = float(np.max(plain(x)))
    return m + anp.log(anp.sum(anp.exp(x - m)))
