# rglib: the two commands of the README, plus helpers.
#   make reproduce   set up .venv if needed, run every notebook at paper parameters,
#                    write build/REPRODUCTION.md (+ executed notebooks, PNG figures)
#   make test        set up .venv if needed, run unit tests beside the notebooks at quick
#                    parameters (papermill), then nbval beside the notebooks in JupyterLab
#                    in Chromium
# Needs only Python >= 3.11 with venv and pip, and make.

PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.rglib-installed
NBVAL_OPTS := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
              --nbval-kernel-startup-timeout 120 -p no:cacheprovider

.PHONY: reproduce test lab benchmarks clean setup browser

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

# Two lanes on the two cores: the unit tests (log: build/unit-tests.log) beside the notebooks
# at quick parameters; then nbval over the executed notebooks beside the browser test. Every
# stage's exit status counts; the logs of the background stages are printed at the end.
UNIT_TESTS := tests --ignore=tests/test_notebooks.py --ignore=tests/browser

test: $(STAMP) browser
	rm -rf build/test-notebooks build/screens build/browser-ran build/unit-tests.log build/nbval.log
	mkdir -p build
	@$(VPY) -m pytest $(UNIT_TESTS) > build/unit-tests.log 2>&1 & u=$$!; \
	$(VPY) -m pytest tests/test_notebooks.py; n=$$?; \
	$(VPY) -m pytest $(NBVAL_OPTS) build/test-notebooks > build/nbval.log 2>&1 & v=$$!; \
	$(VPY) -m pytest tests/browser; b=$$?; \
	wait $$u; u=$$?; wait $$v; v=$$?; \
	echo "== unit tests (build/unit-tests.log)"; cat build/unit-tests.log; \
	echo "== nbval (build/nbval.log)"; cat build/nbval.log; \
	echo "exit status: unit tests $$u, notebooks $$n, browser $$b, nbval $$v"; \
	[ $$u -eq 0 ] && [ $$n -eq 0 ] && [ $$b -eq 0 ] && [ $$v -eq 0 ]

# The browser test needs Debian's Chromium: installed here in CI (apt, as root); elsewhere
# the test says what is missing and is skipped (.ci/run fails in CI if it did not run).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$${CI:-}" = "true" ] && [ "$$(id -u)" = "0" ]; then \
	    echo "installing Debian's chromium for the browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: chromium is not installed: the browser test will be skipped"; fi; \
	fi

benchmarks: $(STAMP)
	for b in benchmarks/[a-z]*.py; do echo "== $$b"; $(VPY) $$b || exit 1; done

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/00_index.ipynb

clean:
	rm -rf build
