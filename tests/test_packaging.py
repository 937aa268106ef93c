"""pyproject.toml, environment.yml and binder/environment.yml list the same packages."""
import re
import tomllib

import yaml

from rglib import repo_root

ROOT = repo_root()


def _split(spec):
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def pyproject():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return dict(_split(s) for s in data["project"]["dependencies"])


#: conda-forge names of PyPI packages (matplotlib-base: matplotlib without the Qt stack)
CONDA_NAMES = {"matplotlib-base": "matplotlib"}


def conda(path):
    deps = yaml.safe_load(path.read_text())["dependencies"]
    specs = dict(_split(d) for d in deps if isinstance(d, str))
    specs = {CONDA_NAMES.get(k, k): v for k, v in specs.items()}
    assert specs.pop("python", None), f"{path}: python is not pinned"
    specs.pop("pip", None)
    return specs


def test_root_environment_matches_pyproject():
    assert conda(ROOT / "environment.yml") == pyproject()


def test_binder_environment_matches_pyproject():
    assert conda(ROOT / "binder" / "environment.yml") == pyproject()


def test_binder_follows_repo2docker_rules():
    """repo2docker reads only binder/ when it exists (never both binder/ and .binder/);
    environment.yml must parse (it updates the base environment, so no local pip
    references: they would defeat the layer cache); postBuild and start must be
    executable files, start must end by exec'ing its arguments."""
    import os
    import stat

    assert (ROOT / "binder").is_dir() and not (ROOT / ".binder").exists()
    env = yaml.safe_load((ROOT / "binder" / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    assert "matplotlib-base" in "".join(d for d in env["dependencies"] if isinstance(d, str))
    for name in ("postBuild", "start"):
        mode = os.stat(ROOT / "binder" / name).st_mode
        assert mode & stat.S_IXUSR, f"binder/{name} must be executable"
        assert (ROOT / "binder" / name).read_text().startswith("#!"), f"binder/{name} needs a shebang"
    readme = (ROOT / "README.md").read_text()
    assert "mybinder.org/badge_logo.svg" in readme and "mybinder.org/v2/gh/" in readme


def test_binder_installs_rglib_and_has_no_local_pip_refs():
    text = (ROOT / "binder" / "environment.yml").read_text()
    assert "-e ." not in text and "-r " not in text       # keeps Binder's layer cache
    post = (ROOT / "binder" / "postBuild").read_text()
    assert "set -euo pipefail" in post and "pip install --no-deps -e ." in post
    assert (ROOT / "binder" / "start").read_text().rstrip().endswith('exec "$@"')


def test_lower_bounds_only():
    for name, spec in pyproject().items():
        assert spec.startswith(">="), f"{name}: use a lower bound, not {spec!r}"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci and "make test" in readme and "make reproduce" in readme
