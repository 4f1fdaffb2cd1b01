"""Real file-system failures (no injection): a full disk and a read-only spec folder.

Mounting needs root (CAP_SYS_ADMIN); without it these tests skip and say so. The same failures
are injected at every call by ``test_archive_crash.py``, which runs anywhere strace does.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from faults import PYTHON, env
from scenario import build_scenario_plan, describe_difference, make_tree, snapshot
from specledger.workspace import find_workspace

DRIVER = Path(__file__).with_name("scenario.py")


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    point = tmp_path / "fs"
    point.mkdir()
    if os.geteuid() != 0 or not _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(point)):
        pytest.skip("needs root and permission to mount a tmpfs")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def _archive(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PYTHON), str(DRIVER), str(root)], env=env(), capture_output=True, text=True, timeout=60
    )


def test_disk_full_leaves_the_tree_untouched(small_tmpfs: Path) -> None:
    root = small_tmpfs / "repo"
    make_tree(root)
    plan = build_scenario_plan(find_workspace(root))
    # Fill the disk so that the journal fits but the staged spec texts do not.
    filler = small_tmpfs / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            os.write(fd, b"x" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    assert plan.writes
    os.truncate(filler, max(0, filler.stat().st_size - 4096))  # one page: room for the journal only
    before = snapshot(root)
    proc = _archive(root)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "No space left" in proc.stderr and "nothing was changed" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(root) == before, describe_difference(snapshot(root), before)


def test_read_only_spec_folder_leaves_the_tree_untouched(small_tmpfs: Path) -> None:
    root = small_tmpfs / "repo"
    make_tree(root)
    target = root / "openspec/specs/notifications"
    if not (
        _mount("--bind", str(target), str(target)) and _mount("-o", "remount,ro,bind", str(target))
    ):
        pytest.skip("cannot make a read-only bind mount here")
    try:
        before = snapshot(root)
        proc = _archive(root)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "Read-only file system" in proc.stderr and "nothing was changed" in proc.stderr
        assert snapshot(root) == before, describe_difference(snapshot(root), before)
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)
