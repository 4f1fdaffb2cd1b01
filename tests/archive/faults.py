"""Fault injection from outside the process with strace: kill or fail a chosen system call.

``strace -e inject=CALL:signal=KILL:when=N`` kills the traced process as it enters the Nth call
of CALL; ``error=ENOSPC`` makes that call fail instead. The archive under test never knows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / ".venv" / "bin" / "spec"
PYTHON = Path(sys.executable)
STRACE = shutil.which("strace")

# Every call that changes the file system (or writes data), by name. A regex, so that names
# this architecture lacks (e.g. plain rename on arm64) are simply not matched.
MUTATING = (
    "write|pwrite64|writev|pwritev|pwritev2|fsync|fdatasync|sync_file_range|rename|renameat|"
    "renameat2|link|linkat|unlink|unlinkat|mkdir|mkdirat|rmdir|ftruncate|truncate|symlink|"
    "symlinkat|chmod|fchmod|fchmodat|fallocate|copy_file_range|sendfile"
)
_LINE = re.compile(r"^(?:\d+\s+)?(\w+)\((\d*)")

# Killed processes are reported by strace as 128 + SIGKILL (or by Python as -SIGKILL).
KILLED = (137, -9)


@dataclass(frozen=True)
class Call:
    """The ``index``-th (1-based) call of ``name`` in a run; ``fd``: first argument if numeric."""

    name: str
    index: int
    fd: int | None


def env() -> dict[str, str]:
    """A quiet, deterministic environment; no bytecode writes (extra injection points)."""
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1", CI="1", TERM="dumb")


def mutating_calls(
    argv: list[str], cwd: Path, log: Path
) -> tuple[list[Call], subprocess.CompletedProcess[str]]:
    """Run ``argv`` once under strace and list its mutating calls in order."""
    assert STRACE is not None
    proc = subprocess.run(
        [STRACE, "-f", "-qq", "-o", str(log), "-e", f"trace=/^({MUTATING})$", *argv],
        cwd=cwd,
        env=env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    seen: dict[str, int] = {}
    calls: list[Call] = []
    for line in log.read_text().splitlines():
        match = _LINE.match(line)
        if not match:
            continue  # "<... resumed>", "+++ exited", signals
        name = match.group(1)
        seen[name] = seen.get(name, 0) + 1
        calls.append(Call(name, seen[name], int(match.group(2)) if match.group(2) else None))
    return calls, proc


def run_injected(
    argv: list[str], cwd: Path, call: Call, action: str
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` with ``action`` (``signal=KILL``, ``error=ENOSPC``, ...) at ``call``."""
    assert STRACE is not None
    spec = f"inject={call.name}:{action}:when={call.index}"
    return subprocess.run(
        [STRACE, "-f", "-qq", "-o", os.devnull, "-e", f"trace={call.name}", "-e", spec, *argv],
        cwd=cwd,
        env=env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_plain(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd,
        env=env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
