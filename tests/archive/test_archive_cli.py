"""``spec archive`` through click's CliRunner: flags, confirmations, refusals and exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from scenario import CLI_CHANGE, make_cli_tree, snapshot
from specledger.archive.journal import ArchiveLock
from specledger.cli.main import cli
from specledger.workspace import find_workspace


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_cli_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> Result:
    # CliRunner's stdin is not a terminal: the command must never prompt.
    return CliRunner().invoke(cli, ["archive", *args], catch_exceptions=False)


def archived(repo: Path) -> list[str]:
    folder = repo / "openspec/changes/archive"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.mark.parametrize(
    "name", ["../specs", "a/b", "/etc", "..", ".hidden", "x..y", "archive", "a\\b"]
)
def test_unsafe_names_are_refused_with_exit_2_and_nothing_touched(repo: Path, name: str) -> None:
    before = snapshot(repo)
    result = run(name, "--yes", "--json")
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["status"][0]["severity"] == "error"
    assert snapshot(repo) == before


def test_symlinked_change_folder_is_refused(repo: Path) -> None:
    os.symlink(repo / f"openspec/changes/{CLI_CHANGE}", repo / "openspec/changes/linked")
    before = snapshot(repo)
    result = run("linked", "--yes", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["status"][0]["code"] == "archive_change_symlink"
    assert snapshot(repo) == before


def test_unknown_change_is_exit_2(repo: Path) -> None:
    result = run("nope", "--yes")
    assert result.exit_code == 2
    assert "nope" in result.stderr


def test_missing_name_is_a_usage_error(repo: Path) -> None:
    assert run("--yes").exit_code == 2


def test_incomplete_tasks_without_yes_and_without_terminal_refuse(repo: Path) -> None:
    before = snapshot(repo)
    result = run(CLI_CHANGE)
    assert result.exit_code == 1
    assert "--yes" in result.stderr
    assert snapshot(repo) == before


def test_incomplete_tasks_json_reports_the_code(repo: Path) -> None:
    result = run(CLI_CHANGE, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"][0]["code"] == "archive_tasks_incomplete"


def test_archive_with_yes_writes_specs_and_moves_the_change(repo: Path) -> None:
    result = run(CLI_CHANGE, "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)["archive"]
    assert body["change"] == CLI_CHANGE
    assert body["archivedAs"].endswith(f"-{CLI_CHANGE}")
    assert body["specsUpdated"] is True
    assert body["totals"] == {"added": 2, "modified": 0, "removed": 0, "renamed": 0}
    assert archived(repo) == [body["archivedAs"]]
    assert "Webhook Delivery" in (repo / "openspec/specs/notifications/spec.md").read_text()
    assert (repo / "openspec/specs/webhooks/spec.md").is_file()
    assert not (repo / f"openspec/changes/{CLI_CHANGE}").exists()
    # no working files left behind
    leftovers = [p for p in snapshot(repo) if "specledger" in p]
    assert leftovers == []


def test_dry_run_prints_diffs_and_writes_nothing(repo: Path) -> None:
    before = snapshot(repo)
    result = run(CLI_CHANGE, "--dry-run", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "+++ b/openspec/specs/notifications/spec.md" in result.stdout
    assert "+### Requirement: Webhook Delivery" in result.stdout
    assert "--- /dev/null" in result.stdout  # the new capability
    assert "would be archived" in result.stdout
    assert snapshot(repo) == before


@pytest.mark.parametrize("as_json", [False, True])
def test_dry_run_ends_with_the_real_runs_verdict(repo: Path, as_json: bool) -> None:
    """The change has an open task: without --yes the real run refuses, so the dry run says so."""
    before = snapshot(repo)
    extra = ["--json"] if as_json else []
    real = CliRunner().invoke(cli, ["archive", CLI_CHANGE, *extra], catch_exceptions=False)
    dry = run(CLI_CHANGE, "--dry-run", *extra)
    assert real.exit_code == dry.exit_code == 1
    if as_json:
        verdict = json.loads(dry.stdout)["archive"]["verdict"]
        assert verdict == {"archived": False, "code": "archive_tasks_incomplete",
                           "message": f"1 incomplete task(s) in change '{CLI_CHANGE}'"}
        assert json.loads(real.stdout)["status"][0]["code"] == verdict["code"]
    else:
        assert "would refuse: 1 incomplete task(s)" in dry.stdout
        assert "would be archived" not in dry.stdout
        assert "+### Requirement: Webhook Delivery" in dry.stdout  # the diff is still shown
    assert snapshot(repo) == before


def test_destination_that_exists_is_refused_before_anything(repo: Path) -> None:
    first = run(CLI_CHANGE, "--yes", "--json")
    name = json.loads(first.stdout)["archive"]["archivedAs"]
    make_cli_tree(repo)  # the same change opened again
    before = snapshot(repo)
    result = run(CLI_CHANGE, "--yes", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"][0]["code"] == "archive_target_exists"
    assert snapshot(repo) == before
    assert archived(repo) == [name]


def test_skip_specs_moves_the_change_only(repo: Path) -> None:
    spec_before = (repo / "openspec/specs/notifications/spec.md").read_bytes()
    result = run(CLI_CHANGE, "--yes", "--skip-specs", "--json")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)["archive"]
    assert body["specsUpdated"] is False and "totals" not in body
    assert (repo / "openspec/specs/notifications/spec.md").read_bytes() == spec_before
    assert not (repo / "openspec/specs/webhooks").exists()


def test_no_validate_json_needs_yes(repo: Path) -> None:
    result = run(CLI_CHANGE, "--no-validate", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"][0]["code"] == "archive_confirmation_required"


def test_validation_errors_refuse_with_exit_1(repo: Path) -> None:
    delta = repo / f"openspec/changes/{CLI_CHANGE}/specs/notifications/spec.md"
    delta.write_text(
        "## MODIFIED Requirements\n\n### Requirement: Nowhere\nIt SHALL be.\n\n"
        "#### Scenario: s\n- **WHEN** x\n- **THEN** y\n"
    )
    before = snapshot(repo)
    result = run(CLI_CHANGE, "--yes", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"][0]["code"] == "archive_validation_failed"
    assert snapshot(repo) == before


def test_a_second_archive_while_one_holds_the_lock_is_refused(repo: Path) -> None:
    before = snapshot(repo)
    with ArchiveLock(find_workspace(repo)):
        result = run(CLI_CHANGE, "--yes", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["status"][0]["code"] == "archive_locked"
    assert snapshot(repo) == before
