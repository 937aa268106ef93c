"""A battery of bad inputs over the newer parts (issue 26): weight and data files, flow
ensembles, the sweep cache, the rerun CLI, the spectral and inverse NRG, HMC, binning,
learned flows, the EFNN data sets.

Each case is (name, kind before the fix, call, words its error must contain). The error
must be a ValueError (or a subclass such as ``rglib.nn.io.DamagedFile``), or a warning
turned into an error (RuntimeWarning/UserWarning) for the calls that go on with a value
they say. The words name the parameter or the file. Every call runs in a thread with a
deadline (a hang fails the case instead of the suite); inputs are tiny.

``python -m tests.test_bad_input_battery`` prints the counts by outcome: clear (the
expected error naming the parameter or file), unclear (another error, or a message not
naming it), silent garbage / silently coerced (no error at all, by the kind of case),
hang (past the deadline).
"""
import contextlib
import io
import json
import pickle
import threading
import time
import warnings
import zipfile

import numpy as np
import pytest

from rglib import nn, sweep, validate
from rglib.efnn import data
from rglib.flows import analysis, ensemble, training
from rglib.harness import rerun
from rglib.mcmc import hmc, stats
from rglib.nrg import Anderson, impurity, inverse, spectral, spectral_tangent

DEADLINE = 20.0
KINDS = ("damaged file", "cli", "garbage", "coerced", "unclear", "unbounded")
_TMP = {}


def tmp():
    """A per-process scratch folder (the battery also runs outside pytest)."""
    import tempfile
    from pathlib import Path

    if "dir" not in _TMP:
        _TMP["dir"] = Path(tempfile.mkdtemp(prefix="rglib-battery-"))
    return _TMP["dir"]


# --- damaged files -----------------------------------------------------------------------

def good_file(name="good.npz", params=None, meta=None):
    path = tmp() / name
    nn.save(path, params if params is not None else {"nets": [{"W": np.ones((2, 3)), "b": np.zeros(3)},
                                                              {"W": np.ones((3, 1))}]},
            meta=meta if meta is not None else {"note": "test"})
    return path


def raw_npz(name, **arrays):
    """An .npz written by NumPy directly (an old file or a hand-made one)."""
    path = tmp() / name
    np.savez(path, **arrays)
    return path


def mutate(name, how):
    src = good_file(f"src-{name}").read_bytes()
    path = tmp() / name
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(src[: len(src) // 2])
    elif how == "bitflip":
        b = bytearray(src)
        b[src.index(np.ones(1).tobytes()) + 6] ^= 0x10         # a bit of the first weight (1.0)
        path.write_bytes(bytes(b))
    elif how == "text":
        path.write_text("this is not a weight file\n")
    elif how == "pickle":
        path.write_bytes(pickle.dumps({"nets": [1, 2, 3]}))
    elif how == "npy":
        np.save(path.with_suffix(".npy"), np.ones(3))
        path.with_suffix(".npy").rename(path)
    elif how == "zip of text":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("readme.txt", "hello")
    return path


def altered_array():
    """Arrays rewritten consistently (zip CRC valid) with one value changed: the checksum."""
    path = good_file("to-alter.npz")
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["nets/0/W"] = arrays["nets/0/W"] + 1e-9
    np.savez(path, **arrays)
    return path


def huge_header():
    """An .npy member whose header claims 10^12 elements."""
    path = tmp() / "huge.npz"
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False,
                                               "shape": (10**12,)})
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("W.npy", buf.getvalue() + b"\0" * 64)
    return path


def ensemble_file(n_records, n_params):
    path = tmp() / f"ens-{n_records}-{n_params}.npz"
    rec = {"config": {"rep": "A1"}, "seed": 0,
           "models": [{"estimates": {"K_c": 0.44}} for _ in range(n_records)]}
    nn.save(path, {"models": [[{"W": np.ones((1, 2))}] for _ in range(n_params)]}, meta=rec)
    return path


def sweep_file(name, content):
    path = tmp() / f"{name}.pkl"
    path.write_bytes(content)
    return path


