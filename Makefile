# P2P Portal — `make run` for the demo, `make test` for the whole suite. Needs only python3 (>= 3.11) and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run test lint bench install install-dev lock clean

help:
	@echo "make run    - install, migrate, load demo data and start the portal on http://$(HOST):$(PORT)/"
	@echo "make test   - run the whole test suite (PostgreSQL and Redis when reachable)"
	@echo "make lint   - ruff and mypy"
	@echo "make bench  - run the benchmarks in bench/ (one JSON line each)"
	@echo "make lock   - re-pin requirements*.lock from pyproject.toml (needs network)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "P2P Portal needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

# Stamps record that the venv holds exactly the locked versions; they are redone when a lock changes.
$(VENV)/.installed-runtime: requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	@touch $@

$(VENV)/.installed-dev: requirements-dev.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	@touch $@ $(VENV)/.installed-runtime

install: $(VENV)/.installed-runtime
install-dev: $(VENV)/.installed-dev

run: install
	@HOST=$(HOST) PORT=$(PORT) bin/run-dev

test: install-dev
	@bin/test

lint: install-dev
	P2P_ENV=test $(BIN)/ruff check .
	P2P_ENV=test $(BIN)/ruff format --check .
	P2P_ENV=test $(BIN)/mypy .

bench: install-dev
	@bin/bench

lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --no-header -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes --no-header -c requirements.lock -o requirements-dev.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
