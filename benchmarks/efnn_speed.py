"""Cost of the effective field neural networks (Liu et al., arXiv:2502.17665, "10^3x faster than ED").

Run:  .venv/bin/python benchmarks/efnn_speed.py [--ed-reps 2]

One BLAS thread, one process, all measured in this run:
  * training throughput (configurations per second, one epoch after a warm-up epoch) of the
    fully connected EFNN at width 60, 2 layers on the 3-spin data (16000 configurations,
    batches of 500), and of the convolutional EFNN at N = 10, C = 3, 2 layers, k = 3
    (3000 double-exchange configurations, batches of 100), float64 and float32;
  * time per configuration at N = 40 of exact diagonalization (eigvalsh of the 3200 x 3200
    one-body matrix and the grand potential) and of one EFNN forward pass, and their
    ratio (the authors report 1022x on their machine; goal >= 1000x).
"""
import argparse
import time

import numpy as np

from rglib.efnn import data, experiments, models, training
from rglib.notebook import blas_threads


def throughput(model, S, E, batch_size):
    training.fit(model, S, E, epochs=1, batch_size=batch_size)                     # warm-up
    _, log = training.fit(model, S, E, epochs=1, batch_size=batch_size)
    return len(S) / log["seconds"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ed-reps", type=int, default=2)
    args = ap.parse_args()
    blas_threads(1)
    d = data.three_spin()
    de = experiments.de_data(10, "authors")
    for dtype in (np.float64, np.float32):
        m = models.init_fc("EFNN", 0, width=60, layers=2, dtype=dtype)
        r_fc = throughput(m, d["S_train"], d["E_train"], 500)
        m = models.init_conv("EFNN", 0, C=3, layers=2, k=experiments.DE_K, dtype=dtype)
        r_cv = throughput(m, de["S"], de["E"], 100)
        print(f"{np.dtype(dtype).name}: 3-spin EFNN w=60 n=2 {r_fc:8.0f} configurations/s; "
              f"conv EFNN N=10 C=3 n=2 {r_cv:6.0f} configurations/s", flush=True)
    m = models.init_conv("EFNN", 0, C=3, layers=2, k=experiments.DE_K)
    S = data.de_spins(40, [7], "authors")
    t_ed = []
    for _ in range(args.ed_reps):
        t0 = time.perf_counter()
        data.de_energy(S[0])
        t_ed.append(time.perf_counter() - t0)
    training.predict(dict(m, eps=0.0, sigma=1.0), S)                               # warm-up
    t0 = time.perf_counter()
    for _ in range(20):
        training.predict(dict(m, eps=0.0, sigma=1.0), S)
    t_nn = (time.perf_counter() - t0) / 20
    ed = min(t_ed)
    print(f"N = 40, per configuration: ED {ed:.2f} s, EFNN {t_nn * 1e3:.2f} ms, ratio {ed / t_nn:.0f}x "
          f"(authors: 1022x on their machine; goal >= 1000x: {'met' if ed / t_nn >= 1000 else 'missed'})")


if __name__ == "__main__":
    main()
