# rglib: the two commands of the README, plus helpers.
#   make reproduce   set up .venv if needed, run every notebook at paper parameters,
#                    write build/REPRODUCTION.md (+ executed notebooks, PNG figures)
#   make test        set up .venv if needed, run unit tests, the notebooks at quick
#                    parameters (papermill), in JupyterLab in Chromium, then nbval
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

test: $(STAMP) browser
	rm -rf build/test-notebooks build/screens build/browser-ran
	$(VPY) -m pytest
	$(VPY) -m pytest $(NBVAL_OPTS) build/test-notebooks

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
