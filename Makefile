# rglib: the two commands of the README, plus helpers.
#   make reproduce   set up .venv if needed, run every notebook at paper parameters,
#                    write build/REPRODUCTION.md (+ executed notebooks, PNG figures)
#   make test        set up .venv if needed, run unit tests, the notebooks at quick
#                    parameters (papermill), then nbval over the executed notebooks
# Needs only Python >= 3.10 with venv and pip, and make.

PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.rglib-installed
NBVAL_OPTS := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
              --nbval-kernel-startup-timeout 120 -p no:cacheprovider

.PHONY: reproduce test lab benchmarks clean setup

setup: $(STAMP)

$(VPY):
	$(PYTHON) -m venv $(VENV)

# Re-install whenever the package metadata changes.
$(STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install --upgrade pip
	$(VPY) -m pip install -e ".[dev]"
	touch $(STAMP)

reproduce: $(STAMP)
	$(VPY) -m rglib.harness.reproduce

test: $(STAMP)
	rm -rf build/test-notebooks
	$(VPY) -m pytest
	$(VPY) -m pytest $(NBVAL_OPTS) build/test-notebooks

benchmarks: $(STAMP)
	for b in benchmarks/*.py; do echo "== $$b"; $(VPY) $$b || exit 1; done

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/00_index.ipynb

clean:
	rm -rf build
