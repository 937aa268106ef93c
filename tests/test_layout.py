"""The package's architecture, checked: layers, imports, nothing at import, references.

* physics parts import the shared cores and never each other;
* no module imports a private name of another module, and no relative import hides
  inside a function (the way to dodge an import cycle);
* ``import rglib`` sets no environment variable and starts no thread pool change;
* every reference a reader meets resolves inside the repository (no file of the
  planning material outside it is cited).
"""
import ast
import os
import re
import subprocess
import sys

import pytest

from rglib import repo_root

ROOT = repo_root()
PKG = ROOT / "rglib"
PARTS = {"nrg", "ising", "flows", "efnn"}           # physics parts
CORES = {"validate", "autodiff", "lattice", "progress", "nn", "mcmc", "sweep",
         "__version__", "repo_root", "data_path"}     # and the package root itself


def modules():
    return sorted(p for p in PKG.rglob("*.py"))


def _imports(path):
    """(level, absolute module name) of every import in ``path``."""
    rel = path.relative_to(ROOT).with_suffix("")
    pkg = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append(name)
            out.extend(f"{name}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
    return out


def _top(name):
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "rglib" else None


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_physics_parts_import_cores_not_each_other(path):
    own = path.relative_to(PKG).parts[0].removesuffix(".py")
    for name in _imports(path):
        other = _top(name)
        if own in PARTS and other in PARTS:
            assert other == own, f"{path.name}: physics part {own} imports part {other}"
        if own in CORES and other is not None:
            assert other in CORES, f"{path.name}: core module {own} imports {other}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_no_private_imports_and_no_relative_imports_inside_functions(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for a in node.names:
                assert not (a.name.startswith("_") and not a.name.startswith("__")), \
                    f"{path.name} imports the private name {a.name} from {node.module}"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.attr.startswith("_") and not node.attr.startswith("__") \
                    and node.value.id not in ("self", "cls"):
                pytest.fail(f"{path.name} uses the private attribute {node.value.id}.{node.attr}")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                if isinstance(sub, ast.ImportFrom) and sub.level > 0:
                    pytest.fail(f"{path.name}: function {node.name} imports .{sub.module} locally")


def test_import_rglib_runs_nothing():
    env = {k: v for k, v in os.environ.items()
           if not k.endswith("_NUM_THREADS")}
    code = ("import os, rglib, rglib.nrg, rglib.ising, rglib.notebook, rglib.harness\n"
            "print(os.environ.get('OPENBLAS_NUM_THREADS'), os.environ.get('OMP_NUM_THREADS'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["None", "None"]


def test_dask_is_optional():
    code = "import sys, rglib.sweep, rglib.nrg; print('distributed' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_kernels_started_by_the_harness_get_one_blas_thread():
    from rglib.harness import nbrun

    assert set(nbrun.THREAD_VARIABLES) >= {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"}


OUTSIDE = re.compile("|".join([r"\.\./" + "shared", "shared/" + "papers", "shared/" + "seeds",
                               r"\b(dnrg|mlrg|efnn)\." + "md"]))


def _reader_files():
    for base in ("rglib", "notebooks", "docs", "tests", "benchmarks", "scripts", "binder"):
        d = ROOT / base
        if d.exists():
            yield from (p for p in d.rglob("*") if p.is_file() and p.suffix in
                        (".py", ".ipynb", ".md", ".txt", ".yml", ".cfg", ""))
    yield ROOT / "README.md"


def test_no_reference_to_files_outside_the_repository():
    bad = [str(p.relative_to(ROOT)) for p in _reader_files()
           if OUTSIDE.search(p.read_text(errors="ignore"))]
    assert not bad, f"these cite files outside the repository: {bad}"


def test_docs_cited_by_the_collection_exist():
    cited = set()
    for p in _reader_files():
        cited.update(re.findall(r"docs/[\w./-]+\.md", p.read_text(errors="ignore")))
    assert cited, "no docs/ note is cited anywhere"
    missing = sorted(c for c in cited if not (ROOT / c).exists())
    assert not missing, f"cited docs notes that do not exist: {missing}"


def test_readme_layout_tree_names_every_module():
    readme = (ROOT / "README.md").read_text()
    for p in modules():
        rel = p.relative_to(PKG)
        if rel.name == "__init__.py":
            continue
        assert str(rel) in readme or rel.name in readme, f"README's layout tree misses {rel}"


def test_license_and_python_promise():
    assert (ROOT / "LICENSE").exists()
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["requires-python"] == ">=3.11"          # the tests use tomllib (3.11)
    assert "3.11" in (ROOT / "README.md").read_text()


def test_papermill_sees_every_parameter_of_every_notebook():
    """papermill --help-notebook lists every assignment of each notebook's parameters cell (a
    comment holding "=" once hid a parameter from papermill's parser: setting it warned
    "Passed unknown parameter")."""
    import json

    import papermill as pm

    from rglib.harness.reproduce import notebooks
    for path in notebooks():
        nb = json.loads(path.read_text())
        cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
        names = [t.targets[0].id for t in ast.parse("".join(cell["source"])).body
                 if isinstance(t, ast.Assign) and isinstance(t.targets[0], ast.Name)]
        missing = [n for n in names if n not in pm.inspect_notebook(str(path))]
        assert not missing, f"{path.name}: papermill does not see {missing}"
