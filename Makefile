# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test lint typecheck unit histories demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

unit: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -q

test: lint typecheck unit

# The whole product on this machine: dev server + Web UI, sandbox providers, worker, a world.
# DAY_SECONDS compresses the clock; KEEP=1 leaves the dev server and Web UI running.
DAY_SECONDS ?= 2
WORLD ?= examples/world.json
PORT ?= 7233
UI_PORT ?= 8233
demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m devstack.demo --world $(WORLD) \
		--day-seconds $(DAY_SECONDS) --port $(PORT) --ui-port $(UI_PORT) $(if $(KEEP),--keep,)

# Benchmarks against same-run baselines; writes BENCHMARKS.md. Sizes: BENCH_CASES,
# BENCH_PARKED, BENCH_SIGNALS; BENCH_SUITE=0 skips timing the whole suite.
bench: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench

# Record every path's history as today's code writes it, under a new suffix (e.g.
# SUFFIX=__v3), keeping the older shapes that running cases may still have.
histories: $(STAMP)
	DUNNING_RECORD_HISTORIES=1 DUNNING_HISTORY_SUFFIX=$(SUFFIX) \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -q tests/workflows

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
