"""``spec list --archived``: what maintainers see of archived changes."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from scenario import CLI_CHANGE, make_cli_tree
from specledger.cli.main import cli


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_cli_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_list_archived_after_an_archive(repo: Path) -> None:
    assert run("list", "--archived").stdout.strip() == "No archived changes found."
    old = repo / "openspec/changes/archive/2025-01-02-older-change"
    old.mkdir(parents=True)
    (old / "tasks.md").write_text("- [x] 1.1 a\n- [ ] 1.2 b\n")
    assert run("archive", CLI_CHANGE, "--yes").exit_code == 0
    today = _dt.date.today().isoformat()
    data = json.loads(run("list", "--archived", "--json").stdout)["archived"]
    assert data == [
        {"folder": f"{today}-{CLI_CHANGE}", "name": CLI_CHANGE, "date": today, "completedTasks": 1,
         "totalTasks": 2, "capabilities": ["notifications", "webhooks"]},
        {"folder": "2025-01-02-older-change", "name": "older-change", "date": "2025-01-02", "completedTasks": 1,
         "totalTasks": 2, "capabilities": []},
    ]
    text = run("list", "--archived").stdout.splitlines()
    assert text[1].split() == [today, CLI_CHANGE, "1/2", "tasks", "notifications,", "webhooks"]
    assert text[2].split()[:2] == ["2025-01-02", "older-change"]
    # open changes are listed apart
    assert json.loads(run("list", "--json").stdout)["changes"] == []


def test_list_archived_and_specs_together_is_a_usage_error(repo: Path) -> None:
    assert run("list", "--archived", "--specs").exit_code == 2
