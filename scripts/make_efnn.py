"""Generate the EFNN data sets and train the model grids of notebooks 10-12 (Part III).

Run:  .venv/bin/python scripts/make_efnn.py [--only PART ...] [--workers 2] [--scheduler ADDRESS]

Parts (in this order; each can be run alone):

* ``data``: exact diagonalization of the double-exchange model (rglib.efnn.data), stored as
  sample seeds and grand potentials in data/efnn/de_*.npz (spins regenerated from the seeds):
  the authors' 200,000 configurations at N = 10 (160,000 train / 40,000 test), test sets at
  N = 16, 20, 30, 40 and an isotropic-spin set for the ablation;
* ``spin``: the search (rglib.efnn.experiments.SPIN_SEARCH: EFNN, DNN, ResNet, DenseNet at width 60
  and the depths of the claims, SPIN_DEPTHS, each for every learning rate x seed; the EFNN at depth 1
  too on the 3-spin data) on the 3-spin, the scalar continuous and the unit-vector Heisenberg data
  -> data/efnn/spin_<data set>.npz;
* ``authors``: the authors' recipe and budget (SPIN_AUTHORS) for the EFNN and the best baseline of
  the search at width 60, depth 2 (3-spin) and 3 (continuous), the systems they trained
  -> data/efnn/spin_<data set>_authors.npz;
* ``de``: the double-exchange search at C = 3 (four architectures x learning rates x seeds), then
  C = 1 with each architecture's best learning rate x seeds, and C = 5 (2.8x the cost of C = 3) with
  the EFNN and the best baseline of C = 3 at seed 0 -> data/efnn/de_search.npz;
* ``curves``: learning curves of the EFNN and the best baseline at C = 3: training sets of 10,000 and
  40,000 configurations (the same number of optimizer steps) and a run LONG = 3x longer; the EFNN on the
  isotropic spins -> data/efnn/de_curves.npz (notebook 12 fits the effective models itself, in seconds).

Every training is a task of rglib.sweep (all local cores, or a Dask cluster): finished tasks are
kept in build/sweeps and an interrupted task resumes from its checkpoint (build/checkpoints), so an
interrupted run loses at most one epoch per task. Weights are stored in float32; every run's
record (recipe, seed, learning curve, validation and test metrics, failure flag) is in the JSON
part of its file. Spin search files keep the weights of the best run of each setting only; the
double-exchange files keep every run's (small) weights.
"""
import argparse
import time

import numpy as np

from rglib import data_path, nn, sweep, versions
from rglib.efnn import experiments
from rglib.notebook import blas_threads, keep_freed_memory


#: the long double-exchange runs: this many times the search's epochs
LONG = 3
#: depths of the spin-model search (all four architectures): the depths of the claims
SPIN_DEPTHS = {"three_spin": (2, 3), "continuous": (3,), "heisenberg": (3,)}
#: the data sets the authors trained (their recipes exist for these)
AUTHORS_DATASETS = ("three_spin", "continuous")


def to32(x):
    if isinstance(x, dict):
        return {k: to32(v) for k, v in x.items()}
    if isinstance(x, list):
        return [to32(v) for v in x]
    return np.asarray(x, dtype=np.float32) if isinstance(x, np.ndarray) else x


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, np.integer, np.bool_)):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return x


def save(name, results, keep=None):
    """One file: the networks of the runs in ``keep`` (default all; float32, an empty dict for the
    others) and a JSON record of every run."""
    keep = set(range(len(results))) if keep is None else set(keep)
    nets, record = [], []
    for i, r in enumerate(results):
        nets.append(to32(r["model"]["net"]) if i in keep and "net" in r["model"] else {})
        rec = {k: v for k, v in r.items() if k != "model"}
        rec["model"] = {k: v for k, v in r["model"].items() if k not in ("net", "coef")}
        if "coef" in r["model"]:
            rec["model"]["coef"] = np.asarray(r["model"]["coef"]).tolist()
        rec["stored"] = i in keep
        record.append(rec)
    nn.save(data_path("efnn", f"{name}.npz"), {"nets": nets}, meta={"results": _jsonable(record), "versions": versions()})


def best_per_group(results, by):
    summary = experiments.summarize(results, by, metric=("val", "rmse"))
    return summary, [i for i, r in enumerate(results) if any(s["best"] is r for s in summary.values())]


