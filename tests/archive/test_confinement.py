"""Archive never writes, renames or deletes outside the workspace, and validate says so first.

Each case builds the CLI scenario tree (a change that passes ``validate --strict``), bends one
path, then checks through the real command that ``validate`` reports an ERROR for the change
(so "validate --strict passes, archive succeeds" still holds), that ``archive`` refuses with the
documented exit code, and that neither the tree nor a folder outside it changed by one byte.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from scenario import CLI_CHANGE, make_cli_tree, snapshot
from specledger.archive import apply as apply_mod
from specledger.archive.journal import journal_path, write_journal
from specledger.archive.plan import build_plan
from specledger.cli.main import cli
from specledger.workspace import find_workspace

SPECS = "openspec/specs"
CHANGES = "openspec/changes"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})


def codes(result: Result) -> set[str]:
    data = json.loads(result.stdout)
    return {issue["code"] for item in data["items"] for issue in item["issues"]}


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(repository, a folder outside it holding a capability of its own)."""
    repo = tmp_path / "repo"
    outside = tmp_path / "outside"
    make_cli_tree(repo)
    (outside / "cap").mkdir(parents=True)
    (outside / "cap" / "spec.md").write_bytes((repo / SPECS / "notifications/spec.md").read_bytes())
    (outside / "archive").mkdir()
    monkeypatch.chdir(repo)
    return repo, outside


def _move_out(repo: Path, rel: str, outside: Path, name: str) -> None:
    """Replace ``repo/rel`` by a symlink to a copy of it outside the repository."""
    target = outside / name
    shutil.copytree(repo / rel, target)
    shutil.rmtree(repo / rel)
    os.symlink(target, repo / rel)


Bend = Callable[[Path, Path], None]


def _link_capability(repo: Path, outside: Path) -> None:
    shutil.rmtree(repo / SPECS / "notifications")
    os.symlink(outside / "cap", repo / SPECS / "notifications")


BENDS: dict[str, Bend] = {
    # an existing capability folder (archive would overwrite the spec there)
    "capability-folder": _link_capability,
    # a capability folder the change creates (archive would create the spec there)
    "new-capability-folder": lambda repo, out: os.symlink(out / "cap-new", repo / SPECS / "webhooks"),
    "specs-folder": lambda repo, out: _move_out(repo, SPECS, out, "specs"),
    "changes-folder": lambda repo, out: _move_out(repo, CHANGES, out, "changes"),
    "archive-folder": lambda repo, out: os.symlink(out / "archive", repo / CHANGES / "archive"),
}


@pytest.mark.parametrize("bend", sorted(BENDS))
def test_symlinks_out_of_the_workspace_are_refused(world: tuple[Path, Path], bend: str) -> None:
    repo, outside = world
    BENDS[bend](repo, outside)
    (outside / "cap-new").mkdir(exist_ok=True)
    before, before_out = snapshot(repo), snapshot(outside)

    checked = run("validate", CLI_CHANGE, "--strict", "--json")
    assert checked.exit_code == 1, checked.output
    assert codes(checked) & {"path-through-symlink", "path-outside-workspace"}, checked.stdout

    result = run("archive", CLI_CHANGE, "--yes", "--json")
    assert result.exit_code == 2, result.output
    status = json.loads(result.stdout)["status"][0]
    assert status["code"] in {"path_through_symlink", "path_outside_workspace"}
    assert "symbolic link" in status["message"] or "outside" in status["message"]
    assert snapshot(repo) == before
    assert snapshot(outside) == before_out
    # and nothing was left for a later command to trip over
    assert run("list", "--json").exit_code == 0


def test_a_link_inside_the_workspace_is_read_but_never_written_through(world: tuple[Path, Path]) -> None:
    """The documented rule: a delta reads the main spec through an inside link (so validate
    judges the real text), but archive refuses to write through it."""
    repo, _ = world
    real = repo / "elsewhere-in-repo" / "notifications"
    real.parent.mkdir()
    shutil.move(repo / SPECS / "notifications", real)
    os.symlink(real, repo / SPECS / "notifications")
    before = snapshot(repo)
    checked = run("validate", CLI_CHANGE, "--json")
    found = codes(checked)
    assert "path-through-symlink" in found
    assert "archive-would-refuse" not in found  # the MODIFIED/ADDED deltas were checked against the real text
    assert run("archive", CLI_CHANGE, "--yes").exit_code == 2
    assert snapshot(repo) == before


def test_main_spec_that_is_a_symlink_fails_validate_not_archive(world: tuple[Path, Path]) -> None:
    repo, _ = world
    spec = repo / SPECS / "notifications/spec.md"
    keep = repo / SPECS / "notifications/real.md"
    spec.rename(keep)
    os.symlink("real.md", spec)
    checked = run("validate", CLI_CHANGE, "--strict", "--json")
    assert checked.exit_code == 1
    assert "path-through-symlink" in codes(checked)
    before = snapshot(repo)
    assert run("archive", CLI_CHANGE, "--yes").exit_code == 2
    assert snapshot(repo) == before


