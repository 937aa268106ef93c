"""Save and load nested parameters (lists/dicts of arrays) as one ``.npz`` file.

Keys are paths such as ``"0/W"`` (list index, dict key); ``meta`` (JSON-able) is stored
beside them, so a file says how it was made.

Every file written by :func:`save` also holds a check record (``__check__``): a SHA-256
of all arrays and the library versions that wrote it. :func:`load` refuses, with a
:class:`DamagedFile` error (a ``ValueError``) naming the file, anything it cannot trust:
an empty, truncated, bit-flipped or foreign file, a checksum that does not match, an
array whose header claims more bytes than the file holds, a list whose recorded length
differs from the entries present. Files written before the check record existed load
with the same structural checks (the zip's CRC-32 still guards their bytes).
"""
import hashlib
import json
import math
import platform
import warnings
import zipfile
from pathlib import Path

import numpy as np

from .. import __version__

META = "__meta__"
CHECK = "__check__"
LEN = "__len__"
EMPTY = "__dict__"            # marks an empty dict (it has no other key)
FORMAT = 2
RESERVED = (META, CHECK)


class DamagedFile(ValueError):
    """A stored file that cannot be used; the message names the file and the reason."""


class VersionWarning(UserWarning):
    """A stored file was written by other library versions than the ones running."""


def versions():
    """The versions recorded with every file: Python, NumPy, rglib."""
    return {"python": platform.python_version(), "numpy": np.__version__, "rglib": __version__}


def _flat(prefix, x, out):
    if isinstance(x, dict):
        if not x:
            out[f"{prefix}{EMPTY}"] = np.array(0)
        for k, v in x.items():
            if "/" in str(k) or str(k).startswith("__"):
                raise ValueError(f"params: dict keys must not contain '/' nor start with '__', "
                                 f"got {k!r}")
            _flat(f"{prefix}{k}/", v, out)
    elif isinstance(x, (list, tuple)):
        out[f"{prefix}{LEN}"] = np.array(len(x))
        for i, v in enumerate(x):
            _flat(f"{prefix}{i}/", v, out)
    else:
        a = np.asarray(x)
        if a.dtype.hasobject:
            raise ValueError(f"params: {prefix.rstrip('/') or 'the value'} is not an array of "
                             f"numbers or text, got {type(x).__name__}")
        out[prefix.rstrip("/")] = a


def checksum(arrays):
    """SHA-256 (hex) of named arrays: names, dtypes, shapes and bytes, in name order."""
    h = hashlib.sha256()
    for k in sorted(arrays):
        a = np.ascontiguousarray(arrays[k])
        h.update(json.dumps([k, a.dtype.str, list(a.shape)]).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def save(path, params, meta=None):
    """Write ``params`` (and ``meta``) to ``path`` (.npz), creating folders, with a check
    record (checksum and library versions)."""
    out = {}
    _flat("", params, out)
    out[META] = np.array(json.dumps(meta or {}))
    out[CHECK] = np.array(json.dumps({"format": FORMAT, "sha256": checksum(out),
                                      "versions": versions()}))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **out)


def read_arrays(path):
    """All arrays of an .npz file as a dict, or :class:`DamagedFile` naming the file.

    Each array's header is checked against the bytes the file holds before anything is
    allocated; object arrays (pickles) are refused."""
    path = Path(path)
    if not path.is_file():
        raise DamagedFile(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise DamagedFile(f"{path}: the file is empty")
    try:
        with zipfile.ZipFile(path) as z:
            data = {}
            for info in z.infolist():
                if not info.filename.endswith(".npy"):
                    raise DamagedFile(f"{path}: not an .npz of arrays (member {info.filename!r})")
                data[info.filename[:-4]] = _read_member(path, z, info)
            return data
    except DamagedFile:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, MemoryError,
            NotImplementedError) as exc:
        raise DamagedFile(f"{path}: not a readable .npz file (truncated, altered or foreign: "
                          f"{type(exc).__name__}: {exc})") from None


def _read_member(path, z, info):
    with z.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
        if dtype.hasobject:
            raise DamagedFile(f"{path}: {info.filename} holds Python objects (a pickle), which "
                              "are not loaded")
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > info.file_size:
            raise DamagedFile(f"{path}: {info.filename} claims {nbytes} bytes of data, the file "
                              f"holds {info.file_size}")
    with z.open(info) as fh:
        return np.lib.format.read_array(fh, allow_pickle=False)


