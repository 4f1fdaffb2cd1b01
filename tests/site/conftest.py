"""Fixtures for the reviewer site: a repository laid out in a temp folder, the CLI run in it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from site_support import make_repo
from specledger.cli.main import cli


@dataclass
class Repo:
    root: Path
    runner: CliRunner

    def run(self, *args: str) -> Result:
        return self.runner.invoke(cli, list(args), catch_exceptions=False)

    def build(self, *args: str) -> Path:
        result = self.run("docs", "build", *args)
        assert result.exit_code == 0, result.stderr
        return Path(result.stdout.strip()).parent


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Repo]:
    root = make_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    monkeypatch.setenv("NO_COLOR", "1")
    yield Repo(root, CliRunner())
