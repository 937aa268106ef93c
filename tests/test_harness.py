"""The notebook harness must fail loudly, naming the notebook and the cell.

Fixture notebooks in tests/fixtures/: one that works, one that raises in its body,
one whose ipywidgets callback raises (papermill alone exits 0 on that), one with
no parameters cell, and a bad papermill parameter.
"""
from pathlib import Path

import pytest

from rglib.harness import nbrun

FIX = Path(__file__).parent / "fixtures"


def run(name, tmp_path, **params):
    return nbrun.execute(FIX / name, tmp_path / name, parameters=params, cell_timeout=120)


def test_good_fixture_passes(tmp_path):
    nb, secs = run("ok.ipynb", tmp_path, n=4)
    outs = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert "n = 4" in outs and "6" in outs   # injected parameter was used: sum(range(4))
    assert secs > 0


def test_exception_in_body_names_notebook_and_cell(tmp_path):
    with pytest.raises(nbrun.NotebookError) as e:
        run("raises_in_body.ipynb", tmp_path)
    msg = str(e.value)
    assert "raises_in_body.ipynb" in msg
    assert "cell 2" in msg and "RuntimeError" in msg and "deliberate failure" in msg


def test_exception_inside_widget_callback_fails(tmp_path):
    # papermill itself succeeds here: the error is only in the saved widget state.
    with pytest.raises(nbrun.NotebookError) as e:
        run("broken_widget.ipynb", tmp_path, n=3)
    msg = str(e.value)
    assert "broken_widget.ipynb" in msg and "cell 2" in msg
    assert "ValueError" in msg and "widget callback" in msg


def test_widget_fixture_passes_when_callback_is_fine(tmp_path):
    nb, _ = run("broken_widget.ipynb", tmp_path, n=1)    # a = 1 does not raise
    assert nb["metadata"]["widgets"]                       # state was saved and inspected


def test_missing_parameters_cell_is_rejected():
    with pytest.raises(nbrun.NotebookError) as e:
        nbrun.check_structure(FIX / "no_parameters.ipynb")
    assert "no_parameters.ipynb" in str(e.value) and "'parameters'" in str(e.value)


def test_bad_parameter_stops_in_parameter_check(tmp_path):
    with pytest.raises(nbrun.NotebookError) as e:
        run("ok.ipynb", tmp_path, n=-2)
    msg = str(e.value)
    assert "ok.ipynb" in msg and "cell 1" in msg
    assert "ValueError: n must be >= 1, got -2" in msg


def test_structure_of_good_fixture():
    nb = nbrun.check_structure(FIX / "ok.ipynb")
    assert nbrun.parameters_cell(nb) == 0
