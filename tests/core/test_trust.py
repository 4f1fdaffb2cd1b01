"""Hostile environments and configuration end in exit 0, 1 or 2 with a message, never a traceback.

The stream cases (closed stdout, a full device, an encoding that cannot hold a character, a
deleted current folder) run the real ``spec`` process, because only a process has those
streams; the rest go through click's runner. Every case also checks that nothing changed in the
tree or in a folder beside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from specledger.cli.main import cli

Repo = Callable[[dict[str, str | bytes]], Path]
SPEC_CMD = [sys.executable, "-m", "specledger"]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})


def tree_hash(root: Path) -> str:
    """One hash over every path and file under ``root`` (links by their target)."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(root)):
        dirnames.sort()
        for name in sorted(filenames + dirnames):
            full = Path(dirpath, name)
            digest.update(str(full.relative_to(root)).encode("utf-8", "surrogateescape"))
            if full.is_symlink():
                digest.update(os.readlink(full).encode("utf-8", "surrogateescape"))
            elif full.is_file():
                digest.update(full.read_bytes())
    return digest.hexdigest()


def spec_process(cwd: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "NO_COLOR": "1", **kwargs.pop("env", {})}  # type: ignore[dict-item]
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.run([*SPEC_CMD, *args], cwd=cwd, env=env, stderr=subprocess.PIPE, timeout=60, check=False,
                          **kwargs)  # type: ignore[call-overload]


def no_traceback(proc: subprocess.CompletedProcess[bytes]) -> None:
    assert b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")


# -- output streams ----------------------------------------------------------------------------


