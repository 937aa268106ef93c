"""The (Q, S) multiplet mode against the (Q, 2Sz) mode: forward time, reverse gradient, eigh share.

Run:  .venv/bin/python benchmarks/su2_speed.py [--N-keep 1000 2500]

Standard run (issue 15): symmetric SIAM (U = 0.1, U/(pi Gamma) = 4), Lambda = 2, z = 1,
51 shells (N_max = 50), one BLAS thread, the same kept states in both modes. Prints, all
measured in this run, for every N_keep:
  * forward time of both modes and their ratio (goal: >= 3.5x at 1000 and >= 5x at 2500,
    what NRG Ljubljana gains from the same change);
  * the share of the (Q, S) run spent inside eigh (goal >= 85%);
  * the reverse-mode gradient of the last shell's F with respect to (eps_d, U, Gamma) in
    the (Q, S) mode, over its forward run (goal <= 3; at the first N_keep only);
  * forward mode: dF_N/d(eps_d, U, Gamma) on every shell in one pass
    (rglib.nrg.su2_tangent), over the forward run, and against the (Q, 2Sz) forward mode
    (rglib.nrg.tangent, four directions; at the first N_keep only).
"""
import argparse
import time

import numpy as np
from autograd import grad

from _timing import timed
from rglib import nrg
from rglib.notebook import blas_threads
from rglib.nrg import ad, iterate, linalg, su2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--N-keep", type=int, nargs="+", default=[1000, 2500])
    args = ap.parse_args()
    print(f"BLAS threads: {blas_threads(1)}")
    U = 0.1
    model = nrg.Anderson(-U / 2, U, U / (4 * np.pi))
    spent = {"eigh": 0.0}
    plain_eigh = linalg.eigh

    def timed_eigh(H):
        t0 = time.perf_counter()
        out = plain_eigh(H)
        spent["eigh"] += time.perf_counter() - t0
        return out

    su2.run(model, 2.0, N_max=3, N_keep=100)                  # warm-up (imports, caches)
    for k, n_keep in enumerate(args.N_keep):
        kw = dict(Lam=2.0, N_max=50, N_keep=n_keep)
        sh_a, t_a = timed(iterate.run, model, **kw)
        su2.eigh = timed_eigh
        spent["eigh"] = 0.0
        sh_b, t_b = timed(su2.run, model, **kw)
        su2.eigh = plain_eigh
        kept_a = sh_a[-2].n_kept
        kept_b = sh_b[-2].n_kept
        print(f"N_keep = {n_keep}: kept states (Q, 2Sz) {kept_a}, (Q, S) {kept_b} "
              f"({sum(sh_b[-2].kept.values())} multiplets)")
        print(f"  forward (Q, 2Sz)    {t_a:8.2f} s")
        print(f"  forward (Q, S)      {t_b:8.2f} s   ratio {t_a / t_b:5.2f}x "
              f"(goal >= {3.5 if n_keep <= 1000 else 5.0}x)")
        print(f"  eigh / total (Q, S) {spent['eigh'] / t_b:8.1%}   (goal >= 85%)")
        if k == 0:
            def F(x):
                return su2.free_energy(su2.run(nrg.Anderson(x[0], x[1], x[2]), **kw)[-1])

            x = np.array([-U / 2, U, U / (4 * np.pi)])
            _, t_g = timed(grad(F), x)
            print(f"  reverse gradient (Q, S): {t_g:8.2f} s = {t_g / t_b:5.2f}x its forward run (goal <= 3)")
            p = {"eps_d": -U / 2, "U": U, "Gamma": U / (4 * np.pi), "B": 0.0}
            (_, dF_b), t_tb = timed(ad.all_shells, p, mode="QS", **kw)
            (_, dF_a), t_ta = timed(ad.all_shells, p, mode="QSz", **kw)
            diff = max(np.max(np.abs(dF_b[k] - dF_a[k])) for k in ad.PARAMS)
            print(f"  forward mode, all shells, (Q, S):   {t_tb:8.2f} s = {t_tb / t_b:5.2f}x its forward run;"
                  f" (Q, 2Sz): {t_ta:8.2f} s ({t_ta / t_tb:4.2f}x slower); max |diff| {diff:.1e}")


if __name__ == "__main__":
    main()
