#!/usr/bin/env bash
# Make sure PostgreSQL's server binaries (Debian packages) are installed, for the tests that run
# Bugsink on PostgreSQL natively (the same design as docker/docker-compose.yaml).
#
# Idempotent and quiet: when /usr/lib/postgresql/<version>/bin/initdb exists it does nothing.
# Otherwise it installs Debian's `postgresql` package with apt-get (as root, or through
# password-less sudo). It never starts or configures a server: the tests create a throwaway
# cluster of their own (stack/postgres.py). Exit code 2 with a clear message when it cannot.
set -euo pipefail

# Overridable so the test suite can exercise the "missing" path without touching the system.
pg_lib_dir="${POSTGRES_LIB_DIR:-/usr/lib/postgresql}"

have_server() {
    compgen -G "$pg_lib_dir/*/bin/initdb" >/dev/null
}

fail() {
    echo "ensure-postgres: $*" >&2
    exit 2
}

if have_server; then
    exit 0
fi

command -v apt-get >/dev/null 2>&1 \
    || fail "PostgreSQL server binaries are missing and apt-get is not available; install the PostgreSQL server (initdb, pg_ctl, postgres) under $pg_lib_dir/<version>/bin."

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo_cmd=(sudo -n)
    else
        fail "PostgreSQL server binaries are missing; run 'apt-get install postgresql' as root (or allow password-less sudo) and retry."
    fi
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "ensure-postgres: installing Debian's postgresql package (one time)..." >&2
if ! { "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
       && "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends postgresql; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    fail "apt-get could not install postgresql (output above)."
fi

have_server || fail "postgresql was installed but no $pg_lib_dir/*/bin/initdb exists."
