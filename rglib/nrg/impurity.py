r"""Impurity thermodynamics: the impurity-minus-bath pipeline.

X_imp(T_N) = X(impurity + chain, shell N) - X(bare chain, shell N) at equal shells,
i.e. equal temperatures (Krishna-murthy, Wilkins & Wilson, PRB 21, 1003 (1980)).
Thermodynamics of single shells oscillate between even and odd N. Two cures, both
here: :func:`even_odd_average` interpolates the even-N and the odd-N sequences in ln T
onto all temperatures and averages them; :func:`z_average` averages runs with
twists z = 1/N_z, ..., 1 at equal T_N (Oliveira & Oliveira, PRB 49, 11986 (1994)).

* :func:`impurity_per_shell`: X_imp on every shell (z-averaged, no even/odd average):
  the output to compare with another NRG code shell by shell;
* :func:`impurity_thermodynamics`: the same, even/odd averaged (drops the end
  shells, which lack a neighbour of the other parity).

The bare chain does not depend on the impurity parameters: its thermodynamics are
cached (:func:`bath_thermodynamics`), which halves the work of parameter sweeps.

**Mode** (``mode=``): "auto" (default) runs the NRG in (Q, S) multiplet blocks
(:mod:`rglib.nrg.su2`, several times faster) whenever the model has SU(2) spin symmetry,
i.e. B = 0, and in (Q, 2Sz) blocks otherwise; "QS" or "QSz" force one (the results agree
to rounding where both apply: tests/test_su2.py).
"""
import functools
import math
import warnings

import numpy as np

from .. import sweep, validate
from ..progress import progress as progress_bar
from . import su2
from .iterate import run
from .models import Bath, bath_of
from .thermo import thermodynamics

#: the NRG modes of the pipeline
MODES = ("auto", "QS", "QSz")


def choose_mode(model, mode="auto"):
    """"QS" where the model allows the (Q, S) mode and ``mode`` is "auto" or "QS"; "QSz"
    otherwise (a ValueError when "QS" is forced on a model that breaks SU(2))."""
    validate.one_of("mode", mode, MODES)
    allowed = model.first_shell(1.0).Splus is not None
    if mode == "QS" and not allowed:
        raise ValueError(f"mode: 'QS' needs SU(2) spin symmetry; {model!r} breaks it (B != 0)")
    return "QS" if allowed and mode != "QSz" else "QSz"


#: beta_bar times the lowest discarded (rescaled) energy below which the kept states do
#: not describe the next shell's temperature: the discarded states would carry more
#: than e^-4 = 2% of the Boltzmann weight of the ground state
MIN_CUT = 4.0


def discarded_cut(shells):
    """Per shell, the lowest rescaled energy that truncation discarded (inf where none)."""
    out = []
    for s in shells:
        d = [e[k] for q, e in s.energies.items() for k in [s.kept[q]] if k < len(e)]
        out.append(float(min(d)) if d else math.inf)
    return np.array(out)


def check_truncation(cut, N_keep, beta_bar):
    """Warn (naming N_keep) when a shell kept too few states for the thermodynamics of
    the next one (:data:`MIN_CUT`); returns the worst beta_bar * cut."""
    worst = float(beta_bar * np.min(cut)) if len(cut) else math.inf
    if worst < MIN_CUT:
        warnings.warn(f"N_keep = {N_keep} is too small for these thermodynamics: a shell discarded "
                      f"states at beta_bar E = {worst:.2g} (< {MIN_CUT:g}), which carry up to "
                      f"{100 * math.exp(-worst):.0f}% of the ground state's Boltzmann weight; S, C "
                      "and T chi are then wrong. Raise N_keep.", RuntimeWarning, stacklevel=3)
    return worst


def _thermo_run(model, mode, **kw):
    sh = su2.run(model, **kw) if choose_mode(model, mode) == "QS" else run(model, **kw)
    out = su2.thermodynamics(sh) if choose_mode(model, mode) == "QS" else thermodynamics(sh)
    out["cut"] = discarded_cut(sh[:-1])
    return out

#: the quantities of the impurity pipeline
KEYS = ("S", "C", "Tchi", "F", "Q")


def subtract_bath(total, bath, keys=KEYS):
    """X_imp = X_total - X_bath at equal shells (equal temperatures)."""
    n = min(len(total["T"]), len(bath["T"]))
    if not np.allclose(total["T"][:n], bath["T"][:n], rtol=1e-12):
        raise ValueError("total and bath runs must use the same Lambda and beta_bar")
    out = {"T": total["T"][:n].copy()}
    for k in keys:
        out[k] = total[k][:n] - bath[k][:n]
    return out


def even_odd_average(T, X):
    """Average of the even-N and odd-N sequences of X, both interpolated in ln T.

    Returns values on the temperatures T[1:-1] (the ends lack a neighbour of the
    other parity).
    """
    T, X = np.asarray(T), np.asarray(X)
    if len(T) < 4:
        raise ValueError("even_odd_average needs at least 4 shells (lower T_min)")
    lt = np.log(T)
    ev, od = np.arange(0, len(T), 2), np.arange(1, len(T), 2)
    # ln T decreases with N: np.interp wants increasing abscissae
    xe = np.interp(lt, lt[ev][::-1], X[ev][::-1])
    xo = np.interp(lt, lt[od][::-1], X[od][::-1])
    return T[1:-1], 0.5 * (xe + xo)[1:-1]


