"""Issue 26, one test per kind of defect: damaged files, the sweep cache, interrupts, the
rerun CLI, silent garbage in the physics, silent coercion, unclear messages, unbounded
loops and products, and notebook records that cannot judge a row.

The interrupt tests start ``python -m rglib.run`` (a two-cell fixture notebook) and a
local-pool sweep in their own process groups and send SIGINT to the group.
"""
import argparse
import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from rglib import data_path, nn, sweep, validate
from rglib.efnn import data
from rglib.flows import analysis, ensemble, training
from rglib.harness import rerun
from rglib.mcmc import hmc, stats
from rglib.nrg import Anderson, impurity, inverse, spectral, spectral_tangent

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures"
ENV = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _as_in_a_terminal():
    """Ctrl-C as a user meets it: SIGINT at its default in the child. (make test runs the unit
    tests as a background job of a shell without job control, which starts them with SIGINT
    ignored, and children inherit that: Python then installs no KeyboardInterrupt handler.)"""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _refused(call, *words, exc=ValueError):
    with pytest.raises(exc) as e:
        call()
    for w in words:
        assert w in str(e.value), f"{w!r} not in {str(e.value)!r}"
    return e.value


# --- damaged files -----------------------------------------------------------------------

def test_damaged_or_foreign_files_are_refused_naming_the_file(tmp_path):
    good = tmp_path / "good.npz"
    nn.save(good, {"nets": [{"W": np.ones((2, 3))}, {"W": np.zeros(4)}]}, meta={"a": 1})
    blob = good.read_bytes()
    flipped = bytearray(blob)
    flipped[blob.index(np.ones(1).tobytes()) + 6] ^= 0x10       # a bit of the first weight (1.0)
    variants = {"empty.npz": b"", "truncated.npz": blob[: len(blob) // 2], "flipped.npz": bytes(flipped),
                "text.npz": b"not a weight file", "pickle.npz": pickle.dumps({"nets": []})}
    for name, content in variants.items():
        (tmp_path / name).write_bytes(content)
        _refused(lambda: nn.load(tmp_path / name), name, exc=nn.io.DamagedFile)
        _refused(lambda: ensemble.load(tmp_path / name), name, exc=ValueError)
    # consistent zip (CRC valid) with one altered value: the checksum
    with np.load(good) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["nets/0/W"] = arrays["nets/0/W"] * 2
    np.savez(tmp_path / "altered.npz", **arrays)
    _refused(lambda: nn.load(tmp_path / "altered.npz"), "altered.npz", "checksum")
    # a list recorded as 3 entries holding 2; a recorded length of 10**9 (refused at once)
    np.savez(tmp_path / "three.npz", **{"a/__len__": np.array(3), "a/0/W": np.ones(1), "a/1/W": np.ones(1)})
    _refused(lambda: nn.load(tmp_path / "three.npz"), "three.npz", "3 entries but holds 2")
    np.savez(tmp_path / "huge.npz", **{"a/__len__": np.array(10**9), "a/0/W": np.ones(1)})
    t0 = time.perf_counter()
    _refused(lambda: nn.load(tmp_path / "huge.npz"), "huge.npz")
    assert time.perf_counter() - t0 < 2.0
    # an ensemble record of 20 models with 19 parameter sets
    nn.save(tmp_path / "ens.npz", {"models": [[{"W": np.ones(2)}] for _ in range(19)]},
            meta={"config": {}, "seed": 0, "models": [{"estimates": {"K_c": 0.4}}] * 20})
    _refused(lambda: ensemble.load(tmp_path / "ens.npz"), "ens.npz", "20 models", "19 parameter sets")
    # stored energies and seeds of different lengths
    np.savez(tmp_path / "de.npz", seeds=np.arange(5), E=np.ones(4))
    _refused(lambda: data.load_energies(tmp_path / "de.npz"), "de.npz", "same")


def test_new_files_carry_a_checksum_and_versions_and_old_files_still_load(tmp_path):
    p = tmp_path / "w.npz"
    params = {"a": [np.arange(3.0), {}, []], "b": {"c": np.ones((2, 2))}}
    nn.save(p, params, meta={"m": 1})
    with np.load(p) as f:
        record = json.loads(str(f["__check__"]))
    assert len(record["sha256"]) == 64 and record["versions"]["numpy"] == np.__version__
    back, meta = nn.load(p)
    assert meta == {"m": 1} and back["a"][1] == {} and back["a"][2] == []
    np.testing.assert_array_equal(back["b"]["c"], params["b"]["c"])
    for f in sorted(data_path().glob("*/*.npz")):         # written before the check record
        nn.load(f)
    for f in sorted(data_path("flows").glob("*.npz")):
        results, rec = ensemble.load(f)
        assert len(results) == len(rec["models"])


# --- the sweep cache ---------------------------------------------------------------------

def _task(x):
    return {"x": x, "square": x * x}


def test_a_sweep_recomputes_exactly_its_damaged_foreign_and_empty_results(tmp_path):
    tasks = sweep.grid(x=[1, 2, 3, 4, 5])
    first = sweep.run(_task, tasks, cache_dir=tmp_path, executor="serial", progress=False)
    paths = [tmp_path / f"{sweep.task_key(_task, t)}.pkl" for t in tasks]
    assert all(p.exists() for p in paths)
    blob = paths[0].read_bytes()
    paths[0].write_bytes(blob[: len(blob) - 7])                         # damaged (truncated)
    paths[1].write_bytes(pickle.dumps({"x": 99, "square": 0}))          # foreign: a valid pickle
    paths[2].write_bytes(b"")                                           # empty
    calls = []

    def counted(x):
        calls.append(x)
        return _task(x)

    counted.__module__, counted.__qualname__, counted.__wrapped__ = _task.__module__, _task.__qualname__, _task
    with pytest.warns(sweep.DamagedResultWarning) as w:
        got = sweep.run(counted, tasks, cache_dir=tmp_path, executor="serial", progress=False)
    assert sorted(calls) == [1, 2, 3]
    msg = str(w[0].message)
    assert all(p.name in msg for p in paths[:3]) and not any(p.name in msg for p in paths[3:])
    assert "empty" in msg and "checksum" in msg and "not a sweep result" in msg
    assert got == first
    assert sweep.run(_task, tasks, cache_dir=tmp_path, executor="serial", progress=False) == first


# --- interrupts --------------------------------------------------------------------------

def _wait_for(pred, timeout):
    t0 = time.perf_counter()
    while not pred():
        if time.perf_counter() - t0 > timeout:
            return False
        time.sleep(0.1)
    return True


def _interrupt(proc):
    os.killpg(proc.pid, signal.SIGINT)
    t0 = time.perf_counter()
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    return time.perf_counter() - t0, out, err


def test_ctrl_c_on_the_rerun_cli_exits_130_at_once_keeping_finished_points(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "rglib.run", str(FIX / "sleepy.ipynb"), "--grid", "x", "1,2,3",
         "-p", "seconds", "120", "--workers", "2", "--out", str(tmp_path)],
        cwd=ROOT, env=ENV, start_new_session=True, preexec_fn=_as_in_a_terminal, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: len(list((tmp_path / ".cache").glob("*.pkl"))) == 1, 120), \
            "the quick point did not finish"
        time.sleep(1.0)                                  # the slow points are running
        secs, out, err = _interrupt(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err[-2000:]
    assert secs < 5.0, f"took {secs:.1f} s to stop"
    assert "Traceback" not in err and "1 of 3 runs finished" in err
    records = list(tmp_path.glob("sleepy/*/results.json"))
    assert len(records) == 1 and json.loads(records[0].read_text())["parameters"]["x"] == 1
    assert len(list((tmp_path / ".cache").glob("*.pkl"))) == 1


SWEEP_SCRIPT = textwrap.dedent("""
    import sys, time
    from rglib import sweep
    import tests.test_robustness as t
    try:
        sweep.run(t.sleepy_task, sweep.grid(x=[0, 1, 2, 3, 4, 5]), executor=None, cache_dir=sys.argv[1],
                  progress=False)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(130)
""")


def sleepy_task(x):
    """x = 0, 1 return at once; the others sleep for two minutes."""
    if x >= 2:
        time.sleep(120)
    return x


def test_ctrl_c_on_a_local_pool_neither_waits_nor_loses_finished_tasks(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", SWEEP_SCRIPT, str(tmp_path)], cwd=ROOT, env=ENV,
                            start_new_session=True, preexec_fn=_as_in_a_terminal, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: len(list(tmp_path.glob("*.pkl"))) == 2, 60), "the quick tasks did not finish"
        time.sleep(0.5)
        secs, out, err = _interrupt(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130 and "interrupted" in out, err[-2000:]
    assert secs < 5.0, f"took {secs:.1f} s to stop"
    assert sorted(sweep.load_result(p) for p in tmp_path.glob("*.pkl")) == [0, 1]


# --- the rerun CLI -----------------------------------------------------------------------

@pytest.mark.parametrize("argv,words", [
    (["00", "-p", "Lambda", "5"], "Lambda"),
    (["00", "--grid", "Lam", ""], "--grid Lam"),
    (["00", "--grid", "Lam", "2,3", "--grid", "Lam", "4,5"], "given twice"),
    (["00", "--workers", "0"], "--workers"),
    (["00", "--workers", "-3"], "--workers"),
    (["no_such.ipynb"], "no_such.ipynb"),
    (["0"], "notebooks"),
    (["00", "--scheduler", "not an address"], "--scheduler"),
    (["00", "--scheduler", "tcp://127.0.0.1:1"], "cannot reach"),
])
def test_bad_command_lines_give_one_line_and_exit_2(argv, words, tmp_path, capsys):
    t0 = time.perf_counter()
    code = rerun.main(argv + ["--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and words in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert time.perf_counter() - t0 < rerun.CONNECT_TIMEOUT + 5
    assert not list(tmp_path.glob("*/*/results.json"))              # nothing ran


def test_allow_unknown_passes_parameters_on(tmp_path):
    args = argparse.Namespace(p=[["Lambda", "5"]], grid=[], allow_unknown=True)
    assert rerun.parse_points(args, rerun.resolve("00")) == [{"Lambda": 5}]


# --- silent garbage in the physics -------------------------------------------------------

M = Anderson(-0.05, 0.1, 0.01)


def test_physics_refuses_what_would_be_garbage():
    _refused(lambda: spectral.spectral_function(M, [0.0], T=1e-3, T_min=1e-2, N_keep=40), "T_min must be <= T")
    _refused(lambda: spectral.spectral_function(M, [0.0], T=1e-4, N_max=4, N_keep=20), "N_max", "above T")
    d_poles = spectral.poles(M, 0.0, T_min=1e-2, N_keep=40)
    _refused(lambda: spectral.static_susceptibility(d_poles), "operator='Sz_d'")
    _refused(lambda: spectral.resonant_level([0.1], 0.0, 0.0), "Gamma must be > 0")
    _refused(lambda: spectral.resonant_level([0.1], 0.0, -0.01), "Gamma must be > 0")
    _refused(lambda: data.de_energy(2 * data.de_spins(3, [1])[0]), "unit spins")
    _refused(lambda: stats.binning_errors(np.ones(64), n_levels=-1), "n_levels")
    with pytest.warns(RuntimeWarning, match="N_keep = 8 is too small"):
        impurity.impurity_thermodynamics(M, T_min=1e-4, N_keep=8)
    _refused(lambda: analysis.destination(lambda J: J, [np.nan]), "J0")


def test_what_is_accepted_stays_as_it_was():
    """The refusals do not touch valid calls: an untruncated run above T is exact; d poles
    broaden; the Sz_d poles give a susceptibility; no warning at a sound N_keep."""
    p = spectral.poles(M, 1e-3, N_max=3, N_keep=None)
    assert abs(float(np.sum(spectral.flat(p)[1])) - 1) < 1e-10
    chi = spectral.static_susceptibility(spectral.poles(M, 0.0, T_min=1e-2, N_keep=40, operator="Sz_d"))
    assert float(chi) > 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        impurity.impurity_thermodynamics(M, Lam=3.0, T_min=1e-3, N_keep=200)


# --- no silent coercion ------------------------------------------------------------------

def test_no_silent_coercion():
    with pytest.warns(UserWarning, match=r"warmup = 1000 is more than steps = 2.*warmup used: 2"):
        _, log = training.train(warmup=1000, steps=2, batch=4, chains=2, gibbs_steps=1, hidden=(2,))
    assert log["config"]["warmup"] == 2
    _refused(lambda: hmc.hmc(lambda q: (q * q).sum(1), np.zeros((2, 1)), 0, adapt=True, dt_range=(1.0, 1e-4)),
             "dt_range")
    _refused(lambda: hmc.hmc(lambda q: (q * q).sum(1), np.zeros((2, 1)), 0, adapt=True, dt=5.0), "dt = 5")
    _refused(lambda: sweep.local_pool(0), "workers must be >= 1")
    _refused(lambda: inverse.minimize([-0.5, 100.0, np.log(0.02)], "targets", {"n_d": 1, "T_K": 1e-3},
                                      {}, bath=np.ones(9)), "x0: U/Gamma = 100", "bounds")


# --- unclear messages --------------------------------------------------------------------

def test_messages_name_the_argument_and_the_shapes(tmp_path):
    _refused(lambda: spectral_tangent.spectral_function_jvp(M, np.zeros((1, 3, 3)), np.zeros(1), [0.1],
                                                            T_min=1e-2, N_keep=20), "dH0", "(P, 16, 16)", "(1, 3, 3)")
    e = _refused(lambda: inverse.minimize([np.nan, 4.0, -4.0], "targets", {"n_d": 1, "T_K": 1e-3}, {},
                                          bath=np.ones(9)), "x0: eps_d/U must be finite")
    assert "eps_d must" not in str(e)
    _refused(lambda: inverse.minimize([-0.5, 4.0, -4.0], "spectrum", np.ones(3), {}, omega=np.ones(4)),
             "target", "(4,)", "(3,)")
    _refused(lambda: hmc.hmc(3, np.zeros((2, 1)), 0), "U must be a function")
    marker = tmp_path / "ran"
    _refused(lambda: sweep.run(_mark, [{"path": str(marker)}, {"path": lambda: 0}], cache_dir=None,
                               progress=False), "tasks[1]", "picklable")
    assert not marker.exists()                                   # refused before anything ran


def _mark(path):
    Path(path).write_text("ran")


# --- unbounded ---------------------------------------------------------------------------

def test_loops_and_size_products_are_bounded(monkeypatch):
    t0 = time.perf_counter()
    _refused(lambda: analysis.destination(lambda J: J, [0.5], n_iter=10**9), "n_iter must be <= 10000")
    _refused(lambda: analysis.critical_point(lambda J: 2 * J, 1, tol=0.0), "tol")
    monkeypatch.setitem(validate.LIMITS, "seconds", 10.0)     # the product, not each argument
    _refused(lambda: data.three_spin(n_samples=2_000_000, L=40), "n_samples", "LIMITS['seconds']")
    monkeypatch.setitem(validate.LIMITS, "GiB", 0.5)
    monkeypatch.setitem(validate.LIMITS, "seconds", 3600.0)
    _refused(lambda: data.three_spin(n_samples=2_000_000, L=15), "n_samples", "LIMITS['GiB']")
    assert time.perf_counter() - t0 < 2.0


# --- notebook records --------------------------------------------------------------------

def test_a_fit_that_ends_on_a_bound_says_so():
    assert inverse.at_bound([-3.0, 4.0, np.log(0.02)], "targets") == ["eps_d/U"]
    assert inverse.at_bound([0.0, 60.0, np.log(0.3)], "targets") == ["U/Gamma", "ln Gamma"]
    assert inverse.at_bound([4.0, np.log(0.02)], "tchi") == []


@pytest.mark.parametrize("name,cell,phrases", [
    ("04_dnrg_spectral_derivatives", "cell-15", ["friedel_judged", "its U = 0 value", "N_keep_deriv >= 150",
                                                "rec.not_applicable(\"source at B = 0\""]),
    ("05_dnrg_inverse_design", "cell-14", ["out_of_reach", "at_bound", "rec.not_applicable(\"(a) targets\""]),
])
def test_notebook_records_give_a_reason_where_a_row_cannot_be_judged(name, cell, phrases):
    """(The notebooks themselves run in tests/test_notebooks.py.) The record cells mark the
    rows that cannot be judged at the given parameters, with the reason, and compile."""
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
    src = "".join(next(c for c in nb["cells"] if c.get("id") == cell)["source"])
    compile(src, cell, "exec")
    for ph in phrases:
        assert ph in src
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
