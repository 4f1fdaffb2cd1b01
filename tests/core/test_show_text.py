"""``spec show`` as a reader sees it: a spec with its titles, and archived changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result
from specledger.cli.main import cli

Repo = Callable[[dict[str, str | bytes]], Path]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})


def test_spec_text_has_requirement_and_scenario_titles(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    result = run("show", "notifications")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "notifications Specification"
    assert "Requirement 1: Send email" in lines
    assert "  The system SHALL send an email for each event." in lines
    assert "  Scenario: Event happens" in lines
    assert "    - **WHEN** an event occurs" in lines
    assert not any(line.lstrip().startswith("- - ") for line in lines)
    only = run("show", "notifications", "--no-scenarios").stdout
    assert "Scenario:" not in only and "Requirement 1: Send email" in only


def test_spec_text_marks_untested_scenarios(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    root = repo(good_files)
    (root / ".spec-coverage.json").write_text(json.dumps({"format": "specledger-scenario-run/1", "tests": []}))
    assert "Scenario: Event happens  [untested]" in run("show", "notifications").stdout
    (root / ".spec-coverage.json").write_text(json.dumps({"format": "specledger-scenario-run/1", "tests": [
        {"nodeid": "t.py::test_it", "outcome": "passed", "scenarios": [
            {"capability": "notifications", "requirement": "Send email", "scenario": "Event happens",
             "fingerprint": "x"}]}]}))
    out = run("show", "notifications").stdout
    assert "  Scenario: Event happens\n" in out


def test_show_an_archived_change_by_folder_or_name(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    root = repo(good_files)
    folder = root / "openspec/changes/archive/2025-03-04-old-change"
    (folder / "specs/notifications").mkdir(parents=True)
    (folder / "proposal.md").write_text("# Change: Old change\n\n## Why\nBecause it was needed then.\n")
    (folder / "specs/notifications/spec.md").write_text(
        "## ADDED Requirements\n\n### Requirement: Fax\nThe system SHALL fax.\n\n#### Scenario: Faxed\n"
        "- **WHEN** x\n- **THEN** y\n")
    for name in ("2025-03-04-old-change", "old-change"):
        shown = run("show", name)
        assert shown.exit_code == 0, shown.output
        assert shown.stdout.startswith("# Change: Old change")
    data = json.loads(run("show", "old-change", "--json").stdout)
    assert data["id"] == "2025-03-04-old-change" and data["archived"] is True
    assert [d["description"] for d in data["deltas"]] == ["Add requirement: Fax"]
    assert run("show", "old-change", "--diff").exit_code == 2
    assert run("show", "no-such-change").exit_code == 2


def test_diff_of_an_unreadable_delta_says_why(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    """The redline cannot be made from a delta that is not UTF-8: exit 2, and the message says
    where and why, as `validate` does."""
    repo({**good_files, "openspec/changes/add-webhooks/specs/notifications/spec.md": b"## ADDED\n\xff\n"})
    result = run("show", "add-webhooks", "--diff")
    assert result.exit_code == 2
    assert ("openspec/changes/add-webhooks/specs/notifications/spec.md: cannot read this delta spec: "
            "line 2: not valid UTF-8 (byte 0xff at offset 9)") in result.stderr
