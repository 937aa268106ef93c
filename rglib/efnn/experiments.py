"""The experiments of notebooks 10-12 as sweep tasks: data sets, recipes, searches, verdicts.

Every task trains one model from a fixed, seeded recipe and returns its parameters, its
learning curve and its metrics, so that ``scripts/make_efnn.py`` can run the grids on all
cores (or a Dask cluster) through :func:`rglib.sweep.run` (an interrupted task resumes from
its checkpoint, losing at most one epoch) and store them in ``data/efnn/``, and the notebooks
can retrain any single model with the same call.

**Recipes** (``docs/efnn-recipes.md`` compares them with the authors'):

* :data:`SPIN_SEARCH` and :data:`DE_SEARCH`: the same small search for every architecture,
  learning rates (:data:`SPIN_LRS`, :data:`DE_LRS`) x seeds :data:`SEEDS`, Adam with a geometric learning rate from
  lr0 to lr0/100, the authors' batch size (spin models) and weight decay (double exchange);
* :data:`SPIN_AUTHORS`: the authors' own recipes and budgets for the spin models (8000 or
  16000 epochs, StepLR, weight decay), run for the EFNN and the best baseline;
* the double exchange at the authors' data size (160,000 configurations) and kernel (k = 5);
  their 1000 epochs are out of reach on a CPU, so the record shows the learning curves
  (error against epochs and against training-set size) instead.

**Model selection and failures.** Each run is scored on a *validation* half of the test data
(the first half of the published 3-spin and continuous test sets; the first 10,000 of the
40,000 double-exchange test configurations) and reported on the other half, so choosing the
best of several runs does not flatter it. A run whose validation RMSE/std(E) exceeds
:data:`FAILED` learned nothing beyond the constant predictor: it is counted and shown as
failed and never stands for its architecture (:func:`summarize`).
"""
import hashlib
import json

import numpy as np

from .. import data_path, nn, repo_root, sweep, validate
from . import data, models, training

#: the searched learning rates (fully connected models; double exchange) and seeds
SPIN_LRS = (1e-3, 3e-3)
DE_LRS = (3e-3, 1e-2)
SEEDS = (0, 1, 2)
#: validation RMSE / std(E) above which a run counts as failed (the constant predictor: 1)
FAILED = 0.95

#: our search recipe for the fully connected models (all architectures alike)
SPIN_SEARCH = dict(epochs=1000, batch_size=1000, lr1_ratio=0.01, weight_decay=0.0)
#: the authors' recipes (their code): EFNN and baselines on the 3-spin and continuous models
SPIN_AUTHORS = {
    ("three_spin", "EFNN"): dict(epochs=8000, batch_size=1000, lr0=1e-3, gamma=0.9, every=100, weight_decay=1e-2),
    ("three_spin", "baseline"): dict(epochs=16000, batch_size=1000, lr0=1e-3, gamma=0.01 ** (1 / 40), every=400,
                                     weight_decay=1e-3),
    ("continuous", "EFNN"): dict(epochs=16000, batch_size=1000, lr0=1e-3, gamma=0.01 ** (1 / 40), every=400,
                                 weight_decay=1e-4),
    ("continuous", "baseline"): dict(epochs=16000, batch_size=1000, lr0=1e-3, gamma=0.01 ** (1 / 40), every=400,
                                     weight_decay=1e-3),
}
SPIN_AUTHORS[("heisenberg", "EFNN")] = SPIN_AUTHORS[("continuous", "EFNN")]
SPIN_AUTHORS[("heisenberg", "baseline")] = SPIN_AUTHORS[("continuous", "baseline")]
SPIN_DATASETS = ("three_spin", "continuous", "heisenberg")

#: the double exchange: kernel, dtype and weight decay of the authors; batch 100 and a
#: geometric learning rate over our epoch budget
DE_SEARCH = dict(epochs=8, batch_size=100, lr1_ratio=0.01, weight_decay=1e-5, k=5)
DE_DTYPE = np.float32

