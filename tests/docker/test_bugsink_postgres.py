"""The compose stack's design, run natively: Bugsink on PostgreSQL, provisioned, receiving an event.

No Docker engine exists here, so this module runs what the containers would run:

* PostgreSQL: a throwaway cluster from Debian's packages on 127.0.0.1 (``stack/postgres.py``),
  with the role and database the ``bugsink_db`` service creates.
* Bugsink: the version the image is pinned to (``.stack/bugsink-venv``), configured by the
  image's own ``docker`` settings template from the environment that ``docker compose config``
  resolves for the ``bugsink`` service (``DATABASE_URL`` pointed at the cluster instead of the
  ``bugsink_db`` host), and started with the image's command chain under ``monofy``: deploy
  check, migrations, prestart (admin), gunicorn plus the snappea worker that digests events.
* Provisioning: ``stack/provision_bugsink.py``, the file the ``bugsink_provision`` service mounts,
  with that service's resolved environment.

Then an event goes through the provisioned DSN with sentry-sdk and is read back from Bugsink's
API and from PostgreSQL itself.

Prerequisites (one policy for every test that needs PostgreSQL or Bugsink): when the server
binaries (``make postgres``) or Bugsink's venv (``make bugsink``) are missing, the test fails and
names the make target; it never skips, so a CI run cannot go green without them. To run the
suite on a machine without them, deselect those tests: ``pytest -m "not e2e and not postgres"``.

Deviations from the container, each because two processes on one host must not collide:
gunicorn binds 127.0.0.1:<free port> instead of 0.0.0.0:8000, and the snappea queue database,
its wake-up folder and the ingest spool (fixed under /tmp by the image's settings, on the
``bugsink_queue`` volume in compose) move into this test's temporary folder.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from stack.bugsink import BugsinkAPI, free_port, start_timeout
from stack.compose import ComposeUnavailable, run_compose, write_env_file
from stack.postgres import PostgresCluster

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker" / "docker-compose.yaml"
PROVISION_SCRIPT = REPO_ROOT / "stack" / "provision_bugsink.py"
BUGSINK_VENV = REPO_ROOT / ".stack" / "bugsink-venv"
PROJECT_ID = 1


def _image_command(port: int) -> list[str]:
    """The bugsink image's CMD (its Dockerfile), bound to loopback on ``port``."""
    return [
        "monofy",
        "bugsink-show-version",
        "&&", "bugsink-manage", "check", "--deploy", "--fail-level", "WARNING",
        "&&", "bugsink-manage", "migrate", "snappea", "--database=snappea",
        "&&", "bugsink-manage", "migrate",
        "&&", "bugsink-manage", "prestart",
        "&&", "gunicorn", "--config", "gunicorn.docker.conf.py", f"--bind=127.0.0.1:{port}",
        "--access-logfile", "-", "bugsink.wsgi",
        "|||", "bugsink-runsnappea",
    ]  # fmt: skip


@dataclass
class NativeStack:
    """What the tests need to talk to the running stack."""

    cluster: PostgresCluster
    database: str
    home: Path
    base_url: str
    env: dict[str, str]
    provision_env: dict[str, str]
    project_key: str
    api_token: str
    dsn: str

    @property
    def api(self) -> BugsinkAPI:
        """Bugsink's REST API with the provisioned token."""
        return BugsinkAPI(self.base_url, self.api_token)


def _resolved_services(env_values: dict[str, str], tmp: Path) -> dict[str, Any]:
    """``docker compose config`` for these values: the environment each service would get."""
    try:
        env_file = write_env_file(tmp / "stack.env", env_values)
        result = run_compose(
            ["-f", str(COMPOSE_FILE), "--env-file", str(env_file), "config", "--format", "json"]
        )
    except ComposeUnavailable as exc:
        pytest.fail(str(exc))
    assert result.returncode == 0, result.stderr
    services: dict[str, Any] = json.loads(result.stdout)["services"]
    return services


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Bugsink's start-up chain exited with {process.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"{base_url}/health/ready", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail(f"Bugsink was not ready after {timeout:.0f}s:\n{_tail(log)}")


