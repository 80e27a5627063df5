# The two commands a newcomer needs: `make demo` and `make test`. Each builds the virtualenv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
DEMO_ARGS ?=  # e.g. --history: 20 more projects with six months of daily snapshots
PYTEST_WORKERS ?= auto  # pytest-xdist processes; 0 runs the suite in this one process

.PHONY: demo test lint bench fuzz run clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)  ## seed the demo organisation and open the web console on http://127.0.0.1:8080/console
	$(BIN)/pmsbot demo $(DEMO_ARGS)

run: $(STAMP)
	$(BIN)/pmsbot run

test: $(STAMP)  ## lint, type-check, check the import layers and run every test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fuzz: $(STAMP)  ## 15,000 hostile requests at each of the seven fuzzed entry points (105,000 in all): no 5xx, no error
	PMSBOT_FUZZ_EXAMPLES=$${PMSBOT_FUZZ_EXAMPLES:-15000} $(BIN)/python -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider \
		tests/test_fuzz.py tests/test_fuzz_hooks.py --timeout 3600

BENCH_ARGS ?=  # e.g. --quick (a smoke run), --only clock slack, --postgres URL (a database it may wipe)

bench: $(STAMP)  ## issue 21's table: every benchmark in its own process, one table printed and in bench-results.json
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache pmsbot-demo.db* pmsbot.db*
