# Two entry points (the README's quick start): `make demo` and `make test`.
# Both create .venv on first use and install into it exactly what requirements/dev.txt locks (versions and hashes);
# `make lock` refreshes the locks, `make test-latest` tries the newest releases in a throwaway environment.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet

# Every dependency from the lock with its hash (--require-hashes, --no-deps: nothing unlocked slips in), then modelctl
# itself, editable, built by the locked setuptools (--no-build-isolation: no unpinned build backend is fetched).
$(BIN)/modelctl: pyproject.toml requirements/dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# The Amazon States Language validator the pipeline tests run the shipped definitions through (npm, ~8 MB), from
# .ci/node/package-lock.json (versions and integrity hashes).
ASL_VALIDATOR := .ci/node/node_modules/.bin/asl-validator
$(ASL_VALIDATOR): .ci/node/package-lock.json
	npm ci --silent --prefix .ci/node --no-audit --no-fund
	touch $@

.PHONY: install demo test unit lint lock test-latest
install: $(BIN)/modelctl

demo: install
	$(BIN)/modelctl demo

# The suite runs on one worker per core (pytest-xdist); a test file stays on one worker, in order, with its own
# embedded emulator. `pytest` alone runs it serially.
test: lint $(ASL_VALIDATOR)
	$(BIN)/pytest -n auto --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The fast pure tests only (tests/unit, marker `unit`): seconds, no emulator.
unit: install $(ASL_VALIDATOR)
	$(BIN)/pytest -m unit tests/unit

# Refresh the locks from pyproject.toml's ranges (newest releases inside them): the dev/test lock, and the Lambda's
# runtime lock resolved to the same versions (constrained by the dev lock).
lock: install
	$(BIN)/uv pip compile pyproject.toml requirements/build.in --extra dev $(LOCK_FLAGS) --upgrade -o requirements/dev.txt
	$(BIN)/uv pip compile requirements/lambda.in -c requirements/dev.txt $(LOCK_FLAGS) -o requirements/lambda.txt
	cd .ci/node && npm install --silent --no-audit --no-fund --package-lock-only

# The suite against the newest release of every dependency, pyproject's upper bounds (moto's) lifted, in a throwaway
# virtual environment: tells whether the bounds can move. Prints what differs from the lock; never touches .venv.
# package names as PEP 503 compares them (lower case, runs of -_. as one -), versions untouched
NORMALISE := sed -E 's/^[^=]+/\L&/; :a; s/^([^=]*)[_.]+/\1-/; ta' | sort
LATEST := $(shell mktemp -d -u /tmp/modelctl-latest.XXXXXX)
test-latest: $(ASL_VALIDATOR)
	$(PY) -m venv $(LATEST)
	$(LATEST)/bin/pip install --quiet --disable-pip-version-check --upgrade pip
	$(LATEST)/bin/pip install --quiet --disable-pip-version-check --upgrade --upgrade-strategy eager -e '.[dev]'
	$(LATEST)/bin/pip install --quiet --disable-pip-version-check --upgrade 'moto[server,stepfunctions]'
	@echo "newer than requirements/dev.txt:"
	@grep -oE '^[A-Za-z0-9_.-]+==[^ ]+' requirements/dev.txt | $(NORMALISE) > $(LATEST)/locked.txt
	@$(LATEST)/bin/pip freeze --exclude-editable | $(NORMALISE) | comm -13 $(LATEST)/locked.txt - | sed 's/^/  /'
	MODELCTL_ALLOW_UNSUPPORTED_MOTO=1 $(LATEST)/bin/pytest -n auto --dist loadfile; status=$$?; rm -rf $(LATEST); exit $$status
