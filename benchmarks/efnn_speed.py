"""Cost of the effective field neural networks (Liu et al., arXiv:2502.17665): the network kit
against an earlier commit and (optionally) PyTorch, and EFNN against exact diagonalization.

Run:  .venv/bin/python benchmarks/efnn_speed.py [--baseline REV] [--rounds 3]
                                                [--torch-python PATH] [--ed-reps 1]

All measured in this run, one thread each (one BLAS thread, the process pinned to one core
when ``taskset`` exists), glibc told to keep freed memory in every process alike
(rglib.notebook.keep_freed_memory):

* training throughput (configurations per second, one epoch after a warm-up epoch) of the
  fully connected EFNN at width 60, 2 layers on the 3-spin data (16000 configurations,
  batches of 500), and of the convolutional EFNN at N = 10, C = 3, 2 layers, k = 3 and
  k = 5 (3000 double-exchange configurations, batches of 100), float64 and float32;
* one forward pass at N = 40 (C = 3, 2 layers, k = 3, float64);
* each measured in a fresh process for this tree and for ``--baseline`` (default: the
  commit before the fast kit, checked out into a temporary git worktree), alternating,
  ``--rounds`` times; the medians and their ratios are printed;
* with ``--torch-python``: the same models in PyTorch eager (benchmarks/_efnn_torch_reference.py,
  run by that interpreter; PyTorch is not a dependency of rglib);
* the time per configuration at N = 40 of exact diagonalization (eigvalsh of the
  3200 x 3200 one-body matrix) against one EFNN forward pass (the authors report 1022x on
  their machine; goal >= 1000x).
"""
import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "97d3dba"        # main before the custom primitives of rglib.nn (issue 23)

MEASURE = r"""
import ctypes, json, sys, time
import numpy as np
from threadpoolctl import threadpool_limits
threadpool_limits(1, user_api="blas")
ctypes.CDLL("libc.so.6").mallopt(-3, 32 * 2 ** 20); ctypes.CDLL("libc.so.6").mallopt(-1, 2 ** 30)
from rglib.efnn import data, models, training

def throughput(model, S, E, batch_size):
    training.fit(model, S, E, epochs=1, batch_size=batch_size)
    _, log = training.fit(model, S, E, epochs=1, batch_size=batch_size)
    return len(S) / log["seconds"]

out = {}
d = data.three_spin()
# the same 3000 configurations in both trees (their APIs for stored energies differ; the values
# of the energies do not change the time of a training step)
de = {"S": data.de_spins(10, np.arange(100, 3100), "authors"),
      "E": -51.6 + np.random.default_rng(0).standard_normal(3000)}
for dtype in (np.float64, np.float32):
    name = np.dtype(dtype).name
    out["fc " + name] = throughput(models.init_fc("EFNN", 0, width=60, layers=2, dtype=dtype),
                                   d["S_train"], d["E_train"], 500)
    for k in (3, 5):
        out[f"conv k={k} " + name] = throughput(models.init_conv("EFNN", 0, C=3, layers=2, k=k, dtype=dtype),
                                                de["S"], de["E"], 100)
m = dict(models.init_conv("EFNN", 0, C=3, layers=2, k=3), eps=0.0, sigma=1.0)
S = data.de_spins(40, [7], "authors")
training.predict(m, S)
t0 = time.perf_counter()
for _ in range(50):
    training.predict(m, S)
out["forward N=40 [ms]"] = (time.perf_counter() - t0) / 50 * 1e3
print(json.dumps(out))
"""


def pinned(cmd):
    return (["taskset", "-c", "0"] + cmd) if shutil.which("taskset") else cmd


def measure(tree):
    env = {"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}
    res = subprocess.run(pinned([sys.executable, "-c", MEASURE]), cwd=tree, env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default=BASELINE, help="git revision to compare with (default %(default)s)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--torch-python", help="an interpreter with torch and numpy (optional)")
    ap.add_argument("--ed-reps", type=int, default=1)
    args = ap.parse_args()
    runs = {"this tree": [], args.baseline: []}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(base), args.baseline], cwd=ROOT, check=True)
        try:
            for r in range(args.rounds):
                runs["this tree"].append(measure(ROOT))
                runs[args.baseline].append(measure(base))
                print(f"round {r + 1}/{args.rounds} done", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False)
    med = {who: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for who, rs in runs.items()}
    torch = None
    if args.torch_python:
        res = subprocess.run(pinned([args.torch_python, str(ROOT / "benchmarks" / "_efnn_torch_reference.py")]),
                             capture_output=True, text=True, check=True)
        torch = json.loads(res.stdout.strip().splitlines()[-1])
    print(f"\nmedians of {args.rounds} rounds, one thread; configurations/s (forward: ms)")
    print(f"{'':24s}{'this tree':>12s}{args.baseline:>12s}{'ratio':>8s}" + (f"{'PyTorch':>10s}{'ratio':>8s}" if torch else ""))
    for key, new in med["this tree"].items():
        old = med[args.baseline][key]
        fwd = key.startswith("forward")
        ratio = old / new if fwd else new / old
        line = f"{key:24s}{new:12.4g}{old:12.4g}{ratio:7.2f}x"
        tkey = {"fc float64": "fc_float64", "fc float32": "fc_float32", "conv k=3 float64": "conv_float64",
                "conv k=3 float32": "conv_float32", "forward N=40 [ms]": "forward_N40_s"}.get(key)
        if torch and tkey:
            tv = torch[tkey] * (1e3 if fwd else 1)
            line += f"{tv:10.4g}{(tv / new if fwd else new / tv):7.2f}x"
        print(line)
    if torch:
        print(f"(PyTorch {torch['torch']} eager, conv at k = 3; ratio > 1: rglib faster)")
    sys.path.insert(0, str(ROOT))
    from rglib.efnn import data
    from rglib.notebook import blas_threads
    blas_threads(1)
    S = data.de_spins(40, [7], "authors")
    t_ed = []
    for _ in range(args.ed_reps):
        t0 = time.perf_counter()
        data.de_energy(S[0])
        t_ed.append(time.perf_counter() - t0)
    ed, t_nn = min(t_ed), med["this tree"]["forward N=40 [ms]"] / 1e3
    print(f"N = 40, per configuration: ED {ed:.2f} s, EFNN {t_nn * 1e3:.2f} ms, ratio {ed / t_nn:.0f}x "
          f"(authors: 1022x on their machine; goal >= 1000x: {'met' if ed / t_nn >= 1000 else 'missed'})")


if __name__ == "__main__":
    main()
