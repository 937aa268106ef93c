"""Everything a notebook imports, behind one import::

    import rglib.notebook as nb
    rng = nb.init(seed)                    # versions, one BLAS thread, style, generator
    x = nb.validate.positive("x", x)       # parameter checks (ValueError naming x)
    for k in nb.progress(items): ...       # progress bars
    nb.explore(plots.fig, a=nb.slider(...))  # one figure, redrawn by sliders
    rec = nb.Results("NN_name"); rec.add(...); rec.show()   # the results record
"""
from .. import validate  # noqa: F401  (re-exported: nb.validate)
from ..progress import progress  # noqa: F401
from .results import Results  # noqa: F401
from .setup import STYLE, blas_threads, init, keep_freed_memory, versions  # noqa: F401
from .widgets import explore, int_slider, slider  # noqa: F401
