# flopex — every target creates or reuses .venv and installs what it needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: help demo test bench lint format typecheck clean chromium

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

demo: $(STAMP)  ## run the exchange, house bots and a classroom game; print the URLs
	$(BIN)/flopex demo

# Page tests drive Debian's chromium package; install it when it is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

chromium:  ## install Debian's chromium for the page tests when it is missing
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the page tests"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium fonts-dejavu-core >/dev/null; }

test: $(STAMP) chromium  ## run the whole test suite (lint and types first)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m flopex.warmup
	$(BIN)/python -m pytest -q
	NUMBA_DISABLE_JIT=1 $(BIN)/python -m pytest -q tests/exchange -m "not slow"

bench: $(BENCH_STAMP)  ## run the benchmarks and rewrite benchmarks/RESULTS.md
	$(BIN)/python -m flopex.warmup
	$(BIN)/python -m benchmarks.bench_matching
	$(BIN)/python -m benchmarks.bench_clearing

lint: $(STAMP)  ## ruff lint + format check, mypy on exchange/ and clearing/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)  ## apply ruff formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
