"""Measure eigh time with 1 vs 2 BLAS threads, idle and with a busy neighbour.

Run:  .venv/bin/python benchmarks/blas_threads.py

For symmetric matrices of the sizes an NRG shell meets, prints the time of
numpy.linalg.eigh with 1 and 2 BLAS threads and their ratio, (a) on an idle machine
and (b) while a second process keeps one core busy (as when a notebook kernel runs
beside the test runner, or two kernels run at once). All ratios are measured in
this one run. rglib defaults to 1 thread: the gain of 2 threads on an idle machine is
modest and absent for small blocks, the loss under contention is large, and a
fixed thread count keeps results bit-for-bit reproducible.
"""
import subprocess
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

BUSY = "import numpy as np\nA=np.random.default_rng(1).standard_normal((500,500));A=A+A.T\nwhile True: np.linalg.eigh(A)"


def time_eigh(A, reps, threads):
    with threadpool_limits(threads, user_api="blas"):
        np.linalg.eigh(A)                      # warm-up
        t = time.perf_counter()
        for _ in range(reps):
            np.linalg.eigh(A)
        return (time.perf_counter() - t) / reps


def table(title, sizes, rng):
    print(title)
    print(f"{'n':>6} {'1 thread [s]':>14} {'2 threads [s]':>14} {'t2/t1':>7}")
    for n in sizes:
        A = rng.standard_normal((n, n))
        A = A + A.T
        reps = max(3, int(3e8 / n ** 3))
        t1, t2 = time_eigh(A, reps, 1), time_eigh(A, reps, 2)
        print(f"{n:6d} {t1:14.4f} {t2:14.4f} {t2 / t1:7.2f}")


def main():
    sizes = (100, 400, 800, 1600)
    table("(a) idle machine", sizes, np.random.default_rng(0))
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    busy = subprocess.Popen([sys.executable, "-c", BUSY], env=env)
    try:
        time.sleep(1.0)
        table("(b) one core busy with another process", sizes, np.random.default_rng(0))
    finally:
        busy.kill()


if __name__ == "__main__":
    main()
