"""Sweeps: identical results on every executor, resume after interruption, failures
reported with their parameters, a killed worker survived, and the rerun CLI.

The Dask tests start a LocalCluster with 2 worker processes on 127.0.0.1 and shut it
down whether they pass or fail.
"""
import json
import os
import signal
import threading
import time

import numpy as np
import pytest

from rglib import nrg, sweep
from rglib.ising import mc

distributed = pytest.importorskip("distributed", reason="Dask distributed (rglib[distributed])")
import cloudpickle  # noqa: E402  (ships with distributed)

import tests.test_sweep as _this  # noqa: E402

cloudpickle.register_pickle_by_value(_this)     # Dask workers need not import the tests


def nrg_task(U, N_keep=60):
    """A short NRG run: the free energy of every shell."""
    sh = nrg.run(nrg.Anderson(-U / 2, U, 0.01), Lam=2.5, N_max=14, N_keep=N_keep)
    return nrg.thermodynamics(sh)["F"]


def ising_task(K, seed):
    """A seeded Metropolis run: the energy series of 4 chains."""
    rng = np.random.default_rng(seed)
    s = mc.random_spins(4, 16, rng)
    return mc.metropolis(s, K, 60, rng)[1]


def slow_task(x, seconds=0.6):
    time.sleep(seconds)
    return x * x


def failing_task(x):
    if x == 3:
        raise ValueError(f"x = {x} is not allowed here")
    return 10 * x


def die_once_task(x, marker):
    """Kills its worker process the first time task 2 runs (the marker file remembers)."""
    if x == 2 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return x + 100


NRG_TASKS = sweep.grid(U=[0.05, 0.06, 0.07, 0.08, 0.09, 0.10, 0.11, 0.12])
ISING_TASKS = sweep.grid(K=[0.3, 0.35, 0.4, 0.42, 0.44, 0.46, 0.5, 0.6])


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client

    with sweep.local_cluster(2) as lc, Client(lc) as client:
        yield lc, client


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)          # to the last bit


def test_same_results_serial_local_pool_and_dask(cluster):
    _, client = cluster
    runs = {}
    for name, ex in (("serial", "serial"), ("pool", None), ("dask", client)):
        runs[name] = (sweep.run(nrg_task, NRG_TASKS, executor=ex, cache_dir=None, progress=False),
                      sweep.run(ising_task, ISING_TASKS, executor=ex, seed=11, cache_dir=None,
                                progress=False))
    for name in ("pool", "dask"):
        _same(runs["serial"][0], runs[name][0])
        _same(runs["serial"][1], runs[name][1])
    assert len({float(r[-1]) for r in runs["serial"][0]}) == 8          # the tasks differ


def test_a_killed_dask_worker_does_not_change_the_results(cluster):
    lc, client = cluster
    tasks = sweep.grid(x=list(range(8)))
    pids = list(client.run(os.getpid).values())

    def kill_one():
        time.sleep(1.0)
        os.kill(pids[0], signal.SIGKILL)

    killer = threading.Thread(target=kill_one)
    killer.start()
    got = sweep.run(slow_task, tasks, executor=client, cache_dir=None, progress=False)
    killer.join()
    assert got == [x * x for x in range(8)]
    client.wait_for_workers(2, timeout=60)            # the nanny restarted it


def test_a_dead_local_worker_is_replaced(tmp_path):
    got = sweep.run(die_once_task, [{"x": x, "marker": str(tmp_path / "died")} for x in range(6)],
                    cache_dir=None, progress=False)
    assert got == [x + 100 for x in range(6)] and (tmp_path / "died").exists()


def test_an_interrupted_sweep_resumes_and_computes_only_the_missing_tasks(tmp_path):
    tasks = sweep.grid(K=[0.3, 0.35, 0.4, 0.44, 0.5, 0.6])
    # a sweep stopped after 4 of 6 tasks: the same seeds as the full sweep
    seeds = sweep.task_seeds(5, len(tasks))
    full = [dict(t, seed=s) for t, s in zip(tasks, seeds)]
    sweep.run(ising_task, full[:4], cache_dir=tmp_path, executor="serial", progress=False)
    assert len(list(tmp_path.glob("*.pkl"))) == 4
    calls = []

    def counted(K, seed):
        calls.append(K)
        return ising_task(K, seed)

    counted.__module__, counted.__qualname__ = ising_task.__module__, ising_task.__qualname__
    counted.__wrapped__ = ising_task
    got = sweep.run(counted, tasks, seed=5, cache_dir=tmp_path, executor="serial", progress=False)
    assert calls == [0.5, 0.6]                           # only the two missing tasks ran
    _same(got, sweep.run(ising_task, tasks, seed=5, cache_dir=None, executor="serial",
                         progress=False))
    assert not list(tmp_path.glob(".tmp-*"))             # written atomically


