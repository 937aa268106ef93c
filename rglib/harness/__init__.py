"""The build harness: run notebooks with papermill and collect their results records.

* :mod:`rglib.harness.nbrun`: execute one notebook in a fresh process, fail loudly
  (naming the notebook and the cell, including errors hidden in widget callbacks);
* :mod:`rglib.harness.reproduce`: ``python -m rglib.harness.reproduce`` (``make
  reproduce``) runs every notebook at its paper parameters and writes the report.

No notebook imports this package.
"""
