"""End-to-end fixtures: one real Bugsink (SQLite) per session, runtimes started per test.

Everything listens on 127.0.0.1 on ports chosen at run time and is stopped at teardown.

Prerequisites (one policy for every test that needs PostgreSQL or Bugsink): when the server
binaries (``make postgres``) or Bugsink's venv (``make bugsink``) are missing, the test fails and
names the make target; it never skips, so a CI run cannot go green without them. To run the
suite on a machine without them, deselect those tests: ``pytest -m "not e2e and not postgres"``.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from e2e_support import PROJECTS, BugsinkHandle, Runtime, stop_runtimes, wait_health  # noqa: E402

from stack.bugsink import Bugsink, StackError, check_venv, free_port  # noqa: E402
from stack.local import serve_command  # noqa: E402


@pytest.fixture(scope="session")
def bugsink_bin() -> Path:
    """Bugsink's venv bin folder, or a test failure naming ``make bugsink``."""
    try:
        return check_venv()
    except StackError as exc:
        pytest.fail(f"Bugsink is required here: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def bugsink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BugsinkHandle]:
    """A real Bugsink on a free port with fixed keys and an API token."""
    try:
        check_venv()
    except StackError as exc:
        pytest.fail(str(exc), pytrace=False)
    server = Bugsink(tmp_path_factory.mktemp("bugsink"), free_port())
    token = secrets.token_hex(20)
    key = secrets.token_hex(16)
    try:
        server.configure()
        server.migrate()
        dsns = {}
        for concern, project_id in PROJECTS.items():
            # One key for all projects: a wrong-key test then needs a key none of them has.
            dsns[concern] = server.provision(
                key,
                project_id=project_id,
                project_name=f"e2e-{concern}",
                api_token=token if project_id == 1 else None,
            )
        server.start()
        server.wait_ready()
    except StackError as exc:
        server.stop()
        pytest.fail(f"could not start Bugsink: {exc}", pytrace=False)
    try:
        yield BugsinkHandle(server, server.api(token), dsns, key)
    finally:
        server.stop()


@pytest.fixture
def start_runtime(tmp_path: Path) -> Iterator[Callable[..., Runtime]]:
    """Factory: start the runtime with extra environment; every one started is stopped."""
    started: list[Runtime] = []

    def start(**env: str) -> Runtime:
        port = free_port()
        log_path = tmp_path / f"runtime-{port}.log"
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
        full_env.update(env)
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                serve_command(port, quiet=True),
                cwd=ROOT,
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        runtime = Runtime(port, process, log_path)
        started.append(runtime)
        wait_health(runtime)
        return runtime

    yield start
    stop_runtimes(started)
