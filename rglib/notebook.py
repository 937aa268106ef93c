"""One call at the top of every notebook: versions, seed, threads, plot style.

    import rglib.notebook as nb
    rng = nb.init(seed)

``init`` prints one provenance line (Python, NumPy, SciPy, autograd, matplotlib,
rglib and the BLAS thread count that is *actually* in force, read back from the
loaded BLAS with threadpoolctl), applies the collection's plot style, sets NumPy
print options, and returns ``numpy.random.default_rng(seed)``: the only random
generator a notebook should use. Nothing here touches ``MPLBACKEND``.
"""
import os
import platform
import sys

import numpy as np

from . import validate

#: matplotlib rc settings shared by all notebooks (clear plots at 100 dpi).
STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 120,
    "savefig.bbox": "tight",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "font.size": 10,
    "lines.linewidth": 1.6,
}


def blas_threads(limit=None):
    """Return the BLAS thread counts in force; with ``limit`` set them first.

    Uses threadpoolctl (a runtime query of the loaded OpenBLAS/MKL), because the
    environment variables only act before NumPy's first import.
    """
    from threadpoolctl import threadpool_info, threadpool_limits

    if limit is not None:
        threadpool_limits(limits=validate.integer("limit", limit, minimum=1), user_api="blas")
    return sorted({p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"})


def versions():
    """Dictionary of the versions that matter for reproducing a run."""
    import autograd
    import matplotlib
    import scipy

    from . import __version__

    try:
        from importlib.metadata import version as _v

        ag = _v("autograd")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        ag = getattr(autograd, "__version__", "?")
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "autograd": ag,
        "matplotlib": matplotlib.__version__,
        "rglib": __version__,
    }


def init(seed=0, threads=1, style=True, quiet=False):
    """Prepare a notebook kernel and return ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    seed : int
        Seed of the returned generator (a papermill parameter in every notebook).
    threads : int
        BLAS threads. Default 1: on the 2-core machines 2 threads gained 1.2-1.5x
        idle but lost 1.8-2.6x beside a busy process (``benchmarks/blas_threads.py``).
    style : bool
        Apply :data:`STYLE` to matplotlib's rcParams.
    """
    seed = validate.seed("seed", seed)
    n_threads = blas_threads(threads)
    if style:
        import matplotlib as mpl

        mpl.rcParams.update(STYLE)
    np.set_printoptions(precision=6, suppress=True, linewidth=100)
    if not quiet:
        v = versions()
        line = ", ".join(f"{k} {val}" for k, val in v.items())
        print(f"{line}; BLAS threads {n_threads}; seed {seed}")
    return np.random.default_rng(seed)


def in_ci():
    """True when running under CI (``CI`` set to a true value)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def progress(iterable=None, **kwargs):
    """Progress bar for loops longer than a few seconds.

    A widget in JupyterLab; plain text in batch runs (``RGLIB_BATCH=1``, set by
    :mod:`rglib.nbrun` for papermill), where widget bars only bloat the saved
    notebook. tqdm's monitor thread is switched off: its updates from a background
    thread were seen to leave papermill waiting forever for a cell to finish.
    """
    import tqdm as _tqdm

    _tqdm.tqdm.monitor_interval = 0
    if os.environ.get("RGLIB_BATCH") == "1":
        kwargs.setdefault("mininterval", 10.0)
        kwargs.setdefault("file", sys.stdout)
        kwargs.setdefault("ascii", True)
        return _tqdm.std.tqdm(iterable, **kwargs)
    from tqdm.auto import tqdm

    kwargs.setdefault("mininterval", 1.0)
    return tqdm(iterable, **kwargs)
