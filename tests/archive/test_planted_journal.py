"""A journal in the repository is data like any other: one that was planted or committed can ask
for nothing an archive would not do.

Every command finishes an interrupted archive first, so a journal shaped by someone else would
otherwise let `spec validate` rename any file of the checkout, a hook into `.git/hooks` among
them. Each case here is a journal an archive of a change never writes: every command refuses it
with exit 2 naming the journal, and nothing in the tree moves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from scenario import ARCHIVED_AS, CHANGE, build_scenario_plan, make_tree, snapshot
from specledger.archive import apply as apply_mod
from specledger.archive.journal import journal_path, write_journal
from specledger.cli.main import cli
from specledger.workspace import find_workspace

Edit = Callable[[dict[str, Any]], None]
CHANGES = "openspec/changes"


def _move(src: str, dst: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        data["move_src"], data["move_dst"] = src, dst
    return edit


def _set(key: str, value: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        data[key] = value
    return edit


def _write_to(target: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        parent, _, name = target.rpartition("/")
        data["writes"][0].update(target=target, temp=f"{parent}/.{name}.specledger-new", backup=None)
    return edit


PLANTED: dict[str, Edit] = {
    # the attack that was found: "undoing" a move that puts a script in place of a git hook
    "hook moved into .git": _move(".git/hooks/post-checkout", "payload.sh"),
    "change folder moved out of the archive": _move(f"{CHANGES}/{CHANGE}", "payload.sh"),
    "another file moved as the change": _move("README.md", f"{CHANGES}/archive/{ARCHIVED_AS}"),
    "change moved into another change": _move(f"{CHANGES}/{CHANGE}", f"{CHANGES}/other/{ARCHIVED_AS}"),
    "change moved under another name": _move(f"{CHANGES}/{CHANGE}", f"{CHANGES}/archive/2025-01-02-other"),
    "change name that climbs": _set("change", "../../.git"),
    "write to a file that is no spec": _write_to("README.md"),
    "write into .git": _write_to(".git/hooks/pre-commit"),
    "staged copy elsewhere": lambda data: data["writes"][0].update(temp="payload.sh"),
    "backup elsewhere": lambda data: data["writes"][0].update(backup="README.md"),
    "retire a file that is no spec": _set("deletes", [{"target": "README.md", "backup": ".README.md.specledger-old"}]),
    "folder created off the way": _set("dirs", [".git/hooks"]),
    "pruning up to the root": _set("prune_stop", "."),
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ws = make_tree(tmp_path)
    (tmp_path / ".git/hooks").mkdir(parents=True)
    (tmp_path / "README.md").write_text("# The project\n", encoding="utf-8")
    (tmp_path / "payload.sh").write_text("#!/bin/sh\necho pwned\n", encoding="utf-8")
    write_journal(ws, apply_mod.build_journal(ws, build_scenario_plan(ws)))  # a real one, to edit
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("state", ["prepared", "committed"])
@pytest.mark.parametrize("case", sorted(PLANTED))
def test_a_journal_no_archive_writes_is_refused_and_nothing_moves(repo: Path, case: str, state: str) -> None:
    path = repo / CHANGES / ".specledger-archive.journal"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["state"] = state
    PLANTED[case](data)
    path.write_text(json.dumps(data), encoding="utf-8")
    before = snapshot(repo)
    for command in (["validate", "--all"], ["list"], ["archive", CHANGE, "--yes"]):
        result = CliRunner().invoke(cli, command, catch_exceptions=False)
        assert result.exit_code == 2, (command, result.output)
        assert "archive journal" in result.stderr and "not acted on" in result.stderr, result.stderr
        assert f"{CHANGES}/.specledger-archive.journal" in result.stderr
        assert snapshot(repo) == before, command
    assert not (repo / ".git/hooks/post-checkout").exists()


def test_the_journal_of_a_real_archive_still_finishes_it(repo: Path) -> None:
    """The journal this file's cases start from passes the check: every command rolls it back."""
    result = CliRunner().invoke(cli, ["list"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "undid the interrupted archive" in result.stderr
    assert not journal_path(find_workspace(repo)).exists()
