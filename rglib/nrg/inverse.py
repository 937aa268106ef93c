r"""Inverse design with the differentiable NRG: fit model parameters to targets.

Beyond Rigo & Mitchell, PRR 4, 013227 (2022), whose point is that an NRG run is a
differentiable function of the Hamiltonian: a scalar mismatch L(theta) between an NRG
output and a target has an exact gradient by one reverse pass, so a quasi-Newton
optimizer (scipy's L-BFGS-B) can fit eps_d, U, Gamma of the Anderson model. The same
optimizer with finite-difference gradients needs (number of parameters + 1) NRG runs per
gradient; :func:`minimize` runs both and counts NRG runs.

Three problems (notebook 05):

(a) **Targets**: an occupation <n_d> at the lowest temperature and a Kondo temperature,
    defined by Wilson's criterion T_K chi_imp(T_K) = 0.0701 (g mu_B = k_B = 1;
    Krishna-murthy, Wilkins & Wilson, PRB 21, 1003 (1980), Sec. IV) on the even/odd
    averaged T chi_imp of the shells, interpolated linearly in ln T
    (:func:`kondo_temperature`). <n_d> comes from the impurity operator averaged on the
    last shell (``operators=("n_d",)`` of :func:`rglib.nrg.run`).
(b) **A susceptibility curve**: T chi_imp(T_N) on every shell N, impurity minus the bare
    chain (the chain does not depend on theta: computed once), fitted by
    L = sum_N (T chi_imp,N(theta) - target_N)^2 at particle-hole symmetry (eps_d = -U/2),
    so that the unknowns are (U, Gamma).
(c) **A spectral function**: L = sum_omega w_omega (A(omega; theta) - target(omega))^2 /
    sum w target^2 on a logarithmic frequency grid (w = |omega|, i.e. d ln|omega| weight),
    A from :mod:`rglib.nrg.spectral`; here the gradient comes from the batched forward
    mode (:func:`spectrum_loss_and_grad`: the three directions in one pass, cheaper than
    the reverse pass).

The optimizer works in x = (eps_d/U, U/Gamma, ln Gamma) (or (U/Gamma, ln Gamma) in (b)),
within :data:`BOUNDS`: the variables in which the physics is nearly linear (ln T_K ~
-pi U/(8 Gamma), <n_d> mostly a function of eps_d/U), which halves the iterations against
(eps_d, ln U, ln Gamma). The fitted parameters are returned by name. Every loss is a
pure function of x and of the fixed run settings.
"""
import math
import time

import autograd.numpy as anp
import numpy as np
from autograd import jacobian, value_and_grad
from scipy.optimize import minimize as scipy_minimize

from .. import validate
from ..autodiff import plain
from . import su2
from .iterate import run
from .models import Anderson, Bath
from .ad import first_shell_tangent
from .spectral import spectral_function
from .spectral_tangent import spectral_function_jvp
from .thermo import shell_thermo

#: Wilson's criterion for the Kondo temperature: T_K chi_imp(T_K) = WILSON_TCHI
WILSON_TCHI = 0.0701

#: problems of :func:`loss`
PROBLEMS = ("targets", "tchi", "spectrum")


#: bounds of the optimizer's variables (eps_d/U, U/Gamma, ln Gamma)
BOUNDS = ((-3.0, 2.0), (0.5, 60.0), (math.log(1e-3), math.log(0.3)))


def params_of(x, problem):
    """The Anderson parameters {eps_d, U, Gamma} of the optimizer's variables
    x = (eps_d/U, U/Gamma, ln Gamma), or x = (U/Gamma, ln Gamma) at eps_d = -U/2 ("tchi")."""
    if problem == "tchi":
        x = [-0.5, x[0], x[1]]
    Gamma = anp.exp(x[2])
    U = x[1] * Gamma
    return {"eps_d": x[0] * U, "U": U, "Gamma": Gamma}


def x_of(params, problem):
    """Inverse of :func:`params_of`."""
    x = np.array([params["eps_d"] / params["U"], params["U"] / params["Gamma"], math.log(params["Gamma"])])
    return x[1:] if problem == "tchi" else x


def bounds_of(problem):
    """:data:`BOUNDS` for the variables of ``problem``."""
    return BOUNDS[1:] if problem == "tchi" else BOUNDS


def bath_tchi(**run_kw):
    """T chi of the bare Wilson chain on every shell (plain array; no parameters)."""
    return np.array([float(su2.shell_thermo(s)["Tchi"]) for s in su2.run(Bath(), **run_kw)])


