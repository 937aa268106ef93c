"""Cost of exact derivatives through the NRG (Rigo & Mitchell's cheap-gradient claim).

Run:  .venv/bin/python benchmarks/dnrg_speed.py [--N-keep 1000] [--no-make-jvp]

Standard run of benchmarks/nrg_speed.py: symmetric SIAM, Lambda = 2, N_keep = 1000,
shells down to T = 1e-10, one BLAS thread. Prints, measured in this run:
  * forward time (plain NumPy, untraced);
  * reverse-mode gradient of one scalar, F at the lowest temperature, with respect to
    (eps_d, U, Gamma, B): time and ratio to the forward time (goal <= 3);
  * derivatives of F at *every* shell w.r.t. the four parameters by rglib's forward
    mode (rglib.nrg.tangent: all directions in one pass): time and ratio (goal <= 8);
  * the same by autograd's own make_jvp through the plain NRG code (JVP rules on the
    eigensolver and the two assembly primitives; one pass per direction): time and
    ratio, and the agreement of the two;
  * central finite differences for the same (8 extra runs; not exact at zero field);
  * peak memory of the reverse pass (tracemalloc, in a separate run; goal < 4 GB).
"""
import argparse
import tracemalloc

import autograd.numpy as anp
import numpy as np
from autograd import make_jvp

from _timing import timed
from rglib import nrg
from rglib.notebook import blas_threads
from rglib.nrg import ad, thermo


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--N-keep", type=int, default=1000)
    ap.add_argument("--T-min", type=float, default=1e-10)
    ap.add_argument("--no-make-jvp", action="store_true", help="skip autograd's make_jvp")
    args = ap.parse_args()
    print(f"BLAS threads: {blas_threads(1)}")
    U = 0.1
    params = {"eps_d": -U / 2, "U": U, "Gamma": U / (4 * np.pi), "B": 0.0}
    kw = dict(Lam=2.0, T_min=args.T_min, N_keep=args.N_keep)
    nrg.run(ad.model(params), Lam=2.0, N_max=3, N_keep=50)            # warm-up

    shells, t_fwd = timed(nrg.run, ad.model(params), **kw)
    F_last = float(thermo.free_energy(shells[-1]))
    g, t_rev = timed(ad.gradient, params, mode="QSz", **kw)
    (F_all, dF_all), t_jac = timed(ad.all_shells, params, mode="QSz", **kw)   # this engine
    dF_mat = np.stack([dF_all[k] for k in ad.PARAMS], axis=1)

    def fd_all():
        out = np.zeros((len(shells), 4))
        for i, k in enumerate(ad.PARAMS):
            h = 1e-5 * max(abs(params[k]), 0.01)
            F = [[float(thermo.free_energy(s)) for s in
                  nrg.run(ad.model(dict(params, **{k: params[k] + sg * h})), **kw)] for sg in (1, -1)]
            out[:, i] = (np.array(F[0]) - np.array(F[1])) / (2 * h)
        return out

    dF_fd, t_fd = timed(fd_all)
    print(f"standard run: {len(shells)} shells, N_keep = {args.N_keep}, Lambda = 2, "
          f"T_min = {args.T_min:g}; F_last = {F_last:.10f}")
    print(f"  forward (plain NumPy)                       {t_fwd:8.2f} s")
    print(f"  reverse gradient of F_last (4 parameters)   {t_rev:8.2f} s   ratio {t_rev / t_fwd:5.2f}"
          f"   (goal <= 3)")
    print(f"  rglib forward mode, dF_N/dtheta all shells  {t_jac:8.2f} s   ratio {t_jac / t_fwd:5.2f}"
          f"   (goal <= 8)")
    if not args.no_make_jvp:
        x0 = np.array([params[k] for k in ad.PARAMS])

        def F_shells(x):
            sh = nrg.run(ad.model(dict(zip(ad.PARAMS, x))), **kw)
            return anp.stack([thermo.free_energy(s) for s in sh])

        def jvp_all():
            return np.stack([make_jvp(F_shells)(x0)(e)[1] for e in np.eye(4)], axis=1)

        dF_mj, t_mj = timed(jvp_all)
        print(f"  autograd make_jvp, same (4 passes)          {t_mj:8.2f} s   ratio {t_mj / t_fwd:5.2f}"
              f"   (rglib's forward mode is {t_mj / t_jac:.2f}x faster); max |diff| = "
              f"{np.max(np.abs(dF_mj - dF_mat)):.1e}")
    print(f"  central finite differences, all shells      {t_fd:8.2f} s   ratio {t_fd / t_fwd:5.2f}")
    print(f"  reverse vs forward mode, last shell: max |diff| = "
          f"{max(abs(g[k] - dF_all[k][-1]) for k in ad.PARAMS):.1e}")
    print(f"  dF/d eps_d on every shell (p-h symmetric: 1): max |AD - 1| = "
          f"{np.max(np.abs(dF_all['eps_d'] - 1)):.1e}, max |FD - 1| = {np.max(np.abs(dF_fd[:, 0] - 1)):.1e}")
    tracemalloc.start()
    ad.gradient(params, mode="QSz", **kw)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    tracemalloc.start()
    nrg.run(ad.model(params), **kw)
    peak_fwd = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"  peak memory: reverse pass {peak / 2**30:.2f} GiB (goal < 4 GB), "
          f"forward {peak_fwd / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
