r"""Ensembles of learned flows: train many seeded models, estimate, save and load.

A histogram of critical-point estimates over independently trained models is how Shen
& Kao (and Hou & You, as box plots) report the learned flows. Here every model is one
task of :func:`rglib.sweep.run` (a local pool or a Dask cluster), its seed drawn from
``SeedSequence(seed).spawn(n)``, and the estimates of each model are:

* one coupling: the unstable zero of f (f' > 0: the critical fixed point) nearest to
  K = 0.85 (where Hou & You start Newton) on (0, 2], refined by Brent's method; none
  (NaN) when the learned f has no such zero; its eigenvalue lambda_t, y_t and nu;
* five couplings: the physical-line critical point by flow destination (and by the
  linearized critical surface), the Newton fixed point from the exact map's symmetric
  branch, and its exponents.

:func:`save` writes one ``.npz`` per ensemble (all parameters plus a JSON record of the
configuration, the estimates and the timings); :func:`load` reads it back. The
ensembles of notebooks 08-09 are made by ``scripts/train_flows.py`` into ``data/flows``.
"""
import json
import time
from dataclasses import asdict

import numpy as np

from .. import nn, sweep, validate, versions
from . import analysis, clusters, network, training

START_A1 = (0.85,)
START_A1E = (1.05, 0.68, 0.0, 0.0, 0.0)     # near the exact map's image of K_c (docs)


def estimate(params, rep, kind="direct"):
    """Fixed point, exponents and (A1E) the physical-line critical point of one model."""
    c = clusters.n_couplings(rep)

    def rg(J):
        return np.asarray(network.rg_map(params, np.asarray(J, float)[None, :], kind))[0]

    def f(J):
        return rg(J) - np.asarray(J, float)

    def jac(J):
        return network.jacobian_at(params, J, kind) - np.eye(c)

    with np.errstate(over="ignore", invalid="ignore"):      # far-off Newton/flow steps
        return _estimate(params, rep, kind, c, rg, f, jac)


def _estimate(params, rep, kind, c, rg, f, jac):
    if rep == "A1":
        J_star, ok = analysis.critical_zero(lambda K: f(np.array([K]))[0], START_A1[0])
        J_star = np.array([J_star])
    else:
        J_star, ok = analysis.newton(f, jac, START_A1E)
    out = {"fixed_point": J_star.tolist(), "converged": bool(ok)}
    if ok:
        M = network.jacobian_at(params, J_star, kind)
        lam, yt, nu, _ = analysis.exponents(M)
        out.update(lambda_t=lam, y_t=yt, nu=nu)
    else:
        out.update(lambda_t=float("nan"), y_t=float("nan"), nu=float("nan"))
    if rep == "A1":
        out["K_c"] = float(J_star[0]) if ok else float("nan")
    else:
        out["K_c"] = analysis.critical_point(rg, c)
        out["K_c_linear"] = (analysis.critical_point_linear(J_star, network.jacobian_at(
            params, J_star, kind)) if ok else float("nan"))
    return out


def train_one(seed, **config):
    """Train one model with ``config`` (fields of :class:`rglib.flows.training.Config`)
    and estimate it; returns {"params", "estimates", "seconds", "final_loss",
    "acceptance", "rejected_nonfinite"} (picklable: a sweep task)."""
    t0 = time.perf_counter()
    params, log = training.train(seed=seed, **config)
    est = estimate(params, log["config"]["rep"], log["config"]["kind"])
    acc = float(np.mean(log["acceptance"])) if log["acceptance"] else float("nan")
    return {"params": params, "estimates": est, "seconds": time.perf_counter() - t0,
            "train_seconds": log["seconds"], "final_loss": float(np.mean(log["loss"][-20:])),
            "acceptance": acc, "rejected_nonfinite": log["rejected_nonfinite"]}


def run(n_models, seed=0, executor=None, progress=True, desc=None, **config):
    """Train ``n_models`` models (a sweep); returns the list of :func:`train_one` results."""
    n_models = validate.integer("n_models", n_models, minimum=1, maximum=10_000)
    training.Config(**config).check()                  # refuse bad settings before starting
    return sweep.run(train_one, [dict(config) for _ in range(n_models)], executor=executor,
                     seed=seed, cache_dir=None, progress=progress, desc=desc or "models")


