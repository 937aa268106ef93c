"""Save and load nested parameters (lists/dicts of arrays) as one ``.npz`` file.

Keys are paths such as ``"0/W"`` (list index, dict key); ``meta`` (JSON-able) is stored
beside them, so a file says how it was made.
"""
import json
from pathlib import Path

import numpy as np

META = "__meta__"


def _flat(prefix, x, out):
    if isinstance(x, dict):
        for k, v in x.items():
            if "/" in str(k):
                raise ValueError(f"params: dict keys must not contain '/', got {k!r}")
            _flat(f"{prefix}{k}/", v, out)
    elif isinstance(x, (list, tuple)):
        out[f"{prefix}__len__"] = np.array(len(x))
        for i, v in enumerate(x):
            _flat(f"{prefix}{i}/", v, out)
    else:
        out[prefix.rstrip("/")] = np.asarray(x)


def save(path, params, meta=None):
    """Write ``params`` (and ``meta``) to ``path`` (.npz), creating folders."""
    out = {}
    _flat("", params, out)
    out[META] = np.array(json.dumps(meta or {}))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **out)


def _build(keys, data, prefix=""):
    if f"{prefix}__len__" in data:
        return [_build(keys, data, f"{prefix}{i}/") for i in range(int(data[f"{prefix}__len__"]))]
    if prefix and prefix.rstrip("/") in data:
        return data[prefix.rstrip("/")]
    children = sorted({k[len(prefix):].split("/")[0] for k in keys if k.startswith(prefix)})
    # (a child whose only key is "__len__" is an empty list: keys hold those too)
    return {c: _build(keys, data, f"{prefix}{c}/") for c in children}


def load(path):
    """(params, meta) from a file written by :func:`save`."""
    with np.load(path, allow_pickle=False) as f:
        data = {k: f[k] for k in f.files}
    meta = json.loads(str(data.pop(META))) if META in data else {}
    return _build(list(data), data), meta