def test_a_failing_task_names_its_parameters_and_keeps_the_others(tmp_path):
    tasks = sweep.grid(x=[1, 2, 3, 4])
    with pytest.raises(sweep.SweepError) as e:
        sweep.run(failing_task, tasks, cache_dir=tmp_path, progress=False)
    msg = str(e.value)
    assert "1 of 4 tasks failed" in msg and "(x=3)" in msg and "x = 3 is not allowed" in msg
    assert e.value.results[:2] == [10, 20] and e.value.results[3] == 40
    assert isinstance(e.value.results[2], sweep.TaskFailure)
    assert len(list(tmp_path.glob("*.pkl"))) == 3        # the others are on disk
    got = sweep.run(failing_task, tasks, cache_dir=tmp_path, progress=False, on_error="return")
    assert got[3] == 40 and isinstance(got[2], sweep.TaskFailure)


def test_bad_sweep_arguments():
    with pytest.raises(ValueError, match="picklable"):
        sweep.run(lambda x: x, [{"x": 1}], cache_dir=None, progress=False)
    with pytest.raises(ValueError, match="tasks must be a list"):
        sweep.run(slow_task, {"x": 1}, cache_dir=None)
    with pytest.raises(ValueError, match="grid axes must be lists"):
        sweep.grid(x=3)
    with pytest.raises(ValueError, match="executor must be"):
        sweep.run(slow_task, [{"x": 1}], executor=42, cache_dir=None, progress=False)


def test_seeds_do_not_depend_on_the_executor_or_the_order():
    s = sweep.task_seeds(3, 5)
    assert s == sweep.task_seeds(3, 5) and len(set(s)) == 5
    assert s[:3] == sweep.task_seeds(3, 3)               # spawn: a prefix stays the same


def test_rerun_cli_over_a_two_point_grid(tmp_path):
    from rglib.harness import rerun

    code = rerun.main(["00", "--grid", "Lam", "2.0,4.0", "-p", "n_points", "6", "--out",
                       str(tmp_path), "--workers", "2"])
    assert code == 0
    records = sorted(tmp_path.glob("00_index/*/results.json"))
    assert len(records) == 2
    lams = set()
    for p in records:
        rec = json.loads(p.read_text())
        lams.add(rec["parameters"]["Lam"])
        assert rec["parameters"]["n_points"] == 6
        assert any(f"Λ={rec['parameters']['Lam']:g}" in r["quantity"] for r in rec["rows"])
        assert (p.parent / "00_index.ipynb").exists() and "Lam" in (p.parent / "results.md").read_text()
    assert lams == {2.0, 4.0}


def test_z_averaging_on_a_pool_equals_serial():
    m = nrg.Anderson(-0.05, 0.1, 0.01)
    kw = dict(Lam=2.5, T_min=1e-6, N_keep=80, N_z=2, scheme="campo-oliveira")
    a = nrg.impurity_per_shell(m, **kw)
    b = nrg.impurity_per_shell(m, executor=None, **kw)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


class _TwoLevelModel:
    """A model whose repr names only one of its parameters (as a new model might)."""
    def __init__(self, eps, V):
        self.eps, self.V = eps, V

    def __repr__(self):
        return f"TwoLevel(eps={self.eps})"


def test_cache_keys_see_every_parameter_of_a_model_object():
    """Two models that differ only in a parameter their repr leaves out get different cache
    keys (a key from the repr once made them collide and return the other's result); equal
    models get equal keys, and the NRG models' keys follow their parameters."""
    key = lambda m: sweep.task_key(len, {"model": m})              # noqa: E731
    assert key(_TwoLevelModel(0.1, 0.2)) != key(_TwoLevelModel(0.1, 0.3))
    assert key(_TwoLevelModel(0.1, 0.2)) == key(_TwoLevelModel(0.1, 0.2))
    assert key(nrg.Anderson(-0.05, 0.1, 0.01)) != key(nrg.Anderson(-0.05, 0.1, 0.011))
    assert key(nrg.Anderson(-0.05, 0.1, 0.01)) == key(nrg.Anderson(-0.05, 0.1, 0.01))