def z_average(results):
    """Average thermodynamics dicts of runs with different z at equal shells."""
    if not results:
        raise ValueError("z_average needs at least one run")
    n = min(len(r["T"]) for r in results)
    return {k: np.mean([r[k][:n] for r in results], axis=0) for k in results[0]}


def at_temperature(T, X, T0):
    """X interpolated (in ln T) at temperature(s) T0, which must lie inside the run."""
    T, X = np.asarray(T), np.asarray(X)
    T0 = np.atleast_1d(np.asarray(T0, dtype=float))
    for v in T0:
        validate.positive("T", v)
    if T0.min() < T.min() * (1 - 1e-12) or T0.max() > T.max() * (1 + 1e-12):
        raise ValueError(f"T must lie in the run's range [{T.min():.3g}, {T.max():.3g}]: "
                         "run more shells (N_max or T_min) for lower temperatures")
    return np.interp(np.log(T0), np.log(T)[::-1], X[::-1])


def dS_dlnT(T, S):
    """Heat capacity C = dS/d ln T by finite differences on the (ln T) grid."""
    return np.gradient(np.asarray(S), np.log(np.asarray(T)))


@functools.lru_cache(maxsize=32)
def bath_thermodynamics(B, Lam, T_min, N_keep, beta_bar, z, scheme, A_correction, mode="auto"):
    """Thermodynamics of the bare Wilson chain (uniform field B), cached.

    The bath does not depend on the impurity parameters, so a sweep over U, Gamma or
    eps_d needs it once per (Lambda, N_keep, beta_bar, z, ...). Returns a dict of
    read-only arrays (shared between calls).
    """
    out = _thermo_run(Bath(B=B, field="uniform"), mode, Lam=Lam, T_min=T_min, N_keep=N_keep,
                      beta_bar=beta_bar, z=z, scheme=scheme, A_correction=A_correction)
    for v in out.values():
        v.setflags(write=False)
    return out


def impurity_at_z(model, Lam, T_min, N_keep, beta_bar, z, scheme="wilson", A_correction=None,
                  mode="auto"):
    """X_imp on every shell of one run with twist z (impurity minus the cached bath)."""
    tot = _thermo_run(model, mode, Lam=Lam, T_min=T_min, N_keep=N_keep, beta_bar=beta_bar, z=z,
                      scheme=scheme, A_correction=A_correction)
    bath = bath_thermodynamics(float(bath_of(model).B), float(Lam), float(T_min), N_keep,
                               float(beta_bar), float(z), scheme, A_correction, mode)
    out = subtract_bath(tot, bath)
    out["cut"] = np.minimum(tot["cut"].min(initial=math.inf), bath["cut"].min(initial=math.inf))
    return out


def impurity_per_shell(model, Lam=2.0, T_min=1e-10, N_keep=1000, beta_bar=2.0, N_z=1,
                       scheme="wilson", A_correction=None, progress=None, executor="serial",
                       mode="auto"):
    """X_imp at every shell temperature T_N, averaged over N_z twists (no even/odd average).

    Runs the NRG for ``model`` and for its bare chain (:func:`rglib.nrg.bath_of`) at
    z = 1/N_z, ..., 1 and subtracts at equal shells. Returns a dict of arrays T, S, C,
    Tchi, F, Q over the shells N = 0 .. N_max. ``executor``: where the N_z runs go
    (:func:`rglib.sweep.run`; default here, one after the other; None: a local pool).
    ``mode``: "auto", "QS" or "QSz" (module docstring).
    """
    Lam = float(validate.greater("Lam", Lam, 1.0))
    T_min = float(validate.positive("T_min", T_min))
    beta_bar = float(validate.positive("beta_bar", beta_bar))
    N_z = validate.integer("N_z", N_z, minimum=1, maximum=64)
    choose_mode(model, mode)
    tasks = [dict(model=model, Lam=Lam, T_min=T_min, N_keep=N_keep, beta_bar=beta_bar,
                  z=(i + 1) / N_z, scheme=scheme, A_correction=A_correction, mode=mode) for i in range(N_z)]
    if executor == "serial":
        it = progress_bar(tasks, desc=f"NRG z-runs ({model.name})") if progress else tasks
        runs = [impurity_at_z(**t) for t in it]
    else:
        runs = sweep.run(impurity_at_z, tasks, executor=executor, cache_dir=None,
                         progress=bool(progress), desc=f"NRG z-runs ({model.name})")
    check_truncation(np.array([r.pop("cut") for r in runs]), N_keep, beta_bar)
    return z_average(runs)


def impurity_thermodynamics(model, Lam=2.0, T_min=1e-10, N_keep=1000, beta_bar=2.0, N_z=1,
                            scheme="wilson", A_correction=None, progress=None, executor="serial",
                            mode="auto"):
    """S_imp, T chi_imp, C_imp vs T: impurity minus bath, z-averaged, even/odd averaged.

    :func:`impurity_per_shell`, then :func:`even_odd_average`. Returns a dict of
    arrays: T, S, Tchi, C (fluctuation formula) and C_dS (= dS_imp/d ln T, the
    smoother estimate at low T), and Q (charge).
    """
    imp = impurity_per_shell(model, Lam, T_min, N_keep, beta_bar, N_z, scheme, A_correction,
                             progress, executor, mode)
    out = {}
    for k in ("S", "Tchi", "C", "Q"):
        T, out[k] = even_odd_average(imp["T"], imp[k])
    out["T"] = T
    out["C_dS"] = dS_dlnT(T, out["S"])
    return out