def _provision(stack_home: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BUGSINK_VENV / "bin" / "python"), str(PROVISION_SCRIPT)],
        cwd=stack_home,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def native_stack(
    tmp_path_factory: pytest.TempPathFactory, bugsink_venv: Path, postgres_server: Path
) -> Iterator[NativeStack]:
    """PostgreSQL + Bugsink (image command chain) + provisioning, all on 127.0.0.1; torn down."""
    if not (BUGSINK_VENV / "bin" / "monofy").exists():
        pytest.fail(f"Bugsink at {BUGSINK_VENV} has no monofy: run `make bugsink`", pytrace=False)

    tmp = tmp_path_factory.mktemp("bugsink-pg")
    home = tmp / "bugsink"
    home.mkdir()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    project_key = uuid.uuid4().hex
    api_token = secrets.token_hex(20)
    values = {
        "BUGSINK_SECRET_KEY": secrets.token_urlsafe(50),
        "BUGSINK_ADMIN_EMAIL": "admin@example.org",
        "BUGSINK_ADMIN_PASSWORD": secrets.token_urlsafe(16),
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "BUGSINK_PROJECT_KEY": project_key,
        "BUGSINK_PROJECT_ID": str(PROJECT_ID),
        "BUGSINK_BASE_URL": base_url,
    }
    services = _resolved_services(values, tmp)

    cluster = PostgresCluster.start()
    process: subprocess.Popen[bytes] | None = None
    try:
        db_env = services["bugsink_db"]["environment"]
        local_url = cluster.create_database(
            db_env["POSTGRES_DB"],
            owner=db_env["POSTGRES_USER"],
            password=db_env["POSTGRES_PASSWORD"],
        )

        def natively(service_env: dict[str, str]) -> dict[str, str]:
            # Same settings as the container; only the database's address differs (the
            # bugsink_db service name does not resolve here).
            compose_url = urlsplit(service_env["DATABASE_URL"])
            assert compose_url.hostname == "bugsink_db"
            assert (
                compose_url._replace(netloc="").geturl()
                == urlsplit(local_url)._replace(netloc="").geturl()
            )
            local = urlsplit(local_url)
            env = {
                "PATH": f"{BUGSINK_VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
                "HOME": str(home),
                "LANG": "C.UTF-8",
                **service_env,
                "DATABASE_URL": urlunsplit(compose_url._replace(netloc=local.netloc)),
            }
            return env

        env = natively(services["bugsink"]["environment"])
        provision_env = natively(services["bugsink_provision"]["environment"])
        # Test-only addition: a fixed API token to read the stored event back with.
        provision_env["BUGSINK_API_TOKEN"] = api_token

        # What the image does at build time: the docker template as bugsink_conf.py, and the
        # gunicorn config beside it. The appended lines are this test's only deviation.
        subprocess.run(
            [str(BUGSINK_VENV / "bin" / "bugsink-create-conf"), "--template=docker",
             "--output-file=bugsink_conf.py"],
            cwd=home, env=env, check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        with (home / "bugsink_conf.py").open("a") as conf:
            conf.write(
                "\n# tests/docker: keep the queue and the ingest spool out of the shared /tmp.\n"
                f'DATABASES["snappea"]["NAME"] = {str(home / "snappea.sqlite3")!r}\n'
                f'SNAPPEA["WAKEUP_CALLS_DIR"] = {str(home / "snappea.wakeup")!r}\n'
                f'BUGSINK["INGEST_STORE_BASE_DIR"] = {str(home / "ingestion")!r}\n'
            )
        gunicorn_conf = next(
            BUGSINK_VENV.glob("lib/python*/site-packages/bugsink/gunicorn.docker.conf.py")
        )
        (home / "gunicorn.docker.conf.py").write_text(gunicorn_conf.read_text())

        log = home / "bugsink.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                _image_command(port),
                cwd=home,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so teardown stops all of it
            )
        _wait_ready(base_url, process, log, timeout=start_timeout())

        provisioned = _provision(home, provision_env)
        assert provisioned.returncode == 0, provisioned.stderr
        dsn = provisioned.stdout.strip().splitlines()[-1]

        yield NativeStack(
            cluster=cluster,
            database=db_env["POSTGRES_DB"],
            home=home,
            base_url=base_url,
            env=env,
            provision_env=provision_env,
            project_key=project_key,
            api_token=api_token,
            dsn=dsn,
        )
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        cluster.stop()


def test_provisioned_dsn_is_the_one_configured(native_stack: NativeStack) -> None:
    dsn = urlsplit(native_stack.dsn)
    base = urlsplit(native_stack.base_url)
    assert dsn.username == native_stack.project_key
    assert (dsn.hostname, dsn.port) == (base.hostname, base.port)
    assert dsn.path == f"/{PROJECT_ID}"


