"""Shared helper of the benchmark scripts (not a benchmark itself)."""
import time


def timed(f, *a, **k):
    """(f(*a, **k), wall seconds)."""
    t0 = time.perf_counter()
    out = f(*a, **k)
    return out, time.perf_counter() - t0
