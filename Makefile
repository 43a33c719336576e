# Two entry points (the README's quick start): `make demo` and `make test`.
# Both create .venv on first use and install the project into it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/modelctl: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The Amazon States Language validator the pipeline tests run the shipped definitions through (npm, ~8 MB).
ASL_VALIDATOR := .ci/node/node_modules/.bin/asl-validator
$(ASL_VALIDATOR):
	npm install --silent --prefix .ci/node --no-audit --no-fund asl-validator@4.0.0

.PHONY: install demo test lint unit
install: $(BIN)/modelctl

demo: install
	$(BIN)/modelctl demo

# The suite runs on one worker per core (pytest-xdist); a test file stays on one worker, in order, with its own
# embedded emulator. `pytest` alone runs it serially.
test: install $(ASL_VALIDATOR)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n auto --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The fast pure tests only (tests/unit, marker `unit`): seconds, no emulator.
unit: install $(ASL_VALIDATOR)
	$(BIN)/pytest -m unit tests/unit
