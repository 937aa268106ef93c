r"""Thermodynamics from NRG shells (conventional, i.e. from the spectra).

Shell N is evaluated at T_N = s_N / beta_bar with its full spectrum (Bulla, Costi &
Pruschke, RMP 80, 395 (2008), Sec. III.A.1). With rescaled energies e_i (relative to
the shell ground state) and p_i = exp(-beta_bar e_i) / Z:

* free energy  F = E0 - T ln Z                   (physical units)
* entropy      S = beta_bar <e> + ln Z
* heat capacity C = beta_bar^2 (<e^2> - <e>^2)
* T chi        = <S_z^2> - <S_z>^2              (total S_z, g mu_B = 1)
* charge       <Q>, and any transported operator <O>.

Impurity contributions X_imp(T_N) = X(impurity + chain, N) - X(bare chain, N)
(:func:`impurity`). Thermodynamics oscillate between even and odd N; the cure used
here is :func:`even_odd_average`: interpolate the even-N and the odd-N sequences
in ln T onto all temperatures and average them (z-averaging over N_z twists is the
other cure: average runs with z = 1/N_z, ..., 1 at equal T_N, :func:`z_average`).
"""
import functools

import autograd.numpy as anp
import numpy as np

from .. import validate
from ..autodiff import plain as _plain

QUANTITIES = ("T", "F", "S", "C", "Tchi", "Sz", "Q")


def shell_thermo(shell, operators=()):
    """Thermodynamic quantities of one shell at T_N = scale / beta_bar (dict)."""
    beta_bar = shell.beta_bar
    es = [shell.energies[q] for q in shell.energies]
    e = anp.concatenate(es)
    two_sz = np.concatenate([np.full(len(shell.energies[q]), q[1]) for q in shell.energies])
    Qn = np.concatenate([np.full(len(shell.energies[q]), q[0]) for q in shell.energies])
    w = anp.exp(-beta_bar * e)
    Z = anp.sum(w)
    p = w / Z
    em = anp.sum(p * e)
    T = shell.scale / beta_bar
    sz = two_sz / 2.0
    out = {
        "T": T,
        "F": shell.E0 - T * anp.log(Z),
        "S": beta_bar * em + anp.log(Z),
        "C": beta_bar ** 2 * (anp.sum(p * e * e) - em ** 2),
        "Tchi": anp.sum(p * sz * sz) - anp.sum(p * sz) ** 2,
        "Sz": anp.sum(p * sz),
        "Q": anp.sum(p * Qn),
    }
    for name in operators:
        out[name] = anp.sum(p * anp.concatenate([shell.ops[name][q] for q in shell.energies]))
    return out


def free_energy(shell, T=None):
    """F = E0 - T ln sum_i exp(-E_i / T) of one shell at temperature T (default T_N).

    Differentiable (autograd) in the model parameters *and* in T, so that
    S = -dF/dT and C = -T d^2F/dT^2 reproduce the conventional formulas exactly.
    """
    from autograd.scipy.special import logsumexp

    e = anp.concatenate([shell.energies[q] for q in shell.energies]) * shell.scale
    if T is None:
        T = shell.scale / shell.beta_bar
    return shell.E0 - T * logsumexp(-e / T)


def free_energy_tangent(shell):
    """Forward-mode tangents dF_N (P,) of a shell run with ``tangent=`` (at T_N)."""
    e = np.concatenate([_plain(shell.energies[q]) for q in shell.energies])
    de = np.concatenate([shell.denergies[q] for q in shell.energies], axis=1)
    w = np.exp(-shell.beta_bar * (e - e.min()))
    p = w / w.sum()
    return shell.dE0 + shell.scale * de @ p


def thermodynamics(shells, operators=()):
    """Arrays over shells of :data:`QUANTITIES` (plain NumPy floats)."""
    rows = [shell_thermo(s, operators) for s in shells]
    keys = list(rows[0])
    return {k: np.array([float(_plain(r[k])) for r in rows]) for k in keys}


def impurity(total, bath, keys=("S", "C", "Tchi", "F", "Q")):
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
        raise ValueError("even_odd_average needs at least 4 shells")
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
def bath_thermodynamics(B, Lam, T_min, N_keep, beta_bar, z, scheme, kw_items=()):
    """Thermodynamics of the bare Wilson chain (uniform field B), cached.

    The bath does not depend on the impurity parameters, so a sweep over U, Gamma or
    eps_d needs it once per (Lambda, N_keep, beta_bar, z, ...). Returns a dict of
    read-only arrays (shared between calls).
    """
    from .iterate import run
    from .models import Bath

    out = thermodynamics(run(Bath(B=B, field="uniform"), Lam, T_min=T_min, N_keep=N_keep,
                             beta_bar=beta_bar, z=z, scheme=scheme, **dict(kw_items)))
    for v in out.values():
        v.setflags(write=False)
    return out


def impurity_thermodynamics(model, Lam=2.0, T_min=1e-10, N_keep=1000, beta_bar=2.0, N_z=1,
                            scheme="wilson", progress=None, **kw):
    """S_imp, T chi_imp, C_imp vs T: impurity minus bath, z-averaged, even/odd averaged.

    Runs the NRG for ``model`` and for its bare chain (:func:`rglib.nrg.bath_of`) at
    N_z twists z = 1/N_z, ..., 1, subtracts at equal shells, averages over z, then
    averages the even and odd shells (:func:`even_odd_average`). Returns a dict of
    arrays: T, S, Tchi, C (fluctuation formula) and C_dS (= dS_imp/d ln T, the
    smoother estimate at low T), and Q (charge).
    """
    from .iterate import run
    from .models import bath_of

    if kw.get("tangent") is not None or kw.get("scramble") is not None:
        raise ValueError("impurity_thermodynamics: tangent and scramble are not supported here")
    N_z = validate.integer("N_z", N_z, minimum=1, maximum=64)
    runs = []
    zs = [(i + 1) / N_z for i in range(N_z)]
    it = zs
    if progress:
        from ..notebook import progress as _progress
        it = _progress(zs, desc=f"NRG z-runs ({model.name})")
    for z in it:
        tot = thermodynamics(run(model, Lam, T_min=T_min, N_keep=N_keep, beta_bar=beta_bar,
                                 z=z, scheme=scheme, **kw))
        b = bath_of(model)
        bath = bath_thermodynamics(float(b.B), float(Lam), float(T_min), N_keep,
                                   float(beta_bar), float(z), scheme, tuple(sorted(kw.items())))
        runs.append(impurity(tot, bath))
    imp = z_average(runs)
    out = {}
    for k in ("S", "Tchi", "C", "Q"):
        T, out[k] = even_odd_average(imp["T"], imp[k])
    out["T"] = T
    out["C_dS"] = dS_dlnT(T, out["S"])
    return out
