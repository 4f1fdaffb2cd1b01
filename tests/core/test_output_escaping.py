"""Repository text never reaches a terminal or a CI log as raw control characters.

One hostile repository holds escape sequences (CSI, OSC 8 hyperlinks and title changes, DCS),
backspaces, VT, FF, DEL, C1 controls and bidi overrides in proposal text, delta text, requirement
names, change and archive folder names and the workspace's own folder name; a change folder name
also holds a newline followed by a workflow command. Every command that prints such text is run
on it, and what it prints may hold a tab or a newline only as structure, nothing else.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from specledger.cli.main import cli
from specledger.escape import printable, printable_lines
from specledger.report import github

# Everything a terminal or a log viewer acts on: C0 controls but TAB and LF, DEL, C1 controls, line
# and paragraph separators, bidi embeddings, overrides, isolates and marks, and the BOM.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\ufeff]")

HOSTILE = ("\x1b[31mred\x1b[0m \x1b]8;;http://evil.example/\x07link\x1b]8;;\x07 \x1bP1$qm\x1b\\ "
           "bs\x08\x08 vt\x0b ff\x0c \u202eevil\u202c \u2066iso\u2069 del\x7f c1\x9b")
ROOT_NAME = "ws\x1b]0;title\x07\u202e\x08"
ODD_CHANGE = "odd\x1b]0;T\x07\u202e\x08\n::error::injected"  # a newline, then a workflow command
ARCHIVED = "2024-01-02-evil\x1b]0;T\x07\u202e\x08"  # no "/": one folder
EVIL_REQUIREMENT = "Evil \x1b]8;;http://evil.example/\x07link\x1b]8;;\x07 \u202ename\x08 \x1b[2J"

SPEC = f"""\
# notifications Specification

## Purpose
Users are told about events that matter to them.

## Requirements

### Requirement: Send email
The system SHALL send an email for each event.

#### Scenario: Event happens
- **WHEN** an event occurs
- **THEN** an email is sent

### Requirement: {EVIL_REQUIREMENT}
The system SHALL {HOSTILE} do it.

#### Scenario: Evil happens
- **WHEN** an event occurs
- **THEN** it is done
"""

PROPOSAL = f"""\
# Change: Evil\x1b[2J title

## Why
{HOSTILE}
Integrators need machine-readable notifications without polling our API every minute.

## What Changes
- Add\tdelivery {HOSTILE}
"""

DELTA = f"""\
## ADDED Requirements

### Requirement: Webhook {HOSTILE}
The system SHALL POST {HOSTILE} to each registered webhook.

#### Scenario: Webhook registered
- **WHEN** an event occurs
- **THEN** every webhook receives a POST
"""

PLAIN_DELTA = """\
## ADDED Requirements

### Requirement: Plain name
The system posts payloads.