def _json(path, data, key):
    try:
        return json.loads(str(data[key]))
    except (ValueError, TypeError) as exc:
        raise DamagedFile(f"{path}: the {key} record is not valid JSON ({exc})") from None


def _check_record(path, data):
    """Verify the checksum (and compare the versions) of a file with a check record."""
    rec = _json(path, data, CHECK)
    if not isinstance(rec, dict) or not isinstance(rec.get("sha256"), str) \
            or not isinstance(rec.get("versions"), dict):
        raise DamagedFile(f"{path}: the check record is not what rglib writes")
    if not isinstance(rec.get("format"), int) or rec["format"] > FORMAT:
        raise DamagedFile(f"{path}: file format {rec.get('format')!r}, this rglib reads up to "
                          f"{FORMAT}: update rglib")
    body = {k: v for k, v in data.items() if k != CHECK}
    if checksum(body) != rec["sha256"]:
        raise DamagedFile(f"{path}: the checksum does not match (the file was altered or damaged)")
    now = versions()
    major = {k: (str(rec["versions"].get(k)), now[k]) for k in ("numpy", "rglib")
             if str(rec["versions"].get(k, "?")).split(".")[0] != str(now[k]).split(".")[0]}
    if major:
        warnings.warn(f"{path}: written with " + ", ".join(f"{k} {a} (running {b})"
                                                           for k, (a, b) in major.items()),
                      VersionWarning, stacklevel=3)
    return rec


def _build(path, keys, data, prefix, legacy):
    """The nested structure under ``prefix``; every key of ``keys`` starts with it."""
    where = prefix.rstrip("/") or "the top level"
    if prefix and prefix.rstrip("/") in data:
        if len(keys) > 1:
            raise DamagedFile(f"{path}: {where} is both an array and a container")
        return data[prefix.rstrip("/")]
    children = {}
    for k in keys:
        children.setdefault(k[len(prefix):].split("/")[0], []).append(k)
    if LEN in children:
        n = data[f"{prefix}{LEN}"]
        if n.shape != () or n.dtype.kind not in "iu" or n < 0:
            raise DamagedFile(f"{path}: {where} has a bad list length {n!r}")
        n = int(n)
        del children[LEN]
        if any(not c.isdigit() or c != str(int(c)) or int(c) >= n for c in children):
            raise DamagedFile(f"{path}: {where} is recorded as a list of {n} entries but holds "
                              f"others ({sorted(children)[:5]})")
        # an old file cannot tell an empty dict from a missing entry: a list of only empty
        # entries is accepted there, up to the number of arrays in the file
        if len(children) != n and not (legacy and not children and n <= len(data)):
            raise DamagedFile(f"{path}: {where} is recorded as a list of {n} entries but holds "
                              f"{len(children)}")
        return [_build(path, children.get(str(i), []), data, f"{prefix}{i}/", legacy)
                for i in range(n)]
    if EMPTY in children:
        if len(children) > 1 or len(children[EMPTY]) > 1:
            raise DamagedFile(f"{path}: {where} is marked empty but holds entries")
        return {}
    bad = [c for c in children if c.startswith("__")]
    if bad:
        raise DamagedFile(f"{path}: unknown entry {prefix}{bad[0]} (not a file of rglib.nn.save)")
    return {c: _build(path, ks, data, f"{prefix}{c}/", legacy) for c, ks in children.items()}


def load(path):
    """(params, meta) from a file written by :func:`save`; :class:`DamagedFile` (a
    ValueError naming the file) for anything it cannot trust (module docstring)."""
    data = read_arrays(path)
    legacy = CHECK not in data
    if not legacy:
        _check_record(path, data)
        data.pop(CHECK)
    meta = _json(path, data, META) if META in data else {}
    data.pop(META, None)
    if not isinstance(meta, dict):
        raise DamagedFile(f"{path}: the {META} record is not a dict")
    keys = [k for k in data if k]
    if len(keys) != len(data):
        raise DamagedFile(f"{path}: holds an array without a name")
    return _build(path, keys, data, "", legacy), meta