#: Double-exchange data sets, (first sample seed, number of configurations). At N = 10 the
#: authors' 200,000 configurations with seeds 100, 101, ... split in order 160,000 train /
#: 40,000 test; larger lattices are test sets only (seeds from 10^6; the authors' 40,000
#: per size would take days of ED at N >= 30); spins uniform on the sphere for the ablation.
DE_TRAIN = {"authors": (100, 160_000), "uniform": (100, 40_000)}
DE_TEST = {("authors", 10): (160_100, 40_000), ("uniform", 10): (1_000_000, 10_000),
           ("authors", 16): (1_000_000, 200), ("authors", 20): (1_000_000, 100),
           ("authors", 30): (1_000_000, 60), ("authors", 40): (1_000_000, 40)}
DE_TEST_SIZES = (10, 16, 20, 30, 40)
#: validation share of the N = 10 test set: its first quarter (10,000 of the authors' 40,000); the rest reports
DE_VALIDATION = 0.25


# --- data ------------------------------------------------------------------------------------

def spin_data(name):
    """A spin data set ("three_spin", "continuous" scalar spins, "heisenberg" unit vectors),
    with its published test set split into a validation half (``S_val``) and a test half."""
    validate.one_of("name", name, SPIN_DATASETS)
    d = {"three_spin": data.three_spin, "continuous": data.continuous, "heisenberg": data.heisenberg}[name]()
    h = len(d["E_test"]) // 2
    d.update(S_val=d["S_test"][:h], E_val=d["E_test"][:h], S_test=d["S_test"][h:], E_test=d["E_test"][h:])
    return d


def de_data(N, sampling, seed0, n_samples, executor=None, progress=True, spins=True):
    """Spins (regenerated from their seeds) and grand potentials of the configurations with
    seeds seed0 ... seed0 + n_samples - 1 at N x N, from ``data/efnn/de_<sampling>_N<N>_<seed0>_<n>.npz``
    (or the first n_samples of a larger such file); missing data are computed by exact
    diagonalization through :func:`rglib.sweep.run` (``executor``; resumable) and stored.
    ``spins=False``: the energies and seeds only (no spins: 2.4 kB per configuration at N = 10)."""
    N = validate.integer("N", N, minimum=2, maximum=64)
    validate.one_of("sampling", sampling, data.SAMPLINGS)
    n = validate.integer("n_samples", n_samples, minimum=1, maximum=1_000_000)
    seed0 = validate.integer("seed0", seed0, minimum=0, maximum=2 ** 31)
    folder = data_path("efnn")
    stored = sorted((int(p.stem.split("_")[-1]), p) for p in folder.glob(f"de_{sampling}_N{N}_{seed0}_*.npz")
                    if p.stem.split("_")[-1].isdigit())
    have = next((p for size, p in stored if size >= n), None)
    if have is not None:
        seeds, E = data.load_energies(have)
        seeds, E = seeds[:n], E[:n]
    else:
        chunk = max(1, int(30 / data.de_seconds(N)))
        tasks = [dict(N=N, seed0=s, n_samples=min(chunk, seed0 + n - s), sampling=sampling)
                 for s in range(seed0, seed0 + n, chunk)]
        E = np.concatenate(sweep.run(data.de_energies, tasks, executor=executor, progress=progress,
                                     desc=f"ED {n} configurations at N = {N}"))
        seeds = np.arange(seed0, seed0 + n)
        data.save_energies(folder / f"de_{sampling}_N{N}_{seed0}_{n}.npz", seeds, E)
    out = {"E": E, "seeds": seeds, "N": N, "sampling": sampling}
    return dict(out, S=data.de_spins(N, seeds, sampling)) if spins else out


