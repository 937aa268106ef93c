"""Execute a notebook with papermill and make every failure loud.

Used by the test harness (quick parameters) and by ``python -m rglib.harness.reproduce``
(paper parameters). Beyond papermill's own error handling it

* runs each notebook in its own ``python -m papermill`` process (no ZMQ state
  shared between notebooks; the kernel uses this very Python);
* names the failing notebook *and cell* (index in the source notebook and its
  first line) in the exception message;
* inspects the saved ipywidgets state: an exception raised inside an
  ``interact`` callback is stored only in an Output widget and would otherwise
  pass silently (papermill exits 0). It is reported like any other error.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PAPERMILL_TAGS = {"injected-parameters", "papermill-error-cell-tag"}
#: thread-count variables set to 1 in every kernel the harness starts (read by the
#: BLAS libraries when NumPy is first imported; rglib.notebook.init enforces it again)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class NotebookError(RuntimeError):
    """A notebook failed: the message names the notebook and the cell."""


_RUNNING = set()                 # papermill processes started by execute() and not ended
_LOCK = threading.Lock()
#: set by :func:`stop_all`: execute() then starts no new notebook (clear it to run again)
STOP = threading.Event()


def _end(proc):
    """End one papermill process group (its kernel notices its parent is gone and exits)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError, AttributeError, OSError):
        try:
            proc.terminate()
        except OSError:
            pass


def stop_all():
    """End every papermill process started by :func:`execute` that is still running
    (after Ctrl-C: the threads that wait for them then return at once), and start no
    new one until :data:`STOP` is cleared."""
    with _LOCK:
        STOP.set()
        procs = list(_RUNNING)
    for proc in procs:
        _end(proc)
    return len(procs)