#### Scenario: Posted
- **WHEN** x
- **THEN** y
"""

TASKS = "## 1. Build\n- [x] 1.1 Write it\n"

FILES = {
    "openspec/specs/notifications/spec.md": SPEC,
    "openspec/changes/add-evil/proposal.md": PROPOSAL,
    "openspec/changes/add-evil/tasks.md": TASKS,
    "openspec/changes/add-evil/specs/notifications/spec.md": DELTA,
    "openspec/changes/add-plain/proposal.md": PROPOSAL.replace(HOSTILE, "plain"),
    "openspec/changes/add-plain/tasks.md": TASKS,
    "openspec/changes/add-plain/specs/notifications/spec.md": PLAIN_DELTA,
    # `fix` rewrites "##ADDED": its diff names this folder in its header lines
    f"openspec/changes/{ODD_CHANGE}/proposal.md": PROPOSAL,
    f"openspec/changes/{ODD_CHANGE}/specs/notifications/spec.md": DELTA.replace("## ADDED", "##ADDED"),
    f"openspec/changes/archive/{ARCHIVED}/proposal.md": PROPOSAL,
    f"openspec/changes/archive/{ARCHIVED}/specs/notifications/spec.md": (
        f"## ADDED Requirements\n\n### Requirement: {EVIL_REQUIREMENT}\nThe system SHALL {HOSTILE} do it.\n\n"
        "#### Scenario: Evil happens\n- **WHEN** an event occurs\n- **THEN** it is done\n"),
}

PLAIN_ANNOTATION = ("::warning file=openspec/changes/add-plain/specs/notifications/spec.md,line=3,"
                    "title=requirement-no-shall (change add-plain)"
                    '::ADDED "Plain name" should state a SHALL or MUST (upper case) in its text')

DIFF_LINE = re.compile(r"(--- |\+\+\+ |@@ |[ +\-\\])")  # how every line of a unified diff starts


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / ROOT_NAME
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def run(*args: str) -> Result:
    # color=True: click would otherwise strip CSI sequences from what it prints to a non-terminal,
    # hiding them here as it does in a pipe, but not on a terminal.
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"}, color=True)


def serve(root: Path) -> tuple[str, str]:
    """``spec docs serve`` as a process, stopped with Ctrl-C once it has said where it serves."""
    proc = subprocess.Popen([sys.executable, "-m", "specledger", "docs", "serve", "--port", "0"],
                            cwd=root, env={**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stderr is not None
        first = b""
        deadline = time.monotonic() + 60
        while b"serving" not in first and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            first += line
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    return out.decode("utf-8"), (first + err).decode("utf-8")


def _check_github(stdout: str) -> None:
    """One line per annotation, each a whole workflow command, and the summary line last."""
    findings = json.loads(run("validate", "--all", "--json").stdout)
    count = sum(len(item["issues"]) for item in findings["items"])
    lines = stdout.rstrip("\n").split("\n")
    assert lines[-1].startswith(f"{len(findings['items'])} item(s): ")
    annotations = lines[:-1]
    assert len(annotations) == count
    command = re.compile(r"::(error|warning|notice) file=[^,:]+(,line=\d+)?,title=[^,:]+::")
    assert all(command.match(line) for line in annotations), annotations
    assert PLAIN_ANNOTATION in annotations  # ordinary text comes out exactly as before


def _check_diff(stdout: str) -> None:
    assert all(DIFF_LINE.match(line) for line in stdout.rstrip("\n").split("\n")), stdout


# (command, a visible escape its output must show, an extra check or None)
CASES = {
    "validate-github": (["validate", "--all", "--format", "github"], "\\x1b]8;;", _check_github),
    "show-change": (["show", "add-evil"], "\\x1b]8;;", None),
    "show-archived-change": (["show", ARCHIVED], "\\x1b]8;;", None),
    "show-change-diff": (["show", "add-evil", "--diff"], "\\x1b]8;;", _check_diff),
    "show-change-deltas-only": (["show", "add-evil", "--deltas-only"], "\\u202e", None),
    "show-spec-history": (["show", "notifications", "--history"], "\\u202ename\\x08", None),
    "archive-dry-run": (["archive", "add-evil", "--dry-run"], "\\x1b]8;;", None),
    "docs-changelog": (["docs", "changelog"], "\\x1b]8;;", None),
    "fix-dry-run": (["fix", "--dry-run"], "\\n::error::injected", _check_diff),
    "docs-build": (["docs", "build"], "\\x07\\u202e\\x08", None),
    "docs-serve": (["docs", "serve"], "\\x07\\u202e\\x08", None),
}

NOT_OURS: dict[str, str] = {}  # (outputs not escaped yet, with the reason: none left)


@pytest.mark.parametrize("case", [
    pytest.param(name, marks=pytest.mark.xfail(reason=NOT_OURS[name], strict=True, raises=AssertionError))
    if name in NOT_OURS else name
    for name in CASES
])
def test_output_carries_no_raw_control_characters(hostile: Path, case: str) -> None:
    args, shown, check = CASES[case]
    if args[:2] == ["docs", "serve"]:
        stdout, stderr = serve(hostile)
    else:
        result = run(*args)
        assert result.exit_code in (0, 1), result.output
        stdout, stderr = result.stdout, result.stderr
    for name, text in (("stdout", stdout), ("stderr", stderr)):
        raw = sorted(set(FORBIDDEN.findall(text)))
        assert not raw, f"{name} carries {raw!r}:\n{text}"
    assert shown in stdout + stderr  # the hostile text was printed, as visible escapes
    if check is not None:
        check(stdout)


def test_printable_lines_keeps_line_structure() -> None:
    ordinary = "# Title\n\n\tcode\r\nline \u201cquoted\u201d 100%\n"
    assert printable_lines(ordinary) == ordinary
    assert printable_lines("a\x1b[2Jb\rc\x0bd\u2028e\n") == "a\\x1b[2Jb\\rc\\x0bd\\u2028e\n"
    assert printable("a\tb\nc") == "a\\tb\\nc"  # a single-line field keeps nothing


def test_github_escapes_control_characters_before_its_own_escapes() -> None:
    assert github.escape_data("plain, \u201cquoted\u201d: 100%") == "plain, \u201cquoted\u201d: 100%25"
    assert github.escape_data("a\x1b]8;;u\x07b\u202ec\x08\nd") == "a\\x1b]8;;u\\x07b\\u202ec\\x08%0Ad"
    assert github.escape_property("x\x1b[1m:y") == "x\\x1b[1m%3Ay"


def test_a_newline_in_an_archived_folder_name_adds_no_changelog_line(hostile: Path) -> None:
    """Release notes are Markdown: a folder name with a newline must not start a heading or a
    list item of its own (names are one-line fields, escaped whole)."""
    folder = "2024-02-03-x\n## Injected heading\n- injected item"
    (hostile / "openspec/changes/archive" / ARCHIVED).rename(hostile / "openspec/changes/archive" / folder)
    notes = run("docs", "changelog").stdout
    assert "\n## Injected heading" not in notes and "\n- injected item" not in notes
    assert "2024-02-03-x\\n## Injected heading\\n- injected item" in notes
