# Two entry points, both self-installing on a fresh machine:
#   make demo   installs riata into .venv and runs the case study on simulated data
#   make test   installs riata with its test dependencies, lints (ruff) and runs the fast
#               test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-slow install clean bench-env

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml requirements/env.txt
	$(PY) -m pip install --quiet -r requirements/env.txt
	$(PY) -m pip install --quiet -e ".[genomics,test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m riata demo --out runs/demo

test: $(STAMP)
	$(PY) -m ruff check src tests benchmarks examples
	$(PY) -m pytest -m "not slow" -q

test-slow: $(STAMP)
	$(PY) -m pytest -m slow -q

# The peers of benchmarks/ (adelie pins numpy<2) live in their own environment.
bench-env: benchmarks/.venv/.installed

benchmarks/.venv/.installed: benchmarks/requirements.txt pyproject.toml
	$(PYTHON) -m venv benchmarks/.venv
	benchmarks/.venv/bin/pip install --quiet -r requirements/env.txt
	benchmarks/.venv/bin/pip install --quiet -e . -r benchmarks/requirements.txt
	touch $@

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