def test_existing_destination_fails_validate_and_archive(world: tuple[Path, Path]) -> None:
    repo, _ = world
    dest = repo / CHANGES / "archive" / f"{_dt.date.today().isoformat()}-{CLI_CHANGE}"
    dest.mkdir(parents=True)
    (dest / "keep.md").write_text("mine\n")
    checked = run("validate", CLI_CHANGE, "--strict", "--json")
    assert checked.exit_code == 1
    assert "archive-target-exists" in codes(checked)
    before = snapshot(repo)
    result = run("archive", CLI_CHANGE, "--yes", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"][0]["code"] == "archive_target_exists"
    assert snapshot(repo) == before


@pytest.mark.parametrize("suffix", [".specledger-new", ".specledger-old"])
def test_stray_working_file_fails_validate_and_is_left_alone(world: tuple[Path, Path], suffix: str) -> None:
    repo, _ = world
    stray = repo / SPECS / "notifications" / f".spec.md{suffix}"
    stray.write_text("someone's notes\n")
    checked = run("validate", CLI_CHANGE, "--strict", "--json")
    assert checked.exit_code == 1
    assert "archive-working-file-exists" in codes(checked)
    before = snapshot(repo)
    result = run("archive", CLI_CHANGE, "--yes", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["status"][0]["path"].endswith(f".spec.md{suffix}")
    assert snapshot(repo) == before


def test_change_name_too_long_to_date_fails_validate_and_archive(world: tuple[Path, Path]) -> None:
    repo, _ = world
    long_name = "x" * 250  # a legal folder name; with "YYYY-MM-DD-" in front it is not
    (repo / CHANGES / CLI_CHANGE).rename(repo / CHANGES / long_name)
    checked = run("validate", long_name, "--strict", "--json")
    assert checked.exit_code == 1
    assert "archive-name-too-long" in codes(checked)
    before = snapshot(repo)
    result = run("archive", long_name, "--yes", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["status"][0]["code"] == "archive_name_too_long"
    assert snapshot(repo) == before


def test_a_300_character_name_is_exit_2_for_archive(world: tuple[Path, Path]) -> None:
    repo, _ = world
    before = snapshot(repo)
    result = run("archive", "y" * 300, "--yes")
    assert result.exit_code == 2
    assert "300 bytes" in result.stderr
    assert snapshot(repo) == before


def test_tree_that_moves_after_planning_is_refused_at_apply(world: tuple[Path, Path]) -> None:
    """Confinement is checked again when writing starts, against the tree as it is then."""
    repo, outside = world
    ws = find_workspace(repo)
    plan = build_plan(ws, CLI_CHANGE)
    BENDS["capability-folder"](repo, outside)
    before, before_out = snapshot(repo), snapshot(outside)
    with pytest.raises(Exception) as info:
        apply_mod.apply_plan(ws, plan)
    assert getattr(info.value, "code", None) == "path_through_symlink"
    assert snapshot(repo) == before
    assert snapshot(outside) == before_out


# -- the journal -----------------------------------------------------------------------------


def _prepared_journal(repo: Path, *, state: str = "prepared") -> Path:
    """Leave a journal as an archive killed right after writing it would (nothing else done)."""
    ws = find_workspace(repo)
    plan = build_plan(ws, CLI_CHANGE)
    journal = apply_mod.build_journal(ws, plan)
    write_journal(ws, journal.with_state(state))  # type: ignore[arg-type]
    return journal_path(ws)


def test_rollback_never_deletes_a_spec_it_did_not_write(world: tuple[Path, Path]) -> None:
    """A prepared journal whose create-op never staged its temp must not delete the user's file."""
    repo, _ = world
    _prepared_journal(repo)
    users_own = repo / SPECS / "webhooks" / "spec.md"  # the capability the change would create
    users_own.parent.mkdir()
    users_own.write_text("# webhooks\n\nwritten by a person after the crash\n")
    result = run("list", "--json")
    assert result.exit_code == 0, result.output
    assert users_own.read_text().endswith("after the crash\n")
    assert not journal_path(find_workspace(repo)).exists()


def test_committed_journal_with_a_foreign_temp_is_refused(world: tuple[Path, Path]) -> None:
    repo, _ = world
    ws = find_workspace(repo)
    plan = build_plan(ws, CLI_CHANGE)
    journal = apply_mod.build_journal(ws, plan)
    write_journal(ws, journal.with_state("committed"))
    temp = ws.root / journal.writes[0].temp
    temp.write_text("not what archive staged\n")
    target = ws.root / journal.writes[0].target
    before = snapshot(repo)
    result = run("list")
    assert result.exit_code == 2
    assert "does not hold the text the archive staged" in result.stderr
    assert snapshot(repo) == before
    assert not target.exists() or target.read_text() != "not what archive staged\n"


def test_journal_from_another_workspace_is_refused_with_a_way_out(world: tuple[Path, Path]) -> None:
    repo, _ = world
    path = _prepared_journal(repo)
    data = json.loads(path.read_text())
    data["root"] = "/somewhere/else"
    path.write_text(json.dumps(data))
    before = snapshot(repo)
    result = run("validate", "--all")
    assert result.exit_code == 2
    assert "/somewhere/else" in result.stderr and "delete this file" in result.stderr
    assert snapshot(repo) == before
    # help never needs the workspace, so a bad journal cannot block it
    assert run("--help").exit_code == 0
    assert run("archive", "--help").exit_code == 0


def test_deeply_nested_journal_is_damaged_not_a_crash(world: tuple[Path, Path]) -> None:
    repo, _ = world
    path = journal_path(find_workspace(repo))
    path.write_text("[" * 100_000 + "]" * 100_000)
    for args in (["list"], ["validate", "--all"], ["show", CLI_CHANGE], ["archive", CLI_CHANGE, "--yes"]):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "journal is damaged" in result.stderr
        assert "delete this journal" in result.stderr


def test_gitignore_keeps_journals_out_of_commits() -> None:
    ignore = (Path(__file__).resolve().parents[2] / ".gitignore").read_text()
    assert ".specledger-archive.journal" in ignore