def run(func, tasks, ex, desc):
    return sweep.run(func, tasks, executor=ex, cache_dir="default", desc=desc)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=["data", "spin", "authors", "de", "curves"])
    ap.add_argument("--scheduler", help="a Dask scheduler address (default: a local process pool)")
    ap.add_argument("--workers", type=int, default=None, help="local workers (default: one per core)")
    args = ap.parse_args()
    blas_threads(1)
    keep_freed_memory()
    if args.scheduler:
        from distributed import Client

        ex = Client(args.scheduler)
    else:
        ex = sweep.local_pool(args.workers)
    t0 = time.perf_counter()
    say = lambda what: print(f"{what}: {time.perf_counter() - t0:.0f} s", flush=True)  # noqa: E731
    if "data" in args.only:
        for sampling in ("authors", "uniform"):
            experiments.de_train(sampling, executor=ex)
        for (sampling, N) in experiments.DE_TEST:
            experiments.de_test(N, sampling, executor=ex, part="all")
        say("data")
    if "spin" in args.only:
        for name in experiments.SPIN_DATASETS:
            tasks = [t for arch in experiments.models.FC for n in SPIN_DEPTHS[name]
                     for t in experiments.search_tasks(experiments.SPIN_LRS, dataset=name, arch=arch, width=60,
                                                       layers=n)]
            if name == "three_spin":           # does depth help? the EFNN at one layer too
                tasks += experiments.search_tasks(experiments.SPIN_LRS, dataset=name, arch="EFNN", width=60, layers=1)
            res = run(experiments.train_spin_model, tasks, ex, f"search {name}")
            _, keep = best_per_group(res, ("arch", "width", "layers"))
            save(f"spin_{name}", res, keep)
            say(f"spin {name}")
    if "authors" in args.only:
        tasks = []
        for name in AUTHORS_DATASETS:
            n = max(SPIN_DEPTHS[name]) if name != "three_spin" else 2
            _, meta = nn.load(data_path("efnn", f"spin_{name}.npz"))
            summary = experiments.summarize(meta["results"], ("arch", "width", "layers"), metric=("val", "rmse"))
            base = min((s["best"]["val"]["rmse"], a) for (a, w, nl), s in summary.items()
                       if a != "EFNN" and w == 60 and nl == n and s["best"] is not None)[1]
            tasks += [dict(dataset=name, arch=a, width=60, layers=n, recipe="authors") for a in ("EFNN", base)]
        res = run(experiments.train_spin_model, tasks, ex, "authors' recipes")
        for name in AUTHORS_DATASETS:
            save(f"spin_{name}_authors", [r for r in res if r["dataset"] == name])
        say("authors")
    if "de" in args.only:
        tasks = [t for arch in experiments.models.CONV
                 for t in experiments.search_tasks(experiments.DE_LRS, arch=arch, C=3, layers=2)]
        res = run(experiments.train_de_model, tasks, ex, "double exchange, C = 3")
        save("de_search", res)
        summary = experiments.summarize(res, ("arch",), metric=("val", "rmse"))
        lr_best = {a: s["best"]["lr0"] for (a,), s in summary.items() if s["best"]}
        base = min((s["best"]["val"]["rmse"], a) for (a,), s in summary.items() if a != "EFNN" and s["best"])[1]
        more = [dict(arch=a, C=1, layers=2, lr0=lr_best.get(a, experiments.DE_LRS[0]), seed=s)
                for a in experiments.models.CONV for s in experiments.SEEDS]
        more += [dict(arch=a, C=5, layers=2, lr0=lr_best[a], seed=0) for a in ("EFNN", base)]
        res += run(experiments.train_de_model, more, ex, "double exchange, C = 1, 5")
        save("de_search", res)
        say("de")
    if "curves" in args.only:
        _, meta = nn.load(data_path("efnn", "de_search.npz"))
        summary = experiments.summarize([r for r in meta["results"] if r["C"] == 3], ("arch",), metric=("val", "rmse"))
        base = min((s["best"]["val"]["rmse"], a) for (a,), s in summary.items() if a != "EFNN" and s["best"])[1]
        tasks = []
        for arch in ("EFNN", base):
            b = summary[arch,]["best"]
            for n_train in (10_000, 40_000):
                tasks.append(dict(arch=arch, C=3, layers=2, lr0=b["lr0"], seed=b["seed"], n_train=n_train))
            tasks.append(dict(arch=arch, C=3, layers=2, lr0=b["lr0"], seed=b["seed"],
                              epochs=LONG * experiments.DE_SEARCH["epochs"]))
        b = summary["EFNN",]["best"]
        tasks.append(dict(arch="EFNN", C=3, layers=2, lr0=b["lr0"], seed=b["seed"], sampling="uniform"))
        # (the uniform set has 40,000 configurations: the same optimizer steps as the authors' 160,000)
        res = run(experiments.train_de_model, tasks, ex, "learning curves")
        save("de_curves", res)
        say("curves")
    if not args.scheduler:
        ex.shutdown()


if __name__ == "__main__":
    main()
