r"""Block-spin transformations: majority rule and decimation.

* :func:`majority`: b x b majority rule (Kadanoff); a tie (possible for even b) is
  broken at random with the given generator.
* :func:`decimation`: keep one spin per b x b block.

The even coupling operators measured on blocked configurations are
:func:`rglib.lattice.even_operators`.
"""
import numpy as np

from .. import validate
from .mc import check_spins


def _blocks(spins, b):
    s = check_spins(spins)
    b = validate.integer("b", b, minimum=2)
    L = s.shape[1]
    if L % b:
        raise ValueError(f"L must be divisible by the block size b = {b}, got L = {L}")
    return s, b, L // b


def majority(spins, rng, b=2):
    """b x b majority rule with random tie-break: (C, L, L) -> (C, L/b, L/b)."""
    s, b, Lb = _blocks(spins, b)
    rng = validate.rng("rng", rng)
    tot = s.reshape(s.shape[0], Lb, b, Lb, b).sum(axis=(2, 4), dtype=np.int32)
    ties = rng.integers(0, 2, size=tot.shape, dtype=np.int8) * 2 - 1
    return np.where(tot > 0, 1, np.where(tot < 0, -1, ties)).astype(np.int8)


def decimation(spins, b=2):
    """Keep the top-left spin of every b x b block."""
    s, b, _ = _blocks(spins, b)
    return np.ascontiguousarray(s[:, ::b, ::b])
