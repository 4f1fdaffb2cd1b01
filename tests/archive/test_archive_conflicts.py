"""Every conflict of a delta with its spec is reported in one run, each at its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from scenario import CLI_CHANGE, make_cli_tree, snapshot
from specledger.cli.main import cli

DELTA = f"openspec/changes/{CLI_CHANGE}/specs/notifications/spec.md"
CONFLICTED = """\
## ADDED Requirements

### Requirement: Email Delivery
The system SHALL send a text message instead.

#### Scenario: Other
- **WHEN** x
- **THEN** y

## MODIFIED Requirements

### Requirement: Push Delivery
The system SHALL push.

#### Scenario: Pushed
- **WHEN** x
- **THEN** y

## RENAMED Requirements

- FROM: `### Requirement: Fax Delivery`
- TO: `### Requirement: Telefax Delivery`
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_cli_tree(tmp_path)
    (tmp_path / DELTA).write_text(CONFLICTED)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_validate_lists_every_conflict_with_its_line(repo: Path) -> None:
    result = run("validate", CLI_CHANGE, "--json")
    assert result.exit_code == 1
    issues = [i for i in json.loads(result.stdout)["items"][0]["issues"] if i["code"] == "archive-would-refuse"]
    by_line = {i["line"]: i["message"] for i in issues}
    assert set(by_line) == {3, 12, 21}, by_line  # a RENAMED pair is reported at its TO line
    assert "already exists with different text" in by_line[3]
    assert "Push Delivery" in by_line[12] and "not found" in by_line[12]
    assert "Fax Delivery" in by_line[21] and "not found" in by_line[21]
    assert all(i["path"] == DELTA for i in issues)


def test_archive_refuses_naming_every_conflict(repo: Path) -> None:
    before = snapshot(repo)
    result = run("archive", CLI_CHANGE, "--yes", "--no-validate", "--json")
    assert result.exit_code == 1
    status = json.loads(result.stdout)["status"][0]
    assert status["code"] == "archive_spec_update_failed"
    assert status["message"].startswith("3 conflict(s):")
    for line in ("line 3:", "line 12:", "line 21:"):
        assert line in status["message"]
    assert status["line"] == 3
    assert snapshot(repo) == before
