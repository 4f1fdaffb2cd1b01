from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty OpenSpec workspace (openspec/specs, openspec/changes), and the current folder."""
    folder = tmp_path / "repo"
    (folder / "openspec" / "specs").mkdir(parents=True)
    (folder / "openspec" / "changes").mkdir(parents=True)
    monkeypatch.chdir(folder)
    return folder
