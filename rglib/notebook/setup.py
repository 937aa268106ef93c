"""One call at the top of every notebook: versions, seed, threads, plot style.

    import rglib.notebook as nb
    rng = nb.init(seed)

``init`` limits BLAS to one thread (threadpoolctl acts on the loaded OpenBLAS/MKL at
run time; environment variables only act before NumPy's first import), lets the C
library keep freed memory (:func:`keep_freed_memory`), prints one
provenance line (Python, NumPy, SciPy, autograd, matplotlib, rglib and the BLAS
thread count actually in force, read back from the library), applies the
collection's plot style, sets NumPy print options, and returns
``numpy.random.default_rng(seed)``: the only random generator a notebook should use.
Nothing here touches ``MPLBACKEND``.
"""
import numpy as np

from .. import validate, versions

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

    On the 2-core machines 2 threads gained 1.2-1.5x on an idle machine but lost
    1.8-2.6x beside a busy process (``benchmarks/blas_threads.py``), and a fixed count
    keeps runs bit-for-bit reproducible: the collection uses 1.
    """
    from threadpoolctl import threadpool_info, threadpool_limits

    if limit is not None:
        threadpool_limits(limits=validate.integer("limit", limit, minimum=1), user_api="blas")
    return sorted({p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"})


def keep_freed_memory():
    """Let glibc keep freed memory in the process instead of returning it to the system.

    NumPy's temporaries of a few MB (a training step's activations) are then reused
    without fresh page faults: with glibc's defaults each one is a new ``mmap`` once the
    threshold adapts, which cost up to 30% of a training step in float64 on the 2-core
    machines (``benchmarks/efnn_speed.py``) and made timings depend on what the process
    ran before. Sets M_MMAP_THRESHOLD to 32 MiB and M_TRIM_THRESHOLD to 1 GiB (``mallopt``);
    returns False where the C library has no ``mallopt`` (not glibc), True otherwise.
    Results do not change, only where memory comes from.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    return bool(mallopt(M_MMAP_THRESHOLD, 32 * 2 ** 20)) and bool(mallopt(M_TRIM_THRESHOLD, 2 ** 30))


def init(seed=0, threads=1, style=True, quiet=False):
    """Prepare a notebook kernel and return ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    seed : int
        Seed of the returned generator (a papermill parameter in every notebook).
    threads : int
        BLAS threads (default 1, see :func:`blas_threads`).
    style : bool
        Apply :data:`STYLE` to matplotlib's rcParams.
    """
    seed = validate.seed("seed", seed)
    n_threads = blas_threads(threads)
    keep_freed_memory()
    if style:
        import matplotlib as mpl

        mpl.rcParams.update(STYLE)
    np.set_printoptions(precision=6, suppress=True, linewidth=100)
    if not quiet:
        line = ", ".join(f"{k} {val}" for k, val in versions().items())
        print(f"{line}; BLAS threads {n_threads}; seed {seed}")
    return np.random.default_rng(seed)
