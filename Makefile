# The two commands of the README: `make demo` and `make test`.
# Each creates the virtual environment it needs on first use.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/leadflow demo

test: $(VENV)/.installed
	$(PY) -m pytest

bench: $(VENV)/.installed
	$(PY) benchmarks/conditions.py
	$(PY) benchmarks/events.py
	$(PY) benchmarks/workflows.py
	$(PY) benchmarks/startup.py
	$(PY) benchmarks/check.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .hypothesis
