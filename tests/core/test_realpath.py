"""``Workspace.confine`` resolves paths below the root itself (fewer system calls than
``os.path.realpath``); it must answer exactly what ``realpath`` answers, links or not."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from specledger.workspace import Workspace


def _tree(root: Path, outside: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "file.md").write_text("x")
    (root / "plain.md").write_text("x")
    outside.mkdir()
    (outside / "o.md").write_text("x")
    os.symlink(root / "a", root / "inside-link")
    os.symlink("a/b", root / "relative-link")
    os.symlink(outside, root / "outside-link")
    os.symlink(root / "missing", root / "dangling")
    os.symlink(root / "loop2", root / "loop1")
    os.symlink(root / "loop1", root / "loop2")
    os.symlink("..", root / "a" / "up")


def test_realpath_below_the_root_matches_os_realpath(tmp_path: Path) -> None:
    root = (tmp_path / "repo").resolve()
    root.mkdir()
    _tree(root, tmp_path / "outside")
    ws = Workspace(root, root / "specs", root / "changes", "openspec")
    names = ["a", "b", "file.md", "plain.md", "inside-link", "relative-link", "outside-link", "dangling",
             "loop1", "up", "missing", "o.md"]
    checked = links = 0
    for depth in (1, 2, 3):
        for parts in itertools.product(names, repeat=depth):
            absolute = os.path.join(str(root), *parts)
            assert ws._realpath(absolute) == os.path.realpath(absolute), parts
            checked += 1
            links += os.path.realpath(absolute) != absolute
    assert checked > 1000 and links > 100  # the links were really on the way


def test_an_unresolved_root_falls_back_to_realpath(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "x").mkdir(parents=True)
    os.symlink(real, tmp_path / "alias")
    alias = tmp_path / "alias"
    ws = Workspace(alias, alias / "specs", alias / "changes", "openspec")
    assert ws._realpath(str(alias / "x")) == str(real / "x")