def tchi_imp(params, bath, operators=(), **run_kw):
    """(T_N, T chi_imp on every shell, shells): impurity run minus ``bath`` (traceable).

    In (Q, S) multiplet blocks (:mod:`rglib.nrg.su2`, equal to the (Q, 2Sz) blocks at the
    same kept states and several times faster) unless impurity ``operators`` are asked
    for, which only the (Q, 2Sz) engine transports."""
    model = Anderson(params["eps_d"], params["U"], params["Gamma"])
    if operators:
        sh, thermo = run(model, operators=operators, **run_kw), shell_thermo
    else:
        sh, thermo = su2.run(model, **run_kw), su2.shell_thermo
    n = min(len(sh), len(bath))
    T = np.array([s.T for s in sh[:n]])
    tc = anp.array([thermo(s)["Tchi"] for s in sh[:n]]) - bath[:n]
    return T, tc, sh


def even_odd_smooth(X):
    r"""X_N averaged with the other parity: 0.5 X_N + 0.25 (X_{N-1} + X_{N+1}).

    On the uniform ln T grid of the shells this is the even/odd average of
    :func:`rglib.nrg.impurity.even_odd_average` (linear interpolation of the other
    parity at T_N), written with autograd's NumPy; returns the interior shells 1..N-1."""
    return 0.5 * X[1:-1] + 0.25 * (X[:-2] + X[2:])


def kondo_temperature(T, tchi, level=WILSON_TCHI):
    r"""T_K where the even/odd averaged T chi_imp first falls through ``level`` (Wilson's
    0.0701), interpolated linearly in ln T between the two shells around the crossing.

    Differentiable in ``tchi`` (the crossing moves smoothly with the values); raises a
    ValueError when the curve does not cross ``level`` from above within the run."""
    T = np.asarray(T)[1:-1]
    X = even_odd_smooth(tchi)
    Xp = np.asarray(plain(X))
    below = np.nonzero(Xp < level)[0]
    below = below[below > 0]
    if not len(below) or not Xp[below[0] - 1] >= level:
        raise ValueError(f"T chi_imp does not fall through {level} within the run "
                         f"(range {Xp.min():.3g}..{Xp.max():.3g}): lower T_min, or the "
                         "parameters have no Kondo regime")
    i = below[0]
    lt0, lt1 = math.log(T[i - 1]), math.log(T[i])
    frac = (X[i - 1] - level) / (X[i - 1] - X[i])
    return anp.exp(lt0 + frac * (lt1 - lt0))


def occupation_and_TK(params, bath, **run_kw):
    """(<n_d> on the last shell, T_K by Wilson's criterion) of one NRG run (traceable)."""
    T, tc, sh = tchi_imp(params, bath, operators=("n_d",), **run_kw)
    return sh[-1].ops["n_d"], kondo_temperature(T, tc)


def loss(x, problem, target, run_kw, bath=None, omega=None, spectral_kw=None):
    """The mismatch L(x) of ``problem`` (:data:`PROBLEMS`; see the module docstring).

    target: {"n_d": .., "T_K": ..} for "targets"; T chi_imp per shell for "tchi";
    A(omega) on ``omega`` for "spectrum". L is dimensionless: relative errors squared.
    """
    p = params_of(x, problem)
    if problem == "targets":
        n_d, T_K = occupation_and_TK(p, bath, **run_kw)
        return (n_d / target["n_d"] - 1.0) ** 2 + anp.log(T_K / target["T_K"]) ** 2
    if problem == "tchi":
        _, tc, _ = tchi_imp(p, bath, **run_kw)
        r = tc - target[:len(tc)]
        return anp.sum(r * r) / np.sum(np.asarray(target) ** 2)
    A = spectral_function(Anderson(p["eps_d"], p["U"], p["Gamma"]), omega, **(spectral_kw or {}),
                          **run_kw)
    w = np.abs(omega)
    return anp.sum(w * (A - target) ** 2) / np.sum(w * target ** 2)


