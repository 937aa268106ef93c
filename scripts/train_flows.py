"""Train the learned-flow ensembles of notebooks 08-09 into data/flows/ (Part II).

Run:  .venv/bin/python scripts/train_flows.py [--models 20] [--only cd exact ...] [--seed 0]
      [--scheduler tcp://host:8786]

Every setting of rglib.flows.ensemble.SETTINGS is trained as an ensemble of --models
seeded models (seeds from numpy.random.SeedSequence(seed).spawn(models)) through
rglib.sweep (all local cores, or a Dask cluster), then saved as data/flows/<name>.npz:
the parameters of every model and a JSON record of the configuration, the seed, the
estimates (fixed point, exponents, critical point) and the timings. Notebooks 08-09
load these files by default (and retrain small ensembles with retrain=True).
Measured on the 2-core machine: about 25 minutes for all settings with 20 models.
"""
import argparse
import time

from rglib import repo_root
from rglib.flows import ensemble
from rglib.notebook import blas_threads


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", nargs="*", help="names of settings (default: all)")
    ap.add_argument("--scheduler", help="Dask scheduler address (default: local pool)")
    ap.add_argument("--out", default=str(repo_root() / "data" / "flows"))
    args = ap.parse_args()
    blas_threads(1)
    executor = None
    if args.scheduler:
        from distributed import Client

        executor = Client(args.scheduler)
    names = args.only or list(ensemble.SETTINGS)
    for name in names:
        cfg = ensemble.config_of(**ensemble.SETTINGS[name])
        t0 = time.perf_counter()
        res = ensemble.run(args.models, seed=args.seed, executor=executor, desc=name,
                           **ensemble.SETTINGS[name])
        ensemble.save(f"{args.out}/{name}.npz", res, cfg, args.seed)
        s = ensemble.summary(res)
        print(f"{name:20s} {time.perf_counter() - t0:7.1f} s  K_c median {s['median']:.4f} "
              f"std {s['std']:.4f} (n = {s['n']})", flush=True)


if __name__ == "__main__":
    main()
