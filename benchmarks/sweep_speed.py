"""Sweep executors on this machine: wall time of equal tasks, speed-up, per-task overhead.

Run:  .venv/bin/python benchmarks/sweep_speed.py [--seconds 2] [--tasks 8]

Eight equal tasks of about 2 s each (an NRG run whose size is calibrated to the
requested time, one BLAS thread), run serially, on the local process pool (one worker
per core) and on a Dask LocalCluster with 2 worker processes; then 200 trivial tasks
on each executor for the overhead per task. The Dask cluster is rglib.sweep.local_cluster
(Dask's defaults for profiling and memory trimming cost 15% here: see DASK_CONFIG). Each executor is warmed up first with four
tiny NRG tasks (its workers import rglib.nrg once: about a second). Prints, measured in this run: wall times,
speed-ups over serial (goal >= 1.8x with 2 workers) and overheads (goal: Dask under
50 ms per task). Needs the optional extra rglib[distributed] for the Dask rows.
"""
import argparse
import os
import time

import numpy as np

from rglib import nrg, sweep
from rglib.notebook import blas_threads


def nrg_work(U, N_max):
    """One NRG run (the unit of work)."""
    sh = nrg.run(nrg.Anderson(-U / 2, U, U / (4 * np.pi)), Lam=2.0, N_max=N_max, N_keep=600)
    return float(nrg.thermodynamics(sh)["F"][-1])


def trivial(x):
    return x


def timed(f):
    t0 = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--tasks", type=int, default=8)
    args = ap.parse_args()
    print(f"BLAS threads: {blas_threads(1)}; cores: {os.cpu_count()}")
    _, t10 = timed(lambda: nrg_work(0.1, 10))
    _, t30 = timed(lambda: nrg_work(0.1, 30))
    per_shell = (t30 - t10) / 20
    N_max = max(5, int(10 + (args.seconds - t10) / per_shell))
    _, t_one = timed(lambda: nrg_work(0.1, N_max))
    print(f"task: NRG run with N_max = {N_max}, {t_one:.2f} s")
    tasks = [{"U": 0.1 + 0.001 * i, "N_max": N_max} for i in range(args.tasks)]
    small = [{"x": i} for i in range(200)]
    rows = []
    ref, t_ser = timed(lambda: sweep.run(nrg_work, tasks, executor="serial", cache_dir=None,
                                         progress=False))
    rows.append(("serial", t_ser, None))
    with sweep.local_pool() as pool:
        warm = [{"U": 0.1, "N_max": 3}] * 4      # start-up: workers import rglib.nrg once
        sweep.run(nrg_work, warm, executor=pool, cache_dir=None, progress=False)
        got, t_pool = timed(lambda: sweep.run(nrg_work, tasks, executor=pool, cache_dir=None,
                                              progress=False))
        assert got == ref
        _, t_small = timed(lambda: sweep.run(trivial, small, executor=pool, cache_dir=None,
                                             progress=False))
    rows.append((f"local process pool ({os.cpu_count()} workers)", t_pool, t_small / len(small)))
    try:
        from distributed import Client
    except ImportError:
        print("Dask distributed not installed (pip install rglib[distributed]): no Dask rows")
    else:
        with sweep.local_cluster(2) as lc, Client(lc) as client:
            sweep.run(nrg_work, warm, executor=client, cache_dir=None, progress=False)
            got, t_dask = timed(lambda: sweep.run(nrg_work, tasks, executor=client, cache_dir=None,
                                                  progress=False))
            assert got == ref
            _, t_small = timed(lambda: sweep.run(trivial, small, executor=client, cache_dir=None,
                                                 progress=False))
        rows.append(("Dask LocalCluster (2 workers)", t_dask, t_small / len(small)))
    print(f"{len(tasks)} tasks of {t_one:.1f} s; results identical on every executor")
    for name, t, over in rows:
        extra = "" if over is None else f"   overhead per task {over * 1e3:6.1f} ms"
        print(f"  {name:38s} {t:7.2f} s   speed-up {t_ser / t:4.2f}x{extra}")
    print("  goals: speed-up >= 1.8x with 2 workers; Dask overhead < 50 ms per task")


if __name__ == "__main__":
    main()