def de_train(sampling="authors", n_samples=None, executor=None, spins=True):
    """The N = 10 training set (:data:`DE_TRAIN`; its first n_samples configurations)."""
    seed0, n = DE_TRAIN[validate.one_of("sampling", sampling, data.SAMPLINGS)]
    return de_data(10, sampling, seed0, min(n, n_samples or n), executor, spins=spins)


def de_test(N, sampling="authors", executor=None, part="test", n_samples=None):
    """The test set at N x N (:data:`DE_TEST`), or its first ``n_samples``. At N = 10 ``part``
    chooses the validation configurations ("validation", the first quarter, :data:`DE_VALIDATION`),
    the others ("test") or all."""
    if (sampling, N) not in DE_TEST:
        raise ValueError(f"N: test sets exist for (sampling, N) in {sorted(DE_TEST)}, got {(sampling, N)}")
    validate.one_of("part", part, ("test", "validation", "all"))
    seed0, n = DE_TEST[sampling, N]
    d = de_data(N, sampling, seed0, n, executor=executor, spins=False)
    if N == 10 and part != "all":
        v = int(DE_VALIDATION * n)
        cut = slice(0, v) if part == "validation" else slice(v, None)
        d = dict(d, E=d["E"][cut], seeds=d["seeds"][cut])
    if n_samples is not None:
        k = validate.integer("n_samples", n_samples, minimum=1, maximum=len(d["E"]))
        d = dict(d, E=d["E"][:k], seeds=d["seeds"][:k])
    return dict(d, S=data.de_spins(N, d["seeds"], sampling))


# --- one training run ----------------------------------------------------------------------------

def _checkpoint(kind, params):
    """A checkpoint file for a task, named by its parameters (build/checkpoints/efnn/)."""
    key = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return repo_root() / "build" / "checkpoints" / "efnn" / f"{kind}-{key}.npz"


def _curve_epochs(epochs, n=12):
    """About n epochs, spread geometrically from 1 to ``epochs`` (the learning curve)."""
    return sorted({int(round(e)) for e in np.geomspace(1, epochs, n)})


def _diverged(task, model, error):
    """The record of a run whose loss became NaN or inf: failed, without metrics."""
    return dict(task, model=model, n_params=models.n_params(model), failed=True, diverged=str(error),
                val=None, test=None, curve=[], seconds=None, loss=None)


def _scores(model, sets, mean_ref=None):
    return {name: training.metrics(training.predict(model, S), E, mean_ref) for name, (S, E) in sets.items()}


def train_spin_model(dataset, arch, width, layers, seed=0, lr0=1e-3, recipe="search", epochs=None,
                     checkpoint=True, progress=False):
    """One fully connected model on a spin data set, from our search recipe (``lr0``) or the
    authors' ("authors"; ``lr0`` is theirs then). Returns the parameters, the learning curve
    (validation metrics against epochs) and the validation and test metrics."""
    validate.one_of("recipe", recipe, ("search", "authors"))
    d = spin_data(dataset)
    if recipe == "search":
        cfg = dict(epochs=SPIN_SEARCH["epochs"], batch_size=SPIN_SEARCH["batch_size"], lr0=lr0,
                   lr1=lr0 * SPIN_SEARCH["lr1_ratio"], weight_decay=SPIN_SEARCH["weight_decay"])
    else:
        cfg = dict(SPIN_AUTHORS[dataset, "EFNN" if arch == "EFNN" else "baseline"])
        lr0 = cfg["lr0"]
    if epochs is not None:
        cfg["epochs"] = validate.integer("epochs", epochs, minimum=1, maximum=100_000)
    task = dict(dataset=dataset, arch=arch, width=width, layers=layers, seed=seed, recipe=recipe, **cfg)
    m = models.init_fc(arch, seed, L=d["S"].shape[1], width=width, layers=layers)
    mean = float(np.mean(d["E_train"]))
    try:
        m, log = training.fit(m, d["S_train"], d["E_train"], rng=seed + 1, progress=progress,
                              desc=f"{arch} w={width} n={layers}", eval_set=(d["S_val"], d["E_val"]),
                              eval_epochs=_curve_epochs(cfg["epochs"]),
                              checkpoint=_checkpoint("spin", task) if checkpoint else None, **cfg)
    except FloatingPointError as e:
        return _diverged(task, m, e)
    sets = {"val": (d["S_val"], d["E_val"]), "test": (d["S_test"], d["E_test"])}
    if dataset == "three_spin":
        S_dd, E_dd, _ = data.deduplicated(d["S_train"], d["S_test"], d["E_test"])
        sets["test_dedup"] = (S_dd, E_dd)
    out = dict(task, model=m, lr0=lr0, n_params=models.n_params(m), seconds=log["seconds"],
               loss=log["loss"][-1], curve=log["evals"], **_scores(m, sets, mean))
    out["failed"] = bool(out["val"]["rmse_over_std"] > FAILED)
    return out


