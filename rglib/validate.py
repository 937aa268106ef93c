"""Input checks that raise a ``ValueError`` naming the offending parameter.

Every public function of rglib checks its inputs with these helpers, and so does the
parameter-check cell of every notebook, so that bad input (a negative hybridization,
Lambda <= 1, an odd lattice, a NaN, a size that would take hours) gives one clear
sentence rather than a deep traceback, a hang, a memory blow-up or silent garbage.

Every check *returns the value to use*: numeric strings (``papermill -y`` reads
``1e-10`` as text) come back as numbers, and callers must keep the returned value.
``True``/``False`` are not numbers here, and containers are not scalars.

Resource guards (:func:`budget`) estimate the cost of a call before it starts and
refuse it when the estimate exceeds a documented limit (:data:`LIMITS`), naming the
parameter, the estimate and the limit.
"""
import math
import numbers

import numpy as np

from .autodiff import value as _value

#: Documented resource limits, shared by the library and the notebooks' checks.
#: Units: ``seconds`` of estimated run time on one core of a laptop, ``GiB`` of memory.
LIMITS = {
    "seconds": 3600.0,
    "GiB": 8.0,
}


def _as_real(name, value):
    """(value to return, plain float) for a real scalar; bools, containers, text refused."""
    v = _value(value)
    if isinstance(v, (bool, np.bool_)):
        raise ValueError(f"{name} must be a real number, got the boolean {v!r}")
    if isinstance(v, (numbers.Real, np.floating, np.integer)):
        return value, float(v)
    if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "fiu":
        return float(v), float(v)
    if isinstance(v, str):
        try:
            f = float(v.strip())
        except ValueError:
            raise ValueError(f"{name} must be a real number, got {value!r}") from None
        return f, f
    raise ValueError(f"{name} must be a real number, got {value!r}")


def finite(name, value):
    """``value`` must be a finite real number; returns it (numeric strings as float)."""
    value, v = _as_real(name, value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v!r}")
    return value


def positive(name, value):
    """``value`` > 0 and finite."""
    value = finite(name, value)
    if not float(_value(value)) > 0:
        raise ValueError(f"{name} must be > 0, got {_value(value)!r}")
    return value


def nonnegative(name, value):
    """``value`` >= 0 and finite."""
    value = finite(name, value)
    if not float(_value(value)) >= 0:
        raise ValueError(f"{name} must be >= 0, got {_value(value)!r}")
    return value


def greater(name, value, bound):
    """``value`` > ``bound`` and finite."""
    value = finite(name, value)
    if not float(_value(value)) > bound:
        raise ValueError(f"{name} must be > {bound}, got {_value(value)!r}")
    return value


def in_range(name, value, lo, hi, lo_open=False, hi_open=False):
    """lo <= ``value`` <= hi (strict with ``lo_open`` / ``hi_open``) and finite."""
    value = finite(name, value)
    v = float(_value(value))
    if not (lo < v if lo_open else lo <= v) or not (v < hi if hi_open else v <= hi):
        br, kt = "(" if lo_open else "[", ")" if hi_open else "]"
        raise ValueError(f"{name} must lie in {br}{lo}, {hi}{kt}, got {v!r}")
    return value


def integer(name, value, minimum=None, maximum=None):
    """``value`` is an integer (not a bool), optionally within [minimum, maximum]."""
    v = value
    if isinstance(v, str):
        try:
            v = float(v.strip())
        except ValueError:
            raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if isinstance(v, (bool, np.bool_)):
        raise ValueError(f"{name} must be an integer, got the boolean {v!r}")
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    if not isinstance(v, (numbers.Integral, np.integer)):
        if isinstance(v, (float, np.floating)) and math.isfinite(v) and v == int(v):
            v = int(v)
        else:
            raise ValueError(f"{name} must be an integer, got {value!r}")
    v = int(v)
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {v}")
    return v


