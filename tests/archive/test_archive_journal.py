"""The journal on its own: recovery from each state, damaged journals, a live lock."""

from __future__ import annotations

from pathlib import Path

import pytest
from scenario import build_scenario_plan, make_tree, snapshot
from specledger.archive import apply as apply_mod
from specledger.archive.journal import (
    ArchiveLock,
    journal_path,
    read_journal,
    recover,
    write_journal,
)
from specledger.errors import SpecledgerError
from specledger.workspace import Workspace, find_workspace


def _prepared(root: Path, *, commit: bool) -> None:
    """Stop an archive right before (or right after) its commit point, as a crash would."""
    ws = make_tree(root)
    plan = build_scenario_plan(ws)
    journal = apply_mod.build_journal(ws, plan)
    write_journal(ws, journal)
    apply_mod._prepare(ws, plan, journal)
    if commit:
        write_journal(ws, journal.with_state("committed"))


def test_prepared_journal_is_rolled_back(tmp_path: Path) -> None:
    make_tree(tmp_path / "ref")
    before = snapshot(tmp_path / "ref")
    root = tmp_path / "repo"
    _prepared(root, commit=False)
    lines = list(recover(make_tree_ws(root)))
    assert len(lines) == 1 and "undid" in lines[0]
    assert snapshot(root) == before


def test_committed_journal_is_rolled_forward(tmp_path: Path) -> None:
    ref = tmp_path / "ref"
    ws = make_tree(ref)
    apply_mod.apply_plan(ws, build_scenario_plan(ws))
    root = tmp_path / "repo"
    _prepared(root, commit=True)
    lines = list(recover(make_tree_ws(root)))
    assert len(lines) == 1 and "completed" in lines[0]
    assert snapshot(root) == snapshot(ref)


def test_recovery_leaves_a_running_archive_alone(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _prepared(root, commit=True)
    ws = make_tree_ws(root)
    state = snapshot(root)
    with ArchiveLock(ws):
        lines = list(recover(ws))
    assert lines and "another process" in lines[0]
    assert snapshot(root) == state


def test_damaged_journal_is_a_clear_error(tmp_path: Path) -> None:
    ws = make_tree(tmp_path)
    journal_path(ws).write_text("{not json")
    with pytest.raises(SpecledgerError) as info:
        list(recover(ws))
    assert info.value.code == "archive_journal_damaged"
    assert str(journal_path(ws)) in str(info.value)


def test_journal_paths_outside_the_workspace_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _prepared(root, commit=True)
    ws = make_tree_ws(root)
    path = journal_path(ws)
    path.write_text(path.read_text().replace('"move_dst": "', '"move_dst": "../../'))
    with pytest.raises(SpecledgerError) as info:
        list(recover(ws))
    assert info.value.code == "archive_journal_damaged"
    assert read_journal(ws) is not None  # left for a person to look at


def make_tree_ws(root: Path) -> Workspace:
    return find_workspace(root)
