"""NRG speed and memory: how much of a standard run is LAPACK eigh, and the gain of symmetry blocks.

Run:  .venv/bin/python benchmarks/nrg_speed.py [--dense-shells 3]

Standard run: symmetric SIAM (U = 0.1, U/(pi Gamma) = 4), Lambda = 2, N_keep = 1000,
shells down to T = 1e-10, one BLAS thread. Prints, all measured in this run:
  * total time of rglib.nrg.run and the time spent inside eigh, and their ratio
    (goal >= 80 %: eigh is the physical floor of the algorithm);
  * the speed-up over a dense no-symmetry NRG with the same kept states, per shell
    at full size (the dense run is timed for a few full-size shells only: one dense
    shell of dimension ~4000 takes ~10 s);
  * the peak memory of the blocked run (tracemalloc, NumPy allocations included).
"""
import argparse
import time
import tracemalloc

import numpy as np

from rglib import nrg
from rglib.notebook import blas_threads
from rglib.nrg import dense, iterate, linalg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dense-shells", type=int, default=3)
    ap.add_argument("--N-keep", type=int, default=1000)
    args = ap.parse_args()
    print(f"BLAS threads: {blas_threads(1)}")
    U = 0.1
    model = nrg.Anderson(-U / 2, U, U / (4 * np.pi))
    spent = {"eigh": 0.0, "calls": 0}
    plain_eigh = linalg.eigh

    def timed_eigh(H):
        t0 = time.perf_counter()
        out = plain_eigh(H)
        spent["eigh"] += time.perf_counter() - t0
        spent["calls"] += 1
        return out

    iterate.eigh = timed_eigh
    nrg.run(model, 2.0, N_max=3, N_keep=args.N_keep)          # warm-up
    spent.update(eigh=0.0, calls=0)
    t0 = time.perf_counter()
    shells = nrg.run(model, 2.0, T_min=1e-10, N_keep=args.N_keep)
    total = time.perf_counter() - t0
    iterate.eigh = plain_eigh
    tracemalloc.start()                  # separate run: tracemalloc slows allocations
    nrg.run(model, 2.0, T_min=1e-10, N_keep=args.N_keep)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    n_sh = len(shells)
    print(f"standard run: {n_sh} shells, N_keep = {args.N_keep}, Lambda = 2, T_min = 1e-10")
    print(f"  total time          {total:8.2f} s   ({total / n_sh * 1e3:.0f} ms per shell)")
    print(f"  inside eigh         {spent['eigh']:8.2f} s   ({spent['calls']} calls)")
    print(f"  eigh / total        {spent['eigh'] / total:8.1%}   (goal >= 80%)")
    print(f"  peak memory         {peak / 2**20:8.1f} MiB (tracemalloc)")
    # dense reference: time full-size shells only
    times = []

    def cb(N, dim):
        times.append((N, dim, time.perf_counter()))

    t0 = time.perf_counter()
    times.append((0, 0, t0))
    n_dense = 0
    while True:
        n_dense += 1
        times.clear()
        times.append((0, 0, time.perf_counter()))
        dense.run_dense(model, 2.0, N_max=n_dense, N_keep=args.N_keep, shell_callback=cb)
        big = [(N, dim) for N, dim, _ in times[1:] if dim >= 3.5 * args.N_keep]
        if len(big) >= args.dense_shells or n_dense > 12:
            break
    per = [(times[i][2] - times[i - 1][2], times[i][1]) for i in range(1, len(times))]
    full_dense = [dt for dt, dim in per if dim >= 3.5 * args.N_keep][-args.dense_shells:]
    dense_per_shell = float(np.mean(full_dense))
    blocked_full = total / n_sh     # every shell after the first few is full size
    print(f"dense no-symmetry NRG: {len(full_dense)} full-size shells (dim ~{4 * args.N_keep}) timed")
    print(f"  dense, per full shell    {dense_per_shell:8.2f} s")
    print(f"  blocked, per shell       {blocked_full:8.3f} s")
    print(f"  speed-up blocked/dense   {dense_per_shell / blocked_full:8.1f}x   (goal >= 20x)")
    print(f"  dense run extrapolated to {n_sh} shells: {dense_per_shell * n_sh:.0f} s")


if __name__ == "__main__":
    main()
