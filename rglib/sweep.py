"""Sweeps and ensembles: many independent tasks, on a laptop or a cluster, unchanged.

    from rglib import sweep
    tasks = sweep.grid(U=[0.05, 0.1], Gamma=[0.01, 0.02])         # list of keyword dicts
    results = sweep.run(my_pure_function, tasks, seed=7)          # local process pool

Each task is one call ``func(**task)`` of a pure, importable function; results come
back in input order, whatever the executor, the worker count or the order in which
tasks finish.

* **Executors.** Any ``concurrent.futures.Executor``. Default: a local process pool
  with one worker per core, one BLAS thread each. Scale-out: Dask distributed (the
  optional extra, ``pip install rglib[distributed]``): pass a ``distributed.Client``
  (or ``client.get_executor()``), made from a ``LocalCluster`` on one machine, a
  scheduler address for many, or dask-jobqueue (``SLURMCluster``, ``PBSCluster``) on
  an HPC system (README, "Scaling out"). Without Dask everything runs locally.
* **Seeds.** With ``seed``, task i receives ``seed_arg`` = an integer drawn from
  ``numpy.random.SeedSequence(seed).spawn(n)[i]`` (:func:`task_seeds`), so results are
  identical to the last bit on any executor.
* **Results on disk.** With ``cache_dir`` (default ``build/sweeps/<function>``; None to
  switch off), every finished task is written at once to its own file, atomically (a
  temporary file, then a rename), keyed by a hash of the function, its parameters and
  the rglib source. A rerun loads finished tasks and computes only the missing ones, so
  an interrupted sweep resumes and nothing finished is lost. Each file carries a
  checksum and its own key: a damaged, empty or foreign file in the folder is
  recomputed, with a warning naming it (:class:`DamagedResultWarning`).
* **Interrupts.** Ctrl-C (KeyboardInterrupt) stops the sweep at once: the results that
  finished are kept (written to disk), queued tasks are cancelled, the workers of the
  sweep's own local pool are ended, and the KeyboardInterrupt is raised again.
* **Failures.** A task that raises does not sink the sweep: the other results are kept
  (and on disk); then :class:`SweepError` names each failed task's parameters and
  carries the results (``on_error="return"`` returns them with :class:`TaskFailure`
  in the failed places instead). A local pool whose worker dies is restarted for the
  unfinished tasks; Dask reschedules a killed worker's tasks by itself.
* A progress bar counts finished tasks.
"""
import concurrent.futures as cf
import concurrent.futures.process  # noqa: F401  (cf.process.BrokenProcessPool below)
import hashlib
import inspect
import itertools
import json
import os
import pickle
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__, repo_root, validate
from .progress import progress as progress_bar

#: thread-count variables set to 1 in every worker of the default pool
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass
class TaskFailure:
    """A task that raised: its index, parameters and the error (as text)."""
    index: int
    params: dict
    error: str

    def __str__(self):
        return f"task {self.index} {_describe(self.params)} raised {self.error}"


class SweepError(RuntimeError):
    """Some tasks raised. ``results`` holds every result in input order (a
    :class:`TaskFailure` where a task failed); ``failures`` lists the failures."""

    def __init__(self, failures, results):
        self.failures, self.results = failures, results
        lines = "\n".join(f"  {f}" for f in failures[:10])
        more = f"\n  ... and {len(failures) - 10} more" if len(failures) > 10 else ""
        super().__init__(f"{len(failures)} of {len(results)} tasks failed (the other results are "
                         f"kept{' and on disk' if results else ''}):\n{lines}{more}")


def grid(**axes):
    """The Cartesian product of parameter lists, as a list of keyword dicts.

    ``grid(a=[1, 2], b=["x"])`` -> ``[{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]``.
    """
    for name, values in axes.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise ValueError(f"{name}: grid axes must be lists of values, got {values!r}")
    names = list(axes)
    return [dict(zip(names, combo)) for combo in itertools.product(*(list(axes[n]) for n in names))]


