"""Widgets that wrap pure functions: one figure per explore cell, redrawn in place.

    import rglib.notebook as nb
    nb.explore(plots.flow_figure, U=nb.slider(0.1, 0.01, 1.0, 0.01), Lam=3.0)

:func:`explore` calls the pure function once with the controls' current values, *outside*
any widget (an error there fails the notebook, and the figure is a normal cell output
that papermill, nbval and the reproduction report see), displays that figure with a
display id, and shows the controls below it. Moving a control calls the same function
and replaces that one figure in place (``DisplayHandle.update``): a reader never sees two
figures, or a stale one. Plain values (like ``Lam=3.0``) are passed through unchanged.

While a redraw runs longer than half a second a "computing..." label appears beside the
controls. An error in a redraw replaces the figure by a red message naming the error
(class ``rglib-widget-error``, which the browser test looks for); the kernel stays
usable. Saved without a kernel, the controls show a plain-text summary of their values
instead of a widget repr.
"""
import html
import threading

from .. import validate

BUSY_AFTER_S = 0.5


def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover
        return ()
    return Figure


def _close(result):
    if isinstance(result, _figure_class()):
        import matplotlib.pyplot as plt

        plt.close(result)


def _controls_box(children, text):
    import ipywidgets as w

    class Controls(w.VBox):
        """The sliders of an explore cell; saved without a kernel it reads as text."""

        def __repr__(self):
            return text()

    return Controls(children)


class _Handle:
    """Stand-in for a DisplayHandle outside IPython (plain Python, unit tests)."""

    def __init__(self, obj):
        self.last = obj

    def update(self, obj, raw=False):
        self.last = obj


def explore(func, /, **controls):
    """Show ``func(**values)`` once and return controls that redraw it in place.

    ``controls`` maps argument names to ipywidgets controls (their ``.value`` is used
    for the first call) or to plain values (held fixed). Returns an ``Explorer``.
    """
    import ipywidgets as w
    from IPython.display import display

    values, live, fixed = {}, {}, {}
    for name, c in controls.items():
        if isinstance(c, w.ValueWidget):
            values[name] = c.value
            live[name] = c
        else:
            values[name] = c
            fixed[name] = c
    first = func(**values)            # the non-interactive call: errors fail the run
    status = w.Label(value="")
    state = {"calls": 0}

    def redraw(change=None):
        state["calls"] += 1
        kw = {name: c.value for name, c in live.items()}
        timer = threading.Timer(BUSY_AFTER_S, lambda: setattr(status, "value", "computing..."))
        timer.start()
        try:
            res = func(**kw, **fixed)
        except Exception as exc:      # shown to the reader in place of the figure
            msg = f"{type(exc).__name__}: {exc}"
            handle.update({"text/plain": msg,
                           "text/html": f'<pre class="rglib-widget-error" style="color:#b00">'
                                        f'{html.escape(msg)}</pre>'}, raw=True)
        else:
            handle.update(res)
            _close(res)
        finally:
            timer.cancel()
            status.value = ""

    for c in live.values():
        c.observe(redraw, names="value")

    def text():
        vals = ", ".join(f"{getattr(c, 'description', '') or n} = {c.value}" for n, c in live.items())
        return f"[interactive controls: {vals}; run the notebook with a kernel to move them]"

    box = _controls_box([w.HBox(list(live.values())[:1] + [status])] + list(live.values())[1:], text)
    if live:                          # the controls above the figure, as ipywidgets.interact does
        display(box)
    handle = display(first, display_id=True) or _Handle(first)   # None outside IPython
    _close(first)
    return Explorer(box, handle, redraw)


class Explorer:
    """What ``explore`` returns: the controls (shown above the figure), the figure's
    display handle and ``redraw`` (tests call it directly). Shows nothing itself, so an
    explore call may end a cell."""

    def __init__(self, controls, handle, redraw):
        self.controls, self.handle, self.redraw = controls, handle, redraw

    @property
    def children(self):
        return self.controls.children

    def _ipython_display_(self):
        pass


def slider(value, min, max, step=None, description=None, log=False):
    """A float slider that updates on release (expensive callbacks)."""
    import ipywidgets as w

    value = float(validate.finite("value", value))
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
