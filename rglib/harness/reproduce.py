"""``python -m rglib.harness.reproduce``: run every notebook at its paper parameters.

Executes ``notebooks/NN_*.ipynb`` in order with papermill at their default
(paper-reproducing) parameters into ``build/notebooks/``, saves every figure as
PNG under ``build/figures/``, and writes ``build/REPRODUCTION.md``: one row per
reproduced quantity, collected from the notebooks' results records
(:mod:`rglib.notebook.results`), with links to the executed notebooks and figures.
A failing notebook is reported and the others still run; the exit code is then 1.

Options: ``--only 01 03`` runs a subset; ``--out DIR`` changes ``build``.
"""
import argparse
import datetime
import sys
import time
from pathlib import Path

from .. import repo_root
from ..notebook import results
from ..notebook.setup import versions
from . import nbrun


def notebooks(root=None):
    """The collection's notebooks in reading order."""
    root = Path(root or repo_root())
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _row_md(r, nb_link):
    cells = [f"[{r['notebook']}]({nb_link})", r["figure"], r["quantity"], r["ref"],
             r["ref_source"], r["ours"], r["tolerance"], f"**{r['status']}**", r["note"]]
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def write_report(out, runs):
    """Write ``out/REPRODUCTION.md`` from [(name, seconds, rows, figs, error)]."""
    v = versions()
    lines = [
        "# rglib reproduction report", "",
        f"Generated {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} by `make reproduce` "
        f"({', '.join(f'{k} {x}' for k, x in v.items())}).", "",
        "Every *rglib* value below was computed by the executed notebook linked in the first "
        "column. The reference column says where its value comes from: the paper, the authors' "
        "code or data, an exact result, or a computation documented in `docs/` "
        "(`docs/references.md` lists every source).", "",
        "## Notebooks", "",
        "| notebook | run time | rows | status | figures |", "|---|---|---|---|---|",
    ]
    for name, secs, rows, figs, err in runs:
        counts = {}
        for r in rows:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        st = "FAILED: " + err.splitlines()[0] if err else ", ".join(
            f"{n} {s}" for s, n in sorted(counts.items())) or "-"
        fl = " ".join(f"[{i + 1}]({f})" for i, f in enumerate(figs))
        lines.append(f"| [{name}](notebooks/{name}.ipynb) | {secs:.0f} s | {len(rows)} | "
                     f"{st.replace('|', '/')} | {fl} |")
    lines += ["", "## Reproduced quantities", "",
              "| notebook | figure/table | quantity | reference | source | rglib | tolerance "
              "| status | note |", "|---|---|---|---|---|---|---|---|---|"]
    for name, _, rows, _, _ in runs:
        lines += [_row_md(r, f"notebooks/{name}.ipynb") for r in rows]
    (out / "REPRODUCTION.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="notebook number prefixes, e.g. 01 03")
    ap.add_argument("--out", default=None, help="output folder (default: build/)")
    args = ap.parse_args(argv)
    root = repo_root()
    out = Path(args.out) if args.out else root / "build"
    nbs = [p for p in notebooks(root)
           if not args.only or any(p.name.startswith(o) for o in args.only)]
    if not nbs:
        print("no notebooks selected", file=sys.stderr)
        return 2
    runs, failed, t_all = [], 0, time.perf_counter()
    for k, path in enumerate(nbs, 1):
        name = path.stem
        print(f"[{k}/{len(nbs)}] {name} ...", end="", flush=True)
        out_nb = out / "notebooks" / path.name
        rows, figs, err, secs = [], [], "", 0.0
        t0 = time.perf_counter()
        try:
            nb, secs = nbrun.execute(path, out_nb, parameters={},
                                     log=out / "logs" / f"{name}.log", cell_timeout=1800)
        except nbrun.NotebookError as e:
            err, failed = str(e), failed + 1
            secs = time.perf_counter() - t0
            nb = nbrun.read(out_nb) if out_nb.exists() else None
        if nb is not None:
            rows = results.from_notebook(nb)
            fdir = out / "figures" / name
            fdir.mkdir(parents=True, exist_ok=True)
            for old in fdir.glob("*.png"):
                old.unlink()
            for cell, j, png in nbrun.figures(nb):
                f = fdir / f"cell{cell:02d}_{j}.png"
                f.write_bytes(png)
                figs.append(str(f.relative_to(out)))
        runs.append((name, secs, rows, figs, err))
        print(f" {'FAILED' if err else 'ok'} in {secs:.1f} s "
              f"({len(rows)} results, {len(figs)} figures)", flush=True)
        if err:
            print("    " + err.replace("\n", "\n    "), flush=True)
    write_report(out, runs)
    print(f"wrote {out / 'REPRODUCTION.md'} ({len(nbs)} notebooks, "
          f"{time.perf_counter() - t_all:.0f} s, {failed} failed)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