def spectrum_loss_and_grad(x, target, run_kw, omega, spectral_kw=None):
    """L of problem (c) and its gradient dL/dx by the batched forward mode of
    :mod:`rglib.nrg.spectral_tangent`: the three directions dtheta/dx_j through one run,
    dL/dx_j = 2 sum_omega w (A - target) dA/dx_j / sum w target^2. Equal to the reverse
    pass through :func:`loss` to rounding (``tests/test_inverse.py``) and cheaper: 2.3x a
    forward A(omega) against 3.9x, with less memory (``benchmarks/spectral_speed.py``)."""
    x = np.asarray(x, float)
    p = params_of(x, "spectrum")
    names = ("eps_d", "U", "Gamma")
    J = jacobian(lambda v: anp.stack([params_of(v, "spectrum")[k] for k in names]))(x)   # dtheta_k/dx_j
    dH0, _ = first_shell_tangent(p, "impurity", run_kw.get("Lam", 2.0), run_kw.get("scheme", "wilson"),
                                 run_kw.get("A_correction"))
    dH0x = np.einsum("kj,kab->jab", J, dH0[:3])
    A, dA = spectral_function_jvp(Anderson(p["eps_d"], p["U"], p["Gamma"]), dH0x, np.zeros(len(x)), omega,
                                  **(spectral_kw or {}), **run_kw)
    w = np.abs(omega)
    norm = np.sum(w * target ** 2)
    r = A - target
    return float(np.sum(w * r * r) / norm), 2.0 * dA @ (w * r) / norm


def check_x(x0, problem):
    """The optimizer's start x0 (:func:`params_of`): finite, of the problem's length, inside
    :func:`bounds_of` (no silent clipping); returned as a float array."""
    names = ("U/Gamma", "ln Gamma") if problem == "tchi" else ("eps_d/U", "U/Gamma", "ln Gamma")
    try:
        x = np.asarray(x0, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"x0 must be {len(names)} numbers ({', '.join(names)}), got {x0!r}") from None
    if x.shape != (len(names),):
        raise ValueError(f"x0 must hold {len(names)} numbers ({', '.join(names)}) for problem "
                         f"{problem!r}, got shape {x.shape}")
    for v, name, (lo, hi) in zip(x, names, bounds_of(problem)):
        if not np.isfinite(v):
            raise ValueError(f"x0: {name} must be finite, got {v}")
        if not lo <= v <= hi:
            raise ValueError(f"x0: {name} = {v:g} lies outside the optimizer's bounds "
                             f"[{lo:.4g}, {hi:.4g}] (rglib.nrg.inverse.BOUNDS)")
    return x


def check_problem(problem, target, run_kw, bath, omega, spectral_kw):
    """(target, bath, omega) of a problem, checked: shapes, finiteness, what each needs."""
    if not isinstance(run_kw, dict):
        raise ValueError(f"run_kw must be a dict of NRG settings, got {type(run_kw).__name__}")
    if spectral_kw is not None and not isinstance(spectral_kw, dict):
        raise ValueError(f"spectral_kw must be a dict or None, got {type(spectral_kw).__name__}")
    if problem in ("targets", "tchi"):
        bath = np.asarray(bath if bath is not None else [], dtype=float)
        if bath.ndim != 1 or len(bath) < 4 or not np.all(np.isfinite(bath)):
            raise ValueError(f"bath: problem {problem!r} needs T chi of the bare chain on every shell "
                             f"(bath_tchi(**run_kw)), got shape {bath.shape}")
    if problem == "targets":
        if not isinstance(target, dict) or set(target) != {"n_d", "T_K"}:
            raise ValueError(f"target must be a dict {{'n_d': .., 'T_K': ..}}, got {target!r}")
        target = {"n_d": float(validate.in_range("target n_d", target["n_d"], 0.0, 2.0, lo_open=True)),
                  "T_K": float(validate.positive("target T_K", target["T_K"]))}
    elif problem == "tchi":
        target = np.asarray(target, dtype=float)
        if target.ndim != 1 or len(target) < 2 or not np.all(np.isfinite(target)) \
                or not np.any(target):
            raise ValueError(f"target must be T chi_imp on the shells (a 1-D array of finite "
                             f"numbers, not all 0), got shape {target.shape}")
    else:
        if omega is None:
            raise ValueError("omega: the spectrum problem needs the frequencies of the target")
        omega = np.asarray(omega, dtype=float)
        target = np.asarray(target, dtype=float)
        if omega.ndim != 1 or not len(omega) or not np.all(np.isfinite(omega)):
            raise ValueError(f"omega must be a 1-D array of finite frequencies, got shape {omega.shape}")
        if target.shape != omega.shape or not np.all(np.isfinite(target)):
            raise ValueError(f"target must hold A(omega) on omega: finite, shape {omega.shape}, "
                             f"got shape {target.shape}")
        if not np.sum(np.abs(omega) * target ** 2) > 0:
            raise ValueError("target: A(omega) is 0 on every omega != 0 (the loss is relative to it)")
    return target, bath, omega


