# Two commands on a fresh machine: `make run` (install + main job) and `make test`.
# Each creates its own virtual environment; nothing is installed by hand before them.
PYTHON ?= python3
VENV := .venv
LAB_VENV := .venv-lab
INSTALLED := $(VENV)/.installed
LAB_INSTALLED := $(LAB_VENV)/.installed
LOCK := requirements/lock.txt
LAB_LOCK := requirements/lab.txt
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.DEFAULT_GOAL := help
.PHONY: help run test test-fast lint lab lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# Exactly the versions of the lock, each checked against its hashes: pip installs uv (itself
# locked), uv installs the rest and removes what the lock does not list, and the last line
# checks the result (`pip freeze` against the lock). Update the lock with `make lock`.
# Bytecode is compiled at install (uv does not by default): where PYTHONDONTWRITEBYTECODE is
# set, every process and notebook kernel would otherwise compile pandas, matplotlib... again.
$(INSTALLED): $(LOCK) requirements/no-deps.txt requirements/uv.txt pyproject.toml Makefile
	$(call install_locked,$(VENV),$(LOCK),main)

define install_locked
	$(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements/uv.txt
	$(1)/bin/uv pip sync --quiet --compile-bytecode --python $(1)/bin/python --require-hashes \
	  $(2) requirements/no-deps.txt
	$(1)/bin/uv pip install --quiet --python $(1)/bin/python --no-deps --no-build-isolation -e .
	$(1)/bin/python -m compileall -q pipeline
	$(1)/bin/python -m pipeline.environment $(3)
	touch $(1)/.installed
endef

run: $(INSTALLED)  ## install, then build the warehouse and the report site from data/raw
	$(VENV)/bin/palmares run

# Two workers (pytest-xdist), one per core: most tests use one core, the end-to-end ones wait on
# kernels. A test file runs whole on one worker, so its module fixtures are built once; a session
# fixture (conftest's real-data site) at most once per worker.
test: lint $(CHROMIUM)  ## install, lint, then run the whole test suite
	$(VENV)/bin/python -m pytest -q -n 2 --dist loadfile --durations=30

test-fast: $(INSTALLED)  ## the fast tier: every test not marked slow (the inner loop)
	$(VENV)/bin/python -m pytest -q -m "not slow"

lint: $(INSTALLED)  ## ruff: lint rules (security, complexity) and formatting, checked not changed
	$(VENV)/bin/ruff check pipeline tests benchmarks scripts
	$(VENV)/bin/ruff format --check pipeline tests benchmarks scripts

# The end-to-end site test drives Debian's chromium (no browser download); install it if missing.
$(CHROMIUM):
	$(SUDO) apt-get install -y --no-install-recommends chromium || \
	  ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium)

$(LAB_INSTALLED): $(LAB_LOCK) requirements/no-deps.txt requirements/uv.txt pyproject.toml Makefile
	$(call install_locked,$(LAB_VENV),$(LAB_LOCK),lab)

lab: $(LAB_INSTALLED)  ## JupyterLab on the notebooks, in its own environment (.venv-lab)
	$(LAB_VENV)/bin/jupyter lab --notebook-dir=notebooks

# The newest releases that pyproject.toml allows, for both environments (the lab's shared
# libraries at the main lock's versions); uv itself is pinned in requirements/uv.in.
COMPILE = $(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 --upgrade
lock: $(INSTALLED)  ## update the locked versions (requirements/*.txt); then make test and commit
	$(COMPILE) pyproject.toml requirements/build.in requirements/uv.in --extra test -o $(LOCK)
	$(COMPILE) pyproject.toml requirements/build.in requirements/uv.in --extra lab \
	  -c $(LOCK) -o $(LAB_LOCK)
	$(COMPILE) requirements/no-deps.in --no-deps -o requirements/no-deps.txt
	$(COMPILE) requirements/uv.in -o requirements/uv.txt

clean:  ## remove built data and reports (keeps the virtual environments)
	rm -rf data/processed/* reports/*
	touch data/processed/.gitkeep reports/.gitkeep
