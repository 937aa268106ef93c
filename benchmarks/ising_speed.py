"""Ising sampler speed: vectorized NumPy vs a plain Python loop, measured in one run.

Run:  .venv/bin/python benchmarks/ising_speed.py

* checkerboard Metropolis, L = 64, 64 chains (two thread groups): spin updates per
  second (goal >= 1e8 on 2 cores), against a plain Python double loop over the sites
  of one 64 x 64 lattice with math.exp;
* Swendsen-Wang (all chains in one sparse graph): spins visited per second, against a
  plain Python Wolff single-cluster algorithm (spins added to clusters per second).
"""
import math
import random
import time

import numpy as np

from rglib.ising import K_C, mc
from rglib.notebook import blas_threads


def python_metropolis_sweep(s, K, rnd):
    L = len(s)
    for i in range(L):
        for j in range(L):
            h = s[(i + 1) % L][j] + s[i - 1][j] + s[i][(j + 1) % L] + s[i][j - 1]
            dE = 2 * K * s[i][j] * h
            if dE <= 0 or rnd.random() < math.exp(-dE):
                s[i][j] = -s[i][j]


def python_wolff(s, K, rnd, n_clusters):
    L = len(s)
    p = 1 - math.exp(-2 * K)
    visited = 0
    for _ in range(n_clusters):
        i, j = rnd.randrange(L), rnd.randrange(L)
        s0 = s[i][j]
        stack = [(i, j)]
        s[i][j] = -s0
        while stack:
            a, b = stack.pop()
            visited += 1
            for c, d in (((a + 1) % L, b), ((a - 1) % L, b), (a, (b + 1) % L), (a, (b - 1) % L)):
                if s[c][d] == s0 and rnd.random() < p:
                    s[c][d] = -s0
                    stack.append((c, d))
    return visited


def main():
    print(f"BLAS threads: {blas_threads(1)}")
    L, C = 64, 64
    rng = np.random.default_rng(0)
    s = mc.random_spins(C, L, rng)
    mc.metropolis(s, K_C, 3, rng, measure=False)
    t0 = time.perf_counter()
    n_sw = 100
    mc.metropolis(s, K_C, n_sw, rng, measure=False)
    rate_np = n_sw * C * L * L / (time.perf_counter() - t0)
    rnd = random.Random(0)
    sp = [[rnd.choice((-1, 1)) for _ in range(L)] for _ in range(L)]
    t0 = time.perf_counter()
    for _ in range(3):
        python_metropolis_sweep(sp, K_C, rnd)
    rate_py = 3 * L * L / (time.perf_counter() - t0)
    print(f"checkerboard Metropolis, L = {L}, {C} chains:")
    print(f"  NumPy      {rate_np:10.3g} spin updates / s   (goal >= 1e8)")
    print(f"  Python     {rate_py:10.3g} spin updates / s")
    print(f"  ratio      {rate_np / rate_py:10.0f}x")
    s, _, _ = mc.swendsen_wang(s, K_C, 5, rng, measure=False)
    t0 = time.perf_counter()
    n_sw = 20
    mc.swendsen_wang(s, K_C, n_sw, rng, measure=False)
    rate_sw = n_sw * C * L * L / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    visited = python_wolff(sp, K_C, rnd, 300)
    rate_w = visited / (time.perf_counter() - t0)
    print(f"cluster updates at K_c, L = {L}:")
    print(f"  Swendsen-Wang, NumPy/SciPy, {C} chains  {rate_sw:10.3g} spins visited / s")
    print(f"  Wolff, plain Python, 1 chain          {rate_w:10.3g} spins visited / s")
    print(f"  ratio                                  {rate_sw / rate_w:10.0f}x")


if __name__ == "__main__":
    main()
