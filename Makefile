# sesame: the command surface. `make help` lists the targets.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
# The bundled sample covers the 26 months up to this date (`make sample` rebuilds it).
SAMPLE_AS_OF := 2026-10-31
WAREHOUSE ?= warehouse

.DEFAULT_GOAL := help
.PHONY: help setup run demo-week test test-processes test-others check lint format lock docs update-golden sample bench bench-model fit clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --no-deps --require-hashes -r requirements.lock
	$(BIN)/python -m pip check
	$(PIP) install --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP) ## create .venv/ from the lock file and install sesame into it

run: setup ## run the nightly job on the bundled sample into warehouse/
	$(BIN)/sesame nightly --as-of $(SAMPLE_AS_OF) --warehouse $(WAREHOUSE)

# `make demo-week`: a week of nights as upstream delivers them. The exports are generated as they
# stood at the end of the first night, then grown by one night before each run (`sesame generate
# --next-day`: the night's new and corrected rows as new files); the week crosses a month-end
# (its reports) and a 1st (a full night). Into demo/ (outside git); the last briefing is opened.
DEMO ?= demo
DEMO_NIGHTS := 2026-10-27 2026-10-28 2026-10-29 2026-10-30 2026-10-31 2026-11-01 2026-11-02
demo-week: setup ## seven nightly runs on exports grown night by night (demo/), then the last briefing
	rm -rf $(DEMO)
	$(BIN)/sesame generate --out $(DEMO)/exports --users 3000 --months 26 --seed 7 \
		--end $(lastword $(DEMO_NIGHTS)) --as-of $(firstword $(DEMO_NIGHTS))
	@set -e; for night in $(DEMO_NIGHTS); do \
		if [ "$$night" != "$(firstword $(DEMO_NIGHTS))" ]; then \
			$(BIN)/sesame generate --out $(DEMO)/exports --next-day; fi; \
		$(BIN)/sesame nightly --input $(DEMO)/exports --warehouse $(DEMO)/warehouse --as-of $$night; \
	done
	@$(BIN)/python -c "import pathlib, sys, webbrowser; page = pathlib.Path(sys.argv[1]).resolve(); \
		print(f'the last briefing: {page}'); webbrowser.open(page.as_uri())" \
		$(DEMO)/warehouse/reports/$(lastword $(DEMO_NIGHTS))/index.html

# The suite runs as two pytest processes at once, each with its own Prefect harness and temporary
# directories: alone it keeps one of two cores busy (measured: 101% CPU, 18.5 min). The first group
# is the tests that run the real command as a process and stop or kill it, with the unit tests;
# the second everything else (a new test file lands there). The 60-night incremental test (about
# a minute) goes with the first, which keeps the two groups about even (measured on an idle
# machine: 4:52 and 6:13 without it). `make test-processes` or `make test-others` runs one group.
PROCESS_TESTS := tests/e2e/test_signals.py tests/e2e/test_run_safety.py tests/e2e/test_recovery.py \
	tests/e2e/test_disk_full.py tests/e2e/test_dask.py tests/e2e/test_fail_fast.py tests/unit \
	tests/sql/test_incremental.py
test: setup lint ## lint, then the whole test suite (two groups at once)
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-processes test-others

test-processes: setup
	$(BIN)/pytest -q $(PROCESS_TESTS)

test-others: setup
	$(BIN)/pytest -q tests $(addprefix --ignore=,$(PROCESS_TESTS))

check: setup lint ## the inner loop: lint, then the unit and SQL tests without Prefect (about 4 minutes)
	$(BIN)/pytest tests/unit tests/models tests/sql -m "not prefect" -q

lint: setup ## ruff, mypy and sqlfluff
	$(BIN)/ruff check sesame tests benchmarks
	$(BIN)/ruff format --check sesame tests benchmarks
	$(BIN)/mypy
	$(BIN)/sqlfluff lint sesame/sql --disable-progress-bar --nocolor

format: setup ## apply ruff's and sqlfluff's fixes
	$(BIN)/ruff check --fix sesame tests
	$(BIN)/ruff format sesame tests
	$(BIN)/sqlfluff fix sesame/sql --disable-progress-bar --nocolor

lock: setup ## re-resolve requirements.lock from pyproject.toml
	$(PIP) install uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra fit --python-version 3.11 --generate-hashes -o requirements.lock

docs: setup ## regenerate the README's scorecard, settings and warehouse tables from the code
	$(BIN)/python -m sesame.docs

update-golden: setup ## rewrite tests/golden/ from the sample (review the diff!)
	SESAME_UPDATE_GOLDEN=1 $(BIN)/pytest tests/e2e/test_golden.py

sample: setup ## regenerate sample_data/ (deterministic)
	rm -rf sample_data
	$(BIN)/sesame generate --out sample_data --users 3000 --months 26 --seed 7 --end $(SAMPLE_AS_OF)

bench: setup ## benchmark the nightly job against a bare DuckDB read (1M users; BENCH_ARGS="--users 200000" to shrink)
	$(BIN)/python -m benchmarks.run --prefect-server $(BENCH_ARGS)

bench-model: setup ## does the champion rank risk? Gini, oracle, bands, calibration, reasons on a held-out 50k population
	$(BIN)/python -m benchmarks.model_quality $(BENCH_MODEL_ARGS)

# `make fit`: the bundled champion card, refitted on a generated population (outside git).
# S2 + 12 months must not pass the latest staged bill's due date (bills fall due by the 28th,
# so 2025-09-30 is the latest month-end closed by the 2026-10-31 exports); the backfill starts a
# month before S1 so friends' published scores exist at S1. --contract-floor: see the README.
FIT_DATA ?= benchmarks/data/fit-50k
FIT_DEV ?= 2024-10-31
FIT_OOT ?= 2025-09-30
FIT_BACKFILL_START ?= 2024-09-30
FIT_ARGS ?=
fit: setup ## refit sesame/model/scorecard_v2.toml on a generated 50k population
	@test -d $(FIT_DATA)/users || $(BIN)/sesame generate --out $(FIT_DATA) --users 50000 --months 36 --seed 11 --end 2026-10-31
	$(BIN)/sesame backfill --start $(FIT_BACKFILL_START) --end $(FIT_OOT) --every month-end --input $(FIT_DATA) --warehouse $(FIT_DATA)/warehouse
	$(BIN)/sesame fit --dev $(FIT_DEV) --oot $(FIT_OOT) --warehouse $(FIT_DATA)/warehouse --out sesame/model/scorecard_v2.toml $(FIT_ARGS)

clean: ## remove the warehouse, demo/ and caches (keeps .venv/)
	rm -rf $(WAREHOUSE) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
