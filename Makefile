# The two commands: `make run` serves the portal, `make test` runs every check.
# `make test-fast` runs the unit and functional tests only (no browser, no localstripe or SMTP server).
# `make bench` measures the portal against a bare Flask baseline (docs/performance.md); not part of `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: run test test-fast bench lint format clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	PORT=$(PORT) $(BIN)/python tools/devserver.py

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -ll -r app
	$(BIN)/pytest --durations=15

test-fast: $(VENV)/.installed-dev
	$(BIN)/pytest -m "not e2e and not integration" --durations=10

bench: $(VENV)/.installed
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
