"""Generate the EFNN data sets and train the model grids of notebooks 10-12 (Part III).

Run:  .venv/bin/python scripts/make_efnn.py [--only spin de long] [--scheduler ADDRESS]

* double-exchange data by exact diagonalization (rglib.efnn.data), stored as sample
  seeds and grand potentials in data/efnn/de_*.npz (the spins are regenerated from the
  seeds in milliseconds): N = 10 training sets (3000 configurations, the authors' angle
  sampling and uniform spins) and test sets at N = 10, 16, 20, 30, 40 (seeds from 10^6);
* the 3-spin and continuous grids: EFNN, DNN, ResNet, DenseNet at widths 30 and 60,
  depths 1-3 (data/efnn/three_spin.npz, continuous.npz);
* longer EFNN runs (800 epochs, width 60): the 3-spin model at depth 2
  (data/efnn/three_spin_long.npz) and the continuous model at depth 3 (continuous_long.npz);
* the double-exchange grid: the four architectures at C = 1, 3, 5 and depth 2, EFNN at
  depths 1 and 3 (C = 3), EFNN on uniform spins (data/efnn/de.npz), and our effective
  model (data/efnn/de_effective.npz).

Models are trained through rglib.sweep (all local cores, or Dask). Parameters are
stored in float32 (the files stay small); every model's metrics are in the JSON record
of its file. Measured on the 2-core machine: about an hour for everything.
"""
import argparse
import time

import numpy as np

from rglib import data_path, nn, sweep
from rglib.efnn import experiments
from rglib.notebook import blas_threads


def to32(x):
    if isinstance(x, dict):
        return {k: to32(v) for k, v in x.items()}
    if isinstance(x, list):
        return [to32(v) for v in x]
    return np.asarray(x, dtype=np.float32) if isinstance(x, np.ndarray) else x


def save(name, results):
    """One file: the networks (float32) and a JSON record of everything else."""
    nets = [to32(r["model"]["net"]) if "net" in r["model"] else {} for r in results]
    record = []
    for r in results:
        rec = {k: v for k, v in r.items() if k != "model"}
        rec["model"] = {k: v for k, v in r["model"].items() if k not in ("net", "coef")}
        if "coef" in r["model"]:
            rec["model"]["coef"] = np.asarray(r["model"]["coef"]).tolist()
        record.append(rec)
    nn.save(data_path("efnn", f"{name}.npz"), {"nets": nets},
            meta={"results": _jsonable(record)})


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    return x


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=["data", "spin", "long", "de"])
    ap.add_argument("--scheduler")
    args = ap.parse_args()
    blas_threads(1)
    ex = None
    if args.scheduler:
        from distributed import Client

        ex = Client(args.scheduler)
    t0 = time.perf_counter()
    if "data" in args.only:
        for sampling in ("authors", "uniform"):
            experiments.de_data(10, sampling)
            experiments.de_data(10, sampling, experiments.DE_TEST_SIZES[10], seed0=experiments.DE_TEST_SEED0)
        for N, n in experiments.DE_TEST_SIZES.items():
            experiments.de_data(N, "authors", n, seed0=experiments.DE_TEST_SEED0)
        print(f"data: {time.perf_counter() - t0:.0f} s", flush=True)
    if "spin" in args.only:
        for name in ("three_spin", "continuous"):
            tasks = [dict(dataset=name, arch=a, width=w, layers=n) for a in ("EFNN", "DNN", "ResNet", "DenseNet")
                     for w in (30, 60) for n in (1, 2, 3)]
            res = sweep.run(experiments.train_spin_model, tasks, executor=ex, cache_dir="default", desc=name)
            save(name, res)
            print(f"{name}: {time.perf_counter() - t0:.0f} s", flush=True)
    if "long" in args.only:
        for name, layers in (("three_spin", 2), ("continuous", 3)):
            res = sweep.run(experiments.train_spin_model, [dict(dataset=name, arch="EFNN", width=60, layers=layers,
                                                                 epochs=800)], executor="serial", desc="long EFNN")
            save(f"{name}_long", res)
        print(f"long: {time.perf_counter() - t0:.0f} s", flush=True)
    if "de" in args.only:
        tasks = [dict(arch=a, C=C, layers=2) for C in (1, 3, 5) for a in ("EFNN", "DNN", "ResNet", "DenseNet")]
        tasks += [dict(arch="EFNN", C=3, layers=1), dict(arch="EFNN", C=3, layers=3),
                  dict(arch="EFNN", C=3, layers=2, sampling="uniform")]
        res = sweep.run(experiments.train_de_model, tasks, executor=ex, cache_dir="default", desc="double exchange")
        save("de", res)
        save("de_effective", [experiments.effective_de()])
        print(f"de: {time.perf_counter() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
