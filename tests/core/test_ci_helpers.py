"""CI helpers: shell completion of item names, and the items changed since a git ref."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from specledger.changed import changed_items
from specledger.cli.main import cli
from specledger.errors import SpecledgerError
from specledger.workspace import find_workspace

Repo = Callable[[dict[str, str | bytes]], Path]


def complete(cwd: Path, words: str) -> list[str]:
    """What the real ``spec`` offers to bash for ``words`` (the last word is being completed)."""
    env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
           "_SPEC_COMPLETE": "bash_complete"}
    proc = subprocess.run([sys.executable, "-m", "specledger"], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return [line.split(",", 1)[1] for line in proc.stdout.splitlines() if line]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str) -> None:
    result = CliRunner().invoke(cli, ["completion", shell], catch_exceptions=False)
    assert result.exit_code == 0
    assert "_SPEC_COMPLETE" in result.stdout
    assert f"{shell}_complete" in result.stdout


def test_completion_offers_change_names(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files["openspec/changes/add-login/proposal.md"] = "# x\n"
    root = repo(good_files)
    assert complete(root, "spec archive add-") == ["add-login", "add-webhooks"]
    assert complete(root, "spec archive add-w") == ["add-webhooks"]
    assert "archive" in complete(root, "spec ar")
    # an ITEM of validate or show is a change or a spec
    assert complete(root, "spec show no") == ["notifications"]
    assert complete(root, "spec validate ") == ["add-login", "add-webhooks", "notifications"]
    # outside any workspace completion offers nothing and never fails
    assert complete(root.parent, "spec archive ") == []


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


def test_changed_since_maps_files_to_items(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files["openspec/changes/other/proposal.md"] = "# other\n"
    good_files["openspec/specs/billing/spec.md"] = "# billing\n"
    root = repo(good_files)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    ws = find_workspace(root)
    assert changed_items(ws, "HEAD").changes == frozenset()
    (root / "openspec/changes/other/tasks.md").write_text("- [ ] 1.1 new, untracked\n")
    (root / "openspec/specs/billing/spec.md").write_text("# billing, edited\n")
    found = changed_items(ws, "HEAD")
    assert found.changes == {"other"}
    assert found.specs == {"billing"}
    # a change whose delta targets an edited main spec is in too
    (root / "openspec/specs/notifications/spec.md").write_text("# edited\n")
    assert changed_items(ws, "HEAD").changes == {"other", "add-webhooks"}


def test_changed_since_errors(repo: Repo, good_files: dict[str, str | bytes], tmp_path: Path) -> None:
    root = repo(good_files)
    ws = find_workspace(root)
    with pytest.raises(SpecledgerError) as outside:
        changed_items(ws, "HEAD")
    assert outside.value.code == "not_a_git_checkout"
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    with pytest.raises(SpecledgerError) as unknown:
        changed_items(ws, "no-such-branch")
    assert unknown.value.code == "git_bad_ref" and "no-such-branch" in unknown.value.message
    with pytest.raises(SpecledgerError) as option:
        changed_items(ws, "--output=/tmp/x")
    assert option.value.code == "git_bad_ref"


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})
    return result.exit_code, result.stdout


def test_validate_changed_since_only_checks_what_differs(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files["openspec/changes/broken/proposal.md"] = "# Broken\n"  # invalid, but unchanged since the ref
    good_files["openspec/specs/billing/spec.md"] = "# billing\n"  # invalid, but unchanged too
    root = repo(good_files)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    code, out = _cli("validate", "--changed-since", "HEAD", "--json")
    assert code == 0 and json.loads(out)["items"] == []
    (root / "openspec/changes/add-webhooks/tasks.md").write_text("- [ ] 1.1 new\n")
    code, out = _cli("validate", "--changed-since", "HEAD", "--json")
    assert code == 0
    assert [(i["type"], i["id"]) for i in json.loads(out)["items"]] == [("change", "add-webhooks")]
    assert _cli("validate", "--all", "--json")[0] == 1  # the unchanged invalid items are still there
    bad = CliRunner().invoke(cli, ["validate", "--changed-since", "nope"], catch_exceptions=False)
    assert bad.exit_code == 2 and "unknown git ref 'nope'" in bad.stderr


def test_validate_changed_since_outside_git(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    result = CliRunner().invoke(cli, ["validate", "--changed-since", "HEAD", "--json"], catch_exceptions=False)
    assert result.exit_code == 2
    assert json.loads(result.stdout)["status"][0]["code"] == "not_a_git_checkout"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal_and_only_for_long_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    from specledger.cli import common

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with common.progress_on_stderr(enabled=True, label="validating") as tick:
        tick(1, 2)  # within the first second: nothing
    assert terminal.getvalue() == ""
    monkeypatch.setattr(common, "PROGRESS_AFTER", 0.0)
    monkeypatch.setattr(common, "PROGRESS_EVERY", 0.0)
    with common.progress_on_stderr(enabled=True, label="validating") as tick:
        tick(1, 2)
        tick(2, 2)
    assert terminal.getvalue() == "\rvalidating 1/2\rvalidating 2/2\r\x1b[K"  # erased at the end
    for stream, enabled in ((io.StringIO(), True), (_Terminal(), False)):  # a pipe, or JSON output
        monkeypatch.setattr(sys, "stderr", stream)
        with common.progress_on_stderr(enabled=enabled, label="validating") as tick:
            tick(1, 2)
        assert stream.getvalue() == ""
