"""The notebooks as users meet them: JupyterLab in a real browser (Debian's Chromium).

For every notebook (at its quick parameters, in a scratch copy: nothing is saved into
notebooks/): open it in JupyterLab, run all cells, wait for the kernel (bounded), and
check that no cell shows an error, that figures rendered, that every explore cell's
controls rendered as widgets (not as a text repr), then move one slider (or, in a
notebook whose explore cells have menus only, pick another menu entry) and check that
the figure is redrawn in place (timed), without an error message. A screenshot of each
notebook goes to build/screens/. A fixture notebook whose slider callback raises must
make the check fail.

JupyterLab runs from this environment on 127.0.0.1 with a free port and a random token,
driven by Python Playwright with ``executable_path`` set to the system Chromium (no
browser download). Without Chromium or Playwright the test is skipped, saying what is
missing (``make test`` installs both in CI: apt as root, pip); ``.ci/run`` fails under
CI=true when this test did not run. The server is shut down on success and failure.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from rglib import repo_root
from rglib.harness import nbrun
from rglib.harness.reproduce import notebooks

ROOT = repo_root()
SCREENS = ROOT / "build" / "screens"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
TOTAL_BUDGET_S = 1200

try:
    from playwright.sync_api import sync_playwright
except ImportError:          # pragma: no cover - reported by the skip below
    sync_playwright = None

missing = [what for what, ok in (("Debian's chromium (apt-get install chromium)", CHROMIUM),
                                 ("Python Playwright (pip install playwright)", sync_playwright))
           if not ok]
pytestmark = pytest.mark.skipif(bool(missing), reason="browser test needs " + " and ".join(missing))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(scratch, path, params):
    """A copy of the notebook with its quick parameters injected (papermill's way)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    if params:
        i = nbrun.parameters_cell(nb)
        src = "# Injected parameters (the quick test set)\n" + "\n".join(f"{k} = {v!r}" for k, v in params.items())
        nb.cells.insert(i + 1, nbformat.v4.new_code_cell(src, metadata={"tags": ["injected-parameters"]}))
    nbformat.write(nb, scratch / path.name)
    return scratch / path.name


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 (shut down at the end) and a browser page."""
    scratch = tmp_path_factory.mktemp("lab")
    cfg = tmp_path_factory.mktemp("jupyter-config")
    (cfg / "labconfig").mkdir()
    (cfg / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    settings = tmp_path_factory.mktemp("lab-settings")
    (settings / "overrides.json").write_text(json.dumps(
        {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(cfg), JUPYTERLAB_SETTINGS_DIR=str(settings),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               JUPYTER_PREFER_ENV_PATH="1")
    env.pop("MPLBACKEND", None)
    env.pop("RGLIB_BATCH", None)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={scratch}",
           "--ServerApp.disable_check_xsrf=True", "--LabApp.expose_app_in_browser=True",
           "--allow-root"]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError("JupyterLab did not start:\n" + server.stdout.read().decode()[-3000:])
                time.sleep(0.5)
        else:
            raise RuntimeError("JupyterLab did not open its port within 120 s")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            try:
                yield {"browser": browser, "base": base, "token": token, "scratch": scratch,
                       "t0": time.time()}
            finally:
                browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def _kernel_status(page):
    return page.evaluate("""() => {
        const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
        const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
        return k ? k.status : null; }""")


def _notebook_json(page):
    return page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.toJSON()")


def _wait_idle(page, timeout, settle=2.0):
    """Wait until the kernel is idle and every code cell has run (no [*] prompt)."""
    deadline, idle_since = time.time() + timeout, None
    while time.time() < deadline:
        busy = page.locator(".jp-InputArea-prompt:has-text('[*]')").count()
        if _kernel_status(page) == "idle" and busy == 0:
            idle_since = idle_since or time.time()
            if time.time() - idle_since > settle:
                return
        else:
            idle_since = None
        time.sleep(0.5)
    raise TimeoutError(f"the notebook did not finish within {timeout:.0f} s")


def _shutdown_kernels(lab):
    """Stop every kernel of the server (REST API), so notebooks do not pile up."""
    from urllib.request import Request, urlopen

    auth = {"Authorization": f"token {lab['token']}"}
    with urlopen(Request(f"{lab['base']}/api/sessions", headers=auth)) as r:
        sessions = json.load(r)
    for sess in sessions:
        urlopen(Request(f"{lab['base']}/api/sessions/{sess['id']}", method="DELETE", headers=auth)).close()


def check_notebook(lab, path, params, budget):
    """Run one notebook in the browser (a fresh page and workspace); returns
    (run seconds, redraw seconds or None)."""
    page = lab["browser"].new_page(viewport={"width": 1400, "height": 1000})
    try:
        return _check(lab, page, path, params, budget)
    finally:
        page.close()
        _shutdown_kernels(lab)


def _check(lab, page, path, params, budget):
    name = path.stem
    nb_path = _prepare(lab["scratch"], path, params)
    page.goto(f"{lab['base']}/lab/tree/{nb_path.name}?reset&token={lab['token']}")
    page.wait_for_selector(".jp-Notebook", timeout=120_000)
    deadline = time.time() + 120
    while _kernel_status(page) != "idle":
        if time.time() > deadline:
            raise TimeoutError(f"{name}: the kernel did not start")
        time.sleep(0.5)
    t0 = time.time()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    _wait_idle(page, max(300.0, 6 * budget))
    run_s = time.time() - t0
    nbj = _notebook_json(page)
    for i, cell in enumerate(nbj["cells"]):
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                raise AssertionError(f"{name}: cell {i} shows {out.get('ename')}: {out.get('evalue')}")
    assert page.locator(".jp-OutputArea-output img").count() > 0, f"{name}: no figure rendered"
    explore_cells = sum("nb.explore(" in "".join(c["source"]) if isinstance(c["source"], list)
                        else "nb.explore(" in c["source"] for c in nbj["cells"])
    CONTROLS = ".jp-OutputArea-output .widget-slider, .jp-OutputArea-output .widget-dropdown"
    if explore_cells:                     # widget views render after the kernel went idle
        page.wait_for_selector(CONTROLS, timeout=60_000)
    sliders = page.locator(".jp-OutputArea-output .widget-slider")
    controls = page.locator(CONTROLS)
    text_repr = page.locator(".jp-OutputArea-output:has-text('VBox(children=')").count() + \
        page.locator(".jp-OutputArea-output:has-text('[interactive controls:')").count()
    assert text_repr == 0, f"{name}: a widget shows as text instead of sliders"
    redraw_s = None
    if explore_cells:
        assert controls.count() >= explore_cells, f"{name}: {controls.count()} controls for {explore_cells} explore cells"
        kind = ".widget-slider" if sliders.count() else ".widget-dropdown"
        cell = page.locator(".jp-Cell").filter(has=page.locator(kind)).first
        cell.scroll_into_view_if_needed(timeout=60_000)
        def src():                        # no auto-wait: the image may be replaced meanwhile
            return cell.evaluate("c => { const i = c.querySelector('.jp-OutputArea-output img');"
                                 " return i ? i.getAttribute('src') : null; }")

        before = src()
        t1 = time.time()
        if kind == ".widget-slider":
            handle = cell.locator(".widget-slider .noUi-handle").first
            handle.wait_for(state="visible", timeout=60_000)
            handle.focus(timeout=60_000)
            at_top = float(handle.get_attribute("aria-valuenow")) >= float(handle.get_attribute("aria-valuemax"))
            key = "ArrowLeft" if at_top else "ArrowRight"      # a slider may start at its maximum
            t1 = time.time()
            page.keyboard.press(key)
            page.keyboard.press(key)
        else:                             # an explore cell with menus only: pick another entry
            select = cell.locator(".widget-dropdown select").first
            select.wait_for(state="visible", timeout=60_000)
            current = select.evaluate("e => e.selectedIndex")
            t1 = time.time()
            select.select_option(index=1 if current == 0 else 0)
        deadline = time.time() + max(120.0, 4 * budget)
        while time.time() < deadline:
            if page.locator(".rglib-widget-error").count():
                raise AssertionError(f"{name}: the slider callback failed: "
                                     + page.locator(".rglib-widget-error").first.inner_text())
            now = src()
            if now is not None and now != before:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"{name}: the figure did not change after moving a slider")
        _wait_idle(page, 300)
        redraw_s = time.time() - t1
        if page.locator(".rglib-widget-error").count():
            raise AssertionError(f"{name}: the slider callback failed")
        assert cell.locator(".jp-OutputArea-output img").count() == 1, f"{name}: more than one figure in the explore cell"
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / f"{name}_explore.png"))
    page.evaluate("""() => document.querySelectorAll('.jp-WindowedPanel-outer, .jp-Notebook')
                            .forEach(e => { e.scrollTop = 0; })""")
    time.sleep(0.5)
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"))
    return run_s, redraw_s


def test_a_failing_slider_callback_is_caught(lab):
    fixture = ROOT / "tests" / "fixtures" / "broken_explore.ipynb"
    with pytest.raises(AssertionError, match="slider callback failed"):
        check_notebook(lab, fixture, {}, 30)


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.stem)
def test_notebook_in_the_browser(lab, path, record_property):
    if time.time() - lab["t0"] > TOTAL_BUDGET_S:
        pytest.fail(f"the browser test exceeded its budget of {TOTAL_BUDGET_S} s")
    m = nbrun.meta(nbrun.read(path))
    run_s, redraw_s = check_notebook(lab, path, m["quick_parameters"], float(m["quick_budget_s"]))
    line = f"{path.stem}: run {run_s:.1f} s, slider redraw {'-' if redraw_s is None else f'{redraw_s:.1f} s'}"
    print(line)
    with open(ROOT / "build" / "screens" / "timings.txt", "a") as f:
        f.write(line + "\n")
    (ROOT / "build" / "browser-ran").write_text("the browser test ran\n")
