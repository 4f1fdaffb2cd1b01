"""Scenarios of specs/validation that no other test checked exactly as the spec words them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from specledger.cli.main import cli

Repo = Callable[[dict[str, str | bytes]], Path]
SPEC = "openspec/specs/notifications/spec.md"
CHANGE = "openspec/changes/add-webhooks"
DELTA = f"{CHANGE}/specs/notifications/spec.md"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})


def _issues(result: Result) -> dict[str, list[dict[str, Any]]]:
    return {f"{i['type']}:{i['id']}": i["issues"] for i in json.loads(result.stdout)["items"]}


@pytest.mark.scenario("validation", "A short Purpose under --strict")
def test_a_short_purpose_is_valid_without_strict_and_invalid_with_it(
    repo: Repo, good_files: dict[str, str | bytes]
) -> None:
    purpose = "Users are told about events that matter to them, by email or SMS, as they choose."
    good_files[SPEC] = str(good_files[SPEC]).replace(purpose, "Tell users about events.")
    repo(good_files)
    assert run("validate", "notifications", "--type", "spec").exit_code == 0
    strict = run("validate", "notifications", "--type", "spec", "--strict", "--json")
    assert strict.exit_code == 1
    (item,) = json.loads(strict.stdout)["items"]
    assert item["valid"] is False
    assert [i["code"] for i in item["issues"]] == ["spec-purpose-short"]


@pytest.mark.scenario("validation", "MODIFIED of a requirement the main spec lacks")
def test_modifying_a_requirement_the_spec_lacks_is_an_archive_would_refuse_error(
    repo: Repo, good_files: dict[str, str | bytes]
) -> None:
    good_files[DELTA] = (
        "## MODIFIED Requirements\n\n### Requirement: Send fax\nThe system SHALL send a fax.\n\n"
        "#### Scenario: Faxed\n- **WHEN** an event occurs\n- **THEN** a fax is sent\n"
    )
    repo(good_files)
    result = run("validate", "add-webhooks", "--json")
    assert result.exit_code == 1
    refusals = [i for i in _issues(result)["change:add-webhooks"] if i["code"] == "archive-would-refuse"]
    assert [(i["level"], i["path"], i["line"]) for i in refusals] == [("ERROR", DELTA, 3)]
    assert "Send fax" in refusals[0]["message"]


@pytest.mark.scenario("validation", "A new capability without a Purpose")
def test_a_new_capability_without_purpose_warns_so_strict_fails_before_archive(
    repo: Repo, good_files: dict[str, str | bytes]
) -> None:
    good_files[f"{CHANGE}/specs/webhooks/spec.md"] = good_files.pop(DELTA)
    repo(good_files)
    relaxed = run("validate", "add-webhooks", "--json")
    assert relaxed.exit_code == 0
    found = [i for i in _issues(relaxed)["change:add-webhooks"] if i["code"] == "new-capability-no-purpose"]
    assert [(i["level"], i["path"]) for i in found] == [("WARNING", f"{CHANGE}/specs/webhooks/spec.md")]
    assert run("validate", "add-webhooks", "--strict").exit_code == 1
    # With a Purpose in the delta the warning goes, so it is about the Purpose alone.
    good_files[f"{CHANGE}/specs/webhooks/spec.md"] = (
        "## Purpose\nIntegrators receive every event as a signed JSON POST to their own endpoint.\n\n"
        + str(good_files[f"{CHANGE}/specs/webhooks/spec.md"])
    )
    repo(good_files)
    assert run("validate", "add-webhooks", "--strict").exit_code == 0


@pytest.mark.scenario("validation", "Missing proposal")
def test_a_change_without_proposal_is_an_error_naming_it(
    repo: Repo, good_files: dict[str, str | bytes]
) -> None:
    del good_files[f"{CHANGE}/proposal.md"]
    repo(good_files)
    result = run("validate", "add-webhooks", "--json")
    assert result.exit_code == 1
    found = [(i["level"], i["code"]) for i in _issues(result)["change:add-webhooks"]]
    assert ("ERROR", "proposal-missing") in found
    missing = next(i for i in _issues(result)["change:add-webhooks"] if i["code"] == "proposal-missing")
    assert "proposal.md" in missing["message"] or str(missing.get("path", "")).endswith("proposal.md")


@pytest.mark.scenario("validation", "Two changes modify one requirement")
def test_two_changes_on_one_requirement_each_get_a_warning_naming_the_other(
    repo: Repo, good_files: dict[str, str | bytes]
) -> None:
    modified = (
        "## MODIFIED Requirements\n\n### Requirement: Send email\nThe system SHALL send an email per event.\n\n"
        "#### Scenario: Event happens\n- **WHEN** an event occurs\n- **THEN** an email is sent\n"
    )
    for name in ("one", "two"):
        good_files[f"openspec/changes/{name}/proposal.md"] = good_files[f"{CHANGE}/proposal.md"]
        good_files[f"openspec/changes/{name}/specs/notifications/spec.md"] = modified
    repo(good_files)
    result = run("validate", "--changes", "--json")
    found = _issues(result)
    for name, other in (("one", "two"), ("two", "one")):
        overlaps = [i for i in found[f"change:{name}"] if i["code"] == "change-overlap"]
        assert [i["level"] for i in overlaps] == ["WARNING"]
        assert other in overlaps[0]["message"] and "Send email" in overlaps[0]["message"]


@pytest.mark.scenario("validation", "Text output")
def test_text_report_line_is_path_line_level_message_code(
    repo: Repo, good_files: dict[str, str | bytes]
) -> None:
    # The requirement without SHALL sits on line 12 of the delta.
    good_files[DELTA] = str(good_files[DELTA]) + (
        "\n\n\n### Requirement: Retry\nThe system retries a failed POST.\n\n"
        "#### Scenario: Failed\n- **WHEN** a POST fails\n- **THEN** it is retried\n"
    )
    root = repo(good_files)
    assert (root / DELTA).read_text().splitlines()[11] == "### Requirement: Retry"
    result = run("validate", "add-webhooks")
    line = next(ln for ln in result.stdout.splitlines() if "requirement-no-shall" in ln)
    assert line.strip() == (
        f'{DELTA}:12: WARNING ADDED "Retry" should state a SHALL or MUST (upper case) in its text '
        "[requirement-no-shall]"
    )


@pytest.mark.scenario("validation", "CI annotations")
def test_github_format_prints_an_error_workflow_command(
    repo: Repo, good_files: dict[str, str | bytes]
) -> None:
    good_files[DELTA] = (
        "## MODIFIED Requirements\n\n### Requirement: Send fax, 100%\nThe system SHALL send a fax.\n\n"
        "#### Scenario: Faxed\n- **WHEN** an event occurs\n- **THEN** a fax is sent\n"
    )
    repo(good_files)
    result = run("validate", "add-webhooks", "--format", "github")
    assert result.exit_code == 1
    errors = [ln for ln in result.stdout.splitlines() if ln.startswith("::error ")]
    assert errors, result.stdout
    assert errors[0].startswith(f"::error file={DELTA},line=3,")
    message = errors[0].split("::", 2)[2]
    assert "Send fax, 100%25" in message  # the message's own % escaped, its comma kept