def read(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def meta(nb):
    """The ``rglib`` block of a notebook's metadata (quick parameters, budget, ...)."""
    return nb.get("metadata", {}).get("rglib", {})


def parameters_cell(nb):
    """Index of the cell tagged ``parameters`` (None if there is none)."""
    for i, c in enumerate(nb.get("cells", [])):
        if "parameters" in (c.get("metadata", {}).get("tags") or []):
            return i
    return None


def check_structure(path):
    """Raise NotebookError unless the notebook has what the harness needs."""
    path = Path(path)
    nb = read(path)
    problems = []
    if parameters_cell(nb) is None:
        problems.append("no cell is tagged 'parameters'")
    m = meta(nb)
    if not isinstance(m.get("quick_parameters"), dict):
        problems.append("metadata.rglib.quick_parameters (the quick test set) is missing")
    if not isinstance(m.get("quick_budget_s"), (int, float)):
        problems.append("metadata.rglib.quick_budget_s (quick-mode time budget) is missing")
    for i, c in enumerate(nb.get("cells", [])):
        if any(o.get("output_type") == "error" for o in c.get("outputs", []) or []):
            problems.append(f"cell {i} has a stored error output")
    if problems:
        raise NotebookError(f"{path.name}: " + "; ".join(problems))
    return nb


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _describe(nb, index):
    """'cell K (first line)' with K counted in the *source* notebook."""
    cells = nb["cells"]
    k = sum(1 for c in cells[:index]
            if not PAPERMILL_TAGS & set(c.get("metadata", {}).get("tags") or []))
    first = next((ln.strip() for ln in _source(cells[index]).splitlines() if ln.strip()), "")
    if len(first) > 70:
        first = first[:67] + "..."
    return f"cell {k} ({first!r})"


def _widget_errors(nb):
    """Errors stored in Output widgets, as (cell index, ename, evalue)."""
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    if not state:
        return []

    def children(model_id, seen):
        if model_id in seen or model_id not in state:
            return
        seen.add(model_id)
        yield model_id
        for v in state[model_id].get("state", {}).values():
            refs = v if isinstance(v, list) else [v]
            for r in refs:
                if isinstance(r, str) and r.startswith("IPY_MODEL_"):
                    yield from children(r[len("IPY_MODEL_"):], seen)

    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        for out in cell.get("outputs", []) or []:
            view = out.get("data", {}).get(WIDGET_VIEW)
            if not view:
                continue
            for mid in children(view.get("model_id"), set()):
                for o in state[mid].get("state", {}).get("outputs", []) or []:
                    if o.get("output_type") == "error":
                        found.append((i, o.get("ename", "Error"), o.get("evalue", "")))
    return found


def check_outputs(nb, name):
    """Raise NotebookError for any error output, in a cell or inside a widget."""
    for i, cell in enumerate(nb.get("cells", [])):
        if "papermill-error-cell-tag" in (cell.get("metadata", {}).get("tags") or []):
            continue
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                raise NotebookError(f"{name}: {_describe(nb, i)} raised "
                                    f"{out.get('ename')}: {out.get('evalue')}")
    errs = _widget_errors(nb)
    if errs:
        i, ename, evalue = errs[0]
        raise NotebookError(f"{name}: {_describe(nb, i)} raised {ename}: {evalue} inside "
                            f"an ipywidgets callback (papermill alone would not notice)")


def execute(path, out_path, parameters=None, cwd=None, cell_timeout=None, log=None):
    """Execute ``path`` into ``out_path`` with papermill; return (nb, seconds).

    Raises NotebookError naming the notebook and the failing cell.
    """
    path, out_path = Path(path).resolve(), Path(out_path).resolve()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    cwd = Path(cwd).resolve() if cwd else path.parent
    env = dict(os.environ)
    env["JUPYTER_PREFER_ENV_PATH"] = "1"   # kernelspec of this environment first
    env.pop("MPLBACKEND", None)            # an inherited Agg backend hides all figures
    env["RGLIB_BATCH"] = "1"               # text progress bars (rglib.progress)
    for var in THREAD_VARIABLES:            # one BLAS thread in the kernel from its start
        env[var] = "1"
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        # JSON, read back with json (not papermill's YAML, which turns 1e-10 into text)
        json.dump({"parameters": parameters or {}, "cwd": str(cwd),
                   "timeout": int(cell_timeout) if cell_timeout else None}, f)
        pfile = f.name
    cmd = [sys.executable, "-m", "rglib.harness.nbrun", str(path), str(out_path), pfile]
    t0 = time.perf_counter()
    try:
        # its own session: Ctrl-C reaches the caller, who ends the run (stop_all)
        with _LOCK:
            if STOP.is_set():
                raise NotebookError(f"{path.name}: not started (the runs were stopped)")
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, start_new_session=True)
            _RUNNING.add(proc)
        try:
            out, err = proc.communicate()
        except BaseException:
            _end(proc)
            proc.communicate()
            raise
        finally:
            with _LOCK:
                _RUNNING.discard(proc)
    finally:
        os.unlink(pfile)
    seconds = time.perf_counter() - t0
    if log is not None:
        Path(log).parent.mkdir(parents=True, exist_ok=True)
        Path(log).write_text(out + err, encoding="utf-8")
    nb = read(out_path) if out_path.exists() else None
    if nb is not None:
        check_outputs(nb, path.name)      # names the cell, in the body or in a widget
    if proc.returncode != 0:
        tail = "\n".join((err or out).strip().splitlines()[-8:])
        raise NotebookError(f"{path.name}: papermill exited {proc.returncode}:\n{tail}")
    return nb, seconds


def figures(nb):
    """Yield (source cell index, k, png bytes) for every PNG output of a notebook."""
    import base64

    k_src = -1
    for cell in nb.get("cells", []):
        if PAPERMILL_TAGS & set(cell.get("metadata", {}).get("tags") or []):
            continue
        k_src += 1
        k = 0
        for out in cell.get("outputs", []) or []:
            png = out.get("data", {}).get("image/png")
            if png:
                yield k_src, k, base64.b64decode("".join(png) if isinstance(png, list) else png)
                k += 1


def _main(argv):
    """``python -m rglib.harness.nbrun IN OUT SPEC.json``: papermill in a fresh process."""
    import papermill as pm

    src, dst, spec_file = argv
    with open(spec_file, encoding="utf-8") as f:
        spec = json.load(f)
    pm.execute_notebook(src, dst, parameters=spec["parameters"], cwd=spec["cwd"],
                        kernel_name="python3", progress_bar=False, start_timeout=120,
                        execution_timeout=spec["timeout"], log_output=True)


if __name__ == "__main__":
    _main(sys.argv[1:])
