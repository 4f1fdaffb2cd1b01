"""Helpers shared by the end-to-end tests (a uniquely named module: several conftest.py exist)."""

from __future__ import annotations

import http.client
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stack.bugsink import Bugsink, BugsinkAPI, start_timeout

# Projects provisioned up front, one per concern, so that counts in one test are not disturbed by
# another (Bugsink groups identical errors into one issue).
PROJECTS = {"endpoints": 1, "scrub": 2, "burst": 3}


@dataclass
class BugsinkHandle:
    """The session's Bugsink and how to reach it."""

    server: Bugsink
    api: BugsinkAPI
    dsns: dict[str, str]  # concern -> DSN
    key: str

    def dsn_for(self, concern: str) -> str:
        """The DSN of the project reserved for ``concern``."""
        return self.dsns[concern]


@dataclass
class Runtime:
    """A running runtime (granian) and its log."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """One HTTP request on a fresh connection; returns (status, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            reply = conn.getresponse()
            return reply.status, reply.read()
        finally:
            conn.close()

    def log(self) -> str:
        """Everything the runtime printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def stop_runtimes(started: list[Runtime]) -> None:
    """Stop every runtime a fixture started: terminate, then kill one that does not exit."""
    for runtime in started:
        runtime.process.terminate()
        try:
            runtime.process.wait(15)
        except subprocess.TimeoutExpired:
            runtime.process.kill()
            runtime.process.wait(5)


def wait_health(runtime: Runtime, timeout: float | None = None) -> None:
    """Wait for the runtime's /health; ``timeout`` defaults to ``STACK_START_TIMEOUT`` (120 s)."""
    timeout = start_timeout() if timeout is None else timeout
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if runtime.process.poll() is not None:
            raise AssertionError(
                f"runtime exited with {runtime.process.returncode}:\n{runtime.log()}"
            )
        try:
            status, _ = runtime.request("GET", "/health")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"runtime did not answer /health within {timeout} s:\n{runtime.log()}")


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)
