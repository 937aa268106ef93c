"""Results records: the last cell of every notebook.

A record is a short table, one row per reproduced quantity::

    rec = Results("02_nrg_thermodynamics")
    rec.add("Fig. D3", "S_imp, free-orbital plateau", ours=S_fo,
            ref=np.log(4), ref_source="exact (KWW 1980)", rtol=0.03)
    rec.show()

Each row holds our value (computed in the notebook), the reference value and where
it comes from (the paper, a digest of the paper's code, or an exact result: a
value taken from the paper is always labelled so), and a status:

* ``agrees``  : |ours - ref| <= atol + rtol |ref|;
* ``differs`` : outside that tolerance (the note says why, honestly);
* ``computed``: no reference value exists (e.g. the paper's figure could not be read);
* anything passed explicitly as ``status=`` (e.g. ``qualitative``).

``show()`` displays the table as Markdown *and* as machine-readable JSON under the
MIME type :data:`MIME`, from which ``python -m rglib.reproduce`` builds
``build/REPRODUCTION.md``.
"""
import json
import math

from .. import validate

MIME = "application/vnd.rglib.results+json"
STATUSES = ("agrees", "differs", "computed", "qualitative", "not applicable", "not reproduced")


def fmt(x, digits=8):
    """Compact string of a number (``digits`` significant figures, default 8); text passes."""
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(xf):
        return "nan"
    return f"{xf:.{digits}g}"


class Results:
    """Collect the key numbers of one notebook (see module docstring)."""

    def __init__(self, notebook):
        self.notebook = str(notebook)
        self.rows = []

    def add(self, figure, quantity, ours, ref=None, ref_source=None, rtol=None,
            atol=0.0, status=None, note=""):
        """Add one row; returns its status.

        ``ref_source`` is required whenever ``ref`` is given, so a reader always
        sees where a reference value comes from.
        """
        if ref is not None and not ref_source:
            raise ValueError("ref_source must say where the reference value comes from")
        if status is None:
            if ref is None or isinstance(ref, str) or isinstance(ours, str):
                status = "computed"
            elif rtol is None and not atol:
                raise ValueError("rtol or atol is needed to judge a numeric reference value")
            else:
                validate.nonnegative("atol", atol)
                tol = atol + (rtol or 0.0) * abs(float(ref))
                ok = math.isfinite(float(ours)) and abs(float(ours) - float(ref)) <= tol
                status = "agrees" if ok else "differs"
        validate.one_of("status", status, STATUSES)
        tol_txt = "" if rtol is None and not atol else (
            f"rtol {fmt(rtol, 2)}" if rtol is not None else f"atol {fmt(atol, 2)}")
        self.rows.append({
            "notebook": self.notebook,
            "figure": str(figure),
            "quantity": str(quantity),
            "ref": fmt(ref),
            "ref_source": ref_source or "",
            "ours": fmt(ours),
            "tolerance": tol_txt,
            "status": status,
            "note": str(note),
        })
        return status

    def markdown(self):
        """The record as a Markdown table."""
        head = "| figure/table | quantity | reference | source | rglib | tolerance | status | note |"
        sep = "|---|---|---|---|---|---|---|---|"
        lines = [head, sep]
        for r in self.rows:
            lines.append("| " + " | ".join(
                r[k].replace("|", "\\|") for k in
                ("figure", "quantity", "ref", "ref_source", "ours", "tolerance", "status", "note")
            ) + " |")
        return "\n".join(lines)

    def to_json(self):
        return {"notebook": self.notebook, "rows": self.rows}

    def show(self):
        """Display the record (Markdown for people, JSON for the report)."""
        from IPython.display import display

        display({"text/markdown": self.markdown(),
                 "text/plain": self.markdown(),
                 MIME: self.to_json()}, raw=True)

    def counts(self):
        out = {}
        for r in self.rows:
            out[r["status"]] = out.get(r["status"], 0) + 1
        return out


def from_notebook(nb):
    """All results records displayed in an executed notebook (an nbformat dict)."""
    rows = []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            data = out.get("data", {})
            if MIME in data:
                payload = data[MIME]
                if isinstance(payload, str):
                    payload = json.loads(payload)
                rows.extend(payload.get("rows", []))
    return rows
