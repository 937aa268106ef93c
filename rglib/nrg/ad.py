r"""Differentiable NRG: observables as derivatives of the free energy.

Rigo & Mitchell, PRR 4, 013227 (2022): derivatives of NRG outputs with respect to
Hamiltonian parameters by automatic differentiation, susceptibilities from source
terms evaluated at exactly zero field. The NRG of :mod:`rglib.nrg.iterate` is written
with autograd-compatible NumPy and the degeneracy-safe ``eigh`` primitive of
:mod:`rglib.nrg.linalg`, so the free energy of any shell,

.. math::  F_N(\theta, T) = E_0 - T \ln \sum_i e^{-E_i/T},

can be differentiated exactly (derivatives of the *truncated* algorithm) by

* reverse mode (autograd) for one scalar: all parameters in one backward pass,
  second derivatives by reverse over reverse (:func:`gradient`, :func:`hessian_row`);
* forward mode (:func:`all_shells`): the derivatives of F_N for *every* shell with
  respect to all parameters in one pass (:mod:`rglib.nrg.tangent`).

Parameters are addressed by name: ``params = {"eps_d": ..., "U": ..., "Gamma": ...,
"B": ...}`` (B may be left out: 0). Derivatives come back as dicts with those keys.

Observables (shell N, T = T_N unless given; :func:`observables`):
<n_d> = dF/d eps_d, <n_up n_dn> = dF/dU, <H_hyb> = 2 Gamma dF/dGamma,
S = -dF/dT, C = -T d^2F/dT^2, chi = -d^2F/dB^2 at B = 0 exactly, chi_c = -d^2F/d eps_d^2.
The field B couples to S_z of the impurity (``field="impurity"``) or of impurity and
chain (``"uniform"``). Impurity parts subtract the bare chain (:func:`impurity_chi`).
"""
import numpy as np
from autograd import grad, jacobian

from .. import validate
from ..autodiff import is_traced
from . import chain, su2, su2_tangent, tangent
from .impurity import choose_mode
from .iterate import run, settings
from .models import Anderson, Bath
from .thermo import free_energy as shell_free_energy

#: the differentiable parameters of the Anderson model, in this order
PARAMS = ("eps_d", "U", "Gamma", "B")


def check_params(params):
    """``params`` as a dict of floats with the keys of :data:`PARAMS` (B defaults to 0)."""
    if is_traced(params):             # a dict being differentiated: checked on the way in
        return params
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict with keys {PARAMS}, got {type(params).__name__}")
    unknown = set(params) - set(PARAMS)
    if unknown:
        raise ValueError(f"params: unknown parameter(s) {sorted(unknown)}; known: {PARAMS}")
    missing = [k for k in PARAMS[:3] if k not in params]
    if missing:
        raise ValueError(f"params: missing {missing}")
    out = {}
    for k in PARAMS:
        v = validate.finite(k, params.get(k, 0.0))
        out[k] = v if is_traced(v) else float(v)      # grad needs floats, not ints
    if not out["Gamma"] > 0:
        raise ValueError("Gamma must be > 0 for derivatives (V = sqrt(2 Gamma / pi) is not "
                         f"differentiable at 0), got {out['Gamma']!r}")
    return out


def reverse_memory_GiB(order=1, **run_kw):
    """Estimated memory of a reverse pass through the run ``run_kw``: the autograd tape
    keeps every shell's blocks, measured 0.88 GiB for 67 shells at N_keep = 1000
    (``benchmarks/dnrg_speed.py``), i.e. 14 MiB per shell at 1000 states, as N_keep^2;
    reverse over reverse (``order=2``) keeps about twice that."""
    cfg = settings(**run_kw)
    n_keep = cfg.N_keep if cfg.N_keep is not None else 4 ** min(cfg.N_max + 2, 12)
    return order * (cfg.N_max + 1) * 0.014 * (n_keep / 1000.0) ** 2


def _guard(order, run_kw):
    validate.budget("N_keep", reverse_memory_GiB(order, **run_kw), "GiB",
                    "the memory of the reverse-mode pass (autograd keeps every shell)")


def model(params, field="impurity"):
    """The Anderson model at ``params`` (autograd-traceable)."""
    return Anderson(params["eps_d"], params["U"], params["Gamma"], params.get("B", 0.0),
                    field=field)


def shells(params, field="impurity", **run_kw):
    """NRG shells of the SIAM at ``params`` (autograd-traceable)."""
    return run(model(params, field), **run_kw)


def free_energy(params, shell=-1, T=None, field="impurity", **run_kw):
    """F of shell index ``shell`` (default: the last) at temperature T (default T_N)."""
    return shell_free_energy(shells(params, field, **run_kw)[shell], T)


def gradient(params, shell=-1, field="impurity", mode="auto", **run_kw):
    """dF/d(params) of one shell by reverse mode (one backward pass): dict by name.

    ``mode`` as in :func:`rglib.nrg.impurity.choose_mode`: at B = 0 (B not being
    differentiated) the run is in (Q, S) multiplet blocks, where dF/dB = -<S_z> = 0 by
    symmetry; otherwise, and inside second derivatives (B traced), in (Q, 2Sz) blocks."""
    p = check_params(params)
    if not is_traced(params):
        _guard(1, run_kw)
        if choose_mode(model(p, field), mode) == "QS":
            def F3(x):
                q = dict(p, eps_d=x[0], U=x[1], Gamma=x[2])
                return su2.free_energy(su2.run(model(q, field), **run_kw)[shell])

            g = grad(F3)(np.array([p["eps_d"], p["U"], p["Gamma"]]))
            return {"eps_d": float(g[0]), "U": float(g[1]), "Gamma": float(g[2]), "B": 0.0}
    return grad(free_energy)(p, shell, None, field, **run_kw)


