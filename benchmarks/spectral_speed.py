"""Cost of the spectral function and of its derivatives (full-density-matrix NRG).

Run:  .venv/bin/python benchmarks/spectral_speed.py [--N-keep 1000] [--T-min 1e-8] [--autograd-jvp]

Standard run: Anderson model eps_d = -0.05, U = 0.1, Gamma = 0.01, B = 0, T = 0,
Lambda = 2, N_keep = 1000, shells down to T_min, 1000 frequencies on a logarithmic grid,
one BLAS thread. Prints, measured in this run:
  * a plain NRG run of the same shells (no spectral function), for reference;
  * A(omega) forward (FDM + broadening), untraced: time and ratio to the plain run;
  * the gradient of one scalar functional of A (its L2 norm on the grid) with respect
    to (eps_d, U, Gamma, B) in one reverse pass: time and ratio to the forward A;
  * dA(omega)/dtheta on the whole grid for the four parameters by the batched forward
    mode (rglib.nrg.spectral_tangent, one pass): time and ratio to the forward A (the
    issue's goal: at most 4); with --autograd-jvp also autograd's make_jvp through the
    same code, one pass per parameter, for comparison (slow);
  * peak memory (tracemalloc) of the forward A, of the reverse pass and of the batched
    forward mode.
"""
import argparse
import tracemalloc

import numpy as np
from autograd import grad, make_jvp

from _timing import timed
from rglib import nrg
from rglib.notebook import blas_threads
from rglib.nrg import spectral, spectral_tangent
from rglib.nrg.ad import PARAMS


def peak_GiB(f, *a):
    tracemalloc.start()
    f(*a)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2 ** 30


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N-keep", type=int, default=1000)
    ap.add_argument("--T-min", type=float, default=1e-8)
    ap.add_argument("--autograd-jvp", action="store_true", help="also time autograd's make_jvp (slow)")
    args = ap.parse_args()
    blas_threads(1)
    w = np.concatenate([-np.logspace(0, np.log10(args.T_min) + 1, 500), np.logspace(np.log10(args.T_min) + 1, 0, 500)])
    kw = dict(T_min=args.T_min, N_keep=args.N_keep)
    th0 = np.array([-0.05, 0.1, 0.01, 0.0])

    def A(th):
        return spectral.spectral_function(nrg.Anderson(*th), w, 0.0, **kw)

    def norm2(th):
        a = A(th)
        return np.sum(a * a)

    _, t_run = timed(nrg.run, nrg.Anderson(*th0), 2.0, None, args.T_min, args.N_keep)
    print(f"plain NRG run ({args.N_keep} kept, T_min {args.T_min:g}): {t_run:.2f} s", flush=True)
    A0, t_fwd = timed(A, th0)
    print(f"A(omega), 1000 frequencies: {t_fwd:.2f} s ({t_fwd / t_run:.2f}x the plain run)", flush=True)
    _, t_rev = timed(grad(norm2), th0)
    print(f"reverse: gradient of sum A^2 w.r.t. 4 parameters: {t_rev:.2f} s ({t_rev / t_fwd:.2f}x forward A)",
          flush=True)
    def dA(th):
        return spectral_tangent.derivatives(dict(zip(PARAMS, th)), w, 0.0, **kw)

    (A1, _), t_tan = timed(dA, th0)
    print(f"forward mode, batched: dA/dtheta on the grid, 4 parameters in one pass: {t_tan:.2f} s "
          f"({t_tan / t_fwd:.2f}x forward A; goal <= 4: {'met' if t_tan / t_fwd <= 4 else 'not met'}; "
          f"A equal to the forward A within {np.max(np.abs(A1 - A0)) / np.max(A0):.0e} relative)", flush=True)
    if args.autograd_jvp:
        t_jvp = 0.0
        for k in range(4):
            _, t = timed(lambda v: make_jvp(A)(th0)(v), np.eye(4)[k])
            t_jvp += t
        print(f"forward mode, autograd's make_jvp, one pass per parameter: {t_jvp:.2f} s "
              f"({t_jvp / t_fwd:.2f}x forward A)", flush=True)
    print(f"peak memory: forward A {peak_GiB(A, th0):.2f} GiB, reverse pass {peak_GiB(grad(norm2), th0):.2f} GiB, "
          f"batched forward mode {peak_GiB(dA, th0):.2f} GiB (estimate used by its guard: "
          f"{spectral_tangent.memory_GiB(nrg.settings(T_min=args.T_min).N_max, args.N_keep, 4):.2f} GiB)",
          flush=True)


if __name__ == "__main__":
    main()