def foreign_sweep_result():
    path = tmp() / "0123abcd.pkl"
    sweep._write_atomic(path, 42, key="another-task")
    return path


FILES = [
    ("nn.load empty", "damaged file", lambda: nn.load(mutate("empty.npz", "empty")), "empty.npz"),
    ("nn.load truncated", "damaged file", lambda: nn.load(mutate("trunc.npz", "truncated")), "trunc.npz"),
    ("nn.load bit flip", "damaged file", lambda: nn.load(mutate("flip.npz", "bitflip")), "flip.npz"),
    ("nn.load text file", "damaged file", lambda: nn.load(mutate("text.npz", "text")), "text.npz"),
    ("nn.load pickle", "damaged file", lambda: nn.load(mutate("pickle.npz", "pickle")), "pickle.npz"),
    ("nn.load .npy", "damaged file", lambda: nn.load(mutate("single.npz", "npy")), "single.npz"),
    ("nn.load zip of text", "damaged file", lambda: nn.load(mutate("zip.npz", "zip of text")), "zip.npz"),
    ("nn.load missing file", "damaged file", lambda: nn.load(tmp() / "nothere.npz"), "nothere.npz"),
    ("nn.load a folder", "damaged file", lambda: nn.load(tmp()), "rglib-battery"),
    ("nn.load checksum", "damaged file", lambda: nn.load(altered_array()), "checksum"),
    ("nn.load huge header", "damaged file", lambda: nn.load(huge_header()), "huge.npz"),
    ("nn.load length 10**9", "damaged file",
     lambda: nn.load(raw_npz("len9.npz", **{"a/__len__": np.array(10**9), "a/0/W": np.ones(2)})), "len9.npz"),
    ("nn.load length 3 holding 2", "damaged file",
     lambda: nn.load(raw_npz("len3.npz", **{"a/__len__": np.array(3), "a/0/W": np.ones(2),
                                            "a/1/W": np.ones(2)})), "3 entries but holds 2"),
    ("nn.load length -1", "damaged file",
     lambda: nn.load(raw_npz("lenneg.npz", **{"a/__len__": np.array(-1)})), "lenneg.npz"),
    ("nn.load length as float", "damaged file",
     lambda: nn.load(raw_npz("lenf.npz", **{"a/__len__": np.array(2.5)})), "lenf.npz"),
    ("nn.load index beyond length", "damaged file",
     lambda: nn.load(raw_npz("beyond.npz", **{"a/__len__": np.array(1), "a/0/W": np.ones(1),
                                              "a/5/W": np.ones(1)})), "beyond.npz"),
    ("nn.load array and container", "damaged file",
     lambda: nn.load(raw_npz("both.npz", **{"a": np.ones(1), "a/b": np.ones(1)})), "both.npz"),
    ("nn.load bad meta JSON", "damaged file",
     lambda: nn.load(raw_npz("meta.npz", __meta__=np.array("{not json"), W=np.ones(1))), "meta.npz"),
    ("nn.load meta not a dict", "damaged file",
     lambda: nn.load(raw_npz("meta2.npz", __meta__=np.array("[1, 2]"), W=np.ones(1))), "meta2.npz"),
    ("nn.load object array", "damaged file",
     lambda: nn.load(raw_npz("obj.npz", W=np.array([{"a": 1}], dtype=object))), "obj.npz"),
    ("nn.load unknown dunder", "damaged file",
     lambda: nn.load(raw_npz("dunder.npz", **{"__evil__": np.ones(1)})), "dunder.npz"),
    ("nn.load bad check record", "damaged file",
     lambda: nn.load(raw_npz("check.npz", __check__=np.array('{"format": 2}'), W=np.ones(1))), "check.npz"),
    ("nn.load future format", "damaged file",
     lambda: nn.load(raw_npz("future.npz", __check__=np.array(
         '{"format": 99, "sha256": "x", "versions": {}}'), W=np.ones(1))), "format 99"),
    ("nn.save object leaf", "unclear", lambda: nn.save(tmp() / "o.npz", {"a": object()}), "params"),
    ("nn.save key with slash", "unclear", lambda: nn.save(tmp() / "s.npz", {"a/b": 1.0}), "params"),
    ("ensemble.load 20 records 19 params", "damaged file", lambda: ensemble.load(ensemble_file(20, 19)),
     "20 models but the file holds 19"),
    ("ensemble.load weights file", "damaged file", lambda: ensemble.load(good_file("notens.npz")), "notens.npz"),
    ("ensemble.load truncated", "damaged file", lambda: ensemble.load(mutate("enstrunc.npz", "truncated")),
     "enstrunc.npz"),
    ("ensemble.load record without estimates", "damaged file",
     lambda: ensemble.load(good_file("noest.npz", {"models": [[{"W": np.ones(1)}]]},
                                     {"config": {}, "models": [{"seconds": 1.0}]})), "noest.npz"),
    ("load_energies lengths 5 and 4", "damaged file",
     lambda: data.load_energies(raw_npz("e54.npz", seeds=np.arange(5), E=np.ones(4))), "e54.npz"),
    ("load_energies 2-D E", "damaged file",
     lambda: data.load_energies(raw_npz("e2d.npz", seeds=np.arange(4), E=np.ones((4, 1)))), "e2d.npz"),
    ("load_energies NaN", "damaged file",
     lambda: data.load_energies(raw_npz("enan.npz", seeds=np.arange(2), E=np.array([1.0, np.nan]))),
     "enan.npz"),
    ("load_energies float seeds", "damaged file",
     lambda: data.load_energies(raw_npz("efs.npz", seeds=np.ones(2), E=np.ones(2))), "efs.npz"),
    ("load_energies foreign keys", "damaged file",
     lambda: data.load_energies(raw_npz("ekeys.npz", x=np.ones(2))), "ekeys.npz"),
    ("load_energies truncated", "damaged file",
     lambda: data.load_energies(mutate("etrunc.npz", "truncated")), "etrunc.npz"),
    ("sweep result empty", "damaged file", lambda: sweep.load_result(sweep_file("e0", b"")), "e0.pkl"),
    ("sweep result foreign pickle", "damaged file",
     lambda: sweep.load_result(sweep_file("fp", pickle.dumps([1, 2]))), "fp.pkl"),
    ("sweep result other task", "damaged file", lambda: sweep.load_result(foreign_sweep_result()),
     "0123abcd.pkl"),
    ("sweep result truncated", "damaged file",
     lambda: sweep.load_result(sweep_file("tr", sweep.MAGIC + b"0" * 10)), "tr.pkl"),
    ("sweep result altered", "damaged file",
     lambda: sweep.load_result(sweep_file("alt", sweep.MAGIC + b"0" * 64 + b"\n" + pickle.dumps(1))),
     "checksum"),
]


