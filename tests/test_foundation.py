"""Foundation helpers: input checks, results records, widgets, notebook init."""
import math

import numpy as np
import pytest

from rglib import notebook, validate
from rglib.notebook import results, widgets


@pytest.mark.parametrize("fn,args,match", [
    (validate.positive, ("Gamma", -0.1), "Gamma must be > 0"),
    (validate.positive, ("Gamma", float("nan")), "Gamma must be finite"),
    (validate.greater, ("Lambda", 1.0, 1.0), "Lambda must be > 1"),
    (validate.integer, ("N_keep", 0, 1), "N_keep must be >= 1"),
    (validate.integer, ("L", 2.5), "L must be an integer"),
    (validate.integer, ("L", True), "L must be an integer"),
    (validate.divisible, ("L", 7, 2), "L must be divisible by 2"),
    (validate.finite, ("K", "abc"), "K must be a real number"),
    (validate.finite, ("K", math.inf), "K must be finite"),
    (validate.one_of, ("field", "x", ("impurity", "uniform")), "field must be one of"),
])
def test_validate_names_the_parameter(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*args)


def test_validate_passes_good_values_through():
    assert validate.positive("x", 2.0) == 2.0
    assert validate.integer("n", np.int64(3)) == 3 and validate.integer("n", 4.0) == 4
    assert validate.in_range("p", 0.5, 0, 1) == 0.5


def test_results_status():
    r = results.Results("nb")
    assert r.add("Fig 1", "a", ours=1.0001, ref=1.0, ref_source="exact", rtol=1e-3) == "agrees"
    assert r.add("Fig 1", "b", ours=1.1, ref=1.0, ref_source="exact", rtol=1e-3) == "differs"
    assert r.add("Fig 1", "c", ours=float("nan"), ref=1.0, ref_source="exact", rtol=1.0) == "differs"
    assert r.add("Fig 2", "d", ours=3.0) == "computed"
    assert r.add("Fig 2", "e", ours="yes", status="qualitative") == "qualitative"
    assert r.counts() == {"agrees": 1, "differs": 2, "computed": 1, "qualitative": 1}
    md = r.markdown()
    assert md.count("\n") == 6 and "| Fig 1 | a | 1 | exact | 1.0001 |" in md
    with pytest.raises(ValueError, match="ref_source"):
        r.add("Fig", "x", ours=1.0, ref=1.0, rtol=0.1)
    with pytest.raises(ValueError, match="rtol or atol"):
        r.add("Fig", "x", ours=1.0, ref=1.0, ref_source="paper")


def test_results_roundtrip_through_notebook_outputs():
    r = results.Results("nb")
    r.add("T1", "q", ours=2.0, ref=2.0, ref_source="paper, Table I", atol=1e-9)
    nb = {"cells": [{"outputs": [{"output_type": "display_data",
                                  "data": {results.MIME: r.to_json()}}]}]}
    assert results.from_notebook(nb) == r.rows


def test_explore_calls_the_pure_function_once_and_redraws_in_place():
    import ipywidgets as w

    calls = []

    def f(a, b):
        calls.append((a, b))
        return f"figure {a}"

    ui = widgets.explore(f, a=widgets.slider(0.5, 0.0, 1.0), b=7)
    assert calls == [(0.5, 7)]                   # one non-interactive call
    assert isinstance(ui.controls, w.VBox)
    assert not any(isinstance(c, w.Output) for c in ui.children)   # no second figure area
    slider = ui.children[0].children[0]
    slider.value = 0.25                          # moving the slider calls f again ...
    assert calls[-1] == (0.25, 7)
    assert ui.handle.last == "figure 0.25"       # ... and replaces the one figure
    assert "interactive controls" in repr(ui.controls) and "0.25" in repr(ui.controls)   # saved without a kernel


def test_explore_shows_callback_errors_in_place_of_the_figure():
    def f(a):
        if a > 0.6:
            raise ValueError("a too large")
        return "ok"

    ui = widgets.explore(f, a=widgets.slider(0.5, 0.0, 1.0))
    ui.children[0].children[0].value = 0.9
    out = ui.handle.last
    assert "ValueError: a too large" in out["text/plain"] and "rglib-widget-error" in out["text/html"]


def test_explore_propagates_errors_from_the_plain_call():
    def bad(a):
        raise ValueError("a must be > 1")

    with pytest.raises(ValueError, match="a must be > 1"):
        widgets.explore(bad, a=widgets.slider(0.5, 0.0, 1.0))


def test_init_returns_seeded_generator_and_one_blas_thread(capsys):
    rng = notebook.init(seed=3)
    assert rng.integers(1 << 30) == np.random.default_rng(3).integers(1 << 30)
    assert notebook.blas_threads() == [1]
    out = capsys.readouterr().out
    assert "numpy" in out and "BLAS threads [1]" in out and "seed 3" in out
    with pytest.raises(ValueError, match="seed"):
        notebook.init(seed=-1)


def test_numeric_strings_from_yaml_become_numbers():
    # papermill -y / -f read 1e-10 as text (YAML 1.1); the checks convert it
    assert validate.positive("T_min", "1e-10") == 1e-10
    assert validate.integer("N_keep", "300") == 300
    with pytest.raises(ValueError, match="T_min must be > 0"):
        validate.positive("T_min", "-1e-10")


def test_logsumexp_equals_scipy_and_its_derivatives_check_in_both_modes():
    """rglib.autodiff.logsumexp (the NRG's partition sums) against scipy's, without overflow at
    large arguments, and its gradients checked to second order in reverse and forward mode."""
    from autograd.test_util import check_grads
    from scipy.special import logsumexp as lse_scipy

    from rglib.autodiff import logsumexp
    x = np.random.default_rng(0).standard_normal(7)
    assert logsumexp(x) == pytest.approx(lse_scipy(x), abs=1e-14)
    assert logsumexp(x + 800.0) == pytest.approx(lse_scipy(x) + 800.0, rel=1e-14)     # exp(800) overflows
    check_grads(logsumexp, modes=["rev", "fwd"], order=2)(x)


def test_importing_the_nrg_stays_light():
    """import rglib.nrg pulls in neither scipy.integrate nor scipy.stats (autograd.scipy did, ~0.6 s)."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", "import sys, rglib.nrg; print(sorted(m for m in sys.modules if m in "
                          "('scipy.stats', 'scipy.integrate', 'autograd.scipy')))"], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]", out
