"""Every notebook: structure, a quick papermill run, and its bad-parameter check.

Executed notebooks land in build/test-notebooks/, where the second stage of
``make test`` runs nbval over them (a same-parameters determinism check of the
cells marked NBVAL_CHECK_OUTPUT).
"""

import pytest

from rglib import repo_root
from rglib.harness import nbrun
from rglib.harness.reproduce import notebooks
from rglib.notebook import results

NOTEBOOKS = notebooks()
OUT = repo_root() / "build" / "test-notebooks"
ids = [p.stem for p in NOTEBOOKS]


def test_there_are_notebooks():
    assert any(p.name.startswith("00_") for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_structure(path):
    nb = nbrun.check_structure(path)
    # The parameters cell comes first, then the cell that checks the parameters.
    assert nbrun.parameters_cell(nb) == next(
        i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    m = nbrun.meta(nb)
    assert m.get("bad_parameters"), f"{path.name}: metadata.rglib.bad_parameters is missing"
    assert set(m["quick_parameters"]) | set(m["bad_parameters"]) <= set(
        _parameter_names(nb)), f"{path.name}: quick/bad parameters not in the parameters cell"


def _parameter_names(nb):
    import ast

    src = nb["cells"][nbrun.parameters_cell(nb)]["source"]
    src = "".join(src) if isinstance(src, list) else src
    return [t.id for node in ast.parse(src).body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_quick_run(path, notebook_times):
    nb = nbrun.check_structure(path)
    m = nbrun.meta(nb)
    budget = float(m["quick_budget_s"])
    out_nb, secs = nbrun.execute(path, OUT / path.name, parameters=m["quick_parameters"],
                                 cell_timeout=max(300.0, 10 * budget))
    notebook_times.append((path.stem, secs, budget))
    print(f"{path.stem}: {secs:.1f} s (budget {budget:.0f} s)")
    rows = results.from_notebook(out_nb)
    assert rows, f"{path.name}: no results record was displayed"
    assert all(r["notebook"] == path.stem for r in rows)
    assert all(r.get("quick") for r in rows), f"{path.name}: a quick run must say it is quick"
    bad = [f"{r['figure']} / {r['quantity']}: ours {r['ours']}, ref {r['ref']}" for r in rows
           if r["status"] == "differs" and not r.get("expected")]
    assert not bad, f"{path.name}: results that differ without a declared reason: {bad}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_bad_parameter_is_refused(path):
    """The cell after the parameters refuses the notebook's bad parameter with a ValueError
    naming it. Run in this process (the parameters cell, papermill's injected values, the
    check cell): the same code a kernel runs, without starting twelve kernels;
    tests/test_harness.py checks once that a kernel run stops in that cell."""
    nb = nbrun.read(path)
    m = nbrun.meta(nb)
    params = dict(m["quick_parameters"], **m["bad_parameters"])
    i = nbrun.parameters_cell(nb)
    src = ["".join(nb["cells"][k]["source"]) for k in (i, i + 1)]
    ns = {"__name__": "__main__"}
    exec(compile(src[0], f"{path.name}:parameters", "exec"), ns)
    ns.update(params)
    ns_ok = dict(ns, **m["quick_parameters"])
    exec(compile(src[1], f"{path.name}:check", "exec"), ns_ok)          # quick values pass
    with pytest.raises(ValueError) as e:
        exec(compile(src[1], f"{path.name}:check", "exec"), ns)
    assert any(k in str(e.value) for k in m["bad_parameters"]), str(e.value)
