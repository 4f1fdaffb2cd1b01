"""docker/standins.py: which images the stack needs, and the rule "the real image wins".

The rule is checked against a real registry: Debian's ``docker-registry`` (the CNCF
distribution server) on a free loopback port, which the engine may use without TLS. An image
pushed there plays the official image; a labelled image under the same tag plays a stand-in
left from an offline run. Needs the engine and ``docker-registry``: ``make docker``.
"""

from __future__ import annotations

import importlib.util
import io
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker" / "docker-compose.yaml"

pytestmark = [pytest.mark.e2e, pytest.mark.docker]


def _load_standins() -> ModuleType:
    spec = importlib.util.spec_from_file_location("standins", REPO_ROOT / "docker" / "standins.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["standins"] = module
    spec.loader.exec_module(module)
    return module


standins = _load_standins()


def docker(*args: str, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["docker", *args], input=stdin, capture_output=True, timeout=timeout, check=False)


def tiny_image(tag: str, content: str, *changes: str) -> None:
    """Import a one-file image (no base needed) as ``tag``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = content.encode()
        member = tarfile.TarInfo("content.txt")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    flags = [item for change in changes for item in ("--change", change)]
    result = docker("import", *flags, "-", tag, stdin=buffer.getvalue())
    assert result.returncode == 0, result.stderr.decode()


# --- no engine needed --------------------------------------------------------------------------


def test_the_stack_needs_the_python_base_then_the_pulled_images() -> None:
    # the runtime is built, so its FROM image comes first; specledger-runtime itself is not pulled
    assert standins.stack_images(COMPOSE_FILE) == [
        "python:3.11.14-slim-bookworm",
        "postgres:15.18-bookworm",
        "bugsink/bugsink:2.6.2",
    ]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("postgres:15.18-bookworm", "postgres"),
        ("docker.io/library/python:3.11", "python"),
        ("bugsink/bugsink:2.6.2", "bugsink/bugsink"),
        ("127.0.0.1:5000/bugsink/bugsink:2", "127.0.0.1:5000/bugsink/bugsink"),
        ("postgres@sha256:abc", "postgres"),
    ],
)
def test_repository_drops_tag_and_default_registry(tag: str, expected: str) -> None:
    assert standins.repository(tag) == expected


def test_every_stack_image_has_a_recipe() -> None:
    for tag in standins.stack_images(COMPOSE_FILE):
        assert standins.repository(tag) in standins.RECIPES_BY_REPOSITORY, tag


# --- against the engine and a real registry -----------------------------------------------------


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private registry on a free loopback port; yields its ``host:port``."""
    if docker("version").returncode != 0:
        pytest.fail("a Docker engine is required here: run `make docker`", pytrace=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = tmp_path_factory.mktemp("registry")
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: error\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    try:
        server = subprocess.Popen(
            ["docker-registry", "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    except FileNotFoundError:
        pytest.fail("docker-registry (Debian package) is required here: run `make docker`", pytrace=False)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError("the registry did not start") from None
                time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def tag(registry: str) -> Iterator[str]:
    name = f"{registry}/specledger-test/image:{uuid.uuid4().hex[:8]}"
    yield name
    docker("rmi", "--force", name)


def test_a_pullable_official_image_replaces_a_stand_in(tag: str) -> None:
    tiny_image(tag, "official")
    pushed = docker("push", tag)
    assert pushed.returncode == 0, pushed.stderr.decode()
    official_id = docker("image", "inspect", "--format", "{{.Id}}", tag).stdout.decode().strip()
    docker("rmi", "--force", tag)
    tiny_image(tag, "stand-in", f"LABEL {standins.LABEL}=true")
    assert (standins.labels(tag) or {}).get(standins.LABEL) == "true"

    assert standins.ensure(tag, 60, offline=False) == "official"
    assert standins.LABEL not in (standins.labels(tag) or {})
    assert docker("image", "inspect", "--format", "{{.Id}}", tag).stdout.decode().strip() == official_id


def test_an_unpullable_tag_keeps_what_is_there(tag: str) -> None:
    # nothing pushed: the registry answers "unknown manifest", so the local image is kept as is
    tiny_image(tag, "local official")
    assert standins.ensure(tag, 60, offline=False) == "official"
    docker("rmi", "--force", tag)
    # a stand-in with no recipe for its repository cannot be rebuilt: a clear error, not a guess
    tiny_image(tag, "stand-in", f"LABEL {standins.LABEL}=true")
    with pytest.raises(standins.StandinError, match="no stand-in recipe"):
        standins.ensure(tag, 60, offline=False)


def test_a_stand_in_is_reused_while_its_recipe_is_unchanged() -> None:
    if docker("version").returncode != 0:
        pytest.fail("a Docker engine is required here: run `make docker`", pytrace=False)
    for image in standins.stack_images(COMPOSE_FILE):
        labels = standins.labels(image)
        assert labels is not None, f"{image} is missing: run `make docker`"
        if labels.get(standins.LABEL) != "true":
            continue  # the official image was pulled
        recipe = standins.RECIPES_BY_REPOSITORY[standins.repository(image)]
        assert labels[f"{standins.LABEL}.for"] == image
        assert labels[f"{standins.LABEL}.recipe"] == recipe.digest()
        before = docker("image", "inspect", "--format", "{{.Id}}", image).stdout
        assert standins.ensure(image, 60, offline=True) == "stand-in"
        assert docker("image", "inspect", "--format", "{{.Id}}", image).stdout == before


def test_the_postgres_image_follows_the_official_interface() -> None:
    """POSTGRES_* on first start; network logins need the password; no password, no start."""
    if docker("version").returncode != 0:
        pytest.fail("a Docker engine is required here: run `make docker`", pytrace=False)
    image = "postgres:15.18-bookworm"
    name = f"specledger-pg-{uuid.uuid4().hex[:8]}"
    network = f"{name}-net"
    assert docker("network", "create", network).returncode == 0
    try:
        refused = docker("run", "--name", f"{name}-no-password", image)
        assert refused.returncode != 0
        assert b"POSTGRES_PASSWORD" in refused.stderr
        started = docker(
            "run", "--detach", "--name", name, "--network", network,
            "--env", "POSTGRES_DB=appdb", "--env", "POSTGRES_USER=appuser", "--env", "POSTGRES_PASSWORD=right-pw",
            image,
        )
        assert started.returncode == 0, started.stderr.decode()
        deadline = time.monotonic() + 60
        while docker("exec", name, "pg_isready", "--host=127.0.0.1", "--username=appuser", "--dbname=appdb").returncode:
            assert time.monotonic() < deadline, docker("logs", name).stderr.decode()
            time.sleep(0.5)

        def login(password: str) -> subprocess.CompletedProcess[bytes]:
            # from another container, over the network, as a client of the service would
            return docker(
                "run", "--rm", "--network", network, "--env", f"PGPASSWORD={password}", image,
                "psql", f"--host={name}", "--username=appuser", "--dbname=appdb", "--tuples-only",
                "--command=SELECT current_database(), current_user",
            )

        good = login("right-pw")
        assert good.returncode == 0, good.stderr.decode()
        assert [cell.strip() for cell in good.stdout.decode().split("|")] == ["appdb", "appuser"]
        bad = login("wrong-pw")
        assert bad.returncode != 0
        assert b"password authentication failed" in bad.stderr
        data_dir = docker("exec", name, "sh", "-c", "echo $PGDATA; ls $PGDATA/PG_VERSION; id -u postgres")
        pgdata = "/var/lib/postgresql/data"
        assert data_dir.stdout.decode().split() == [pgdata, f"{pgdata}/PG_VERSION", "999"]
    finally:
        for container in (name, f"{name}-no-password"):
            docker("rm", "--force", "--volumes", container)
        docker("network", "rm", network)
