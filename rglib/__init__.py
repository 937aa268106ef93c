"""rglib: renormalization meets differentiable programming and machine learning.

A teaching and reproduction collection for three works:

1. Rigo & Mitchell, *Automatic differentiable numerical renormalization group*,
   Phys. Rev. Research 4, 013227 (2022)                  -> ``rglib.nrg``   (notebooks 01-05)
2. Shen & Kao, *Learning Renormalization Group Flows* (2024), after Hou & You,
   Mach. Learn.: Sci. Technol. 4, 045010 (2023)          -> ``rglib.ising``, ``rglib.flows`` (06-09)
3. Liu et al., *Renormalization-Inspired Effective Field Neural Networks*,
   arXiv:2502.17665                                      -> ``rglib.efnn``  (10-12)

Layers (the README draws the tree):

* shared cores: ``validate``, ``autodiff``, ``lattice``, ``nn``, ``mcmc``, ``sweep``;
* physics parts, which import the cores and never each other: ``nrg``, ``ising``,
  ``flows``, ``efnn``;
* figures (``plots``, one module per part), what notebooks import (``notebook``), and
  the build harness (``harness``: notebook runner, reproduction report, rerun CLI).

Importing rglib runs nothing: no environment variable is set and no thread pool is
touched. One BLAS thread is applied where it matters, explicitly: by
``rglib.notebook.init`` in every notebook, by the harness in the kernels it starts,
and by each benchmark.
"""
from pathlib import Path

__version__ = "0.2.0"


def repo_root():
    """The repository root (the folder holding ``data/`` and ``notebooks/``)."""
    return Path(__file__).resolve().parents[1]


def versions():
    """Dictionary of the versions that matter for reproducing a run (recorded with
    trained weights: a chaotic training is bit-reproducible only at equal versions)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("numpy", "scipy", "autograd", "matplotlib"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover - odd installs
            out[pkg] = "?"
    out["rglib"] = __version__
    return out


def data_path(*parts):
    """Path inside the repository's ``data/`` folder."""
    return repo_root().joinpath("data", *parts)
