"""``make run`` itself: ``python -m stack.local`` brought up twice, each time stopped by Ctrl-C.

The real Bugsink (``.stack/bugsink-venv``) and the real runtime, on free ports, with the stack's
state in this test's own folder (``STACK_STATE_DIR``) so a developer's ``.stack/local`` is never
touched. Checked: the first run configures, provisions and starts everything, and both test
errors are stored in Bugsink (read back through its API); the second run reuses the admin, the
project key, the API token and the database; Ctrl-C (SIGINT to the foreground process group, as a
terminal sends it) ends the run with exit 0 and leaves no process of the stack behind.

Prerequisites (the policy of every test that needs Bugsink): without Bugsink's venv the test
fails and names ``make bugsink``; it never skips. Deselect it with ``pytest -m "not e2e"``.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stack.bugsink import BugsinkAPI, StackError, check_venv, free_port, port_in_use, start_timeout  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECRETS = ("admin-password", "project-key", "api-token")


def _process_table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, start time) for every process, from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(entry)] = (int(fields[1]), fields[19])  # ppid, starttime
    return table


def _descendants(pid: int) -> set[tuple[int, str]]:
    """(pid, start time) of every process below ``pid``; the start time tells a reused pid apart."""
    table = _process_table()
    found: set[tuple[int, str]] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, started) in table.items():
            if ppid == parent and (child, started) not in found:
                found.add((child, started))
                frontier.append(child)
    return found


def _alive(processes: set[tuple[int, str]]) -> list[int]:
    """The processes among ``processes`` that still run (zombies count as gone)."""
    alive = []
    for pid, started in processes:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[19] == started and fields[0] != "Z":
            alive.append(pid)
    return alive


@dataclass
class StackRun:
    """One ``python -m stack.local`` in its own process group, its output read line by line."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    @classmethod
    def start(cls, state: Path, bugsink_port: int, runtime_port: int) -> StackRun:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
        env.update(BUGSINK_PORT=str(bugsink_port), RUNTIME_PORT=str(runtime_port),
                   STACK_STATE_DIR=str(state), PYTHONUNBUFFERED="1")
        process = subprocess.Popen(
            [sys.executable, "-m", "stack.local"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,  # its own process group, like a job in a terminal
        )
        run = cls(process)
        threading.Thread(target=run._pump, daemon=True).start()
        return run

    def _pump(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:
            for line in self.process.stdout:
                self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, text: str, timeout: float) -> None:
        """Read output until a line contains ``text``; fail with the output so far otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
            if text in line:
                return
        self.process.poll()
        raise AssertionError(f"no {text!r} (exit {self.process.returncode}); output:\n" + self.output)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def interrupt(self, timeout: float) -> int:
        """Ctrl-C: SIGINT to the whole foreground group; return the exit code."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            code = self.process.wait(timeout)
        finally:
            self.drain()
        return code

    def drain(self) -> None:
        while True:
            try:
                line = self._queue.get(timeout=2)
            except queue.Empty:
                return
            if line is None:
                return
            self.lines.append(line)

    def kill(self) -> None:
        """Teardown after a failure: nothing of the stack may outlive the test."""
        leftovers = _descendants(self.process.pid)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        for pid, _ in leftovers:
            with contextlib.suppress(OSError):  # gunicorn and granian lead groups of their own
                os.killpg(pid, signal.SIGKILL)


@pytest.fixture
def stack_runs() -> Iterator[list[StackRun]]:
    """Every run started by the test; killed at teardown if a failure left one going."""
    try:
        check_venv()
    except StackError as exc:
        pytest.fail(f"Bugsink is required here: {exc}", pytrace=False)
    runs: list[StackRun] = []
    yield runs
    for run in runs:
        run.kill()


def _up_and_interrupted(
    runs: list[StackRun], state: Path, bugsink_port: int, runtime_port: int
) -> tuple[StackRun, int]:
    """Start the stack, wait until it says it is up, check its processes, Ctrl-C it."""
    run = StackRun.start(state, bugsink_port, runtime_port)
    runs.append(run)
    # configure + migrate + provision + two server start-ups, then the events
    run.wait_for("press Ctrl-C to stop both", timeout=4 * start_timeout())
    assert "Bugsink has stored both test errors (Exception, ZeroDivisionError)." in run.output, run.output
    children = _descendants(run.process.pid)
    # gunicorn (master and its workers) and the runtime's server
    assert len(children) >= 3, f"expected Bugsink's and the runtime's processes, found {children}"
    assert port_in_use("127.0.0.1", bugsink_port) and port_in_use("127.0.0.1", runtime_port)
    code = run.interrupt(timeout=60)
    deadline = time.monotonic() + 30
    while _alive(children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _alive(children) == [], f"still running after Ctrl-C: {_alive(children)}\n{run.output}"
    assert not port_in_use("127.0.0.1", bugsink_port) and not port_in_use("127.0.0.1", runtime_port)
    return run, code


def _stored(bugsink_port: int, token: str) -> dict[str, int]:
    """Stored events per exception type in the stack's project (id 1)."""
    counts: dict[str, int] = {}
    for issue in BugsinkAPI(f"http://127.0.0.1:{bugsink_port}", token).issues(1):
        counts[issue["calculated_type"]] = counts.get(issue["calculated_type"], 0) + issue["digested_event_count"]
    return counts


@pytest.mark.scenario("error-tracking", "Fresh stack")
@pytest.mark.scenario("error-tracking", "Restart")
def test_make_run_starts_confirms_reuses_and_stops_cleanly(tmp_path: Path, stack_runs: list[StackRun]) -> None:
    state = tmp_path / "local"
    bugsink_port, runtime_port = free_port(), free_port()
    assert bugsink_port != runtime_port

    first, code = _up_and_interrupted(stack_runs, state, bugsink_port, runtime_port)
    assert code == 0, first.output
    assert "created Bugsink admin admin@example.org" in first.output
    assert "stopping" in first.output
    secrets = {name: (state / name).read_text() for name in SECRETS}
    assert all(value.strip() for value in secrets.values())
    assert (state / "admin-password").stat().st_mode & 0o777 == 0o600
    conf = (state / "bugsink" / "bugsink_conf.py").read_text()

    second, code = _up_and_interrupted(stack_runs, state, bugsink_port, runtime_port)
    assert code == 0, second.output
    assert "created Bugsink admin" not in second.output  # the admin of the first run is kept
    assert {name: (state / name).read_text() for name in SECRETS} == secrets
    secret_key = next(line for line in conf.splitlines() if line.startswith("SECRET_KEY"))
    assert secret_key in (state / "bugsink" / "bugsink_conf.py").read_text()

    # The same database: each run stored one event of each test error in the same project. Read
    # with Bugsink started by hand, as the stack is down now.
    from stack.bugsink import Bugsink

    bugsink = Bugsink(state / "bugsink", bugsink_port)
    bugsink.start()
    try:
        bugsink.wait_ready()
        counts = _stored(bugsink_port, secrets["api-token"].strip())
        project = BugsinkAPI(bugsink.base_url, secrets["api-token"].strip()).project(1)
    finally:
        bugsink.stop()
    assert counts.get("Exception", 0) >= 2 and counts.get("ZeroDivisionError", 0) >= 2, counts
    # and the key the runtime's DSN was built from is still the one kept in the state folder
    assert secrets["project-key"].strip() in json.dumps(project), project
