"""Fixtures for `spec generate`: a throwaway workspace holding a copy of the real spec."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from generate_support import REAL_SPEC, SPEC_REL, Project, pyproject_text


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """A workspace with the real spec copied to specs/ and the real targets configured."""
    (tmp_path / "specs/error-tracking").mkdir(parents=True)
    (tmp_path / "changes").mkdir()
    shutil.copyfile(REAL_SPEC, tmp_path / SPEC_REL)
    (tmp_path / "pyproject.toml").write_text(pyproject_text(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    yield Project(tmp_path, CliRunner())


@pytest.fixture
def generated(project: Project) -> Project:
    """The same workspace after a successful `spec generate`."""
    result = project.run("generate")
    assert result.exit_code == 0, result.stderr
    return project


@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside the workspace, holding one file: what an escape would overwrite."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "keep.txt").write_text("belongs to someone else\n", encoding="utf-8")
    return folder
