"""``python -m rglib.run``: rerun a notebook for one parameter set or a grid, anywhere.

    python -m rglib.run notebooks/02_nrg_thermodynamics.ipynb -p N_keep 600
    python -m rglib.run 00 --grid Lam 2.0,3.0 -p n_points 10
    python -m rglib.run 07 --grid seed 0,1,2,3 --scheduler tcp://10.0.0.5:8786

Each parameter set is executed with papermill (through :mod:`rglib.harness.nbrun`,
which fails loudly naming the cell) as one task of :func:`rglib.sweep.run`: locally
on ``--workers`` threads (each notebook runs in its own kernel process), or on a Dask
cluster with ``--scheduler ADDRESS`` (the workers need this repository and its
environment). Every run lands in ``build/runs/<notebook>/<parameters>/``: the executed
notebook, ``results.json`` (the parameters and the results record) and
``results.md``. A rerun of the same grid skips finished points.

Values are read as JSON when they parse (numbers, true/false, lists such as
``[3,4]``), else as text; ``--grid NAME v1,v2,...`` splits on commas outside brackets.

Bad input (an unknown notebook, a parameter the notebook does not have, an empty grid
axis, an axis given twice, ``--workers`` below 1, an unreachable scheduler) stops the
command with a one-line error and exit code 2 (``--allow-unknown`` passes parameters
the parameters cell does not define). Ctrl-C ends every run at once, keeps the points
that finished (a rerun skips them) and exits with 130.
"""
import argparse
import hashlib
import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import repo_root, sweep
from ..notebook import results
from . import nbrun


def parse_value(text):
    """JSON when it parses (1e-3, true, [3, 4]), else the text itself."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return text


def split_values(text):
    """'1,2,[3,4]' -> ['1', '2', '[3,4]'] (commas inside brackets do not split)."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [v.strip() for v in out if v.strip()]


def resolve(notebook):
    """A notebook path, or a number prefix such as '02' of notebooks/02_*.ipynb."""
    p = Path(notebook)
    if p.suffix == ".ipynb":
        if not p.is_file():
            raise ValueError(f"notebook: there is no file {notebook!r}")
        return p.resolve()
    if not notebook or any(c in notebook for c in "*?[]/\\"):
        raise ValueError(f"notebook: {notebook!r} is neither a .ipynb path nor a number prefix")
    hits = sorted((repo_root() / "notebooks").glob(f"{notebook}*.ipynb"))
    if len(hits) != 1:
        raise ValueError(f"notebook: {notebook!r} names {len(hits)} notebooks "
                         f"({[h.name for h in hits]}); give a path or a unique prefix")
    return hits[0]