# --- the rerun CLI -----------------------------------------------------------------------

def cli(*argv):
    """rerun.main with argv: a non-zero exit with one line on stderr becomes a ValueError."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = rerun.main(list(argv) + ["--out", str(tmp() / "runs")])
        except SystemExit as e:          # argparse's own errors
            code = e.code
    text = err.getvalue().strip()
    if code and code != 0:
        if "Traceback" in text:         # (argparse's own errors come with its usage lines)
            raise RuntimeError(f"exit {code} with a traceback: {text}")
        raise ValueError(text)
    return code


CLI = [
    ("cli unknown parameter", "cli", lambda: cli("00", "-p", "Lambda", "5"), "Lambda"),
    ("cli unknown grid axis", "cli", lambda: cli("00", "--grid", "lam", "2,3"), "lam"),
    ("cli empty grid", "cli", lambda: cli("00", "--grid", "Lam", ""), "--grid Lam"),
    ("cli grid of commas", "cli", lambda: cli("00", "--grid", "Lam", ",,"), "--grid Lam"),
    ("cli grid axis twice", "cli", lambda: cli("00", "--grid", "Lam", "2,3", "--grid", "Lam", "4,5"),
     "given twice"),
    ("cli -p twice", "cli", lambda: cli("00", "-p", "Lam", "2", "-p", "Lam", "3"), "-p Lam"),
    ("cli -p and --grid", "cli", lambda: cli("00", "-p", "Lam", "2", "--grid", "Lam", "3,4"), "--grid Lam"),
    ("cli workers 0", "cli", lambda: cli("00", "--workers", "0"), "--workers"),
    ("cli workers -3", "cli", lambda: cli("00", "--workers", "-3"), "--workers"),
    ("cli workers text", "cli", lambda: cli("00", "--workers", "two"), "--workers"),
    ("cli missing notebook", "cli", lambda: cli("missing.ipynb"), "missing.ipynb"),
    ("cli ambiguous prefix", "cli", lambda: cli("0"), "notebook"),
    ("cli unknown prefix", "cli", lambda: cli("zz"), "notebook"),
    ("cli glob in prefix", "cli", lambda: cli("*"), "notebook"),
    ("cli bad scheduler address", "cli", lambda: cli("00", "--scheduler", "nonsense"), "--scheduler"),
]


# --- sweeps ------------------------------------------------------------------------------

def square(x):
    return x * x


SWEEP = [
    ("local_pool(0)", "coerced", lambda: sweep.local_pool(0), "workers"),
    ("local_pool(-1)", "coerced", lambda: sweep.local_pool(-1), "workers"),
    ("local_pool(1.5)", "unclear", lambda: sweep.local_pool(1.5), "workers"),
    ("local_cluster(0)", "coerced", lambda: sweep.local_cluster(0), "workers"),
    ("unpicklable task", "unclear",
     lambda: sweep.run(square, [{"x": 1}, {"x": threading.Lock()}], cache_dir=None, progress=False),
     "tasks[1]"),
    ("lambda func", "unclear", lambda: sweep.run(lambda x: x, [{"x": 1}], cache_dir=None, progress=False),
     "func must be picklable"),
    ("tasks as a dict", "unclear", lambda: sweep.run(square, {"x": 1}, cache_dir=None), "tasks"),
    ("task keys not text", "unclear", lambda: sweep.run(square, [{1: 2}], cache_dir=None), "tasks[0]"),
    ("on_error", "unclear", lambda: sweep.run(square, [{"x": 1}], on_error="ignore", cache_dir=None),
     "on_error"),
    ("max_restarts -1", "unclear", lambda: sweep.run(square, [{"x": 1}], max_restarts=-1, cache_dir=None),
     "max_restarts"),
    ("seed -1", "unclear", lambda: sweep.run(square, [{"x": 1}], seed=-1, cache_dir=None), "seed"),
    ("grid axis scalar", "unclear", lambda: sweep.grid(x=3), "x: grid axes"),
    ("executor 42", "unclear", lambda: sweep.run(square, [{"x": 1}], executor=42, cache_dir=None,
                                                 progress=False), "executor"),
    ("func not callable", "unclear", lambda: sweep.run(3, [{"x": 1}], cache_dir=None), "func"),
]


# --- the spectral and inverse NRG --------------------------------------------------------

M = Anderson(-0.05, 0.1, 0.01)
OM = np.array([-0.1, 0.1])


def sz_free_poles():
    return spectral.poles(M, 0.0, T_min=1e-2, N_keep=40)


NRG = [
    ("A at T_min > T", "garbage", lambda: spectral.spectral_function(M, [0.0], T=1e-3, T_min=1e-2, N_keep=40),
     "T_min must be <= T"),
    ("poles at T_min > T", "garbage", lambda: spectral.poles(M, 1e-3, T_min=2e-3, N_keep=40), "T_min"),
    ("A at N_max above T", "garbage", lambda: spectral.spectral_function(M, [0.0], T=1e-4, N_max=4, N_keep=20),
     "N_max"),
    ("A at T = -1", "unclear", lambda: spectral.spectral_function(M, [0.0], T=-1.0, T_min=1e-3), "T must be"),
    ("A at T = 0 without T_min", "unclear", lambda: spectral.spectral_function(M, [0.0]), "T_min"),
    ("A with b = 0", "unclear", lambda: spectral.broaden(sz_free_poles(), OM, b=0.0), "b must"),
    ("A with omega NaN", "unclear", lambda: spectral.broaden(sz_free_poles(), [np.nan], 0.6), "omega"),
    ("A with 2-D omega", "unclear", lambda: spectral.broaden(sz_free_poles(), np.ones((2, 2)), 0.6), "omega"),
    ("A with omega0 = -1", "unclear", lambda: spectral.broaden(sz_free_poles(), OM, 0.6, omega0=-1.0),
     "omega0"),
    ("A with operator x", "unclear", lambda: spectral.poles(M, 0.0, T_min=1e-2, operator="x"), "operator"),
    ("A with sigma x", "unclear", lambda: spectral.poles(M, 0.0, T_min=1e-2, sigma="x"), "sigma"),
    ("static chi of d poles", "garbage", lambda: spectral.static_susceptibility(sz_free_poles()),
     "operator='Sz_d'"),
    ("static chi of a dict", "garbage", lambda: spectral.static_susceptibility({"a": 1}), "p must"),
    ("resonant level Gamma = 0", "garbage", lambda: spectral.resonant_level(OM, 0.0, 0.0), "Gamma"),
    ("resonant level Gamma < 0", "garbage", lambda: spectral.resonant_level(OM, 0.0, -0.01), "Gamma"),
    ("resonant level eps_d NaN", "garbage", lambda: spectral.resonant_level(OM, np.nan, 0.01), "eps_d"),
    ("resonant level omega inf", "garbage", lambda: spectral.resonant_level([np.inf], 0.0, 0.01), "omega"),
    ("jvp dH0 of the wrong size", "unclear",
     lambda: spectral_tangent.spectral_function_jvp(M, np.zeros((1, 3, 3)), np.zeros(1), OM, T_min=1e-2,
                                                    N_keep=20), "dH0"),
    ("jvp dH0 2-D", "unclear",
     lambda: spectral_tangent.spectral_function_jvp(M, np.zeros((16, 16)), np.zeros(1), OM, T_min=1e-2),
     "dH0"),
    ("jvp dB length", "unclear",
     lambda: spectral_tangent.spectral_function_jvp(M, np.zeros((2, 16, 16)), np.zeros(3), OM, T_min=1e-2),
     "dB"),
    ("jvp NaN direction", "garbage",
     lambda: spectral_tangent.spectral_function_jvp(M, np.full((1, 16, 16), np.nan), np.zeros(1), OM,
                                                    T_min=1e-2, N_keep=20), "dH0"),
    ("jvp T_min > T", "garbage",
     lambda: spectral_tangent.spectral_function_jvp(M, np.zeros((1, 16, 16)), np.zeros(1), OM, T=1e-3,
                                                    T_min=1e-2, N_keep=20), "T_min"),
    ("derivatives wrt x", "unclear",
     lambda: spectral_tangent.derivatives({"eps_d": -0.05, "U": 0.1, "Gamma": 0.01}, OM, wrt="x",
                                          T_min=1e-2), "wrt"),
    ("thermodynamics at N_keep = 8", "garbage",
     lambda: impurity.impurity_thermodynamics(M, T_min=1e-4, N_keep=8), "N_keep = 8"),
    ("thermodynamics N_z = 0", "unclear", lambda: impurity.impurity_thermodynamics(M, N_z=0), "N_z"),
    ("thermodynamics Lam = 1", "unclear", lambda: impurity.impurity_thermodynamics(M, Lam=1.0), "Lam"),
    ("thermodynamics mode x", "unclear", lambda: impurity.impurity_thermodynamics(M, mode="x"), "mode"),
]

KW = dict(Lam=3.0, N_keep=30, T_min=1e-4)
X0 = [-0.5, 4.0, np.log(0.02)]
BATH = np.ones(10)


def mini(**kw):
    args = dict(x0=X0, problem="targets", target={"n_d": 1.0, "T_K": 1e-3}, run_kw=KW, bath=BATH)
    args.update(kw)
    return inverse.minimize(**args)


INVERSE = [
    ("minimize x0 outside bounds", "coerced", lambda: mini(x0=[-0.5, 100.0, np.log(0.02)]), "U/Gamma"),
    ("minimize x0 below bounds", "coerced", lambda: mini(x0=[-5.0, 4.0, np.log(0.02)]), "eps_d/U"),
    ("minimize x0 NaN", "unclear", lambda: mini(x0=[np.nan, 4.0, np.log(0.02)]), "x0: eps_d/U"),
    ("minimize x0 length 2", "unclear", lambda: mini(x0=[1.0, 2.0]), "x0 must hold 3"),
    ("minimize x0 length 3 for tchi", "unclear", lambda: mini(problem="tchi", x0=X0, target=np.ones(5)),
     "x0 must hold 2"),
    ("minimize x0 text", "unclear", lambda: mini(x0="abc"), "x0"),
    ("minimize without bath", "unclear", lambda: mini(bath=None), "bath"),
    ("minimize target not a dict", "unclear", lambda: mini(target=[0.9, 1e-3]), "target"),
    ("minimize target T_K < 0", "unclear", lambda: mini(target={"n_d": 0.9, "T_K": -1.0}), "T_K"),
    ("minimize target n_d = 3", "unclear", lambda: mini(target={"n_d": 3.0, "T_K": 1e-3}), "n_d"),
    ("minimize tchi target 2-D", "unclear", lambda: mini(problem="tchi", x0=X0[1:], target=np.ones((3, 3))),
     "target"),
    ("minimize spectrum without omega", "unclear",
     lambda: mini(problem="spectrum", target=np.ones(3), bath=None), "omega"),
    ("minimize spectrum shapes", "unclear",
     lambda: mini(problem="spectrum", target=np.ones(3), omega=np.ones(4), bath=None), "target"),
    ("minimize spectrum target zero", "unclear",
     lambda: mini(problem="spectrum", target=np.zeros(3), omega=np.ones(3), bath=None), "target"),
    ("minimize run_kw list", "unclear", lambda: mini(run_kw=[1, 2]), "run_kw"),
    ("minimize tol 0", "unclear", lambda: mini(tol=0.0), "tol"),
    ("minimize fd_step -1", "unclear", lambda: mini(fd_step=-1.0), "fd_step"),
    ("minimize callback 3", "unclear", lambda: mini(callback=3), "callback"),
]


# --- HMC, binning, learned flows ---------------------------------------------------------

def U2(q):
    return 0.5 * (q * q).sum(axis=1)


Q = np.zeros((3, 2))
RNG = 0

MCMC = [
    ("hmc U = 3", "unclear", lambda: hmc.hmc(3, Q, RNG), "U must be a function"),
    ("hmc q0 1-D", "unclear", lambda: hmc.hmc(U2, np.zeros(3), RNG), "q0"),
    ("hmc q0 NaN", "unclear", lambda: hmc.hmc(U2, np.full((2, 2), np.nan), RNG), "q0"),
    ("hmc q0 text", "unclear", lambda: hmc.hmc(U2, "abc", RNG), "q0"),
    ("hmc dt_range reversed", "coerced", lambda: hmc.hmc(U2, Q, RNG, adapt=True, dt_range=(1.0, 1e-4)),
     "dt_range"),
    ("hmc dt_range of 3", "unclear", lambda: hmc.hmc(U2, Q, RNG, dt_range=(1e-3, 1e-2, 1e-1)), "dt_range"),
    ("hmc dt outside dt_range", "coerced", lambda: hmc.hmc(U2, Q, RNG, dt=2.0, adapt=True), "dt = 2"),
    ("hmc U of the wrong shape", "unclear", lambda: hmc.hmc(lambda q: (q * q).sum(), Q, RNG), "U must return"),
    ("hmc n_leapfrog 0", "unclear", lambda: hmc.hmc(U2, Q, RNG, n_leapfrog=0), "n_leapfrog"),
    ("hmc n_transitions 1e9", "unbounded", lambda: hmc.hmc(U2, Q, RNG, n_transitions=10**9), "n_transitions"),
    ("hmc target 1.5", "unclear", lambda: hmc.hmc(U2, Q, RNG, target=1.5), "target"),
    ("hmc rng text", "unclear", lambda: hmc.hmc(U2, Q, "x"), "rng"),
    ("binning n_levels -1", "garbage", lambda: stats.binning_errors(np.ones(64), n_levels=-1), "n_levels"),
    ("binning n_levels 0", "coerced", lambda: stats.binning_errors(np.ones(64), n_levels=0), "n_levels"),
    ("binning n_levels 1.5", "unclear", lambda: stats.binning_errors(np.ones(64), n_levels=1.5), "n_levels"),
    ("binning n_levels 10**9", "unbounded", lambda: stats.binning_errors(np.ones(64), n_levels=10**9),
     "n_levels"),
    ("train warmup > steps", "coerced", lambda: training.train(warmup=1000, steps=20), "warmup = 1000"),
    ("train steps 0", "unclear", lambda: training.train(steps=0), "steps"),
    ("train batch 1", "unclear", lambda: training.train(batch=1), "batch"),
    ("train hidden empty", "unclear", lambda: training.train(hidden=()), "hidden"),
    ("train lr0 -1", "unclear", lambda: training.train(lr0=-1.0), "lr0"),
    ("train polish with cd", "unclear", lambda: training.train(polish=5), "polish"),
    ("train kind x", "unclear", lambda: training.train(kind="x"), "kind"),
    ("train unknown field", "unclear", lambda: training.train(stpes=5), "stpes"),
    ("ensemble.run n_models 0", "unclear", lambda: ensemble.run(0), "n_models"),
    ("destination n_iter 1e9", "unbounded", lambda: analysis.destination(lambda J: J, [0.5], n_iter=10**9),
     "n_iter"),
    ("destination n_iter 0", "unclear", lambda: analysis.destination(lambda J: J, [0.5], n_iter=0), "n_iter"),
    ("destination J0 NaN", "garbage", lambda: analysis.destination(lambda J: J, [np.nan]), "J0"),
    ("destination strong < weak", "garbage", lambda: analysis.destination(lambda J: J, [0.5], weak=1.0,
                                                                          strong=0.5), "strong"),
    ("critical_point tol 0", "unbounded", lambda: analysis.critical_point(lambda J: 2 * J, 1, tol=0.0), "tol"),
    ("critical_point lo > hi", "garbage", lambda: analysis.critical_point(lambda J: 2 * J, 1, lo=2.0, hi=1.0),
     "lo must be < hi"),
    ("newton max_iter 1e9", "unbounded", lambda: analysis.newton(lambda J: J, lambda J: np.eye(1), [1.0],
                                                                 max_iter=10**9), "max_iter"),
]


# --- the EFNN data sets and the layers (channels-last convolution, Adam) -----------------

def spins_scaled(factor):
    S = data.de_spins(3, [1])[0]
    return factor * S


EFNN = [
    ("de_energy spins of length 2", "garbage", lambda: data.de_energy(spins_scaled(2.0)), "unit spins"),
    ("de_energy spins of length 0", "garbage", lambda: data.de_energy(np.zeros((3, 3, 3))), "unit spins"),
    ("de_energy NaN spins", "garbage", lambda: data.de_energy(spins_scaled(np.nan)), "S holds NaN"),
    ("de_energy shape (3, 3)", "unclear", lambda: data.de_energy(np.ones((3, 3))), "S must be"),
    ("de_energy shape (2, 3, 3)", "unclear", lambda: data.de_energy(np.ones((2, 3, 3))), "S must be"),
    ("de_energy text", "unclear", lambda: data.de_energy("spins"), "S must be"),
    ("de_energy N = 80", "unbounded", lambda: data.de_energy(np.ones((3, 80, 80))), "S must be"),
    ("de_dataset beyond the time limit", "unbounded", lambda: data.de_dataset(64, 100_000), "n_samples"),
    ("de_spins N 1", "unclear", lambda: data.de_spins(1, [1]), "N"),
    ("de_spins sampling x", "unclear", lambda: data.de_spins(3, [1], "x"), "sampling"),
    ("three_spin L 2", "unclear", lambda: data.three_spin(L=2), "L"),
    ("three_spin L 41", "unbounded", lambda: data.three_spin(L=41), "L"),
    ("three_spin n_samples 5", "unclear", lambda: data.three_spin(n_samples=5), "n_samples"),
    ("three_spin n_samples 3e6", "unbounded", lambda: data.three_spin(n_samples=3_000_000), "n_samples"),
    ("three_spin train_fraction 0", "unclear", lambda: data.three_spin(n_samples=10, train_fraction=0.0),
     "train_fraction"),
    ("continuous train_fraction 1.5", "unclear", lambda: data.continuous(n_samples=10, train_fraction=1.5),
     "train_fraction"),
    ("save_energies lengths", "garbage", lambda: data.save_energies(tmp() / "se.npz", [1, 2], [1.0]), "se.npz"),
    ("conv2d (1,5,5) input", "unclear",
     lambda: nn.conv2d(nn.init_conv(0, 2, 3, 3), np.ones((1, 5, 5))), "channels last"),
    ("conv2d channels first", "unclear",
     lambda: nn.conv2d(nn.init_conv(0, 2, 3, 3), np.ones((1, 2, 5, 5))), "x has 5 channels"),
    ("Adam b1 = 1", "garbage", lambda: nn.Adam(nn.init_mlp(0, [2, 1]), lr=1e-3, b1=1.0), "b1"),
]


def limits_case():
    """validate.budget refuses any product over LIMITS (the guard of the size products)."""
    return validate.budget("n_samples", 2 * validate.LIMITS["GiB"], "GiB", "a test product")


GUARDS = [
    ("budget over the memory limit", "unbounded", limits_case, "n_samples"),
]

CASES = FILES + CLI + SWEEP + NRG + INVERSE + MCMC + EFNN + GUARDS


def run_case(call):
    """(outcome, exception or value, seconds): run ``call`` in a thread with a deadline,
    warnings turned into errors."""
    box = {}

    def target():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)
                warnings.simplefilter("error", UserWarning)
                box["value"] = call()
        except BaseException as exc:        # noqa: BLE001 - reported, not raised here
            box["exc"] = exc

    t0 = time.perf_counter()
    th = threading.Thread(target=target, daemon=True)
    th.start()
    th.join(DEADLINE)
    secs = time.perf_counter() - t0
    if th.is_alive():
        return "hang", None, secs
    if "exc" in box:
        return "raised", box["exc"], secs
    return "returned", box.get("value"), secs


def classify(kind, call, words):
    outcome, val, secs = run_case(call)
    if outcome == "hang":
        return "hang", f"still running after {DEADLINE:g} s"
    if outcome == "returned":
        return ("silent garbage" if kind in ("garbage", "damaged file", "cli", "unclear")
                else "silently coerced" if kind == "coerced" else "unbounded"), repr(val)[:120]
    if isinstance(val, MemoryError):
        return "memory", str(val)
    ok = isinstance(val, (ValueError, RuntimeWarning, UserWarning)) and words in str(val)
    return ("clear" if ok else "unclear"), f"{type(val).__name__}: {str(val)[:300]}"


@pytest.mark.parametrize("name,kind,call,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_clearly(name, kind, call, words):
    verdict, detail = classify(kind, call, words)
    assert verdict == "clear", f"{name} ({kind}): {verdict}: {detail}"


def test_the_battery_is_large_and_covers_every_kind():
    assert len(CASES) >= 100
    assert len({c[0] for c in CASES}) == len(CASES)
    assert {c[1] for c in CASES} == set(KINDS)


def main():
    counts, bad = {}, []
    t0 = time.perf_counter()
    for name, kind, call, words in CASES:
        verdict, detail = classify(kind, call, words)
        counts[verdict] = counts.get(verdict, 0) + 1
        if verdict != "clear":
            bad.append(f"{verdict:16s} {name}: {detail}")
    print(json.dumps({"cases": len(CASES), **counts, "seconds": round(time.perf_counter() - t0, 1)}))
    print("\n".join(bad))


if __name__ == "__main__":
    main()