def hessian_row(params, wrt, shell=-1, field="impurity", **run_kw):
    """d/d(wrt) of dF/d(params): one reverse-over-reverse pass, a dict by name.

    ``hessian_row(params, "B")["B"]`` is d^2F/dB^2 (minus the susceptibility).
    """
    validate.one_of("wrt", wrt, PARAMS)
    p = check_params(params)
    _guard(2, run_kw)

    def dF(q):
        return gradient(q, shell, field, **run_kw)[wrt]

    return grad(dF)(p)


def hessian(params, shell=-1, field="impurity", **run_kw):
    """All second derivatives d^2F/da db, as a dict keyed by (a, b)."""
    out = {}
    for a in PARAMS:
        row = hessian_row(params, a, shell, field, **run_kw)
        out.update({(a, b): row[b] for b in PARAMS})
    return out


def first_shell_tangent(params, field="impurity", Lam=2.0, scheme="wilson", A_correction=None):
    """(dH0, dB): derivatives of the first-shell Hamiltonian and of the chain field,
    one row per parameter of :data:`PARAMS`."""
    A = chain.coupling_factor(Lam, scheme, A_correction)
    p = check_params(params)
    x = np.array([p[k] for k in PARAMS])
    dH0 = jacobian(lambda v: model(dict(zip(PARAMS, v)), field).first_shell(A).H)(x)
    dB = np.array([1.0 if (k == "B" and field == "uniform") else 0.0 for k in PARAMS])
    return np.moveaxis(dH0, -1, 0), dB


def all_shells(params, field="impurity", return_shells=False, mode="auto", **run_kw):
    """(F, dF): F_N over shells and dF_N/d(param) as a dict of arrays, by forward mode.

    With ``return_shells`` also the shells of that same run (e.g. to compare with
    operator expectation values from :func:`rglib.nrg.run` with ``operators=``).
    ``mode`` as in :func:`rglib.nrg.impurity.choose_mode`: at B = 0 without
    ``operators`` the run is in (Q, S) multiplet blocks (:mod:`rglib.nrg.su2_tangent`,
    several times faster), where dF/dB = -<S_z> = 0 by symmetry; otherwise in
    (Q, 2Sz) blocks (:mod:`rglib.nrg.tangent`). The returned shells are of that mode.
    """
    p = check_params(params)
    m = model(p, field)
    qs = choose_mode(m, mode) == "QS"
    if qs and run_kw.get("operators"):
        if mode == "QS":
            raise ValueError("mode: 'QS' does not transport operators; use mode='QSz' or 'auto'")
        qs = False
    dH0, dB = first_shell_tangent(p, field, run_kw.get("Lam", 2.0), run_kw.get("scheme", "wilson"),
                                  run_kw.get("A_correction"))
    if qs:
        sh, dF3 = su2_tangent.run(m, dH0[:3], **run_kw)
        dF = np.concatenate([dF3, np.zeros((len(sh), 1))], axis=1)
        F = np.array([float(su2.free_energy(s)) for s in sh])
    else:
        sh, dF = tangent.run(m, dH0, dB, **run_kw)
        F = np.array([float(shell_free_energy(s)) for s in sh])
    dF = {k: dF[:, i] for i, k in enumerate(PARAMS)}
    return (F, dF, sh) if return_shells else (F, dF)


def entropy(shell, T=None):
    """S = -dF/dT of one shell (default T = T_N); equals the conventional formula."""
    T = shell.T if T is None else validate.positive("T", T)
    return float(-grad(lambda t: shell_free_energy(shell, t))(float(T)))


def heat_capacity(shell, T=None):
    """C = -T d^2F/dT^2 of one shell (default T = T_N)."""
    T = shell.T if T is None else validate.positive("T", T)
    return float(-T * grad(grad(lambda t: shell_free_energy(shell, t)))(float(T)))


def observables(params, shell=-1, field="impurity", second=True, **run_kw):
    """Thermodynamics of one shell from derivatives of F (dict of floats).

    First derivatives in one reverse pass; S and C from T derivatives; with
    ``second`` also chi = -d2F/dB2 and chi_c = -d2F/d eps_d^2 (reverse over reverse).
    """
    p = check_params(params)
    sh = shells(p, field, **run_kw)[shell]
    g = gradient(p, shell, field, **run_kw)
    out = {"T": sh.T, "F": float(shell_free_energy(sh)), "n_d": g["eps_d"], "docc": g["U"],
           "E_hyb": 2 * p["Gamma"] * g["Gamma"], "dF_dB": g["B"],
           "S": entropy(sh), "C": heat_capacity(sh)}
    if second:
        out["chi"] = -hessian_row(p, "B", shell, field, **run_kw)["B"]
        h_eps = hessian_row(p, "eps_d", shell, field, **run_kw)
        out.update(chi_c=-h_eps["eps_d"], d2F_deps_dU=h_eps["U"])
    return out


def impurity_chi(params, shell=-1, field="uniform", **run_kw):
    """chi_imp = -d2F/dB2 (impurity run) + d2F/dB2 (bare chain), both at B = 0."""
    p = check_params(params)

    def F_bath(B):
        return shell_free_energy(run(Bath(B=B, field="uniform"), **run_kw)[shell])

    chi_tot = -hessian_row(p, "B", shell, field, **run_kw)["B"]
    chi_bath = -grad(grad(F_bath))(p["B"]) if field == "uniform" else 0.0
    return chi_tot - chi_bath
