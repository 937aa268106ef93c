"""Cost of exact derivatives through the NRG (Rigo & Mitchell's cheap-gradient claim).

Run:  .venv/bin/python benchmarks/dnrg_speed.py [--N-keep 1000]

Standard run of benchmarks/nrg_speed.py: symmetric SIAM, Lambda = 2, N_keep = 1000,
shells down to T = 1e-10, one BLAS thread. Prints, measured in this run:
  * forward time (plain NumPy, untraced);
  * reverse-mode gradient of one scalar, F at the lowest temperature, with respect to
    (eps_d, U, Gamma, B): time and ratio to the forward time (goal <= 3);
  * derivatives of F at *every* shell w.r.t. the four parameters by forward-mode
    tangent propagation: time and ratio (goal <= 8);
  * central finite differences for the same (8 extra runs; not exact at zero field);
  * peak memory of the reverse pass (tracemalloc, in a separate run; goal < 4 GB).
"""
import argparse
import time
import tracemalloc

import numpy as np
from autograd import grad

import rglib  # noqa: F401  (one BLAS thread)
from rglib import nrg
from rglib.nrg import ad, thermo


def timed(f, *a, **k):
    t0 = time.perf_counter()
    out = f(*a, **k)
    return out, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--N-keep", type=int, default=1000)
    ap.add_argument("--T-min", type=float, default=1e-10)
    args = ap.parse_args()
    U = 0.1
    theta = np.array([-U / 2, U, U / (4 * np.pi), 0.0])
    kw = dict(Lam=2.0, T_min=args.T_min, N_keep=args.N_keep)
    nrg.run(nrg.Anderson(*theta), Lam=2.0, N_max=3, N_keep=50)            # warm-up

    shells, t_fwd = timed(nrg.run, nrg.Anderson(*theta), **kw)
    F_last = float(thermo.free_energy(shells[-1]))
    g, t_rev = timed(grad(ad.free_energy_at), theta, None, -1, "impurity", **kw)
    (F_all, dF_all), t_jac = timed(ad.jacobian_all_shells, theta, **kw)

    def fd_all():
        out = np.zeros((len(shells), 4))
        for p in range(4):
            h = 1e-5 * max(abs(theta[p]), 0.01)
            e = np.zeros(4)
            e[p] = h
            Fp = [float(thermo.free_energy(s)) for s in nrg.run(nrg.Anderson(*(theta + e)), **kw)]
            Fm = [float(thermo.free_energy(s)) for s in nrg.run(nrg.Anderson(*(theta - e)), **kw)]
            out[:, p] = (np.array(Fp) - np.array(Fm)) / (2 * h)
        return out

    dF_fd, t_fd = timed(fd_all)
    print(f"standard run: {len(shells)} shells, N_keep = {args.N_keep}, Lambda = 2, "
          f"T_min = {args.T_min:g}; F_last = {F_last:.10f}")
    print(f"  forward (plain NumPy)                       {t_fwd:8.2f} s")
    print(f"  reverse gradient of F_last (4 parameters)   {t_rev:8.2f} s   ratio {t_rev / t_fwd:5.2f}"
          f"   (goal <= 3)")
    print(f"  forward-mode dF_N/dtheta, all shells        {t_jac:8.2f} s   ratio {t_jac / t_fwd:5.2f}"
          f"   (goal <= 8)")
    print(f"  central finite differences, all shells      {t_fd:8.2f} s   ratio {t_fd / t_fwd:5.2f}")
    print(f"  reverse vs forward mode, last shell: max |diff| = {np.max(np.abs(g - dF_all[-1])):.1e}")
    print(f"  dF/d eps_d on every shell (p-h symmetric: 1): max |AD - 1| = "
          f"{np.max(np.abs(dF_all[:, 0] - 1)):.1e}, max |FD - 1| = {np.max(np.abs(dF_fd[:, 0] - 1)):.1e}")
    tracemalloc.start()
    grad(ad.free_energy_at)(theta, None, -1, "impurity", **kw)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    tracemalloc.start()
    nrg.run(nrg.Anderson(*theta), **kw)
    peak_fwd = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"  peak memory: reverse pass {peak / 2**30:.2f} GiB (goal < 4 GB), "
          f"forward {peak_fwd / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
