"""Matching a run record to the scenarios costs work in proportion to the scenarios, not their square.

Work is counted, not timed: every scenario title the index holds counts the comparisons made with
it. Matching each scenario against every other one of its capability (what ``spec coverage`` and
``spec show`` once did) makes millions of comparisons at this size; grouping once makes about none.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from specledger import traceability
from specledger.cli.main import cli
from specledger.traceability import RUN_FORMAT

SCENARIOS = 1500


class CountedTitle(str):
    """A scenario title that counts how often it is compared for equality."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        CountedTitle.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def big_spec() -> str:
    parts = ["# big Specification\n\n## Purpose\nMany small requirements, one scenario each, and one shared title.\n\n"
             "## Requirements\n"]
    for number in range(SCENARIOS):
        parts.append(f"\n### Requirement: R{number}\nThe system SHALL do thing {number}.\n\n"
                     f"#### Scenario: S{number}\n- **WHEN** x{number}\n- **THEN** y{number}\n")
    for twin in ("A", "B"):  # one scenario title in two requirements: naming it needs the requirement
        parts.append(f"\n### Requirement: Twin {twin}\nThe system SHALL do {twin}.\n\n"
                     "#### Scenario: Shared\n- **WHEN** x\n- **THEN** y\n")
    return "".join(parts)


def named(requirement: str, scenario: str) -> dict[str, str]:
    return {"capability": "big", "requirement": requirement, "scenario": scenario}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    spec = tmp_path / "openspec/specs/big/spec.md"
    spec.parent.mkdir(parents=True)
    spec.write_text(big_spec())
    (tmp_path / ".spec-coverage.json").write_text(json.dumps({"format": RUN_FORMAT, "tests": [
        {"nodeid": "t::exact", "outcome": "passed", "scenarios": [named("R0", "S0")]},
        # the requirement was renamed since the run: the title alone still finds S1 ...
        {"nodeid": "t::renamed", "outcome": "failed", "scenarios": [named("Old name", "S1")]},
        # ... but not a title two requirements share, nor a title that is gone
        {"nodeid": "t::ambiguous", "outcome": "passed", "scenarios": [named("Old name", "Shared")]},
        {"nodeid": "t::gone", "outcome": "passed", "scenarios": [named("R2", "No such scenario")]},
    ]}))
    monkeypatch.chdir(tmp_path)
    title = traceability.scenario_title
    monkeypatch.setattr(traceability, "scenario_title", lambda heading: CountedTitle(title(heading)))
    CountedTitle.comparisons = 0
    return tmp_path


def test_coverage_matches_in_linear_work_with_the_same_results(project: Path) -> None:
    result = CliRunner().invoke(cli, ["coverage", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert CountedTitle.comparisons <= 4 * SCENARIOS
    data = json.loads(result.stdout)["coverage"]
    assert len(data["scenarios"]) == SCENARIOS + 2
    tested = {(s["requirement"], s["scenario"]): (s["status"], [t["nodeid"] for t in s["tests"]])
              for s in data["scenarios"] if s["tests"]}
    assert tested == {("R0", "S0"): ("passing", ["t::exact"]), ("R1", "S1"): ("failing", ["t::renamed"])}
    assert data["stale"] == [{"nodeid": "t::ambiguous", "scenario": "big / Old name / Shared"},
                             {"nodeid": "t::gone", "scenario": "big / R2 / No such scenario"}]


def test_show_marks_scenarios_in_linear_work(project: Path) -> None:
    result = CliRunner().invoke(cli, ["show", "big"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert CountedTitle.comparisons <= 4 * SCENARIOS
    assert "Scenario: S0\n" in result.stdout  # passing: no mark
    assert "Scenario: S1  [its tests fail]" in result.stdout
    assert f"Scenario: S{SCENARIOS - 1}  [untested]" in result.stdout
