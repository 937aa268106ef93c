r"""Block-spin transformations and the even coupling operators used by MCRG.

* :func:`majority`: b x b majority rule (Kadanoff); a tie (possible for even b) is
  broken at random with the given generator.
* :func:`decimation`: keep one spin per b x b block.
* :func:`even_operators`: per configuration, the sums of the three short-range even
  interactions S_nn = sum s_i s_j (nearest neighbours), S_nnn (diagonal next-nearest
  neighbours) and S_sq = sum s_i s_j s_k s_l (elementary plaquettes).
"""
import numpy as np

from .. import validate
from .mc import _validate_spins


def _blocks(spins, b):
    s = _validate_spins(spins)
    b = validate.integer("b", b, minimum=2)
    L = s.shape[1]
    if L % b:
        raise ValueError(f"L must be divisible by the block size b = {b}, got L = {L}")
    return s, b, L // b


def majority(spins, rng, b=2):
    """b x b majority rule with random tie-break: (C, L, L) -> (C, L/b, L/b)."""
    s, b, Lb = _blocks(spins, b)
    tot = s.reshape(s.shape[0], Lb, b, Lb, b).sum(axis=(2, 4), dtype=np.int32)
    ties = rng.integers(0, 2, size=tot.shape, dtype=np.int8) * 2 - 1
    return np.where(tot > 0, 1, np.where(tot < 0, -1, ties)).astype(np.int8)


def decimation(spins, b=2):
    """Keep the top-left spin of every b x b block."""
    s, b, _ = _blocks(spins, b)
    return np.ascontiguousarray(s[:, ::b, ::b])


def even_operators(spins):
    """(C, 3) array of S_nn, S_nnn, S_sq per configuration (periodic)."""
    s = _validate_spins(spins).astype(np.int32)
    r, d = np.roll(s, -1, 2), np.roll(s, -1, 1)
    rd = np.roll(r, -1, 1)
    ru = np.roll(r, 1, 1)
    S_nn = np.sum(s * r + s * d, axis=(1, 2))
    S_nnn = np.sum(s * rd + s * ru, axis=(1, 2))
    S_sq = np.sum(s * r * d * rd, axis=(1, 2))
    return np.stack([S_nn, S_nnn, S_sq], axis=1).astype(float)
