r"""An effective model of the double-exchange energies, fitted by least squares.

A classical spin model with translation- and rotation-invariant two-spin couplings,

.. math:: E_{\rm eff}(S) = N^2 c_0 + \sum_{s} c_s \sum_r \sum_{\delta\in{\rm shell}\ s} S_r\cdot S_{r+\delta},

one coupling per shell of displacements (|δ| sorted by length, up to ``radius``),
fitted to training energies (lstsq with an intercept per site). Like the networks it
applies to any lattice size. This is *our* effective model: the authors' baseline (4-spin
products on tiles of the 10 x 10 lattice, 29,521 parameters, not translation invariant)
is described in ``docs/references.md`` and not reproduced.
"""
import numpy as np

from .. import validate


def shells(radius):
    """Displacements (dx, dy) with 0 < |d| <= radius, one of each +-pair, grouped by |d|^2."""
    radius = validate.integer("radius", radius, minimum=1, maximum=10)
    ds = [(dx, dy) for dx in range(-radius, radius + 1) for dy in range(0, radius + 1)
          if (dy > 0 or dx > 0) and dx * dx + dy * dy <= radius * radius]
    groups = {}
    for d in ds:
        groups.setdefault(d[0] ** 2 + d[1] ** 2, []).append(d)
    return [groups[k] for k in sorted(groups)]


def features(S, radius=3):
    """(n, 1 + shells): the site count and the shell sums of S_r . S_{r+d}."""
    S = np.asarray(S, float)
    cols = [np.full(len(S), S.shape[-1] * S.shape[-2])]
    for group in shells(radius):
        f = 0.0
        for dx, dy in group:
            f = f + np.sum(S * np.roll(S, (-dx, -dy), axis=(2, 3)), axis=(1, 2, 3))
        cols.append(f)
    return np.stack(cols, axis=1)


def fit(S, E, radius=3):
    """Coefficients of the effective model (least squares)."""
    c, *_ = np.linalg.lstsq(features(S, radius), np.asarray(E, float), rcond=None)
    return {"coef": c, "radius": int(radius)}


def predict(model, S):
    return features(S, model["radius"]) @ model["coef"]
