"""Helpers for code that runs both plain and under autograd tracing (HIPS autograd)."""
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
