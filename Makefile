# The two commands: `make run` serves the portal, `make test` runs every check.
# `make test-fast` runs the unit and functional tests only (no browser, no localstripe or SMTP server).
# `make bench` measures the portal against a bare Flask baseline (docs/performance.md); not part of `make test`.
# `make audit` checks every dependency against the known vulnerabilities (pip-audit); it needs a
# vulnerability database (pypi.org's JSON API, or OSV with AUDIT_SERVICE=osv) and fails where none
# can be reached or any dependency could not be checked; not part of `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000

AUDIT_VENV := .venv-audit
AUDIT_SERVICE ?= pypi

.PHONY: run test test-fast bench audit lint format clean browser

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

# The browser tests drive Debian's Chromium (Playwright's own download is not used): installed when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Chromium is missing: installing Debian's package with apt-get"; \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium >/dev/null; }

test: $(VENV)/.installed-dev browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -ll -r app
	$(BIN)/pytest --durations=15

test-fast: $(VENV)/.installed-dev
	$(BIN)/pytest -m "not e2e and not integration" --durations=10

bench: $(VENV)/.installed
	$(BIN)/python -m bench $(BENCH_ARGS)

# pip-audit lives in its own virtualenv, so that its own dependencies never change the portal's.
$(AUDIT_VENV)/bin/pip-audit:
	$(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install --quiet pip-audit==2.10.1

audit: $(AUDIT_VENV)/bin/pip-audit
	$(AUDIT_VENV)/bin/pip-audit --strict --progress-spinner off --vulnerability-service $(AUDIT_SERVICE) \
	  -r requirements.txt -r requirements-dev.txt

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) $(AUDIT_VENV) .pytest_cache .ruff_cache