def minimize(x0, problem, target, run_kw, gradient="ad", bath=None, omega=None, spectral_kw=None,
             maxiter=60, tol=1e-12, stop_loss=0.0, fd_step=1e-7, callback=None):
    r"""L-BFGS-B on :func:`loss` from ``x0`` with AD (reverse mode; forward mode for the
    spectrum, :func:`spectrum_loss_and_grad`) or finite-difference
    gradients (``gradient="fd"``: forward differences of step ``fd_step`` in x, scipy's
    own scheme, one NRG run per parameter per gradient).

    Returns a dict: x, params, loss, history (loss after each iteration), runs_at (NRG runs
    used up to each entry of history), runs (all NRG runs, the line search's included; the
    bath is not counted), seconds, message, success, iterations, at_bound (the variables
    that ended on a bound of :data:`BOUNDS`: a target out of reach inside them).
    The optimizer stops when L <= ``stop_loss`` (e.g. 1e-8: targets met to 1e-4), when L
    changes by less than ``tol`` relative, or after ``maxiter`` iterations.
    ``callback(iteration, loss)`` is called after each iteration (e.g. a progress bar).
    """
    validate.one_of("problem", problem, PROBLEMS)
    validate.one_of("gradient", gradient, ("ad", "fd"))
    stop_loss = float(validate.nonnegative("stop_loss", stop_loss))
    maxiter = validate.integer("maxiter", maxiter, minimum=1, maximum=10_000)
    tol = float(validate.positive("tol", tol))
    fd_step = float(validate.positive("fd_step", fd_step))
    x0 = check_x(x0, problem)
    target, bath, omega = check_problem(problem, target, run_kw, bath, omega, spectral_kw)
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be a function (iteration, loss), got {callback!r}")
    runs = [0]

    def f(x):
        runs[0] += 1
        return float(loss(x, problem, target, run_kw, bath, omega, spectral_kw))

    def f_and_grad(x):
        runs[0] += 1
        if problem == "spectrum":        # all directions in one forward pass
            return spectrum_loss_and_grad(x, target, run_kw, omega, spectral_kw)
        v, g = value_and_grad(loss)(x, problem, target, run_kw, bath, omega, spectral_kw)
        return float(v), np.asarray(g, float)

    history = [f(np.asarray(x0, float))]
    runs[0] = 0
    runs_at = [0]

    def cb(intermediate_result):     # scipy's name: it passes an OptimizeResult
        history.append(float(intermediate_result.fun))
        runs_at.append(runs[0])
        if callback is not None:
            callback(len(history) - 1, history[-1])
        if history[-1] <= stop_loss:
            raise StopIteration      # scipy >= 1.11 ends the optimization here

    opts = {"maxiter": maxiter, "ftol": tol, "gtol": 1e-10}
    t0 = time.perf_counter()
    if gradient == "ad":
        res = scipy_minimize(f_and_grad, np.asarray(x0, float), jac=True, method="L-BFGS-B",
                             bounds=bounds_of(problem), options=opts, callback=cb)
    else:
        res = scipy_minimize(f, np.asarray(x0, float), jac=None, method="L-BFGS-B",
                             bounds=bounds_of(problem), options=dict(opts, eps=fd_step), callback=cb)
    secs = time.perf_counter() - t0
    return {"x": res.x, "params": {k: float(v) for k, v in params_of(res.x, problem).items()},
            "loss": float(res.fun), "history": np.array(history), "runs_at": np.array(runs_at), "runs": runs[0],
            "seconds": secs, "message": str(res.message), "success": bool(res.success),
            "iterations": int(res.nit), "at_bound": at_bound(res.x, problem)}


def at_bound(x, problem, rtol=1e-6):
    """Names of the variables of ``x`` that lie on a bound of :func:`bounds_of` (within
    ``rtol`` of the bound interval's width)."""
    names = ("U/Gamma", "ln Gamma") if problem == "tchi" else ("eps_d/U", "U/Gamma", "ln Gamma")
    return [n for n, v, (lo, hi) in zip(names, np.asarray(x, float), bounds_of(problem))
            if min(v - lo, hi - v) <= rtol * (hi - lo)]
