# One bootstrap for everyone: `make run` starts Sightline, `make test` checks it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run playground test lint typecheck unit bench clean browser

install: $(STAMP)

# Re-installs only when the dependency list or the pinned constraints change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# With no chat credentials, also starts Microsoft 365 Agents Playground (scripts/run.sh).
run: install
	$(BIN)/sightline db upgrade
	BIN=$(BIN) scripts/run.sh

# The Playground from npm into the ignored .playground/, once (run and the tests share it).
playground: install
	$(BIN)/sightline playground install

lint: install
	$(BIN)/ruff check bot handlers stories tests bench
	$(BIN)/ruff format --check bot handlers stories tests bench
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

unit: install browser
	$(BIN)/pytest -q

# The dashboard's browser tests: Chromium from the operating system's packages (Playwright's
# own browser download is not used) and axe-core from npm into the ignored
# tests/browser/node_modules. Each step runs only when its piece is missing.
browser:
	test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)
	test -f tests/browser/node_modules/axe-core/axe.min.js || \
		npm ci --prefix tests/browser --no-audit --no-fund

test: lint typecheck unit

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
