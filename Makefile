# Quick start: `make serve` (main job) and `make test` (whole suite). Each creates
# .venv only if it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# axe-core for the accessibility tests, pinned in tests/a11y/package-lock.json.
AXE := tests/a11y/node_modules/axe-core/axe.min.js

.PHONY: setup serve build check lab lint test test-fast bench docs clean axe

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# rfc3987-syntax compiles a grammar at import and costs ~2 s per kernel start;
	# nothing in the workbench validates IRIs (see docs/decisions.md).
	-$(BIN)/pip uninstall --quiet --yes rfc3987-syntax
	touch $(STAMP)

setup: $(STAMP)

serve: $(STAMP)
	$(BIN)/workbench serve

build: $(STAMP)
	$(BIN)/workbench build

check: $(STAMP)
	$(BIN)/workbench check

lab: $(STAMP)
	test -f data/warehouse.duckdb || $(BIN)/workbench build
	$(BIN)/jupyter lab --notebook-dir=notebooks

lint: $(STAMP)
	$(BIN)/ruff check .

# npm ci installs exactly the locked axe-core (from the npm registry, once); the tests
# inject it from node_modules, so nothing is fetched while they run.
$(AXE): tests/a11y/package.json tests/a11y/package-lock.json
	cd tests/a11y && npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)

axe: $(AXE)

test: $(STAMP) $(AXE)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/dashboards.py
	$(BIN)/python benchmarks/reports.py
	$(BIN)/python benchmarks/extract.py
	$(BIN)/python benchmarks/load.py

docs: $(STAMP)
	$(BIN)/workbench describe --markdown > docs/data-dictionary.md
	$(BIN)/workbench check --format markdown > docs/data.md
	$(BIN)/python -m workbench.statement

clean:
	rm -rf $(VENV) data/warehouse.duckdb
