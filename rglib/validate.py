"""Input checks that raise a ``ValueError`` naming the offending parameter.

Every public physics function of rglib checks its inputs with these helpers, and
so does the parameter-check cell of every notebook, so that bad input (a negative
hybridization, Lambda <= 1, an odd lattice, a NaN) gives one clear sentence rather
than a deep NumPy traceback, a hang or silent garbage.
"""
import math
import numbers

import numpy as np

from .autodiff import is_traced


def _value(x):
    # autograd boxes carry the float in ._value; checks act on the number.
    while is_traced(x):
        x = x._value
    return x


def finite(name, value):
    """``value`` must be a finite real number.

    Returns it unchanged (numbers, autograd boxes), or as a float when it is a
    numeric string: YAML reads ``1e-10`` as text, e.g. ``papermill -y 'T: 1e-10'``.
    """
    v = _value(value)
    if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.floating, np.integer)):
        try:
            v = float(np.asarray(v).item())
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a real number, got {value!r}") from None
        value = v
    if not math.isfinite(float(v)):
        raise ValueError(f"{name} must be finite, got {v!r}")
    return value


def positive(name, value):
    """``value`` > 0 and finite."""
    value = finite(name, value)
    if not _value(value) > 0:
        raise ValueError(f"{name} must be > 0, got {_value(value)!r}")
    return value


def nonnegative(name, value):
    """``value`` >= 0 and finite."""
    value = finite(name, value)
    if not _value(value) >= 0:
        raise ValueError(f"{name} must be >= 0, got {_value(value)!r}")
    return value


def greater(name, value, bound):
    """``value`` > ``bound`` and finite."""
    value = finite(name, value)
    if not _value(value) > bound:
        raise ValueError(f"{name} must be > {bound}, got {_value(value)!r}")
    return value


def in_range(name, value, lo, hi):
    """lo <= ``value`` <= hi and finite."""
    value = finite(name, value)
    if not lo <= _value(value) <= hi:
        raise ValueError(f"{name} must lie in [{lo}, {hi}], got {_value(value)!r}")
    return value


def integer(name, value, minimum=None, maximum=None):
    """``value`` is an integer (not a bool), optionally within [minimum, maximum]."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        if isinstance(value, (float, np.floating)) and math.isfinite(value) and value == int(value):
            value = int(value)
        else:
            raise ValueError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return int(value)


def one_of(name, value, choices):
    """``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(map(str, choices))}, got {value!r}")
    return value


def divisible(name, value, divisor):
    """Integer ``value`` is a positive multiple of ``divisor``."""
    value = integer(name, value, minimum=1)
    if value % divisor:
        raise ValueError(f"{name} must be divisible by {divisor}, got {value}")
    return value


def seed(name, value):
    """A seed for ``numpy.random.default_rng``: a non-negative integer."""
    return integer(name, value, minimum=0)
