# The two commands: `make run` and `make test`. Each bootstraps what it needs on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK := .stack
BUGSINK_VENV := $(STACK)/bugsink-venv
SHARED ?= ../shared

.PHONY: run test venv bugsink postgres tools check lint bench clean

# The project's own venv: the CLI, the runtime extra and the test tools.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[runtime,test]'
	touch $@

venv: $(BIN)/.installed

# Bugsink lives in its own venv: it pins many libraries and would switch on
# sentry-sdk's Django integration if it shared the app's environment.
$(BUGSINK_VENV)/.installed:
	$(PYTHON) -m venv $(BUGSINK_VENV)
	$(BUGSINK_VENV)/bin/pip install --quiet 'bugsink==2.6.*' 'psycopg[binary]>=3.2,<4'
	touch $@

bugsink: $(BUGSINK_VENV)/.installed

# PostgreSQL server binaries from Debian packages, for the PostgreSQL-backed Bugsink test.
postgres:
	bash stack/ensure-postgres.sh

# strace drives the archive fault-injection tests (Debian package, installed when missing).
tools:
	@command -v strace >/dev/null 2>&1 || { \
		echo "installing strace (Debian package) for the fault-injection tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace >/dev/null; }

# The repository's own gates: its specs and changes, and its generated files.
check: venv
	$(BIN)/spec validate --all --strict
	$(BIN)/spec generate --check

# The whole local stack in the foreground: Bugsink + the runtime, until Ctrl-C.
run: check bugsink
	$(BIN)/spec list
	$(BIN)/python -m stack.local

test: check bugsink postgres tools
	$(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check tooling runtime stack tests bench
	$(BIN)/mypy
	# the stack helpers and the runtime's own modules (the provisioning script runs in Bugsink's venv)
	$(BIN)/mypy --strict --ignore-missing-imports stack/bugsink.py stack/local.py stack/postgres.py \
		stack/compose.py runtime/settings.py runtime/scrubbing.py runtime/error_tracking.py

bench: venv
	$(BIN)/python bench/validate_speed.py
	$(BIN)/python bench/runtime_overhead.py

clean:
	rm -rf $(VENV) $(STACK)
