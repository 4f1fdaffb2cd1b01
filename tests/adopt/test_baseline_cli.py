"""``spec baseline`` and ``spec validate`` with a baseline, through the CLI, on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from adopt_support import run, run_json

SPEC = """\
# notifications Specification

## Purpose
Users are told about events that matter to them, by email or SMS, as they choose.

## Requirements

### Requirement: Send email
The system sends an email for each event.

#### Scenario: Event happens
- **WHEN** an event occurs
- **THEN** an email is sent

### Requirement: Send SMS
The system SHALL send an SMS for security events.

#### Scenario: Password changed
- **WHEN** the password changes
- **THEN** an SMS is sent
"""

DELTA = """\
## ADDED Requirements

### Requirement: Webhook delivery
The system SHALL post a JSON payload to each registered webhook.

#### Scenario: Webhook registered
- **WHEN** an event occurs
- **THEN** every webhook receives a POST
"""

PROPOSAL = """\
## Why
Integrators want pushes.

## What Changes
- Add webhook delivery.
"""

SPEC_REL = "openspec/specs/notifications/spec.md"
DELTA_REL = "openspec/changes/add-webhooks/specs/notifications/spec.md"
PROPOSAL_REL = "openspec/changes/add-webhooks/proposal.md"


@pytest.fixture
def repo(root: Path) -> Path:
    """Two known warnings: a requirement without SHALL in the spec, and a short Why in the change."""
    for rel, text in ((SPEC_REL, SPEC), (DELTA_REL, DELTA), (PROPOSAL_REL, PROPOSAL)):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    result = run("baseline")
    assert result.exit_code == 0, result.output
    assert "recorded 2 finding(s)" in result.stdout
    return root


def _issues(data: dict[str, object]) -> list[dict[str, object]]:
    items = data["items"]
    assert isinstance(items, list)
    return [issue for item in items for issue in item["issues"]]


def test_baseline_file_is_sorted_and_stable(repo: Path) -> None:
    first = (repo / ".spec-baseline.json").read_bytes()
    data = json.loads(first)
    assert data["format"] == "specledger-baseline" and data["version"] == 1
    assert data["findings"] == [
        {"anchor": "section:Why", "code": "proposal-why-short", "count": 1, "id": "add-webhooks",
         "path": PROPOSAL_REL, "type": "change"},
        {"anchor": "requirement:Send email", "code": "requirement-no-shall", "count": 1, "id": "notifications",
         "path": SPEC_REL, "type": "spec"},
    ]
    assert b"\"line\"" not in first
    assert run("baseline").exit_code == 0
    assert (repo / ".spec-baseline.json").read_bytes() == first


def test_known_findings_pass_strict_and_are_counted(repo: Path) -> None:
    assert run("validate", "--all", "--strict", "--no-baseline").exit_code == 1
    result = run("validate", "--all", "--strict")
    assert result.exit_code == 0, result.output
    assert "requirement-no-shall" not in result.stdout  # known findings are counted, not listed
    assert "baseline .spec-baseline.json: 2 known finding(s) remain (not listed), 0 new" in result.stdout


def test_baseline_survives_an_unrelated_edit_above_the_finding(repo: Path) -> None:
    spec = repo / SPEC_REL
    _, before = run_json("validate", "notifications", "--json", "--strict")
    old_line = _issues(before)[0]["line"]
    spec.write_text(SPEC.replace("## Requirements\n", "## Requirements\n\nEvery message is logged.\n\n"
                                 "### Requirement: Log\nThe system SHALL log each message.\n\n"
                                 "#### Scenario: Logged\n- **WHEN** sent\n- **THEN** logged\n"))
    code, data = run_json("validate", "notifications", "--json", "--strict")
    issue = _issues(data)[0]
    assert issue["line"] != old_line  # the finding moved ...
    assert issue["baselined"] is True  # ... and is still the known one
    assert code == 0
    assert data["summary"]["baseline"] == {"path": ".spec-baseline.json", "known": 1, "new": 0, "gone": []}


def test_a_new_finding_fails(repo: Path) -> None:
    (repo / SPEC_REL).write_text(SPEC + "\n### Requirement: Push\nThe system pushes.\n\n"
                                 "#### Scenario: Pushed\n- **WHEN** x\n- **THEN** y\n")
    result = run("validate", "--all", "--strict")
    assert result.exit_code == 1
    assert 'requirement "Push" should state a SHALL' in result.stdout
    assert 'requirement "Send email"' not in result.stdout
    assert "2 known finding(s) remain (not listed), 1 new" in result.stdout
    code, data = run_json("validate", "--all", "--strict", "--json")
    assert code == 1
    flags = {(issue["code"], issue["line"]): issue["baselined"] for issue in _issues(data)}
    assert flags == {("proposal-why-short", 1): True, ("requirement-no-shall", 8): True,
                     ("requirement-no-shall", 22): False}


def test_a_second_finding_of_the_same_kind_in_the_same_place_is_new(root: Path) -> None:
    tasks = root / "openspec/changes/c/tasks.md"
    tasks.parent.mkdir(parents=True)
    (root / "openspec/changes/c/specs/w/spec.md").parent.mkdir(parents=True)
    (root / "openspec/changes/c/proposal.md").write_text(PROPOSAL.replace("want pushes", "want pushes " * 9))
    (root / "openspec/changes/c/specs/w/spec.md").write_text("## Purpose\nWebhooks tell integrators about events "
                                                             "as they happen, without polling.\n\n" + DELTA)
    tasks.write_text("## 1. Build\n- [ ] 1.1 One\n- [ ] 1.1 Again\n")
    assert run("baseline").exit_code == 0
    assert run("validate", "c", "--strict").exit_code == 0
    tasks.write_text("## 1. Build\n- [ ] 1.0 Zero\n- [ ] 1.1 One\n- [ ] 1.1 Again\n- [ ] 1.1 Thrice\n")
    result = run("validate", "c", "--strict")
    assert result.exit_code == 1
    assert result.stdout.count("[task-duplicate-id]") == 1  # one of the two is known, the other is new


def test_a_fixed_finding_is_reported_gone_and_pruned(repo: Path) -> None:
    (repo / SPEC_REL).write_text(SPEC.replace("The system sends", "The system SHALL send"))
    result = run("validate", "--all", "--strict")
    assert result.exit_code == 0
    assert "1 no longer found, tighten it with `spec baseline --prune`" in result.stdout
    assert f'gone: spec notifications: {SPEC_REL} requirement "Send email" [requirement-no-shall]' in result.stdout
    _, data = run_json("validate", "--all", "--json")
    assert data["summary"]["baseline"]["gone"] == [
        {"type": "spec", "id": "notifications", "path": SPEC_REL, "code": "requirement-no-shall",
         "anchor": "requirement:Send email", "count": 1}]
    # validating only the change does not report the spec's entry as gone
    _, only_change = run_json("validate", "add-webhooks", "--json")
    assert only_change["summary"]["baseline"]["gone"] == []

    (repo / DELTA_REL).write_text(DELTA + "\n### Requirement: Retry\nThe system retries.\n\n"
                                  "#### Scenario: Retried\n- **WHEN** x\n- **THEN** y\n")
    pruned = run("baseline", "--prune")
    assert pruned.exit_code == 0, pruned.output
    assert "1 finding(s) no longer found were dropped; 1 remain" in pruned.stdout
    entries = json.loads((repo / ".spec-baseline.json").read_text())["findings"]
    assert [e["anchor"] for e in entries] == ["section:Why"]  # the new "Retry" was not added
    after = run("validate", "--all", "--strict")
    assert "no longer found" not in after.stdout
    assert after.exit_code == 1  # "Retry" is new


def test_explicit_baseline_file_and_no_baseline(repo: Path) -> None:
    (repo / ".spec-baseline.json").rename(repo / "known.json")
    assert run("validate", "--all", "--strict").exit_code == 1  # no baseline at the default place
    assert run("validate", "--all", "--strict", "--baseline", "known.json").exit_code == 0
    both = run("validate", "--all", "--baseline", "known.json", "--no-baseline")
    assert both.exit_code == 2 and "--no-baseline" in both.stderr
    out = run("baseline", "--out", "other.json")
    assert out.exit_code == 0 and (repo / "other.json").read_bytes() == (repo / "known.json").read_bytes()


def test_github_format_annotates_only_new_findings(repo: Path) -> None:
    (repo / SPEC_REL).write_text(SPEC.replace("The system SHALL send an SMS", "The system sends an SMS"))
    result = run("validate", "--all", "--strict", "--format", "github")
    assert result.exit_code == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 1 and "Send SMS" in annotations[0]
    assert "2 known finding(s) remain" in result.stdout


@pytest.mark.parametrize(("content", "message"), [
    (b'{"format": "specledger-baseline", "version": 1, "findings": [', "not valid JSON"),
    (b'{"tool": "eslint", "findings": []}', "not a specledger baseline"),
    (b'{"format": "specledger-baseline", "version": 7, "findings": []}', "version 7 is not supported"),
    (b'{"format": "specledger-baseline", "version": 1, "findings": [{"type": "spec"}]}', "finding #1"),
    (b'{"format": "specledger-baseline", "version": 1, "findings": [{"type": "spec", "id": "a", "path": "p", '
     b'"code": "c", "anchor": "file", "count": true}]}', '"count" that is not a positive integer'),
    (b"\xff\xfe", "not UTF-8"),
    (b"[" * 100000, "nested too deeply"),
])
def test_a_damaged_or_foreign_baseline_is_exit_2_naming_the_file(repo: Path, content: bytes, message: str) -> None:
    (repo / ".spec-baseline.json").write_bytes(content)
    result = run("validate", "--all")
    assert result.exit_code == 2
    assert result.stderr.startswith("spec: error: .spec-baseline.json")
    assert message in result.stderr
    assert run("validate", "--all", "--no-baseline").exit_code == 0
    as_json = run("validate", "--all", "--json")
    assert as_json.exit_code == 2 and json.loads(as_json.stdout)["status"][0]["code"].startswith("baseline_")
    assert run("baseline", "--prune").exit_code == 2


def test_baseline_refuses_to_write_through_a_symlink_leaving_the_workspace(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.json"
    outside.write_text("untouched")
    (repo / "link.json").symlink_to(outside)
    result = run("baseline", "--out", "link.json")
    assert result.exit_code == 2
    assert "link.json" in result.stderr
    assert outside.read_text() == "untouched"
    away = run("baseline", "--out", str(tmp_path / "away.json"))
    assert away.exit_code == 2 and not (tmp_path / "away.json").exists()


def test_without_a_baseline_the_json_keeps_the_reference_shape(repo: Path) -> None:
    _, data = run_json("validate", "--all", "--json", "--no-baseline")
    assert set(data) == {"items", "summary", "version", "root"}
    assert set(data["summary"]) == {"totals", "byType"}
    assert all(set(issue) <= {"level", "code", "path", "message", "line"} for issue in _issues(data))


def test_report_findings_leaves_out_items_whose_findings_are_all_known(repo: Path) -> None:
    (repo / SPEC_REL).write_text(SPEC.replace("The system SHALL send an SMS", "The system sends an SMS"))
    result = run("validate", "--all", "--strict", "--report", "findings")
    assert result.exit_code == 1
    assert "spec notifications" in result.stdout and "change add-webhooks" not in result.stdout


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_baseline_that_is_no_regular_file_is_exit_2_without_waiting(repo: Path, kind: str) -> None:
    """A pipe there would wait for a writer forever and /dev/zero would never end: both are
    refused at once (the command runs as a process, with a deadline, so a hang fails the test)."""
    import os
    import subprocess
    import sys

    path = repo / ".spec-baseline.json"
    path.unlink(missing_ok=True)  # (the fixture records one)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    spec = Path(sys.executable).with_name("spec")
    result = subprocess.run([str(spec), "validate", "--all"], cwd=repo, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("spec: error: .spec-baseline.json: cannot read the baseline: it is not a "
                                    "regular file"), result.stderr
