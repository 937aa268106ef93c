"""Progress bars for loops longer than a few seconds (notebooks and long library calls).

A widget bar in JupyterLab; plain text in batch runs (``RGLIB_BATCH=1``, set by the
harness for papermill), where widget bars only bloat the saved notebook. tqdm's
monitor thread is off for these bars (a class attribute of our own subclasses, set
once here): its updates from a background thread were seen to leave papermill
waiting forever for a cell to finish.
"""
import os
import sys

from tqdm.auto import tqdm as _auto_tqdm
from tqdm.std import tqdm as _std_tqdm


class TextBar(_std_tqdm):
    """Plain-text bar without a monitor thread (batch runs)."""
    monitor_interval = 0


class AutoBar(_auto_tqdm):
    """Widget bar in Jupyter (text elsewhere) without a monitor thread."""
    monitor_interval = 0


def batch_mode():
    """True in runs started by the harness (papermill), where bars are plain text."""
    return os.environ.get("RGLIB_BATCH") == "1"


def progress(iterable=None, **kwargs):
    """A tqdm bar over ``iterable`` (keyword arguments as for tqdm)."""
    if batch_mode():
        kwargs.setdefault("mininterval", 10.0)
        kwargs.setdefault("file", sys.stdout)
        kwargs.setdefault("ascii", True)
        return TextBar(iterable, **kwargs)
    kwargs.setdefault("mininterval", 1.0)
    return AutoBar(iterable, **kwargs)