def task_seeds(seed, n):
    """n independent integer seeds from ``SeedSequence(seed).spawn(n)`` (task order)."""
    seed = validate.seed("seed", seed)
    n = validate.integer("n", n, minimum=0)
    return [int(c.generate_state(1, np.uint32)[0]) for c in np.random.SeedSequence(seed).spawn(n)]


def _describe(params):
    text = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return f"({text[:300]}{'...' if len(text) > 300 else ''})"


def _canonical(x):
    """A JSON-able canonical form of task parameters (for cache keys)."""
    if isinstance(x, dict):
        return {str(k): _canonical(v) for k, v in sorted(x.items(), key=lambda kv: str(kv[0]))}
    if isinstance(x, (list, tuple)):
        return [_canonical(v) for v in x]
    if isinstance(x, np.ndarray):
        return {"ndarray": x.dtype.str, "shape": list(x.shape),
                "sha": hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()}
    if isinstance(x, (np.integer, np.floating)):
        return x.item()
    if isinstance(x, float):
        return repr(x)                    # exact float text
    if x is None or isinstance(x, (bool, int, str)):
        return x
    kind = f"{type(x).__module__}.{type(x).__qualname__}"
    if hasattr(x, "__dict__") and not (inspect.isroutine(x) or inspect.isclass(x) or inspect.ismodule(x)):
        return {"object": kind, "attributes": _canonical(vars(x))}     # every attribute (a model's parameters)
    return f"{kind}:{x!r}"


_SOURCE_HASH = None


def source_hash():
    """A hash of the rglib package source: any code change invalidates cached results."""
    global _SOURCE_HASH
    if _SOURCE_HASH is None:
        h = hashlib.sha256(__version__.encode())
        for p in sorted(Path(__file__).parent.rglob("*.py")):
            h.update(p.read_bytes())
        _SOURCE_HASH = h.hexdigest()
    return _SOURCE_HASH


