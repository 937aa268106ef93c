"""Widgets that wrap pure functions, and run them once without widgets.

An exception raised inside an ``ipywidgets.interact`` callback does not fail
papermill: it only lands in the Output widget. So every interactive figure of the
collection is made like this::

    from rglib.widgets import explore, slider
    explore(plots.flow_diagram, U=slider(0.1, 0.01, 1.0, 0.01), Lambda=3.0)

:func:`explore` first calls the pure function *outside* any widget with the
controls' current values (an error there fails the notebook, and the figure is a
normal cell output that papermill, nbval and the report see), then returns the
controls and an output area that call the very same function when a control moves.
Plain values (like ``Lambda=3.0`` above) are passed through unchanged.
"""
from .. import validate


def _show(result):
    from IPython.display import display

    if result is None:
        return
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover
        Figure = ()
    display(result)
    if isinstance(result, Figure):
        import matplotlib.pyplot as plt

        plt.close(result)


def explore(func, /, **controls):
    """Run ``func(**values)`` once, show its result, return sliders that redraw it.

    ``controls`` maps argument names to ipywidgets controls (their ``.value`` is
    used for the first call) or to plain values (held fixed). The first result is a
    normal cell output (papermill, nbval and the report see it; an error fails the
    notebook) and is also placed in the widget's output area. Moving a control calls
    ``func`` again and replaces the output area's content; an error there is shown
    in the output area as text. Outputs are written to the Output widget directly
    (``append_display_data``), not through its capture context, whose message
    routing was seen to leave papermill waiting forever.
    """
    import ipywidgets as w

    values, live, fixed = {}, {}, {}
    for name, c in controls.items():
        if isinstance(c, w.ValueWidget):
            values[name] = c.value
            live[name] = c
        else:
            values[name] = c
            fixed[name] = c
    first = func(**values)            # the non-interactive call: errors fail the run
    out = w.Output()
    _show_into(out, first)
    _show(first)

    def redraw(change=None):
        kw = {name: c.value for name, c in live.items()}
        try:
            res = func(**kw, **fixed)
        except Exception as exc:      # shown to the reader, the kernel stays usable
            out.outputs = ()
            out.append_stderr(f"{type(exc).__name__}: {exc}\n")
            return
        out.outputs = ()
        _show_into(out, res)

    for c in live.values():
        c.observe(redraw, names="value")
    return w.VBox(list(live.values()) + [out])


def _show_into(out, result):
    """Put ``result`` into an Output widget without its capture context."""
    if result is None:
        return
    out.append_display_data(result)
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover
        return
    if isinstance(result, Figure):
        import matplotlib.pyplot as plt

        plt.close(result)


def slider(value, min, max, step=None, description=None, log=False):
    """A float slider that updates on release (expensive callbacks)."""
    import ipywidgets as w

    validate.finite("value", value)
    if not min <= value <= max:
        raise ValueError(f"slider value {value} must lie in [{min}, {max}]")
    if log:
        import math

        validate.positive("min", min)
        return w.FloatLogSlider(value=value, base=10, min=math.log10(min), max=math.log10(max),
                                step=step or 0.1, description=description or "",
                                continuous_update=False)
    return w.FloatSlider(value=value, min=min, max=max, step=step or (max - min) / 100,
                         description=description or "", continuous_update=False,
                         readout_format=".3g")


def int_slider(value, min, max, step=1, description=None):
    """An integer slider that updates on release."""
    import ipywidgets as w

    return w.IntSlider(value=validate.integer("value", value, min, max), min=min, max=max,
                       step=step, description=description or "", continuous_update=False)
