"""Issue 9, item 10 (generate): a run that cannot write one output writes none of them.

The read-only folder is real: ``chmod`` and the kernel. Root ignores file modes, so as root the
``spec`` process is started without the two capabilities that let it (CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH, dropped from its bounding set with ``setpriv``); the EACCES then comes from
the kernel exactly as for a normal user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from generate_support import (
    OUTPUTS,
    REAL_SPEC,
    SPEC_REL,
    Project,
    difference,
    pyproject_text,
    snapshot,
)

SPEC_BIN = Path(sys.executable).with_name("spec")


def _unprivileged() -> list[str]:
    """A command prefix under which the kernel applies file modes to the process (see above)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "setpriv (util-linux) is needed to run this test as root"
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def _spec(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_unprivileged(), str(SPEC_BIN), *args],
        cwd=root,
        env=dict(os.environ, NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1"),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def read_only_docs(project: Project) -> Iterator[Path]:
    """``docs/`` made read-only (0555); the mode is restored afterwards so pytest can clean up."""
    docs = project.root / "docs"
    docs.mkdir(exist_ok=True)
    docs.chmod(0o555)
    probe = _spec(project.root, "--version")
    assert probe.returncode == 0, probe.stderr
    try:
        yield docs
    finally:
        docs.chmod(0o755)


def test_read_only_folder_for_the_last_output_writes_nothing(
    project: Project, outside: Path, read_only_docs: Path
) -> None:
    """The first two outputs (and their folders) would be creatable: none of them appears."""
    before, before_outside = snapshot(project.root), snapshot(outside)
    result = _spec(project.root, "generate")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == (
        "spec: error: docs/bugsink-setup.md: cannot write docs/bugsink-setup.md: "
        "Permission denied; nothing was written\n"
    )
    assert result.stdout == ""
    after = snapshot(project.root)
    assert after == before, difference(before, after)  # no output, no folder, no temp file
    assert snapshot(outside) == before_outside

    read_only_docs.chmod(0o755)
    result = _spec(project.root, "generate")
    assert result.returncode == 0, result.stderr
    assert all(value is not None for value in project.outputs().values())


def test_read_only_folder_leaves_stale_outputs_as_they_were(
    project: Project, outside: Path, read_only_docs: Path
) -> None:
    """Every output exists and is stale; none is replaced, none keeps a temp file beside it."""
    read_only_docs.chmod(0o755)
    assert _spec(project.root, "generate").returncode == 0
    project.edit_spec(
        "| `SENTRY_SHUTDOWN_TIMEOUT` | `2.0` |", "| `SENTRY_SHUTDOWN_TIMEOUT` | `5.0` |"
    )
    project.edit_spec("| `RUNTIME_PORT` | `8080` |", "| `RUNTIME_PORT` | `9090` |")
    read_only_docs.chmod(0o555)
    before, before_outside = snapshot(project.root), snapshot(outside)
    result = _spec(project.root, "generate")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot write docs/bugsink-setup.md: Permission denied; nothing was written" in (
        result.stderr
    )
    after = snapshot(project.root)
    assert after == before, difference(before, after)
    assert snapshot(outside) == before_outside
    assert _spec(project.root, "generate", "--check").returncode == 1  # still stale, as reported


def test_output_folder_that_is_a_file_writes_nothing(project: Project, outside: Path) -> None:
    (project.root / "docs").write_text("not a folder\n", encoding="utf-8")
    before, before_outside = snapshot(project.root), snapshot(outside)
    result = project.run("generate")
    assert result.exit_code == 2
    assert result.stderr == (
        "spec: error: docs/bugsink-setup.md: cannot write docs/bugsink-setup.md: docs is a file, "
        "not a folder; nothing was written\n"
    )
    after = snapshot(project.root)
    assert after == before, difference(before, after)
    assert snapshot(outside) == before_outside


def test_output_that_is_a_folder_writes_nothing(project: Project, outside: Path) -> None:
    (project.root / OUTPUTS[2]).mkdir(parents=True)
    before = snapshot(project.root)
    result = project.run("generate")
    assert result.exit_code == 2
    assert result.stderr == (
        "spec: error: docs/bugsink-setup.md: the output is a folder, not a file; "
        "nothing was written\n"
    )
    after = snapshot(project.root)
    assert after == before, difference(before, after)


def test_outputs_sharing_a_new_folder(project: Project) -> None:
    """Two outputs in one folder that does not exist yet: created once, both written."""
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace('"docker/.env.example"', '"gen/a/env"')
        .replace('"docs/bugsink-setup.md"', '"gen/a/setup.md"'),
        encoding="utf-8",
    )
    result = project.run("generate")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (project.root / "gen/a").iterdir()) == ["env", "setup.md"]


def test_written_file_keeps_its_mode(generated: Project) -> None:
    target = generated.root / OUTPUTS[1]
    target.chmod(0o600)
    generated.edit_spec("| `RUNTIME_PORT` | `8080` |", "| `RUNTIME_PORT` | `9090` |")
    assert generated.run("generate").exit_code == 0
    assert "RUNTIME_PORT=9090" in target.read_text(encoding="utf-8")
    assert target.stat().st_mode & 0o777 == 0o600


@pytest.fixture
def full_disk_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """The workspace on a small tmpfs; mounting needs root (CAP_SYS_ADMIN), else the test skips."""
    point = tmp_path / "fs"
    point.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(point)], capture_output=True
    ).returncode == 0
    if not mounted:
        pytest.skip("needs root and permission to mount a tmpfs (the disk-full case)")
    try:
        root = point / "repo"
        (root / "specs/error-tracking").mkdir(parents=True)
        (root / "changes").mkdir()
        shutil.copyfile(REAL_SPEC, root / SPEC_REL)
        (root / "pyproject.toml").write_text(pyproject_text(), encoding="utf-8")
        monkeypatch.chdir(root)
        yield Project(root, CliRunner())
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


def test_full_disk_writes_nothing(full_disk_project: Project) -> None:
    project = full_disk_project
    filler = project.root.parent / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            os.write(fd, b"x" * 4096)
    except OSError:
        pass  # the device is full: even a one-page temp file cannot be written now
    finally:
        os.close(fd)
    before = snapshot(project.root)
    result = project.run("generate")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "No space left on device; nothing was written" in result.stderr
    after = snapshot(project.root)
    assert after == before, difference(before, after)
    filler.unlink()
    assert project.run("generate").exit_code == 0
