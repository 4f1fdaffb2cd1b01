"""``Workspace.has_spec`` answers exactly what ``name in spec_ids()`` answers, without the full walk."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from specledger.workspace import Workspace


def test_has_spec_agrees_with_the_full_walk(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    for folder in ["a", "a/b", "a/spec.md", "a/spec.md/c", ".hidden", "d", "e", "f/g"]:
        (specs / folder).mkdir(parents=True, exist_ok=True)
    for spec in ["a/spec.md/c/spec.md", "a/b/spec.md", ".hidden/spec.md", "d/spec.md", "f/g/spec.md"]:
        (specs / spec).write_text("x")
    (specs / "a" / "spec.md" / "spec.md").write_text("x")
    os.symlink(specs / "d", specs / "linked")  # a linked folder is not walked
    os.symlink(specs / "missing", specs / "e" / "spec.md")  # a dangling spec.md still counts
    os.mkfifo(specs / "f" / "spec.md")  # so does a FIFO
    (specs / "spec.md").write_text("x")  # the top one never does
    ws = Workspace(tmp_path, specs, tmp_path / "changes", "openspec")
    known = set(ws.spec_ids())
    assert {"a/b", "a/spec.md", "a/spec.md/c", "d", "e", "f", "f/g"} <= known
    names = ["a", "b", "c", "d", "e", "f", "g", "spec.md", ".hidden", "linked", "", "missing", ".."]
    checked = 0
    for depth in (1, 2, 3):
        for parts in itertools.product(names, repeat=depth):
            name = "/".join(parts)
            assert ws.has_spec(name) == (name in known), name
            checked += 1
    assert checked > 2000
    assert ws.has_spec("a//b") is False and ws.has_spec("/a/b") is False and ws.has_spec("a/b/") is False
