"""pytest set-up: package tests first, notebooks last, a timing table at the end."""
import matplotlib
import pytest

from rglib.notebook import blas_threads

matplotlib.use("Agg")   # this process only; never exported to notebook kernels
blas_threads(1)         # explicit, as in notebooks and benchmarks (importing rglib does nothing)

NOTEBOOK_TIMES = []     # (notebook, seconds, budget) filled by test_notebooks.py


@pytest.fixture
def notebook_times():
    """List to which notebook tests append (name, seconds, budget)."""
    return NOTEBOOK_TIMES


def pytest_collection_modifyitems(session, config, items):
    """Order: unit tests of rglib, then the harness self-tests, then the notebooks."""
    def rank(item):
        path = str(item.fspath)
        if path.endswith("test_browser.py"):
            return 3
        if path.endswith("test_notebooks.py"):
            return 2
        if path.endswith("test_harness.py"):
            return 1
        return 0
    items.sort(key=rank)   # stable: keeps file order within a rank


def pytest_terminal_summary(terminalreporter):
    if not NOTEBOOK_TIMES:
        return
    tr = terminalreporter
    tr.section("notebooks at quick parameters")
    total = 0.0
    for name, secs, budget in NOTEBOOK_TIMES:
        total += secs
        flag = "  OVER BUDGET" if secs > budget else ""
        tr.write_line(f"{name:40s} {secs:7.1f} s  (budget {budget:.0f} s){flag}")
    tr.write_line(f"{'total':40s} {total:7.1f} s")
