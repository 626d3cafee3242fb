# The commands of the README: `make demo`, `make test` and `make lint`.
# Each creates the virtual environment it needs on first use.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/leadflow demo

# The tests under coverage (branches, and the CLI and LSP processes they
# start), then the combined report; it fails below `fail_under` in pyproject.toml.
test: $(VENV)/.installed
	rm -f .coverage .coverage.*
	COVERAGE_FILE="$(CURDIR)/.coverage" $(PY) -m coverage run -m pytest
	$(PY) -m coverage combine --quiet
	$(PY) -m coverage report

# The static checks: lint rules, formatting, types (configured in pyproject.toml).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check
	$(VENV)/bin/ruff format --check
	$(VENV)/bin/mypy

bench: $(VENV)/.installed
	$(PY) benchmarks/conditions.py
	$(PY) benchmarks/events.py
	$(PY) benchmarks/workflows.py
	$(PY) benchmarks/startup.py
	$(PY) benchmarks/check.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache .coverage .coverage.*