def integers(name, values, minimum=None, maximum=None, min_length=1, max_length=None):
    """A list of integers (each checked as :func:`integer`) of bounded length."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise ValueError(f"{name} must be a list of integers, got {values!r}")
    out = [integer(name, v, minimum, maximum) for v in values]
    if len(out) < min_length:
        raise ValueError(f"{name} must hold at least {min_length} value(s), got {len(out)}")
    if max_length is not None and len(out) > max_length:
        raise ValueError(f"{name} must hold at most {max_length} values, got {len(out)}")
    return out


def reals(name, values, check=None, min_length=1, max_length=None, **kw):
    """A list of real numbers, each checked by ``check`` (default :func:`finite`)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise ValueError(f"{name} must be a list of numbers, got {values!r}")
    check = check or finite
    out = [float(check(name, v, **kw)) for v in values]
    if len(out) < min_length:
        raise ValueError(f"{name} must hold at least {min_length} value(s), got {len(out)}")
    if max_length is not None and len(out) > max_length:
        raise ValueError(f"{name} must hold at most {max_length} values, got {len(out)}")
    return out


def one_of(name, value, choices):
    """``value`` is one of ``choices``."""
    try:
        ok = value in choices
    except TypeError:
        ok = False
    if not ok or isinstance(value, bool) and not any(isinstance(c, bool) for c in choices):
        raise ValueError(f"{name} must be one of {sorted(map(str, choices))}, got {value!r}")
    return value


def boolean(name, value):
    """``value`` is True or False (not 0/1, not a string)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def divisible(name, value, divisor):
    """Integer ``value`` is a positive multiple of ``divisor``."""
    value = integer(name, value, minimum=1)
    if value % divisor:
        raise ValueError(f"{name} must be divisible by {divisor}, got {value}")
    return value


def seed(name, value):
    """A seed for ``numpy.random.default_rng``: a non-negative integer."""
    return integer(name, value, minimum=0)


def rng(name, value):
    """A ``numpy.random.Generator``, or a seed (non-negative integer) to make one."""
    if isinstance(value, np.random.Generator):
        return value
    try:
        s = seed(name, value)
    except ValueError:
        raise ValueError(f"{name} must be a numpy.random.Generator or a seed (integer >= 0), "
                         f"got {value!r}") from None
    return np.random.default_rng(s)


def spins(name, value, ndim=3, values=(-1, 1)):
    """An integer array of Ising spins with entries in ``values``; returns it as int8.

    For ``ndim = 3`` the shape must be (chains, L, L) with L >= 2 and chains >= 1.
    """
    a = np.asarray(value)
    if a.dtype.kind not in "iub" and not (a.dtype.kind == "f" and np.all(a == np.round(a))):
        raise ValueError(f"{name} must hold integer spins {values}, got dtype {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {a.shape}")
    if ndim == 3:
        if a.shape[1] != a.shape[2] or a.shape[1] < 2:
            raise ValueError(f"{name} must have shape (chains, L, L) with L >= 2, got {a.shape}")
        if a.shape[0] < 1:
            raise ValueError(f"{name}: at least one chain is needed")
    bad = ~np.isin(a, values)
    if bad.any():
        raise ValueError(f"{name} must only hold the values {values}, found "
                         f"{np.unique(a[bad])[:5].tolist()}")
    return a.astype(np.int8, copy=False)


def budget(name, estimate, limit_key, what):
    """Refuse a call whose estimated cost exceeds :data:`LIMITS` [``limit_key``].

    ``estimate`` is in the limit's unit (seconds or GiB); ``what`` describes it.
    """
    limit = LIMITS[limit_key]
    if not estimate <= limit:
        unit = "s" if limit_key == "seconds" else " GiB"
        raise ValueError(f"{name}: {what} is estimated at {estimate:.3g}{unit}, above the limit of "
                         f"{limit:g}{unit} (rglib.validate.LIMITS[{limit_key!r}]); choose a smaller "
                         f"{name}")
    return estimate
