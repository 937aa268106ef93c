"""Cost of the learned RG flows (Shen & Kao's "directly learning the flow is faster").

Run:  .venv/bin/python benchmarks/flows_speed.py [--no-notebook]

One BLAS thread, one process, all measured in this run:
  * wall time to train one model with the stored settings of rglib.flows.ensemble.SETTINGS:
    one coupling with contrastive divergence ("cd", the talk's recipe), one coupling on the
    exact KL ("exact", with its L-BFGS polish), five couplings ("A1E_cd"), and the monotone
    J' = J - grad C(J) ("monotone", the cd recipe otherwise);
  * the monotone / direct training-time ratio (the talk: the direct flow "is significantly
    faster"; notebook 09 reports the same ratio from the stored ensembles);
  * notebook 08 at its defaults (ensembles loaded from data/flows) and its retraining path
    (retrain=True: 2 x 20 models on the local pool of all cores); goal: defaults under 10 min.
"""
import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from rglib import repo_root
from rglib.flows import ensemble
from rglib.harness import nbrun
from rglib.notebook import blas_threads


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-notebook", action="store_true", help="skip the notebook timings")
    args = ap.parse_args()
    blas_threads(1)
    t = {}
    for name in ("cd", "exact", "A1E_cd", "monotone"):
        t0 = time.perf_counter()
        r = ensemble.train_one(12345, **ensemble.SETTINGS[name])
        t[name] = time.perf_counter() - t0
        print(f"train one model, {name:9s}: {t[name]:6.1f} s (training {r['train_seconds']:.1f} s, "
              f"estimate {t[name] - r['train_seconds']:.1f} s), "
              + (f"K_c {kc:.4f}" if np.isfinite(kc := r['estimates']['K_c']) else "no critical point found"), flush=True)
    print(f"monotone / direct training time: {t['monotone'] / t['cd']:.2f}x")
    if args.no_notebook:
        return
    nb = repo_root() / "notebooks" / "08_learned_rg_flow.ipynb"
    with tempfile.TemporaryDirectory() as tmp:
        for label, params in (("defaults (data loaded)", {}), ("retrain=True (2 x 20 models)", {"retrain": True})):
            _, secs = nbrun.execute(nb, Path(tmp) / "08.ipynb", parameters=params, cell_timeout=3600)
            print(f"notebook 08, {label}: {secs:.0f} s" + (f" (goal < 600 s: {'met' if secs < 600 else 'missed'})"
                                                          if not params else ""), flush=True)


if __name__ == "__main__":
    main()
