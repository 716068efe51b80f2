# Two set-up commands (see README.md):
#   make run    install, then open the dashboard on data/khi.duckdb (demo data when empty)
#   make test   install, then run every test (lint, unit, golden, AppTest, browser)

PYTHON ?= python3
# Python may write its bytecode: some machines set PYTHONDONTWRITEBYTECODE, and then
# every run (each test worker, each dashboard the browser tests start) compiles the
# project and pytest rewrites every test module again: 12 s of CPU a worker to collect
# the tests instead of 6.6 s once they are cached (measured, `pytest --collect-only`).
unexport PYTHONDONTWRITEBYTECODE
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test check lint bench system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

# Debian's Chromium: the PDF charts (kaleido) and the board pack print with it; the
# browser tests drive its headless shell (a fifth less CPU a page, tests/README.md).
system-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromium-headless-shell ] \
	  || ! fc-list 2>/dev/null | grep -qi dejavu; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium chromium-headless-shell fonts-dejavu-core poppler-utils >/dev/null; fi

# axe-core (npm), injected by the accessibility browser test; pinned in package-lock.json.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $@

run: $(VENV)/.installed system-deps
	$(BIN)/streamlit run dashboard.py

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

# Three workers on two cores: the browser tier mostly waits on its dashboards and
# Chromium (a clean-clone run with two used 19 min of CPU in 16 min of wall time).
# --dist loadfile: a file's tests run on one worker, so a module's dashboard or walk
# starts once; --no-loadscope-reorder: in the order tests/conftest.py gives (the
# longest files first), not xdist's (the files with most tests first). (--dist loadgroup is silently a no-op with pytest 9 and xdist 3.8: it
# renames item._nodeid, which pytest 9's Node.nodeid no longer reads.)
test: $(VENV)/.dev-installed system-deps $(AXE)
	$(BIN)/ruff check .
	$(BIN)/pytest -n 3 --dist loadfile --no-loadscope-reorder --durations=15

# The inner loop, before every commit: lint, unit, golden and ingest tests (no
# pages, processes or browser). Under 90 seconds on a quiet machine.
check: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 -q --ignore=tests/browser \
	  -m "not browser and not pages and not cli and not process and not slow"

bench: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/browser/node_modules
