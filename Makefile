# The two commands of the README: `make demo` and `make test`. Each creates or refreshes a
# local virtual environment in .venv and installs what it needs there.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck pytest bench docs clean

export NO_MKDOCS_2_WARNING := 1

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rekrut demo --out demo-output

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/ruff format --check src tests $(wildcard benchmarks)

typecheck: $(STAMP)
	$(BIN)/mypy

# the tests run on every core of the machine (pytest-xdist)
pytest: $(STAMP)
	$(BIN)/python -m pytest -n auto

docs: $(STAMP)
	$(BIN)/mkdocs build --strict --quiet --site-dir site

test: lint typecheck docs pytest

# The benchmarks compare rekrut with other A/B-testing libraries, whose pins (pandas < 3)
# differ from the test environment's, so they get their own environment.
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed-bench

$(BENCH_STAMP): pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e ".[dev,bench]"
	touch $(BENCH_STAMP)

# gbstats pins numpy < 2 and pandas < 2, which rekrut does not run on: it gets a third
# environment, and the benchmark runs it as a separate process on the same cells.
GBSTATS_VENV := .venv-gbstats
GBSTATS_STAMP := $(GBSTATS_VENV)/.installed-gbstats

$(GBSTATS_STAMP):
	$(PYTHON) -m venv $(GBSTATS_VENV)
	$(GBSTATS_VENV)/bin/python -m pip install --quiet "gbstats==0.8.0"
	touch $(GBSTATS_STAMP)

bench: $(BENCH_STAMP) $(GBSTATS_STAMP)
	REKRUT_GBSTATS_PYTHON=$(GBSTATS_VENV)/bin/python \
	  $(BENCH_VENV)/bin/python -m pytest benchmarks --benchmark-only -p no:cacheprovider

clean:
	rm -rf $(VENV) $(BENCH_VENV) $(GBSTATS_VENV) demo-output build dist .pytest_cache \
	  .mypy_cache .ruff_cache