def summary(results, key="K_c"):
    """Median, mean, std, quartiles and count of one estimate over an ensemble."""
    x = np.array([r["estimates"][key] for r in results], dtype=float)
    x = x[np.isfinite(x)]
    if not len(x):
        return {"n": 0, "median": float("nan"), "mean": float("nan"), "std": float("nan"),
                "q1": float("nan"), "q3": float("nan"), "values": []}
    return {"n": int(len(x)), "median": float(np.median(x)), "mean": float(np.mean(x)),
            "std": float(np.std(x, ddof=1)) if len(x) > 1 else 0.0,
            "q1": float(np.percentile(x, 25)), "q3": float(np.percentile(x, 75)),
            "values": x.tolist()}


def save(path, results, config, seed):
    """One .npz: every model's parameters and a JSON record (config, seed, estimates,
    library versions)."""
    record = {"config": config, "seed": seed, "versions": versions(),
              "models": [{k: v for k, v in r.items() if k != "params"} for r in results]}
    nn.save(path, {"models": [r["params"] for r in results]},
            meta=json.loads(json.dumps(record, default=float)))


def load(path):
    """(results, record) from :func:`save` (results with "params" restored).

    Refuses (``rglib.nn.io.DamagedFile``, a ValueError naming the file) a damaged or
    foreign file and a record that does not match the parameters it holds."""
    params, record = nn.load(path)
    models = record.get("models")
    if not isinstance(models, list) or not isinstance(record.get("config"), dict) \
            or not isinstance(params, dict) or set(params) != {"models"} \
            or not isinstance(params["models"], list):
        raise nn.io.DamagedFile(f"{path}: not an ensemble file of rglib.flows.ensemble.save "
                                "(expected a record of config and models, and their parameters)")
    if len(models) != len(params["models"]):
        raise nn.io.DamagedFile(f"{path}: the record lists {len(models)} models but the file holds "
                                f"{len(params['models'])} parameter sets")
    for i, m in enumerate(models):
        if not isinstance(m, dict) or not isinstance(m.get("estimates"), dict):
            raise nn.io.DamagedFile(f"{path}: the record of model {i} has no estimates")
    results = [dict(m, params=p) for m, p in zip(models, params["models"])]
    return results, record


def config_of(**overrides):
    """The full configuration dict (defaults of Config with ``overrides``)."""
    return asdict(training.Config(**overrides).check())


#: the ensembles of notebooks 08-09 (name -> overrides of the training Config). "cd" is
#: the talk's model (direct flow, CD-1 on 20-sweep teacher samples, annealed HMC); the
#: others change one setting each. Axis names of the talk's bias study: "HMC
#: trajectories" = chains in the batch, "solve steps" = leapfrog steps per trajectory,
#: "sampling steps" = HMC transitions per training step.
BASE = dict(steps=500, hmc_transitions=2)
SETTINGS = {
    "cd": dict(BASE),
    "exact": dict(BASE, loss="exact", hidden=(32, 32), polish=1500),
    "gibbs_2": dict(BASE, gibbs_steps=2),
    "gibbs_5": dict(BASE, gibbs_steps=5),
    "gibbs_80": dict(BASE, gibbs_steps=80),
    "cdk_5": dict(BASE, cd_k=5),
    "cdk_20": dict(BASE, cd_k=20),
    "chains_4": dict(BASE, chains=4),
    "chains_64": dict(BASE, chains=64),
    "hmc_batch_16": dict(BASE, batch=16),
    "hmc_batch_32": dict(BASE, batch=32),
    "hmc_leapfrog_2": dict(BASE, hmc_leapfrog=2),
    "hmc_leapfrog_32": dict(BASE, hmc_leapfrog=32),
    "hmc_transitions_1": dict(BASE, hmc_transitions=1),
    "hmc_transitions_8": dict(BASE, hmc_transitions=8),
    "beta_fixed_10": dict(BASE, beta0=10.0, beta1=10.0),
    "beta_2_to_10": dict(BASE, beta0=2.0, beta1=10.0),
    "prior_only": dict(BASE, sampler="prior"),
    "monotone": dict(BASE, kind="monotone"),
    "A1E_cd": dict(BASE, rep="A1E", cd_k=5),
}
