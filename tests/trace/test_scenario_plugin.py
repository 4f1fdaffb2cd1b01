"""The scenario marker, the run record and ``spec coverage``, on throwaway projects (pytester)."""

from __future__ import annotations

import json
import os
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from specledger.cli.main import cli

SPEC = """\
# notifications Specification

## Purpose
How users hear about the events that matter to them, by e-mail or by text message.

## Requirements

### Requirement: Email delivery
The system SHALL send an e-mail for each event.

#### Scenario: Event happens
- **WHEN** an event occurs
- **THEN** an e-mail is sent

#### Scenario: Mailbox full
- **WHEN** the mailbox is full
- **THEN** the event is retried later

### Requirement: Text messages
The system SHALL send a text message when the user asked for one.

#### Scenario: Opted in
- **WHEN** an event occurs for a user who opted in
- **THEN** a text message is sent
"""

TESTS = """\
import pytest

@pytest.mark.scenario("notifications", "Event happens")
def test_passes():
    assert True

@pytest.mark.scenario("notifications", "Mailbox full")
def test_fails():
    assert False

@pytest.mark.scenario("notifications", "Opted in", "Text messages")
@pytest.mark.skip(reason="no SMS gateway in tests")
def test_skipped():
    pass

def test_unmarked():
    pass
"""


def plugin_args() -> list[str]:
    """Load the plugin explicitly unless the installed package already registers it (pytest11)."""
    registered = any(ep.value.startswith("specledger") for ep in entry_points(group="pytest11"))
    return [] if registered else ["-p", "specledger.pytest_plugin"]


@pytest.fixture
def project(pytester: pytest.Pytester) -> Path:
    spec = pytester.path / "openspec/specs/notifications/spec.md"
    spec.parent.mkdir(parents=True)
    spec.write_text(SPEC)
    (pytester.path / "openspec/changes").mkdir()
    pytester.makepyfile(test_notify=TESTS)
    return pytester.path


def spec_cli(root: Path, *args: str) -> Result:
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})
    finally:
        os.chdir(cwd)


def test_markers_are_recorded_with_each_outcome(pytester: pytest.Pytester, project: Path) -> None:
    result = pytester.runpytest(*plugin_args(), "--spec-coverage=run.json")
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    record = json.loads((project / "run.json").read_text())
    by_test = {t["nodeid"].split("::")[-1]: t for t in record["tests"]}
    assert set(by_test) == {"test_passes", "test_fails", "test_skipped"}  # unmarked tests are not links
    assert by_test["test_passes"]["outcome"] == "passed"
    assert by_test["test_fails"]["outcome"] == "failed"
    assert by_test["test_skipped"]["outcome"] == "skipped"
    assert by_test["test_skipped"]["scenarios"][0]["requirement"] == "Text messages"


def test_unknown_scenario_stops_collection_with_the_closest_match(pytester: pytest.Pytester, project: Path) -> None:
    pytester.makepyfile(test_typo="""
        import pytest

        @pytest.mark.scenario("notifications", "Event happend")
        def test_typo():
            pass
    """)
    result = pytester.runpytest(*plugin_args())
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no scenario 'Event happend' in notifications*", "*did you mean 'Event happens'*"])
    pytester.makepyfile(test_typo="""
        import pytest

        @pytest.mark.scenario("notificatons", "Event happens")
        def test_typo():
            pass
    """)
    result = pytester.runpytest(*plugin_args())
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no capability 'notificatons'*", "*did you mean 'notifications'*"])


