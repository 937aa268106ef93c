"""``python -m rglib.run NOTEBOOK [-p NAME VALUE ...] [--grid NAME v1,v2,...] [--scheduler ADDRESS]``

Rerun a notebook for one parameter set or a grid, locally or on a Dask cluster; the
executed notebooks and their results records land in ``build/runs/``
(:mod:`rglib.harness.rerun`).
"""
import sys

from .harness.rerun import main

if __name__ == "__main__":
    sys.exit(main())
