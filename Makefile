# treatywatch: `make run` and `make test` do all set-up on a fresh machine (Python >= 3.11).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Keep Prefect's ephemeral-API state beside the data, quiet and offline-friendly.
export PREFECT_HOME ?= $(CURDIR)/data/prefect
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 90

.PHONY: install run serve check test chaos eval bench bench-ingest bench-report clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,dask,lint]'
	@touch $(STAMP)

run: install
	$(BIN)/treatywatch run

# The monitor flow on config/schedules.yaml until Ctrl-C (starts a local Prefect server if
# PREFECT_API_URL is unset; UI at http://127.0.0.1:4200).
serve: install
	$(BIN)/treatywatch serve

check: install
	$(BIN)/treatywatch check

test: install
	$(BIN)/python -m pytest -q

# Formatting, lint rules and types over the code (CI runs this before the tests).
lint: install
	$(BIN)/ruff format --check flows parsers tests bench
	$(BIN)/ruff check flows parsers tests bench
	$(BIN)/mypy

# Only the slow, process-level reliability tests (real `treatywatch run` subprocesses, signals,
# a small tmpfs for disk-full / read-only); `make test` runs them too.
chaos: install
	$(BIN)/python -m pytest -q -m slow tests/reliability

# Extractor quality on every labelled set: dev and dev-b (../shared/eval, when beside the repo),
# our blind batches (bench/corpus), and analysts' feedback with FEEDBACK=export.jsonl. Never part
# of `make test`. `bench/eval_dev.py` adds per-confidence calibration for one set.
eval: install
	$(BIN)/python bench/eval_all.py $(if $(FEEDBACK),--feedback $(FEEDBACK))

# Every bench (extract, ingest, prefect overhead + floors, 0 vs 1M stored items, Dask backlog) in
# one run, one table (bench/bench_all.py; full outputs in bench/out/). Single benches: bench-ingest, or
# $(BIN)/python bench/bench_extract.py etc.
bench: install
	$(BIN)/python bench/bench_all.py

# 500 local feeds through the real monitor flow: cold items/s, warm (all 304) seconds, feedparser floor.
bench-ingest: install
	$(BIN)/python bench/bench_ingest.py

# `treatywatch report` on 10,000 clusters: seconds (median of 3, min/max) and file size; must be <= 5 s, <= 5 MB.
bench-report: install
	$(BIN)/python bench/bench_report.py

clean:
	rm -rf $(VENV) data/prefect .pytest_cache