def train_de_model(arch, C=3, layers=2, seed=0, lr0=1e-2, epochs=None, n_train=None, k=None,
                   sampling="authors", checkpoint=True, progress=False, test_sizes=DE_TEST_SIZES):
    """One convolutional model trained at N = 10 by :data:`DE_SEARCH` (float32, the first
    ``n_train`` training configurations, ``epochs`` or the recipe's; with fewer configurations
    the same number of optimizer steps). Returns the parameters, the learning curve on the
    validation configurations and the test metrics at every size in ``test_sizes``."""
    k = DE_SEARCH["k"] if k is None else k
    tr = de_train(sampling, n_train)
    epochs = (DE_SEARCH["epochs"] * max(1, DE_TRAIN["authors"][1] // len(tr["E"])) if epochs is None
              else validate.integer("epochs", epochs, minimum=1, maximum=100_000))
    cfg = dict(epochs=epochs, batch_size=DE_SEARCH["batch_size"], lr0=lr0, lr1=lr0 * DE_SEARCH["lr1_ratio"],
               weight_decay=DE_SEARCH["weight_decay"])
    task = dict(arch=arch, C=C, layers=layers, k=k, seed=seed, sampling=sampling, n_train=len(tr["E"]), **cfg)
    val = de_test(10, sampling, part="validation")
    m = models.init_conv(arch, seed, C=C, layers=layers, k=k, dtype=DE_DTYPE)
    try:
        m, log = training.fit(m, tr["S"], tr["E"], rng=seed + 1, progress=progress,
                              desc=f"{arch} C={C} n={layers}", eval_set=(val["S"], val["E"]),
                              eval_epochs=_curve_epochs(epochs),
                              checkpoint=_checkpoint("de", task) if checkpoint else None, **cfg)
    except FloatingPointError as e:
        return _diverged(task, m, e)
    out = dict(task, model=m, n_params=models.n_params(m), seconds=log["seconds"], loss=log["loss"][-1],
               curve=log["evals"], val=training.metrics(training.predict(m, val["S"]), val["E"]), test={})
    for N in test_sizes:
        if (sampling, N) in DE_TEST:
            te = de_test(N, sampling)
            out["test"][N] = training.metrics(training.predict(m, te["S"], batch=max(1, 25600 // N ** 2)), te["E"])
    out["failed"] = bool(out["val"]["rmse_over_std"] > FAILED)
    return out


# --- searches and verdicts --------------------------------------------------------------------

def search_tasks(lrs, **fixed):
    """The search grid: every learning rate in ``lrs`` x seed for the fixed settings (arch, width, ...)."""
    return [dict(fixed, lr0=lr, seed=s) for lr in lrs for s in SEEDS]


def summarize(records, by, metric=("test", "relative"), score=("val", "rmse")):
    """Group runs by the keys ``by`` (e.g. ("arch", "width", "layers")) and report, per group:
    the best run by its validation ``score`` among the runs that did not fail, its test
    ``metric``, the median of the metric over those runs, and the counts of runs and failures.
    A group whose runs all failed has best None."""
    groups = {}
    for r in records:
        groups.setdefault(tuple(r[k] for k in by), []).append(r)
    out = {}
    for key, rs in groups.items():
        ok = [r for r in rs if not r["failed"]]
        best = min(ok, key=lambda r: _get(r, score)) if ok else None
        out[key] = {"best": best, "best_metric": _get(best, metric) if best else None,
                    "median_metric": float(np.median([_get(r, metric) for r in ok])) if ok else None,
                    "spread": [float(_get(r, metric)) for r in ok], "runs": len(rs), "failed": len(rs) - len(ok),
                    "failed_values": [float(_get(r, metric)) for r in rs if r["failed"] and r.get("val")],
                    "diverged": sum(1 for r in rs if r.get("diverged"))}
    return out


def load(name):
    """The runs stored in ``data/efnn/<name>.npz`` by scripts/make_efnn.py: their records, with
    the network under ``model["net"]`` where it was stored (``stored`` True) and the library
    versions that made them (``versions``)."""
    path = data_path("efnn", f"{name}.npz")
    if not path.exists():
        raise ValueError(f"{path} is missing: run scripts/make_efnn.py")
    nets, meta = nn.load(path)
    out = []
    for net, r in zip(nets["nets"], meta["results"]):
        r = dict(r, model=dict(r["model"], net=net) if r.get("stored", True) and net else dict(r["model"]),
                 versions=meta.get("versions", {}))
        for key in ("test",):                        # JSON turned the lattice sizes into text
            if isinstance(r.get(key), dict) and all(str(k).isdigit() for k in r[key]):
                r[key] = {int(k): v for k, v in r[key].items()}
        out.append(r)
    return out


def _get(record, path):
    for p in path:
        record = record[p]
    return record


def compare(a, b, min_runs=3):
    """How the runs of one setting (a summary entry of :func:`summarize`) compare with another's,
    lower being better, failed runs counting as the worst: "better" when every run of a beats
    every run of b (complete separation: a one-sided rank test's p = 0.05 at 3 runs against 3,
    0.0011 at 6 against 6), "worse" in the mirror case, "inconclusive" otherwise (the seeds and
    learning rates decide more than the architecture) and whenever either side has fewer than
    ``min_runs`` runs."""
    if min(a["runs"], b["runs"]) < min_runs:
        return "inconclusive"
    va, vb = (x["spread"] + [np.inf] * x["failed"] for x in (a, b))
    if max(va) < min(vb):
        return "better"
    if max(vb) < min(va):
        return "worse"
    return "inconclusive"


def extrapolate(curve, x_target, last=0.5):
    r"""The error a learning curve [(x, error), ...] reaches at ``x_target`` if it kept falling as
    the power law :math:`e \propto x^{-a}` fitted (least squares in log-log) to its last
    ``last`` fraction of decades; a flat or rising tail is extrapolated flat. A rough guide, not
    a bound: within one run a decaying learning rate flattens the curve by design, and across
    budgets returns usually diminish."""
    if len(curve) < 2:
        raise ValueError(f"curve must hold at least two points, got {len(curve)}")
    x, e = (np.asarray(v, float) for v in zip(*sorted(curve)))
    if not (np.all(x > 0) and np.all(e > 0) and np.all(np.isfinite(e))):
        raise ValueError("curve: x and the errors must be positive and finite")
    if x_target < x[-1]:
        raise ValueError(f"x_target must be at or beyond the curve's last point {x[-1]:g}, got {x_target:g}")
    lx = np.log(x)
    keep = lx >= lx[-1] - last * (lx[-1] - lx[0])
    if keep.sum() < 2:
        keep[-2:] = True
    slope = np.polyfit(lx[keep], np.log(e[keep]), 1)[0]
    return float(e[-1] * (x_target / x[-1]) ** min(slope, 0.0))