def test_closed_stdout_is_exit_2_with_a_message(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    root = repo(good_files)
    before = tree_hash(root)
    for args in (["validate", "--all"], ["list"], ["archive", "add-webhooks", "--yes"]):
        proc = spec_process(root, *args, stdout=subprocess.DEVNULL, preexec_fn=lambda: os.close(1))
        no_traceback(proc)
        assert proc.returncode == 2, args
        assert b"standard output is closed" in proc.stderr
    assert tree_hash(root) == before  # archive did not run with nowhere to report


def test_full_device_is_exit_2_with_a_message(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    root = repo(good_files)
    with open("/dev/full", "wb") as full:
        proc = spec_process(root, "validate", "--all", "--json", stdout=full)
    no_traceback(proc)
    assert proc.returncode == 2
    assert b"No space left on device" in proc.stderr


def test_output_encoding_that_cannot_hold_a_character(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files["openspec/changes/add-webhooks/proposal.md"] = str(
        good_files["openspec/changes/add-webhooks/proposal.md"]).replace("# Change: Add webhooks", "# Change: 网钩 ✓")
    good_files["openspec/changes/ünïcødé-✓/proposal.md"] = "# x\n"
    root = repo(good_files)
    proc = spec_process(root, "list", env={"PYTHONIOENCODING": "latin-1"})
    no_traceback(proc)
    assert proc.returncode == 0
    assert b"\\u2713" in proc.stdout  # shown as an escape, not dropped or fatal
    proc = spec_process(root, "show", "add-webhooks", env={"PYTHONIOENCODING": "latin-1"})
    no_traceback(proc)
    assert proc.returncode == 0


def test_deleted_current_folder(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    proc = subprocess.run(["sh", "-c", f'cd "{gone}" && rmdir "{gone}" && exec "$@"', "sh", *SPEC_CMD, "list"],
                          capture_output=True, timeout=60, check=False)
    no_traceback(proc)
    assert proc.returncode == 2
    assert b"current folder cannot be used" in proc.stderr


# -- configuration on the walk up ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('specs_dir = "sp\\u0000ecs"\n', "NUL"),
        (f'specs_dir = "{"d" * 300}/{"e" * 300}/{"f" * 600}"\n', "at most"),
        ("specs_dir = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        ('specs_dir = "../../etc"\n', "outside the project"),
        ("specs_dir = 7\n", "non-empty path string"),
    ],
    ids=["nul", "long-path", "deep-array", "outside", "not-a-string"],
)
def test_bad_tool_specledger_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str,
                                    expected: str) -> None:
    root = tmp_path / "project"
    (root / "sub").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.specledger]\n" + table, encoding="utf-8")
    beside = tmp_path / "beside"
    beside.mkdir()
    (beside / "keep.txt").write_text("x")
    before, before_beside = tree_hash(root), tree_hash(beside)
    monkeypatch.chdir(root / "sub")  # found on the walk up, not only in the current folder
    for args in (["validate", "--all"], ["list"], ["new", "change", "add-x"], ["generate", "--check"]):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.stderr, result.stderr
        assert "pyproject.toml" in result.stderr
    assert tree_hash(root) == before
    assert tree_hash(beside) == before_beside


# -- names and paths -----------------------------------------------------------------------------


def test_new_change_with_a_300_character_name(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    root = repo(good_files)
    before = tree_hash(root)
    result = run("new", "change", "a" * 300)
    assert result.exit_code == 2
    assert "300 bytes" in result.stderr
    assert tree_hash(root) == before


def test_new_change_leaves_room_for_the_archive_date(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    root = repo(good_files)
    assert run("new", "change", "a" * 250).exit_code == 2
    assert "put the date in front" in run("new", "change", "a" * 250).stderr
    assert run("new", "change", "a" * 244).exit_code == 0
    assert (root / "openspec/changes" / ("a" * 244) / "proposal.md").is_file()


def test_new_change_in_a_read_only_changes_folder(repo: Repo, good_files: dict[str, str | bytes],
                                                  tmp_path: Path) -> None:
    root = repo(good_files)
    changes = root / "openspec/changes"
    if os.geteuid() == 0:
        # root ignores permission bits: make the folder truly read-only with a bind mount
        mounted = subprocess.run(["mount", "--bind", str(changes), str(changes)], capture_output=True, check=False)
        if mounted.returncode != 0:
            pytest.fail(f"cannot bind-mount as root: {mounted.stderr.decode()}")
        subprocess.run(["mount", "-o", "remount,bind,ro", str(changes)], check=True)
    else:
        changes.chmod(0o555)
    try:
        before = tree_hash(root)
        result = run("new", "change", "add-login")
        assert result.exit_code == 2
        assert "cannot create the change" in result.stderr
        assert tree_hash(root) == before
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(changes)], check=True)
        else:
            changes.chmod(0o755)


def test_names_cannot_inject_ci_commands(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    """A folder name holding a newline and a workflow command is printed as one escaped line."""
    evil = "x\n::warning file=a.md::pwned\x1b[2J"
    good_files[f"openspec/changes/{evil}/proposal.md"] = "# Evil\n"
    good_files[f"openspec/specs/{evil}/spec.md"] = "# nothing\n"
    repo(good_files)
    for args in (["validate", "--all"], ["validate", "--all", "--format", "github"], ["list"], ["list", "--specs"]):
        result = run(*args)
        assert result.exit_code in (0, 1), (args, result.output)
        lines = result.stdout.splitlines() + result.stderr.splitlines()
        assert not any(line.startswith("::warning file=a.md") for line in lines), (args, result.stdout)
        assert "\x1b" not in result.stdout
        if args[-1] != "github":
            assert "x\\n::warning" in result.stdout


def test_error_messages_escape_control_characters(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    result = run("validate", "no\n::error::such")
    assert result.exit_code == 2
    assert not any(line.startswith("::error") for line in result.stderr.splitlines())


# -- consistency ---------------------------------------------------------------------------------


def test_json_and_github_together_is_a_usage_error(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    result = run("validate", "--all", "--json", "--format", "github")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["status"][0]["code"] == "invalid_output_format"


def test_usage_errors_under_json_print_json(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    root = repo(good_files)
    for args in (["validate", "--all", "--json", "--no-such-flag"], ["list", "--json", "--sort", "sideways"]):
        proc = spec_process(root, *args)
        no_traceback(proc)
        assert proc.returncode == 2, args
        status = json.loads(proc.stdout)["status"][0]
        assert status["severity"] == "error" and status["code"] == "usage"
        assert b"Usage:" in proc.stderr


@pytest.mark.parametrize("kind", ["directory", "symlink-loop"])
def test_unreadable_tasks_are_exit_2_everywhere(repo: Repo, good_files: dict[str, str | bytes], kind: str) -> None:
    """A tasks.md that cannot be read at all (not one whose text is bad: that is a finding)."""
    del good_files["openspec/changes/add-webhooks/tasks.md"]
    root = repo(good_files)
    tasks = root / "openspec/changes/add-webhooks/tasks.md"
    if kind == "directory":
        tasks.mkdir()
    else:
        os.symlink("tasks.md", tasks)
    before = tree_hash(root)
    for args in (["validate", "add-webhooks"], ["archive", "add-webhooks", "--yes"], ["list"]):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "tasks.md" in result.stdout + result.stderr
    assert tree_hash(root) == before
