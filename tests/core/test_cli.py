"""The CLI as a user drives it, through click's CliRunner (stdout and stderr kept apart)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from specledger.cli.main import cli

Repo = Callable[[dict[str, str | bytes]], Path]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})


def test_validate_valid_change_exits_zero(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    result = run("validate", "add-webhooks", "--strict")
    assert result.exit_code == 0, result.output
    assert "ok   change add-webhooks" in result.stdout


def test_validate_json_keeps_reference_shape(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    result = run("validate", "--all", "--json")
    data = json.loads(result.stdout)
    assert {i["id"]: i["valid"] for i in data["items"]} == {"add-webhooks": True, "notifications": True}
    assert data["summary"]["totals"] == {"items": 2, "passed": 2, "failed": 0}
    assert set(data["summary"]["byType"]) == {"change", "spec"}
    assert data["version"] == "1.0"


def test_text_output_points_at_file_and_line(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files["openspec/changes/add-webhooks/specs/notifications/spec.md"] = (
        "## ADDED Requirements\n\n### Requirement: Webhook delivery\nThe system posts payloads.\n\n"
        "#### Scenario: Posted\n- **WHEN** x\n- **THEN** y\n"
    )
    repo(good_files)
    result = run("validate", "add-webhooks", "--strict")
    assert result.exit_code == 1
    assert ("openspec/changes/add-webhooks/specs/notifications/spec.md:3: WARNING" in result.stdout)
    assert "[requirement-no-shall]" in result.stdout
    assert "1 invalid" in result.stdout


def test_github_format_escapes_annotations(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files["openspec/changes/add-webhooks/proposal.md"] = "# Change: x\n\n## What Changes\n- a, b\n"
    repo(good_files)
    result = run("validate", "add-webhooks", "--format", "github")
    assert result.exit_code == 1
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("::error"))
    assert "file=openspec/changes/add-webhooks/proposal.md" in line
    assert "title=proposal-why-missing (change add-webhooks)" in line
    # a comma in a property value would end it early: it must be escaped
    assert "%2C" not in line.split("::")[1] or "," not in line.split("::")[1].split("title=")[1]


def test_no_color_on_a_pipe_and_with_no_color(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files["openspec/changes/add-webhooks/proposal.md"] = "# x\n"
    repo(good_files)
    result = CliRunner().invoke(cli, ["validate", "--all"], env={"NO_COLOR": ""})
    assert "\x1b[" not in result.stdout


def test_unknown_item_suggests_nearest(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    result = run("validate", "add-webhook")
    assert result.exit_code == 2
    assert "unknown change or spec 'add-webhook'" in result.stderr
    assert "did you mean: add-webhooks" in result.stderr


def test_ambiguous_item_needs_type(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files["openspec/changes/notifications/proposal.md"] = good_files["openspec/changes/add-webhooks/proposal.md"]
    good_files["openspec/changes/notifications/specs/notifications/spec.md"] = good_files[
        "openspec/changes/add-webhooks/specs/notifications/spec.md"]
    repo(good_files)
    result = run("validate", "notifications")
    assert result.exit_code == 2
    assert "both a change and a spec" in result.stderr
    assert run("validate", "notifications", "--type", "spec").exit_code == 0


def test_nothing_to_validate_is_a_usage_error(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    result = run("validate")
    assert result.exit_code == 2
    assert "nothing to validate" in result.stderr


def test_unknown_option_is_a_usage_error(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    assert CliRunner().invoke(cli, ["validate", "--bogus"]).exit_code == 2


def test_no_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("list")
    assert result.exit_code == 2
    assert "no specledger workspace found" in result.stderr


def test_list_shows_progress_and_complete(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files["openspec/changes/done-one/proposal.md"] = good_files["openspec/changes/add-webhooks/proposal.md"]
    good_files["openspec/changes/done-one/tasks.md"] = "- [x] 1.1 a\n- [X] 1.2 b\n"
    repo(good_files)
    result = run("list", "--sort", "name")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Changes:"
    assert "add-webhooks" in lines[1] and "1/2 tasks" in lines[1]
    assert "done-one" in lines[2] and "complete" in lines[2]
    data = json.loads(run("list", "--json").stdout)
    statuses = {c["name"]: (c["completedTasks"], c["totalTasks"], c["status"]) for c in data["changes"]}
    assert statuses == {"add-webhooks": (1, 2, "in-progress"), "done-one": (2, 2, "complete")}


def test_fenced_checkboxes_are_not_tasks(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files["openspec/changes/add-webhooks/tasks.md"] = (
        "- [x] 1.1 real\n\n```markdown\n- [ ] an example, not a task\n```\n+ [ ] 1.2 other\n1. [x] 1.3 numbered\n"
    )
    repo(good_files)
    data = json.loads(run("list", "--json").stdout)
    assert data["changes"][0]["completedTasks"] == 2
    assert data["changes"][0]["totalTasks"] == 3


def test_list_specs_counts_requirements(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    data = json.loads(run("list", "--specs", "--json").stdout)
    assert data["specs"] == [{"id": "notifications", "requirementCount": 1}]


def test_show_change_json_and_spec_filters(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    change = json.loads(run("show", "add-webhooks", "--json").stdout)
    assert change["title"] == "Add webhooks"
    assert change["deltaCount"] == 1
    assert change["deltas"][0]["operation"] == "ADDED"
    spec = json.loads(run("show", "notifications", "--json", "--no-scenarios").stdout)
    assert spec["requirements"][0]["scenarios"] == []
    assert run("show", "notifications", "--json", "-r", "5").exit_code == 2
    text = run("show", "add-webhooks")
    assert text.stdout.startswith("# Change: Add webhooks")


def test_nested_capabilities(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    spec = good_files.pop("openspec/specs/notifications/spec.md")
    good_files["openspec/specs/billing/invoices/spec.md"] = spec
    good_files["openspec/specs/spec.md"] = "ignored: a spec.md at the top of specs/ is not a capability"
    repo(good_files)
    data = json.loads(run("list", "--specs", "--json").stdout)
    assert [s["id"] for s in data["specs"]] == ["billing/invoices"]
    assert run("validate", "billing/invoices", "--strict").exit_code == 0


def test_overlapping_changes_are_reported(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    modified = (
        "## MODIFIED Requirements\n\n### Requirement: Send email\nThe system SHALL send an email per event.\n\n"
        "#### Scenario: Event happens\n- **WHEN** an event occurs\n- **THEN** an email is sent\n"
    )
    for name in ("one", "two"):
        good_files[f"openspec/changes/{name}/proposal.md"] = good_files["openspec/changes/add-webhooks/proposal.md"]
        good_files[f"openspec/changes/{name}/specs/notifications/spec.md"] = modified
    repo(good_files)
    data = json.loads(run("validate", "--changes", "--json").stdout)
    codes = {i["id"]: [x["code"] for x in i["issues"]] for i in data["items"]}
    assert "change-overlap" in codes["one"] and "change-overlap" in codes["two"]
    assert "change-overlap" not in codes["add-webhooks"]
    # one change alone is not compared with anything
    assert run("validate", "one", "--strict").exit_code == 0


def test_pyproject_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          good_files: dict[str, str | bytes]) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.specledger]\nspecs_dir = "docs/specs"\n')
    (tmp_path / "docs/specs/a").mkdir(parents=True)
    (tmp_path / "docs/specs/a/spec.md").write_text(str(good_files["openspec/specs/notifications/spec.md"]))
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    result = run("validate", "--specs", "--strict")
    assert result.exit_code == 0, result.output
    assert "docs/specs/a/spec.md" not in result.stdout  # valid: no findings to point at
    assert "ok   spec a" in result.stdout


def test_new_change_scaffold(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    root = repo(good_files)
    result = run("new", "change", "add-login", "--description", "x" * 60)
    assert result.exit_code == 0, result.output
    folder = root / "openspec/changes/add-login"
    assert (folder / ".openspec.yaml").read_text().startswith("schema: spec-driven\ncreated: ")
    assert "x" * 60 in (folder / "proposal.md").read_text()
    # the scaffold is a valid start except for the deltas still to write
    codes = [i["code"] for i in json.loads(run("validate", "add-login", "--json").stdout)["items"][0]["issues"]]
    assert codes == ["change-no-deltas"]
    assert run("new", "change", "add-login").exit_code == 1
    assert run("new", "change", "../escape").exit_code == 2
    assert not (root / "openspec/escape").exists()
