"""Widgets that wrap pure functions, and run them once without widgets.

An exception raised inside an ``ipywidgets.interact`` callback does not fail
papermill: it only lands in the Output widget. So every interactive figure of the
collection is made like this::

    from rglib.widgets import explore, slider
    explore(plots.flow_diagram, U=slider(0.1, 0.01, 1.0, 0.01), Lambda=3.0)

:func:`explore` first calls the pure function *outside* any widget with the
controls' current values (an error there fails the notebook, and the figure is a
normal cell output that papermill, nbval and the report see), then returns an
``interactive`` widget that calls the very same function when a control moves.
Plain values (like ``Lambda=3.0`` above) are passed through unchanged.
"""
from . import validate


def _show(result):
    from IPython.display import display

    if result is None:
        return
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover
        Figure = ()
    if isinstance(result, Figure):
        import matplotlib.pyplot as plt

        display(result)
        plt.close(result)
    else:
        display(result)


def explore(func, /, **controls):
    """Run ``func(**values)`` once, show its result, return the widget.

    ``controls`` maps argument names to ipywidgets controls (their ``.value`` is
    used for the first call) or to plain values (held fixed).
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
    _show(func(**values))          # the non-interactive call: errors fail the run

    def callback(**kw):
        _show(func(**kw, **fixed))

    return w.interactive(callback, **live)


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