def _send_and_read_back(native_stack: NativeStack, dsn: str, *proxy: str) -> dict[str, Any]:
    """Send one exception through ``dsn`` with sentry-sdk; return the event Bugsink stored."""
    marker = f"compose-design check {uuid.uuid4().hex}"
    # A separate interpreter (the project's .venv): sentry-sdk's global state stays out of pytest.
    sender = subprocess.run(
        [sys.executable, "-c", _SEND_EVENT, dsn, marker, *proxy],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert sender.returncode == 0, sender.stderr
    event_id = sender.stdout.strip()

    stored = None
    deadline = time.monotonic() + 60
    while stored is None and time.monotonic() < deadline:
        # Digestion happens on the snappea worker, so the event shows up a little later.
        stored = native_stack.api.lookup(PROJECT_ID, event_id)
        if stored is None:
            time.sleep(0.2)
    assert stored is not None, f"event {event_id} never appeared; SDK log:\n{sender.stderr[-3000:]}"
    (exception,) = stored["data"]["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", marker)
    assert stored["event_id"].replace("-", "") == event_id
    return stored


def test_bugsink_stores_an_event_sent_through_the_provisioned_dsn(
    native_stack: NativeStack,
) -> None:
    stored = _send_and_read_back(native_stack, native_stack.dsn)
    # And it is PostgreSQL that holds it.
    rows = native_stack.cluster.psql(
        f"SELECT count(*) FROM events_event WHERE event_id = '{uuid.UUID(stored['event_id'])}'",
        database=native_stack.database,
    )
    assert rows == "1"


def test_bugsink_accepts_the_runtime_dsn_of_the_compose_file(native_stack: NativeStack) -> None:
    """The runtime's DSN in compose names the service (``bugsink:8000``), which does not resolve
    here; sending through Bugsink as an HTTP proxy keeps that exact URL and Host header."""
    compose_dsn = f"http://{native_stack.project_key}@bugsink:8000/{PROJECT_ID}"
    _send_and_read_back(native_stack, compose_dsn, native_stack.base_url)


_SEND_EVENT = """
import sys
import sentry_sdk

dsn, marker = sys.argv[1], sys.argv[2]
proxy = sys.argv[3] if len(sys.argv) > 3 else None
sentry_sdk.init(dsn=dsn, default_integrations=False, debug=True, http_proxy=proxy)
try:
    raise RuntimeError(marker)
except RuntimeError as exc:
    event_id = sentry_sdk.capture_exception(exc)
sentry_sdk.flush(timeout=20)
print(event_id)
"""


@pytest.mark.scenario("error-tracking", "Restart")
def test_provisioning_is_idempotent(native_stack: NativeStack) -> None:
    again = _provision(native_stack.home, native_stack.provision_env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == native_stack.dsn
    assert "exists" in again.stderr


def test_project_id_sequence_is_advanced_past_the_explicit_id(native_stack: NativeStack) -> None:
    """A project created afterwards through the API gets the next id instead of a key clash."""
    headers = {"Authorization": f"Bearer {native_stack.api_token}"}
    api = f"{native_stack.base_url}/api/canonical/0"
    teams = httpx.get(f"{api}/teams/", headers=headers, timeout=10)
    assert teams.status_code == 200, teams.text
    team_id = teams.json()["results"][0]["id"]
    created = httpx.post(
        f"{api}/projects/", headers=headers, json={"team": team_id, "name": "second"}, timeout=10
    )
    assert created.status_code == 201, created.text
    assert int(created.json()["id"]) == PROJECT_ID + 1


@pytest.mark.parametrize(("host", "allowed"), [("bugsink:8000", True), ("intruder:8000", False)])
def test_the_compose_dsn_host_is_allowed(
    native_stack: NativeStack, host: str, allowed: bool
) -> None:
    """The runtime's DSN says ``bugsink:8000``: Bugsink accepts that Host header, not others."""
    reply = httpx.get(
        f"{native_stack.base_url}/api/canonical/0/projects/{PROJECT_ID}/",
        headers={"Authorization": f"Bearer {native_stack.api_token}", "Host": host},
        timeout=10,
    )
    assert (reply.status_code == 200) is allowed, (reply.status_code, reply.text[:200])
    if not allowed:
        assert reply.status_code == 400
