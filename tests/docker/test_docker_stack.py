"""docker/docker-compose.yaml built and run in a real Docker engine, end to end.

Needs a Docker engine on the standard socket and the stack's images (official where a registry
answers, local stand-ins otherwise): ``make docker`` provides both, and ``make test`` runs it
first. Without them the test fails and says so; it never skips, so CI cannot go green without
having run it. To leave it out on a machine without Docker:
``pytest --deselect tests/docker/test_docker_stack.py`` (or ``-m "not e2e"``, which also leaves
out the other tests that start a real Bugsink).

The compose file runs unmodified, under a project name of its own and on free host ports, so it
cannot collide with a stack started by ``make docker-up`` or by another test run. The runtime
image is really built from docker/Dockerfile (``up --build``).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from stack.compose import random_secrets, run_compose, write_env_file

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker" / "docker-compose.yaml"
REQUIREMENTS = REPO_ROOT / "docker" / "requirements.txt"
STANDIN_LABEL = "org.specledger.standin"
# The order docker/docker-compose.yaml's depends_on conditions impose.
HEALTH_ORDER = ("bugsink_db", "bugsink", "bugsink_provision", "runtime")

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.docker]


def docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The plain docker client (the engine on the standard socket)."""
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Stack:
    """One compose project of docker/docker-compose.yaml, with its own name, env and ports."""

    project: str
    env_file: Path
    bugsink_port: int
    runtime_port: int
    started: float = 0.0

    def compose(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """``docker compose -p <project> -f docker/docker-compose.yaml --env-file ... <args>``."""
        return run_compose(
            ["-p", self.project, "-f", str(COMPOSE_FILE), "--env-file", str(self.env_file), *args],
            timeout=timeout,
        )

    def container(self, service: str) -> dict[str, Any]:
        """``docker inspect`` of the service's (only) container, stopped ones included."""
        ids = self.compose("ps", "--all", "--quiet", service).stdout.split()
        assert len(ids) == 1, f"{service}: expected one container, found {ids}"
        inspected: list[dict[str, Any]] = json.loads(docker("inspect", ids[0]).stdout)
        return inspected[0]

    def leftovers(self) -> dict[str, list[str]]:
        """Containers, networks and volumes of this project still known to the engine."""
        label = f"label=com.docker.compose.project={self.project}"
        found = {
            "containers": docker("ps", "--all", "--quiet", "--filter", label).stdout.split(),
            "networks": docker("network", "ls", "--quiet", "--filter", label).stdout.split(),
            "volumes": docker("volume", "ls", "--quiet", "--filter", label).stdout.split(),
        }
        # Also by name, in case something was created without Compose's labels.
        found["named volumes"] = [
            name for name in docker("volume", "ls", "--format", "{{.Name}}").stdout.split()
            if name.startswith(f"{self.project}_")
        ]
        found["named networks"] = [
            name for name in docker("network", "ls", "--format", "{{.Name}}").stdout.split()
            if name.startswith(f"{self.project}_")
        ]
        return {kind: items for kind, items in found.items() if items}


@pytest.fixture(scope="module")
def engine() -> None:
    """A Docker engine answering on the standard socket, or a failure naming ``make docker``."""
    try:
        answer = docker("version", "--format", "{{.Server.Version}}", timeout=20)
    except (FileNotFoundError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"a Docker engine is required here ({exc}): run `make docker`", pytrace=False)
    if answer.returncode != 0:
        pytest.fail(
            f"a Docker engine is required here: run `make docker` ({answer.stderr.strip()})",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def stack(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack, up and healthy (``up --build --wait``); always taken down with its volumes."""
    bugsink_port, runtime_port = free_port(), free_port()
    while runtime_port == bugsink_port:
        runtime_port = free_port()
    values = {
        **random_secrets(),
        "BUGSINK_PORT": str(bugsink_port),
        "RUNTIME_PORT": str(runtime_port),
        "BUGSINK_BASE_URL": f"http://127.0.0.1:{bugsink_port}",
        # The test routes are off by default in production; this stack exists to use them.
        "SENTRY_TEST_ROUTES": "on",
    }
    env_file = write_env_file(tmp_path_factory.mktemp("docker-stack") / "stack.env", values)
    created = Stack(f"specledger-e2e-{uuid.uuid4().hex[:10]}", env_file, bugsink_port, runtime_port)
    missing = [
        image
        for image in created.compose("config", "--images").stdout.split()
        if image != "specledger-runtime:0.1.0" and docker("image", "inspect", image).returncode != 0
    ]
    if missing:
        pytest.fail(f"images missing: {', '.join(missing)}: run `make docker`", pytrace=False)
    created.started = time.time()
    try:
        up = created.compose("up", "--build", "--wait", "--wait-timeout", "600", timeout=900)
        assert up.returncode == 0, f"up failed:\n{up.stderr[-4000:]}\n{created.compose('logs').stdout[-4000:]}"
        yield created
    finally:
        created.compose("down", "--volumes", "--remove-orphans", timeout=300)


def events_since(stack: Stack) -> list[dict[str, Any]]:
    """The engine's container events for this project since ``up`` began, oldest first."""
    result = docker(
        "events",
        "--since", f"{stack.started - 1:.0f}",
        "--until", f"{time.time():.0f}",
        "--filter", f"label=com.docker.compose.project={stack.project}",
        "--filter", "type=container",
        "--format", "{{json .}}",
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def api(stack: Stack, token: str, path: str) -> Any:
    """GET Bugsink's canonical API through the host port the stack publishes."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{stack.bugsink_port}/api/canonical/0/{path}",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def wait_for(what: str, probe: Any, timeout: float = 120) -> Any:
    """Call ``probe`` until it returns something truthy (errors count as not yet)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            value = probe()
        except (OSError, ValueError) as exc:
            value, last = None, exc
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"{what}: not within {timeout:.0f} s (last error: {last})")


def locked_pins() -> dict[str, str]:
    """docker/requirements.txt's pins that apply on Linux/CPython 3.11, as {name: version}."""
    pins: dict[str, str] = {}
    for raw in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip().rstrip("\\").strip()
        if not line or line.startswith("--"):
            continue
        requirement = Requirement(line)
        environment = {"sys_platform": "linux", "platform_system": "Linux", "python_version": "3.11"}
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        (specifier,) = requirement.specifier
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


@pytest.mark.scenario("error-tracking", "Fresh stack")
@pytest.mark.scenario("error-tracking", "Start order")
@pytest.mark.scenario("error-tracking", "Runtime reports to the containerised Bugsink")
def test_stack_runs_end_to_end(stack: Stack) -> None:
    # --- what runs: print it, so a log says whether official images or stand-ins were used
    for service in HEALTH_ORDER:
        image = stack.container(service)["Config"]["Image"]
        labels = json.loads(docker("image", "inspect", "--format", "{{json .Config.Labels}}", image).stdout) or {}
        # A built image inherits its base's labels: `...standin.for` names the image stood in for.
        standin = labels.get(f"{STANDIN_LABEL}.for") if labels.get(STANDIN_LABEL) == "true" else None
        print(f"{service}: {image}" + (f" (stand-in for {standin})" if standin else " (no stand-in)"))

    # --- health order: each service started only after the one it depends on was healthy (or,
    # for the one-shot provisioning, had exited 0)
    events = events_since(stack)

    def first(service: str, status: str) -> int:
        times = [
            int(event["timeNano"])
            for event in events
            if event["Actor"]["Attributes"].get("com.docker.compose.service") == service
            and event["status"] == status
        ]
        assert times, f"{service}: no '{status}' event among {[(e['status']) for e in events]}"
        return min(times)

    assert first("bugsink_db", "health_status: healthy") < first("bugsink", "start")
    assert first("bugsink", "health_status: healthy") < first("bugsink_provision", "start")
    assert first("bugsink_provision", "die") < first("runtime", "start")
    assert first("runtime", "start") < first("runtime", "health_status: healthy")

    # --- the provisioning service exited 0
    provision = stack.container("bugsink_provision")["State"]
    assert (provision["Status"], provision["ExitCode"]) == ("exited", 0), provision

    # --- the runtime image was built from docker/Dockerfile, runs unprivileged, from the lock
    runtime = stack.container("runtime")
    assert runtime["Config"]["User"] == "app"
    uid = stack.compose("exec", "-T", "runtime", "id", "-u")
    assert uid.returncode == 0, uid.stderr
    assert uid.stdout.strip() not in ("", "0"), f"runtime runs as uid {uid.stdout.strip()}"
    freeze = stack.compose("exec", "-T", "runtime", "python", "-m", "pip", "freeze", "--all")
    assert freeze.returncode == 0, freeze.stderr
    installed = {
        canonicalize_name(name): version
        for name, _, version in (line.partition("==") for line in freeze.stdout.splitlines() if "==" in line)
    }
    # pip and setuptools come with the base image's Python, not from the lock
    for tool in ("pip", "setuptools", "wheel"):
        installed.pop(tool, None)
    assert installed == locked_pins()

    # --- an error raised in the runtime container reaches the containerised Bugsink
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"http://127.0.0.1:{stack.runtime_port}/test-error", timeout=10)
    raised.value.close()  # the error carries the open response
    assert raised.value.code == 500
    token_run = stack.compose("exec", "-T", "bugsink", "bugsink-manage", "create_auth_token")
    assert token_run.returncode == 0, token_run.stderr
    token = token_run.stdout.strip().splitlines()[-1]

    def stored_event() -> tuple[str, str] | None:
        issues = api(stack, token, "issues/?project=1")["results"]
        matching = [issue for issue in issues if "raised by /test-error" in issue["calculated_value"]]
        if not matching:
            return None
        found = api(stack, token, f"events/?issue={matching[0]['id']}")["results"]
        return (matching[0]["id"], found[0]["id"]) if found else None

    issue_id, event_id = wait_for("the test error in Bugsink", stored_event)
    event = api(stack, token, f"events/{event_id}/")
    assert event["issue"] == issue_id

    # --- the event survives a restart of every container (the data lives in named volumes)
    restarted = stack.compose("restart", timeout=300)
    assert restarted.returncode == 0, restarted.stderr
    assert wait_for("the event after the restart", stored_event, timeout=180) == (issue_id, event_id)

    # --- down -v leaves nothing of the project behind
    assert stack.leftovers(), "the stack should exist before down"
    down = stack.compose("down", "--volumes", "--remove-orphans", timeout=300)
    assert down.returncode == 0, down.stderr
    assert stack.leftovers() == {}
