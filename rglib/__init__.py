"""rglib: renormalization meets differentiable programming and machine learning.

A teaching and reproduction collection for three works:

1. Rigo & Mitchell, *Automatic differentiable numerical renormalization group*,
   Phys. Rev. Research 4, 013227 (2022)                    -> ``rglib.nrg`` (notebooks 01-03)
2. Shen & Kao, *Learning Renormalization Group Flows* (2024), after Hou & You,
   Mach. Learn.: Sci. Technol. 4, 045010 (2023)            -> ``rglib.ising`` (notebooks 06-07)
3. Liu et al., *Effective Field Neural Networks*, arXiv:2502.17665

Foundation modules: ``rglib.notebook`` (init helper), ``rglib.results`` (results
records), ``rglib.widgets`` (pure function + widget), ``rglib.validate`` (input
checks), ``rglib.nbrun`` / ``rglib.reproduce`` (notebook execution and report).

Threads: ``benchmarks/blas_threads.py`` measured ``eigh`` on the 2-core machines:
2 BLAS threads are 1.2-1.5x faster on an idle machine but 1.8-2.6x *slower* when
another process keeps one core busy, and a fixed count keeps runs bit-for-bit
reproducible. Unless the user already set them, the BLAS thread variables therefore
default to 1 here, before NumPy is first imported (``rglib.notebook.init`` also
enforces it at run time). Set ``OPENBLAS_NUM_THREADS`` before importing rglib to
override.
"""
import os as _os

import sys as _sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")
if "numpy" in _sys.modules and _os.environ.get("OPENBLAS_NUM_THREADS") == "1":
    # NumPy came first (e.g. via matplotlib): its BLAS already read the variables
    from threadpoolctl import threadpool_limits as _limits

    _limits(1, user_api="blas")

__version__ = "0.1.0"

from pathlib import Path as _Path


def repo_root():
    """The repository root (the folder holding ``data/`` and ``notebooks/``)."""
    return _Path(__file__).resolve().parents[1]


def data_path(*parts):
    """Path inside the repository's ``data/`` folder."""
    return repo_root().joinpath("data", *parts)
