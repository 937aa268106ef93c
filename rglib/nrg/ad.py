r"""Differentiable NRG: observables as derivatives of the free energy.

Rigo & Mitchell, PRR 4, 013227 (2022). The NRG of :mod:`rglib.nrg.iterate` is
written with autograd-compatible NumPy and the degeneracy-safe ``eigh`` primitive
of :mod:`rglib.nrg.linalg`, so the free energy of any shell,

.. math::  F_N(\theta, T) = E_0 - T \ln \sum_i e^{-E_i/T},\qquad
           \theta = (\varepsilon_d, U, \Gamma, B),

can be differentiated exactly (derivatives of the *truncated* algorithm) by

* reverse mode (autograd) for one scalar: all parameters in one backward pass,
  second derivatives by reverse over reverse;
* forward mode (:func:`jacobian_all_shells`): the derivatives of F_N for *every*
  shell with respect to all parameters in one pass, propagating tangents through
  the eigenvectors (:func:`rglib.nrg.linalg.eigh_jvp`).

Observables (at fixed shell N, T = T_N unless given):
<n_d> = dF/d eps_d, <n_up n_dn> = dF/dU, <H_hyb> = 2 Gamma dF/dGamma,
S = -dF/dT, C = -T d^2F/dT^2, chi = -d^2F/dB^2 at B = 0 exactly, chi_c = -d^2F/d eps_d^2.
The field B couples to S_z of the impurity (``field="impurity"``) or of impurity and
chain (``"uniform"``). Impurity parts: subtract the bare chain (:func:`rglib.nrg.bath_of`).
"""
import autograd.numpy as anp
import numpy as np
from autograd import grad, hessian, jacobian

from . import chain as _chain
from .iterate import run
from .models import Anderson, bath_of
from .thermo import free_energy, free_energy_tangent

PARAMS = ("eps_d", "U", "Gamma", "B")


def _model(theta, field):
    return Anderson(theta[0], theta[1], theta[2], theta[3], field=field)


def shells(theta, field="impurity", **run_kw):
    """NRG shells of the SIAM at theta = (eps_d, U, Gamma, B) (autograd-traceable)."""
    return run(_model(theta, field), **run_kw)


def free_energy_at(theta, T=None, N=-1, field="impurity", **run_kw):
    """F of shell N (default: last) at temperature T (default T_N)."""
    return free_energy(shells(theta, field, **run_kw)[N], T)


def free_energies(theta, field="impurity", **run_kw):
    """F_N at T_N for every shell, as one autograd array."""
    return anp.stack([free_energy(s) for s in shells(theta, field, **run_kw)])


def gradient(theta, N=-1, field="impurity", **run_kw):
    """dF_N/dtheta by reverse mode (one backward pass for all four parameters)."""
    return grad(free_energy_at)(anp.asarray(theta, dtype=float), None, N, field, **run_kw)


def hessian_theta(theta, N=-1, field="impurity", **run_kw):
    """d^2 F_N / dtheta dtheta' by reverse over reverse."""
    return hessian(free_energy_at)(anp.asarray(theta, dtype=float), None, N, field, **run_kw)


def hessian_row(theta, i, N=-1, field="impurity", **run_kw):
    """Row d/dtheta_i (dF_N/dtheta): one reverse-over-reverse pass (4x cheaper than
    the full Hessian). ``hessian_row(theta, 3)[3]`` is d2F/dB2."""
    th = anp.asarray(theta, dtype=float)

    def dF_i(th):
        return grad(free_energy_at)(th, None, N, field, **run_kw)[i]

    return grad(dF_i)(th)


def first_shell_tangent(theta, field="impurity", Lam=2.0, A_correction=True, scheme="wilson"):
    """(dH0, dB): derivatives of the first-shell Hamiltonian and of the chain field."""
    A = _chain.A_Lambda(Lam) if (A_correction and scheme == "wilson") else 1.0
    dH0 = jacobian(lambda th: _model(th, field).first_shell(A).H)(np.asarray(theta, float))
    dB = np.zeros((len(PARAMS), len(PARAMS)))
    if field == "uniform":
        dB[3, 3] = 1.0
    return np.moveaxis(dH0, -1, 0), dB[:, 3]


def jacobian_all_shells(theta, field="impurity", return_shells=False, **run_kw):
    """(F, dF): F_N (n_shells,) and dF_N/dtheta (n_shells, 4) by forward mode.

    With ``return_shells`` also the shells of that same run, e.g. to compare with
    operator expectation values requested through ``operators=`` (one NRG run).
    """
    tangent = first_shell_tangent(theta, field, run_kw.get("Lam", 2.0),
                                  run_kw.get("A_correction", True), run_kw.get("scheme", "wilson"))
    sh = run(_model(np.asarray(theta, float), field), tangent=tangent, **run_kw)
    F = np.array([float(free_energy(s)) for s in sh])
    dF = np.array([free_energy_tangent(s) for s in sh])
    return (F, dF, sh) if return_shells else (F, dF)


def observables(theta, N=-1, field="impurity", second=True, **run_kw):
    """Thermodynamics of shell N from derivatives of F (dict of floats).

    First derivatives in one reverse pass; with ``second`` also chi = -d2F/dB2,
    chi_c = -d2F/d eps_d^2 (reverse over reverse) and S, C from T derivatives.
    """
    theta = anp.asarray(theta, dtype=float)
    sh = shells(theta, field, **run_kw)[N]
    T_N = sh.scale / sh.beta_bar
    g = gradient(theta, N, field, **run_kw)
    out = {"T": T_N, "F": float(free_energy(sh)), "n_d": g[0], "docc": g[1],
           "E_hyb": 2 * theta[2] * g[2], "dF_dB": g[3],
           "S": -grad(lambda T: free_energy(sh, T))(T_N),
           "C": -T_N * grad(grad(lambda T: free_energy(sh, T)))(T_N)}
    if second:
        h_eps = hessian_row(theta, 0, N, field, **run_kw)
        out.update(chi=-hessian_row(theta, 3, N, field, **run_kw)[3], chi_c=-h_eps[0],
                   d2F_deps_dU=h_eps[1])
    return out


def impurity_chi(theta, N=-1, field="uniform", **run_kw):
    """chi_imp = -d2F/dB2 (impurity run) + d2F/dB2 (bare chain), both at B = 0, shell N."""
    th = anp.asarray(theta, dtype=float)

    def F_bath(B):
        return free_energy(run(bath_of(_model(anp.array([th[0], th[1], th[2], B]), field)),
                               **run_kw)[N])

    chi_tot = -hessian_row(th, 3, N, field, **run_kw)[3]
    chi_bath = -grad(grad(F_bath))(th[3]) if field == "uniform" else 0.0
    return chi_tot - chi_bath
