"""Results records: the last cell of every notebook.

A record is a short table, one row per reproduced quantity::

    rec = Results("02_nrg_thermodynamics", quick=quick)
    rec.add("crossover", "S_imp, free-orbital plateau", ours=S_fo,
            ref=np.log(4), ref_source="exact (KWW 1980)", rtol=0.03)
    rec.not_applicable("crossover", "S_imp, local moment", "no local-moment regime at U/πΓ = 1")
    rec.show()

Each row holds our value (computed in the notebook), the reference value and where
it comes from (the paper, the authors' code or data, an exact result, or a
documented computation: a value taken from the paper is always labelled so), and a
status:

* ``agrees``  : |ours - ref| <= atol + rtol |ref|;
* ``differs`` : outside that tolerance (the note says why, honestly). A row that is
  known to differ at the current parameters is declared with ``expect_differs=``
  (the reason); the test harness fails on any other "differs";
* ``computed``: no reference value exists (e.g. the paper's figure could not be read);
* ``not applicable``: the reference does not apply at these parameters (the note
  says why, e.g. a symmetric-model result on an asymmetric model);
* anything passed explicitly as ``status=`` (e.g. ``qualitative``, or the verdicts
  ``confirmed``, ``refuted``, ``partly`` on a paper's claim).

A record made with ``quick=True`` (the fast parameters of ``make test``) says so.
``show()`` displays the table as Markdown *and* as machine-readable JSON under the
MIME type :data:`MIME`, from which ``python -m rglib.harness.reproduce`` builds
``build/REPRODUCTION.md``.
"""
import json
import math

from .. import validate

MIME = "application/vnd.rglib.results+json"
STATUSES = ("agrees", "differs", "computed", "qualitative", "not applicable", "not reproduced",
            "confirmed", "refuted", "partly", "inconclusive")


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

    def __init__(self, notebook, quick=False):
        self.notebook = str(notebook)
        self.quick = validate.boolean("quick", quick)
        self.rows = []

    def add(self, figure, quantity, ours, ref=None, ref_source=None, rtol=None,
            atol=0.0, status=None, note="", expect_differs=None):
        """Add one row; returns its status.

        ``ref_source`` is required whenever ``ref`` is given, so a reader always
        sees where a reference value comes from. ``expect_differs``: the reason why
        this row is expected to differ at the current parameters (shown in the note).
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
        if status == "differs" and expect_differs:
            note = f"expected to differ here: {expect_differs}" + (f"; {note}" if note else "")
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
            "expected": bool(status == "differs" and expect_differs),
            "quick": self.quick,
        })
        return status

    def not_applicable(self, figure, quantity, why):
        """A row whose reference does not apply at the current parameters, and why."""
        return self.add(figure, quantity, ours="-", status="not applicable", note=why)

    def unexplained(self):
        """Rows that differ without a declared reason (``make test`` fails on them)."""
        return [r for r in self.rows if r["status"] == "differs" and not r.get("expected")]

    def markdown(self):
        """The record as a Markdown table (headed by a line when it is a quick run)."""
        head = "| figure/table | quantity | reference | source | rglib | tolerance | status | note |"
        sep = "|---|---|---|---|---|---|---|---|"
        lines = [head, sep]
        if self.quick:
            lines = ["**Quick run** (the fast test parameters of `make test`: small lattices, few "
                     "states and samples; the paper's parameters are the notebook's defaults).", ""] + lines
        for r in self.rows:
            lines.append("| " + " | ".join(
                r[k].replace("|", "\\|") for k in
                ("figure", "quantity", "ref", "ref_source", "ours", "tolerance", "status", "note")
            ) + " |")
        return "\n".join(lines)

    def to_json(self):
        return {"notebook": self.notebook, "quick": self.quick, "rows": self.rows}

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
