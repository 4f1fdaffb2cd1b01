"""``spec coverage --confirm`` after a partial run keeps the links of the tests that did not run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from specledger.cli.main import cli
from specledger.traceability import LINKS_FILE, LINKS_FORMAT, RUN_FORMAT

SPEC = """# notifications Specification

## Purpose
Notifications tell users about the events they subscribed to, by the channels they chose.

## Requirements

### Requirement: Email
The system SHALL send an email for each event.

#### Scenario: Event happens
- **WHEN** an event occurs
- **THEN** an email is sent

#### Scenario: Opted out
- **WHEN** the user opted out
- **THEN** no email is sent
"""


def record(path: Path, tests: dict[str, str]) -> None:
    path.write_text(json.dumps({"format": RUN_FORMAT, "tests": [
        {"nodeid": nodeid, "outcome": "passed",
         "scenarios": [{"capability": "notifications", "requirement": "Email", "scenario": scenario}]}
        for nodeid, scenario in tests.items()]}))


def links(root: Path) -> dict[str, str]:
    data = json.loads((root / LINKS_FILE).read_text())
    assert data["format"] == LINKS_FORMAT
    return {link["test"]: link["scenario"] for link in data["links"]}


def confirm(run: Path) -> None:
    result = CliRunner().invoke(cli, ["coverage", "--from", str(run), "--confirm"])
    assert result.exit_code in (0, 1), result.output


def test_confirming_a_partial_run_keeps_the_other_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "openspec" / "specs" / "notifications" / "spec.md"
    spec.parent.mkdir(parents=True)
    spec.write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run.json"

    record(run, {"tests/test_a.py::test_event": "Event happens", "tests/test_b.py::test_opt_out": "Opted out"})
    confirm(run)
    assert links(tmp_path) == {"tests/test_a.py::test_event": "notifications / Event happens",
                               "tests/test_b.py::test_opt_out": "notifications / Opted out"}

    record(run, {"tests/test_a.py::test_event": "Event happens"})  # only one test ran this time
    confirm(run)
    assert links(tmp_path) == {"tests/test_a.py::test_event": "notifications / Event happens",
                               "tests/test_b.py::test_opt_out": "notifications / Opted out"}

    # a scenario that no longer exists takes its links with it
    spec.write_text(SPEC.split("#### Scenario: Opted out")[0])
    confirm(run)
    assert links(tmp_path) == {"tests/test_a.py::test_event": "notifications / Event happens"}