def task_key(func, params):
    """The cache key of one task: function, parameters, and the package source."""
    name = f"{func.__module__}.{func.__qualname__}"
    try:
        code = inspect.getsource(func)
    except (OSError, TypeError):
        code = ""
    blob = json.dumps([name, code, source_hash(), _canonical(params)], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


#: first bytes of a result file: format tag, then the SHA-256 of the rest (hex), then
#: the pickle of {"key": task key, "result": result}
MAGIC = b"rglib-sweep-result 1\n"


class DamagedResultWarning(UserWarning):
    """A stored result could not be used (damaged, empty or foreign): it is recomputed."""


class DamagedResult(ValueError):
    """A result file that cannot be used; the message names the file and the reason."""


def _write_atomic(path, obj, key=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    body = pickle.dumps({"key": key or path.stem, "result": obj}, protocol=pickle.HIGHEST_PROTOCOL)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pkl")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_result(path, key=None):
    """The result stored in ``path`` by a sweep (``key``: the task key it must carry,
    default the file name). Raises :class:`DamagedResult` naming the file when it is
    empty, truncated, altered (checksum), of another format or of another task."""
    path = Path(path)
    key = key or path.stem
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise DamagedResult(f"{path}: cannot be read ({exc})") from None
    if not blob:
        raise DamagedResult(f"{path}: the file is empty")
    head = len(MAGIC) + 65
    if not blob.startswith(MAGIC) or len(blob) < head or blob[head - 1:head] != b"\n":
        raise DamagedResult(f"{path}: not a sweep result file (foreign or truncated header)")
    body = blob[head:]
    if hashlib.sha256(body).hexdigest().encode() != blob[len(MAGIC):head - 1]:
        raise DamagedResult(f"{path}: the checksum does not match (truncated or altered file)")
    try:
        rec = pickle.loads(body)
    except Exception as exc:
        raise DamagedResult(f"{path}: cannot be unpickled ({type(exc).__name__}: {exc})") from None
    if not isinstance(rec, dict) or set(rec) != {"key", "result"} or rec["key"] != key:
        raise DamagedResult(f"{path}: holds the result of another task (key "
                            f"{rec.get('key') if isinstance(rec, dict) else '?'!r}, expected {key!r})")
    return rec["result"]


def _worker_init():
    for var in THREAD_VARIABLES:
        os.environ[var] = "1"
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def local_pool(workers=None):
    """A process pool with one BLAS thread per worker (default: one worker per core)."""
    workers = validate.integer("workers", (os.cpu_count() or 1) if workers is None else workers,
                               minimum=1, maximum=256)
    import multiprocessing as mp

    ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)


#: Dask settings for NumPy-heavy tasks (measured on the 2-core machines with
#: benchmarks/sweep_speed.py: 8 NRG tasks of 2 s ran 1.57x faster than serial with Dask's
#: defaults, 1.83x with these): no statistical profiler sampling the worker every 10 ms,
#: and no eager return of freed memory to the OS (MALLOC_TRIM_THRESHOLD_=65536 made
#: every large allocation page-fault anew). Use them for remote clusters too (the same
#: keys in a dask config file).
DASK_CONFIG = {"distributed.worker.profile.enabled": False}


def local_cluster(workers=None, **kwargs):
    """A Dask ``LocalCluster`` on 127.0.0.1 tuned for NumPy tasks (:data:`DASK_CONFIG`):
    ``workers`` processes (default: one per core), one thread each, no dashboard.
    Needs the optional extra ``rglib[distributed]``. Use as a context manager, with a
    ``distributed.Client`` on it."""
    import dask
    from distributed import LocalCluster

    workers = validate.integer("workers", (os.cpu_count() or 1) if workers is None else workers,
                               minimum=1, maximum=256)
    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    env.update({v: 1 for v in THREAD_VARIABLES})
    opts = dict(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None)
    opts.update(kwargs)
    with dask.config.set({**DASK_CONFIG, "distributed.nanny.pre-spawn-environ": env}):
        return LocalCluster(**opts)


def _call(func, params):
    """Runs on a worker: (True, result) or (False, error text). The worker stays alive."""
    try:
        return True, func(**params)
    except Exception as exc:      # reported with the task's parameters, not raised
        return False, f"{type(exc).__name__}: {exc}"


def _as_executor(executor):
    if executor is None or isinstance(executor, cf.Executor):
        return executor
    if hasattr(executor, "get_executor"):          # a dask.distributed Client
        return executor.get_executor()
    raise ValueError(f"executor must be a concurrent.futures.Executor or a dask.distributed "
                     f"Client, got {type(executor).__name__}")


def run(func, tasks, executor=None, seed=None, seed_arg="seed", cache_dir="default",
        progress=True, desc=None, on_error="raise", max_restarts=3):
    """Run ``func(**task)`` for every task; return the results in input order.

    Parameters
    ----------
    func : callable
        A pure, importable (picklable) function.
    tasks : list of dict
        Keyword arguments of each call (see :func:`grid`).
    executor : concurrent.futures.Executor, dask.distributed.Client, "serial" or None
        None: a local process pool (:func:`local_pool`) for this call; "serial": in
        this process, one task after the other.
    seed, seed_arg : int, str
        With ``seed``, task i gets ``seed_arg=task_seeds(seed, n)[i]`` (unless it sets
        that argument itself).
    cache_dir : path, "default" or None
        Where finished tasks are stored (one file each); "default" is
        ``build/sweeps/<module.function>`` in the repository; None: no files.
    on_error : "raise" or "return"
        After all tasks ran: raise :class:`SweepError` if any failed (default), or
        return the results with :class:`TaskFailure` in the failed places.
    """
    if not callable(func):
        raise ValueError(f"func must be callable, got {func!r}")
    if isinstance(tasks, dict) or not hasattr(tasks, "__len__"):
        raise ValueError("tasks must be a list of keyword dicts (see rglib.sweep.grid)")
    tasks = [dict(t) for t in tasks]
    for i, t in enumerate(tasks):
        if not all(isinstance(k, str) for k in t):
            raise ValueError(f"tasks[{i}] must map argument names to values, got {t!r}")
    validate.one_of("on_error", on_error, ("raise", "return"))
    max_restarts = validate.integer("max_restarts", max_restarts, minimum=0, maximum=100)
    if seed is not None:
        for t, s in zip(tasks, task_seeds(seed, len(tasks))):
            t.setdefault(seed_arg, s)
    n = len(tasks)
    if cache_dir == "default":
        cache_dir = repo_root() / "build" / "sweeps" / f"{func.__module__}.{func.__qualname__}"
    keys = [task_key(func, t) for t in tasks] if cache_dir else [None] * n
    paths = [Path(cache_dir) / f"{k}.pkl" for k in keys] if cache_dir else [None] * n
    results = [None] * n
    done = [False] * n
    damaged = []
    for i, p in enumerate(paths):
        if p is not None and p.exists():
            try:
                results[i], done[i] = load_result(p, keys[i]), True
            except DamagedResult as exc:
                damaged.append(str(exc))
    if damaged:
        warnings.warn(f"sweep: {len(damaged)} stored result file(s) could not be used and are "
                      "recomputed:\n  " + "\n  ".join(damaged), DamagedResultWarning, stacklevel=2)
    todo = [i for i in range(n) if not done[i]]
    if executor != "serial":
        _check_picklable(func, tasks, todo)
    bar = progress_bar(total=n, initial=n - len(todo), desc=desc or f"sweep {func.__name__}",
                       disable=not progress)
    failures = {}

    def finish(i, ok, value):
        if ok:
            results[i] = value
            if paths[i] is not None:
                _write_atomic(paths[i], value, keys[i])
        else:
            failures[i] = TaskFailure(i, tasks[i], value)
            results[i] = failures[i]
        bar.update(1)

    try:
        if executor == "serial":
            for i in todo:
                finish(i, *_call(func, tasks[i]))
        else:
            own = executor is None
            ex = local_pool() if own else _as_executor(executor)
            restarts = 0
            interrupted = False
            try:
                while todo:
                    futures = {ex.submit(_call, func, tasks[i]): i for i in todo}
                    try:
                        for fut in cf.as_completed(futures):
                            finish(futures[fut], *fut.result())
                        todo = []
                    except cf.process.BrokenProcessPool:
                        if not own or restarts >= max_restarts:
                            raise
                        restarts += 1                 # a worker died: new pool, the rest again
                        ex.shutdown(wait=False, cancel_futures=True)
                        ex = local_pool()
                        todo = [i for i in todo if results[i] is None and i not in failures]
                    except KeyboardInterrupt:
                        interrupted = True
                        _stop(futures, ex if own else None)
                        _harvest(futures, results, failures, finish)
                        raise
            finally:
                if own and not interrupted:
                    ex.shutdown(wait=True, cancel_futures=True)
    finally:
        bar.close()
    if failures and on_error == "raise":
        raise SweepError([failures[i] for i in sorted(failures)], results)
    return results


def _stop(futures, own_pool):
    """After Ctrl-C: cancel the queued tasks; end the workers of the sweep's own pool."""
    for fut in futures:
        fut.cancel()
    if own_pool is not None:
        procs = list((getattr(own_pool, "_processes", None) or {}).values())
        own_pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            if proc.is_alive():
                proc.terminate()


def _harvest(futures, results, failures, finish):
    """After Ctrl-C: keep (and write) every task that finished but was not collected yet."""
    for fut, i in futures.items():
        if results[i] is None and i not in failures and fut.done() and not fut.cancelled():
            try:
                outcome = fut.result(timeout=0)
            except BaseException:          # the worker was interrupted too, or died
                continue
            finish(i, *outcome)


def _check_picklable(func, tasks, todo):
    """Refuse, before anything runs, a function or a task that cannot go to a worker."""
    try:
        pickle.dumps(func)
    except Exception as exc:
        raise ValueError(f"func must be picklable to run on other processes (use a module-level "
                         f"function, not a lambda or a local function): {exc}") from None
    for i in todo:
        try:
            pickle.dumps(tasks[i])
        except Exception as exc:
            raise ValueError(f"tasks[{i}] {_describe(tasks[i])} must be picklable to run on other "
                             f"processes: {type(exc).__name__}: {exc}") from None
