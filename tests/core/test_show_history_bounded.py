"""`spec show SPEC --history` prints a repeated requirement name's history once.

A spec that repeats a name N times (an error `validate` reports) and an archive whose delta adds
that name M times have one lineage of M events; listed under every copy it made N x M lines, so
that 4,000 copies of a one-line requirement on each side (76 KB each) exhausted memory. Each
later copy now points at the first one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from specledger.cli.main import cli

COPIES = 300


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    spec = tmp_path / "openspec/specs/cap/spec.md"
    archived = tmp_path / "openspec/changes/archive/2025-01-01-q"
    (archived / "specs/cap").mkdir(parents=True)
    spec.parent.mkdir(parents=True)
    spec.write_text("# cap Specification\n\n## Purpose\nThis capability exists to exercise history.\n\n"
                    "## Requirements\n\n" + "### Requirement: a\n" * COPIES + "### Requirement: b\n",
                    encoding="utf-8")
    (archived / "proposal.md").write_text("## Why\nTo add the same requirement many times over.\n",
                                          encoding="utf-8")
    (archived / "specs/cap/spec.md").write_text("## ADDED Requirements\n\n" + "### Requirement: a\n" * COPIES,
                                                encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_repeated_name_lists_its_history_once(repo: Path) -> None:
    result = CliRunner().invoke(cli, ["show", "cap", "--history"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) < 3 * COPIES + 10  # N copies and M events: N + M lines, and N more notes
    assert lines.count("  (the same name as requirement 1; its history is listed there)") == COPIES - 1
    assert sum(1 for line in lines if "ADDED" in line) == COPIES  # all M events, under the first copy
    assert lines[-2:] == ["b", "  (no archived change records it)"]


def test_json_says_which_requirement_holds_the_history(repo: Path) -> None:
    result = CliRunner().invoke(cli, ["show", "cap", "--history", "--json"], catch_exceptions=False)
    rows = json.loads(result.stdout)["requirements"]
    assert len(rows[0]["history"]) == COPIES and "same_as" not in rows[0]
    assert all(row["same_as"] == 1 and row["history"] == [] for row in rows[1:COPIES])
    assert rows[COPIES] == {"requirement": "b", "history": []}