def point_name(params):
    """A readable, filesystem-safe folder name for one parameter set."""
    text = ",".join(f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in sorted(params.items()))
    safe = re.sub(r"[^A-Za-z0-9=,.+-]+", "_", text)[:80] or "defaults"
    return f"{safe}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def run_notebook(notebook, parameters, out_dir, notebook_sha=None):
    """Execute one notebook with ``parameters`` into ``out_dir``; return its results rows.

    ``notebook_sha`` only enters the sweep's cache key (a changed notebook reruns).
    """
    notebook, out_dir = Path(notebook), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    nb, secs = nbrun.execute(notebook, out_dir / notebook.name, parameters=parameters,
                             log=out_dir / "papermill.log", cell_timeout=3600)
    rows = results.from_notebook(nb)
    record = {"notebook": notebook.stem, "parameters": parameters, "seconds": round(secs, 1),
              "rows": rows}
    (out_dir / "results.json").write_text(json.dumps(record, indent=1, ensure_ascii=False),
                                          encoding="utf-8")
    lines = [f"# {notebook.stem}", "", "Parameters: " + (", ".join(
        f"`{k} = {json.dumps(v)}`" for k, v in parameters.items()) or "the notebook's defaults"),
        f"({secs:.0f} s)", "", "| figure/table | quantity | reference | rglib | status | note |",
        "|---|---|---|---|---|---|"]
    lines += [f"| {r['figure']} | {r['quantity']} | {r['ref']} | {r['ours']} | {r['status']} | "
              f"{r['note']} |" for r in rows]
    (out_dir / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rows


#: seconds to wait for a Dask scheduler before giving up
CONNECT_TIMEOUT = 5


class UsageError(ValueError):
    """Bad command-line input: printed as one line, exit code 2."""


def notebook_parameters(path):
    """The names defined in the notebook's parameters cell (papermill's inspection)."""
    import papermill as pm

    return set(pm.inspect_notebook(str(path)))


def parse_points(args, path):
    """The parameter sets of ``args`` (-p and --grid), checked against the notebook."""
    base = {}
    for name, v in args.p:
        if name in base:
            raise UsageError(f"-p {name}: the parameter is given twice")
        base[name] = parse_value(v)
    axes = {}
    for name, vals in args.grid:
        if name in axes:
            raise UsageError(f"--grid {name}: the axis is given twice (put all its values in one "
                             f"--grid {name} v1,v2,...)")
        if name in base:
            raise UsageError(f"--grid {name}: {name} is also given with -p")
        values = [parse_value(v) for v in split_values(vals)]
        if not values:
            raise UsageError(f"--grid {name}: no values (give v1,v2,...)")
        axes[name] = values
    if not args.allow_unknown:
        known = notebook_parameters(path)
        unknown = sorted((set(base) | set(axes)) - known)
        if unknown:
            raise UsageError(f"parameter(s) {', '.join(unknown)}: not in the parameters cell of "
                             f"{path.name} (it has {', '.join(sorted(known)) or 'none'}); pass "
                             "--allow-unknown to run with them anyway")
    return [dict(base, **g) for g in sweep.grid(**axes)] if axes else [base]


def connect(address):
    """A Dask client on ``address``, or a UsageError within :data:`CONNECT_TIMEOUT` s."""
    if not re.fullmatch(r"([a-z]+://)?[^\s:/]+:\d{1,5}", address or ""):
        raise UsageError(f"--scheduler: {address!r} is not an address such as tcp://host:8786")
    try:
        from distributed import Client          # the optional extra rglib[distributed]
    except ImportError:
        raise UsageError("--scheduler needs Dask distributed (pip install rglib[distributed])") from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"--scheduler: cannot reach {address} within {CONNECT_TIMEOUT} s "
                         f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None


def main(argv=None):
    """The command line; returns the exit code (0 ok, 1 failed runs, 2 bad input, 130 Ctrl-C)."""
    ap = argparse.ArgumentParser(prog="python -m rglib.run", description=__doc__.splitlines()[0])
    ap.add_argument("notebook", help="path, or a number prefix such as 02")
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="a parameter for every run")
    ap.add_argument("--grid", nargs=2, action="append", default=[], metavar=("NAME", "V1,V2,..."),
                    help="a grid axis (several --grid give the Cartesian product)")
    ap.add_argument("--scheduler", help="address of a Dask scheduler (tcp://host:8786)")
    ap.add_argument("--workers", type=int, default=2, help="local parallel runs (default 2)")
    ap.add_argument("--out", default=None, help="output folder (default build/runs)")
    ap.add_argument("--allow-unknown", action="store_true",
                    help="pass parameters that the notebook's parameters cell does not define")
    args = ap.parse_args(argv)
    try:
        if args.workers < 1:
            raise UsageError(f"--workers must be >= 1, got {args.workers}")
        path = resolve(args.notebook)
        points = parse_points(args, path)
    except ValueError as exc:
        print(f"{ap.prog}: error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else repo_root() / "build" / "runs"
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    tasks = [{"notebook": str(path), "parameters": p, "notebook_sha": sha,
              "out_dir": str(out / path.stem / point_name(p))} for p in points]
    try:
        executor = connect(args.scheduler) if args.scheduler else ThreadPoolExecutor(args.workers)
    except UsageError as exc:
        print(f"{ap.prog}: error: {exc}", file=sys.stderr)
        return 2
    nbrun.STOP.clear()
    try:
        res = sweep.run(run_notebook, tasks, executor=executor, cache_dir=out / ".cache",
                        desc=f"{path.stem} runs", on_error="return")
    except KeyboardInterrupt:
        nbrun.stop_all()                     # the running notebooks end now
        if args.scheduler:
            executor.close()
        else:
            executor.shutdown(wait=False, cancel_futures=True)
        kept = sum((out / ".cache" / f"{sweep.task_key(run_notebook, t)}.pkl").exists() for t in tasks)
        print(f"\ninterrupted: {kept} of {len(tasks)} runs finished and are kept in {out / path.stem} "
              "(the same command runs only the rest)", file=sys.stderr)
        return 130
    executor.close() if args.scheduler else executor.shutdown()
    failed = 0
    for t, r in zip(tasks, res):
        if isinstance(r, sweep.TaskFailure):
            failed += 1
            print(f"FAILED {t['parameters']}: {r.error}")
            continue
        counts = {}
        for row in r:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        print(f"{json.dumps(t['parameters'])}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
              + f"  -> {t['out_dir']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