def test_coverage_reports_each_status_and_the_threshold(pytester: pytest.Pytester, project: Path) -> None:
    pytester.runpytest(*plugin_args(), "--spec-coverage=run.json")
    result = spec_cli(project, "coverage", "--from", "run.json", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["coverage"]
    status = {s["scenario"]: s["status"] for s in data["scenarios"]}
    assert status == {"Event happens": "passing", "Mailbox full": "failing", "Opted in": "skipped"}
    assert data["percent"] == pytest.approx(100 / 3, abs=0.01)
    assert spec_cli(project, "coverage", "--from", "run.json", "--fail-under", "33").exit_code == 0
    under = spec_cli(project, "coverage", "--from", "run.json", "--fail-under", "34")
    assert under.exit_code == 1
    assert "1 of 3 scenario(s) covered" in under.stdout


def test_editing_a_scenario_makes_its_links_suspect_until_confirmed(pytester: pytest.Pytester,
                                                                   project: Path) -> None:
    pytester.runpytest(*plugin_args(), "--spec-coverage=.spec-coverage.json")
    assert spec_cli(project, "coverage", "--confirm").exit_code == 0
    links = json.loads((project / ".spec-links.json").read_text())["links"]
    assert {link["scenario"] for link in links} == {
        "notifications / Event happens", "notifications / Mailbox full", "notifications / Opted in"}
    spec = project / "openspec/specs/notifications/spec.md"
    edited = spec.read_text().replace("- **THEN** an e-mail is sent", "- **THEN** an e-mail and a push are sent")
    spec.write_text(edited)
    data = json.loads(spec_cli(project, "coverage", "--json").stdout)["coverage"]
    suspect = {s["scenario"] for s in data["scenarios"] if s["suspect"]}
    assert suspect == {"Event happens"}
    assert data["percent"] == 0  # the only passing scenario is suspect now
    text = spec_cli(project, "coverage").stdout
    assert "Event happens  [1 test(s)] (suspect" in text
    assert spec_cli(project, "coverage", "--confirm").exit_code == 0
    data = json.loads(spec_cli(project, "coverage", "--json").stdout)["coverage"]
    assert not any(s["suspect"] for s in data["scenarios"])


def test_renamed_requirement_keeps_its_links(pytester: pytest.Pytester, project: Path) -> None:
    pytester.runpytest(*plugin_args(), "--spec-coverage=.spec-coverage.json")
    assert spec_cli(project, "coverage", "--confirm").exit_code == 0
    change = project / "openspec/changes/rename-email"
    (change / "specs/notifications").mkdir(parents=True)
    (change / "proposal.md").write_text("# Rename\n\n## Why\nThe requirement is about mail in general, so its name "
                                        "should say so.\n\n## What Changes\n- Rename it.\n")
    (change / "specs/notifications/spec.md").write_text(
        "## RENAMED Requirements\n\n"
        "- FROM: `### Requirement: Email delivery`\n- TO: `### Requirement: Mail delivery`\n")
    archived = spec_cli(project, "archive", "rename-email", "--yes")
    assert archived.exit_code == 0, archived.output
    assert "### Requirement: Mail delivery" in (project / "openspec/specs/notifications/spec.md").read_text()
    # the old run record and the confirmed links still apply, under the new requirement name
    data = json.loads(spec_cli(project, "coverage", "--json").stdout)["coverage"]
    entry = next(s for s in data["scenarios"] if s["scenario"] == "Event happens")
    assert entry["requirement"] == "Mail delivery"
    assert entry["status"] == "passing" and not entry["suspect"]
    assert [t["link"] for t in entry["tests"]] == ["confirmed"]
    # and a fresh test run resolves the marker (capability + scenario title) without any edit
    result = pytester.runpytest(*plugin_args(), "--spec-coverage=.spec-coverage.json")
    result.assert_outcomes(passed=2, failed=1, skipped=1)


def test_archive_lists_the_tests_it_makes_suspect(pytester: pytest.Pytester, project: Path) -> None:
    pytester.runpytest(*plugin_args(), "--spec-coverage=.spec-coverage.json")
    assert spec_cli(project, "coverage", "--confirm").exit_code == 0
    change = project / "openspec/changes/push-too"
    (change / "specs/notifications").mkdir(parents=True)
    (change / "proposal.md").write_text("# Push\n\n## Why\nPeople miss e-mails, so an event should also be "
                                        "pushed to their phone.\n\n## What Changes\n- Push as well.\n")
    (change / "specs/notifications/spec.md").write_text(
        "## MODIFIED Requirements\n\n### Requirement: Email delivery\nThe system SHALL send an e-mail and a push "
        "notification for each event.\n\n#### Scenario: Event happens\n- **WHEN** an event occurs\n"
        "- **THEN** an e-mail and a push are sent\n\n#### Scenario: Mailbox full\n- **WHEN** the mailbox is full\n"
        "- **THEN** the event is retried later\n")
    dry = spec_cli(project, "archive", "push-too", "--yes", "--dry-run", "--json")
    assert json.loads(dry.stdout)["archive"]["suspectTests"] == [
        {"test": "test_notify.py::test_passes", "scenario": "notifications / Event happens"}]
    real = spec_cli(project, "archive", "push-too", "--yes")
    assert real.exit_code == 0, real.output
    assert "1 test link(s) become suspect" in real.stderr
    assert "test_notify.py::test_passes -> notifications / Event happens" in real.stderr
    data = json.loads(spec_cli(project, "coverage", "--json").stdout)["coverage"]
    assert {s["scenario"] for s in data["scenarios"] if s["suspect"]} == {"Event happens"}
