"""``spec init`` and ``spec new change``: what they create, what they refuse, and blanks that fail."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from specledger.cli.main import cli
from specledger.scaffold import PLACEHOLDERS

Repo = Callable[[dict[str, str | bytes]], Path]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})


def issues(result: Result) -> list[dict[str, object]]:
    return json.loads(result.stdout)["items"][0]["issues"]  # type: ignore[no-any-return]


# -- spec init -----------------------------------------------------------------------------------


def test_init_creates_the_layout_and_is_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    monkeypatch.chdir(tmp_path)
    first = run("init", "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["created"] == [
        "pyproject.toml [tool.specledger]", "specs/", "changes/", "changes/archive/"]
    text = (tmp_path / "pyproject.toml").read_text()
    assert text.startswith('[project]\nname = "demo"\n\n[tool.specledger]\n')  # the user's text kept, first
    second = run("init")
    assert second.exit_code == 0
    assert "nothing to do" in second.stdout
    assert (tmp_path / "pyproject.toml").read_text() == text
    # the result is a workspace every command can use
    assert run("new", "change", "add-login").exit_code == 0
    assert (tmp_path / "changes/add-login/proposal.md").is_file()
    assert run("list", "--json").exit_code == 0


def test_init_openspec_layout_in_a_new_folder(tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "repo"), "--openspec")
    assert result.exit_code == 0, result.output
    for rel in ("openspec/specs", "openspec/changes", "openspec/changes/archive"):
        assert (tmp_path / "repo" / rel).is_dir()
    assert not (tmp_path / "repo/pyproject.toml").exists()


def test_init_respects_configured_folders(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.specledger]\nspecs_dir = "docs/specs"\n')
    result = run("init", str(tmp_path), "--json")
    assert json.loads(result.stdout)["created"] == ["docs/specs/", "changes/", "changes/archive/"]


@pytest.mark.parametrize("case", ["invalid-toml", "symlinked-folder", "path-is-a-link", "path-is-a-file"])
def test_init_refusals_touch_nothing(tmp_path: Path, case: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    target = root
    if case == "invalid-toml":
        (root / "pyproject.toml").write_text("[project\n")
    elif case == "symlinked-folder":
        os.symlink(outside, root / "specs")
    elif case == "path-is-a-link":
        target = tmp_path / "link"
        os.symlink(outside, target)
    else:
        target = root / "file"
        target.write_text("x")
    before = sorted(p.name for p in root.iterdir()), sorted(outside.iterdir())
    result = run("init", str(target))
    assert result.exit_code == 2, result.output
    assert "spec: error:" in result.stderr or "Error: Invalid value" in result.stderr
    assert (sorted(p.name for p in root.iterdir()), sorted(outside.iterdir())) == before
    if case == "invalid-toml":
        assert (root / "pyproject.toml").read_text() == "[project\n"


# -- spec new change -----------------------------------------------------------------------------


def test_new_change_scaffolds_every_file(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    root = repo(good_files)
    result = run("new", "change", "add-login", "--capability", "auth", "--capability", "notifications")
    assert result.exit_code == 0, result.output
    folder = root / "openspec/changes/add-login"
    for rel in (".openspec.yaml", "proposal.md", "tasks.md", "design.md", "specs/auth/spec.md",
                "specs/notifications/spec.md"):
        assert (folder / rel).is_file(), rel
    # a new capability gets a Purpose to fill; an existing one does not
    assert (folder / "specs/auth/spec.md").read_text().startswith("## Purpose\n")
    assert (folder / "specs/notifications/spec.md").read_text().startswith("## ADDED Requirements\n")
    assert "Affected specs: auth, notifications" in (folder / "proposal.md").read_text()


def test_every_blank_of_the_scaffold_is_a_warning_with_file_and_line(
        repo: Repo, good_files: dict[str, str | bytes]) -> None:
    root = repo(good_files)
    run("new", "change", "add-login", "--capability", "auth")
    strict = run("validate", "add-login", "--strict", "--json")
    assert strict.exit_code == 1
    blanks = [i for i in issues(strict) if i["code"] == "placeholder-unfilled"]
    assert all(i["level"] == "WARNING" and isinstance(i["line"], int) for i in blanks)
    files = {str(i["path"]).rsplit("/", 1)[-1] for i in blanks}
    assert files == {"proposal.md", "tasks.md", "design.md", "spec.md"}
    # every blank the scaffold wrote was found, at the line where it stands
    folder = root / "openspec/changes/add-login"
    expected = set()
    for path in folder.rglob("*.md"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if any(text in line for text in PLACEHOLDERS.values()):
                expected.add((path.relative_to(root).as_posix(), number))
    assert {(i["path"], i["line"]) for i in blanks} == expected
    # not a blocking error: without --strict the scaffold is valid as far as blanks go
    assert all(i["level"] != "ERROR" for i in issues(run("validate", "add-login", "--json")))


@pytest.mark.parametrize("filename", ["proposal.md", "tasks.md", "design.md", "specs/auth/spec.md"])
def test_a_blank_left_in_any_one_file_still_fails_strict(repo: Repo, good_files: dict[str, str | bytes],
                                                         filename: str) -> None:
    root = repo(good_files)
    run("new", "change", "add-login", "--capability", "auth")
    folder = root / "openspec/changes/add-login"
    filled = {
        "proposal.md": "# Change: Add login\n\n## Why\nPeople cannot sign in with the company account they "
                       "already have, so support handles resets.\n\n## What Changes\n- Sign-in with SSO.\n",
        "tasks.md": "## 1. Build\n- [ ] 1.1 Build the sign-in page\n",
        "design.md": "## Context\nSSO through the existing identity provider.\n",
        "specs/auth/spec.md": "## Purpose\nHow people prove who they are to the platform, and stay signed in.\n\n"
                              "## ADDED Requirements\n\n### Requirement: Single sign-on\nThe system SHALL accept "
                              "the company identity provider.\n\n#### Scenario: Signed in\n- **WHEN** a person "
                              "signs in\n- **THEN** a session starts\n",
    }
    for rel, text in filled.items():
        if rel != filename:
            (folder / rel).write_text(text)
    result = run("validate", "add-login", "--strict", "--json")
    assert result.exit_code == 1
    blanks = {str(i["path"]) for i in issues(result) if i["code"] == "placeholder-unfilled"}
    assert blanks == {f"openspec/changes/add-login/{filename}"}
    (folder / filename).write_text(filled[filename])
    assert run("validate", "add-login", "--strict").exit_code == 0


def test_new_change_refusals(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    root = repo(good_files)
    assert run("new", "change", "add-login").exit_code == 0
    existing = run("new", "change", "add-login")
    assert existing.exit_code == 1 and "already exists" in existing.stderr
    assert run("new", "change", "Add_Login").exit_code == 2
    assert run("new", "change", "x", "--capability", "../etc").exit_code == 2
    assert not (root / "openspec/changes/x").exists()
    assert run("new", "change", "archive").exit_code == 2
