"""The run record and the links file as a user can leave them: a link to a device, a pipe, a folder, a huge file.

Each case runs ``spec`` as a subprocess with a timeout and a memory limit, so that a regression (a
read that waits on a pipe forever, or reads ``/dev/zero`` until memory runs out) fails the test
instead of hanging or starving the test run.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from specledger.traceability import LINKS_FILE, MAX_RECORD_BYTES, RUN_FORMAT

RUN_FILE = ".spec-coverage.json"  # where `spec coverage` and `spec show` look by default

SPEC = """# notifications Specification

## Purpose
Notifications tell users about the events they subscribed to, by the channels they chose.

## Requirements

### Requirement: Email
The system SHALL send an email for each event.

#### Scenario: Event happens
- **WHEN** an event occurs
- **THEN** an email is sent
"""

DELTA = """## ADDED Requirements

### Requirement: Push
The system SHALL send a push notification for each event.

#### Scenario: Push sent
- **WHEN** an event occurs
- **THEN** a push notification is sent
"""

PROPOSAL = """# Push notifications

## Why
People miss e-mails, so an event should also be pushed to their phone.

## What Changes
- Push as well.
"""


def _link_to_dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _folder(path: Path) -> None:
    path.mkdir()


def _sparse(size: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        with path.open("wb") as handle:  # sparse: costs no disk, reads as zeros
            handle.truncate(size)
    return make


NOT_REGULAR = "is not a regular file (a FIFO, socket or device)"
TOO_LARGE = f"is larger than {MAX_RECORD_BYTES // (1024 * 1024)} MiB; refusing to read it"
BAD_FILES: dict[str, tuple[Callable[[Path], None], str]] = {
    "link-to-dev-zero": (_link_to_dev_zero, NOT_REGULAR),
    "fifo": (_fifo, NOT_REGULAR),
    "folder": (_folder, "is a directory, not a file"),
    "one-byte-over-the-cap": (_sparse(MAX_RECORD_BYTES + 1), TOO_LARGE),
    "larger-than-memory": (_sparse(3 * 1024**3), TOO_LARGE),  # read whole, it would not fit under the limit
}
WHAT = {RUN_FILE: "scenario run record", LINKS_FILE: "links file"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A workspace with one spec, an open change that adds to it, and a good run record."""
    root = tmp_path.resolve()
    spec = root / "openspec/specs/notifications/spec.md"
    spec.parent.mkdir(parents=True)
    spec.write_text(SPEC)
    change = root / "openspec/changes/push-too"
    (change / "specs/notifications").mkdir(parents=True)
    (change / "proposal.md").write_text(PROPOSAL)
    (change / "specs/notifications/spec.md").write_text(DELTA)
    (root / RUN_FILE).write_text(json.dumps({"format": RUN_FORMAT, "tests": [
        {"nodeid": "tests/test_a.py::test_event", "outcome": "passed",
         "scenarios": [{"capability": "notifications", "requirement": "Email", "scenario": "Event happens"}]}]}))
    return root


def _limit_memory() -> None:
    limit = 2 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def spec(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("spec")), *args],
        cwd=root, capture_output=True, text=True, timeout=20, check=False,
        env={**os.environ, "NO_COLOR": "1"}, preexec_fn=_limit_memory,
    )  # fmt: skip


def make_bad(root: Path, name: str, kind: str) -> str:
    """Put a bad file of ``kind`` at ``name``; the reason the refusal gives."""
    path = root / name
    path.unlink(missing_ok=True)
    make, reason = BAD_FILES[kind]
    make(path)
    return reason


@pytest.mark.parametrize("kind", BAD_FILES)
@pytest.mark.parametrize("name", [RUN_FILE, LINKS_FILE])
def test_coverage_refuses_a_record_that_is_not_a_small_regular_file(project: Path, name: str, kind: str) -> None:
    reason = make_bad(project, name, kind)
    result = spec(project, "coverage")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == f"spec: error: {project / name}: the {WHAT[name]} {reason}\n"
    assert result.stdout == ""


@pytest.mark.parametrize("kind", BAD_FILES)
@pytest.mark.parametrize("name", [RUN_FILE, LINKS_FILE])
def test_show_still_shows_the_spec_beside_a_bad_record(project: Path, name: str, kind: str) -> None:
    make_bad(project, name, kind)
    result = spec(project, "show", "notifications")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "Scenario: Event happens" in result.stdout


@pytest.mark.parametrize("kind", BAD_FILES)
def test_archive_completes_and_warns_about_a_bad_links_file(project: Path, kind: str) -> None:
    reason = make_bad(project, LINKS_FILE, kind)
    result = spec(project, "archive", "push-too", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"Warning: {project / LINKS_FILE}: the links file {reason}; the test links this archive makes " \
           "suspect cannot be listed\n" in result.stderr
    assert not (project / "openspec/changes/push-too").exists()
    [archived] = (project / "openspec/changes/archive").iterdir()
    assert archived.name.endswith("-push-too")
    assert "### Requirement: Push" in (project / "openspec/specs/notifications/spec.md").read_text()


def test_archive_json_stays_json_beside_a_links_pipe(project: Path) -> None:
    reason = make_bad(project, LINKS_FILE, "fifo")
    result = spec(project, "archive", "push-too", "--yes", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    archived = json.loads(result.stdout)["archive"]
    assert archived["suspectTests"] == []
    # with --json the warning is in the product, with archive's other warnings
    assert any(w.startswith(f"{project / LINKS_FILE}: the links file {reason}") for w in archived["warnings"])


def test_a_record_at_the_cap_is_read(project: Path) -> None:
    """The cap refuses only what is past it: a file of exactly the cap is read (and found not JSON)."""
    _sparse(MAX_RECORD_BYTES)(project / LINKS_FILE)
    result = spec(project, "coverage")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f"spec: error: {project / LINKS_FILE}: the links file is not valid JSON (")
