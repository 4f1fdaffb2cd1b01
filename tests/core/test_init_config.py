"""``spec init`` reads an existing ``pyproject.toml`` the way every other command does.

Whatever configuration the workspace loader refuses, ``init`` refuses with the same message
(exit 2, naming ``pyproject.toml``) before it writes anything; a file it cannot add a table to is
refused too; and a configuration the loader accepts gives a workspace ``spec validate`` accepts.
Run through the installed ``spec`` script as a user would, with a timeout (a FIFO must not hang it).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

SPEC = Path(sys.executable).with_name("spec")  # the venv's console script

Setup = Callable[[Path], None]
Snapshot = dict[str, tuple[int, int, bytes | None]]


def text(content: str | bytes) -> Setup:
    def make(pyproject: Path) -> None:
        pyproject.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)

    return make


def table(line: str) -> Setup:
    return text(f"[tool.specledger]\n{line}\n")


# The loader (``specledger.workspace``) refuses these: init must give the very message validate gives.
LOADER_REFUSES: dict[str, Setup] = {
    "specledger-is-a-string": text('[tool]\nspecledger = "x"\n'),
    "specledger-is-an-array": text("[tool]\nspecledger = [1]\n"),
    "specs-dir-array": table('specs_dir = ["a"]'),
    "specs-dir-empty": table('specs_dir = ""'),
    "specs-dir-blank": table('specs_dir = "  "'),
    "specs-dir-parent": table('specs_dir = "../x"'),
    "specs-dir-absolute": table('specs_dir = "/etc"'),
    "specs-dir-nul": table('specs_dir = "a\\u0000b"'),
    "specs-dir-5000-bytes": table(f'specs_dir = "{"a" * 5000}"'),
    "specs-dir-long-name": table(f'specs_dir = "docs/{"n" * 256}"'),
    "changes-dir-int": table("changes_dir = 3"),
    "changes-dir-table": table("changes_dir = {a = 1}"),
    "changes-dir-bool": table("changes_dir = false"),
    "broken-toml": text("[project\n"),
    "broken-toml-line-3": text('[project]\nname = "x"\nversion = \n'),
    "not-utf-8": text(b'[project]\nname = "\xff"\n'),
    "nested-too-deep": text("x = " + "[" * 50_000 + "]" * 50_000 + "\n"),
    "integer-too-long": text("x = " + "9" * 5000 + "\n"),
}


def fifo(pyproject: Path) -> None:
    os.mkfifo(pyproject)


def folder(pyproject: Path) -> None:
    pyproject.mkdir()
    (pyproject / "inside").write_text("x")


# The loader passes over these (no usable [tool.specledger]), but init cannot add a table to them.
CANNOT_ADD: dict[str, Setup] = {
    "tool-is-a-string": text('tool = "x"\n'),
    "tool-is-an-int": text("tool = 1\n"),
    "tool-is-an-inline-table": text('tool = {black = {line-length = 100}}\n'),
    "tool-is-an-array-of-tables": text("[[tool]]\na = 1\n"),
    "pyproject-is-a-folder": folder,
    "pyproject-is-a-fifo": fifo,
}

# The loader accepts these: so does init, and the workspace it leaves is one validate accepts.
ACCEPTED: dict[str, Setup] = {
    "no-pyproject": lambda pyproject: None,
    "other-tables-only": text('[project]\nname = "demo"\n\n[tool.ruff]\nline-length = 100\n'),
    "no-final-newline": text('[project]\nname = "demo"'),
    "crlf": text('[project]\r\nname = "demo"\r\n'),
    "lone-cr": text('[project]\rname = "demo"\r'),  # read in text mode, as the loader reads it
    "tool-table-without-specledger": text("[tool]\nx = 1\n"),
    "configured-folders": table('specs_dir = "docs/specs"\nchanges_dir = "./docs/changes/"'),
    "specs-dir-is-the-root": table('specs_dir = "."'),
    "generate-is-not-an-array": table('generate = "x"'),  # `spec generate`'s to report, not the loader's
    "empty-table": text("[tool.specledger]\n"),
}


def spec(cwd: Path, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, str(SPEC), *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NO_COLOR": "1"}, check=False)


def _file_modes_apply() -> tuple[str, ...]:
    """A command prefix under which the kernel applies file modes to ``spec`` even as root (CI):
    without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, root cannot ignore a file's mode."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "setpriv (util-linux) is needed to run this test as root"
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search")


def snapshot(root: Path) -> Snapshot:
    """Every entry below ``root``: its type and permission bits, size and (regular files) bytes."""
    seen: Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            info = path.lstat()
            readable = stat.S_ISREG(info.st_mode) and os.access(path, os.R_OK)
            seen[path.relative_to(root).as_posix()] = (
                info.st_mode, info.st_size, path.read_bytes() if readable else None)
    return seen


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    return result.stderr.splitlines()[0] if result.stderr else ""


def assert_refused(result: subprocess.CompletedProcess[str], before: Snapshot, root: Path) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert error_line(result).startswith(f"spec: error: {root / 'pyproject.toml'}: "), result.stderr
    assert result.stdout == ""
    assert snapshot(root) == before, "init wrote something although it refused"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    return folder.resolve()


@pytest.mark.parametrize("mode", [(), ("--openspec",)], ids=["pyproject", "openspec"])
@pytest.mark.parametrize("shape", LOADER_REFUSES)
def test_init_refuses_what_the_loader_refuses(root: Path, shape: str, mode: tuple[str, ...]) -> None:
    LOADER_REFUSES[shape](root / "pyproject.toml")
    before = snapshot(root)
    result = spec(root, "init", *mode)
    assert_refused(result, before, root)
    validate = spec(root, "validate", "--all")
    assert validate.returncode == 2
    assert error_line(result) == error_line(validate)  # refused the same way, by the same code
    if shape.startswith("broken-toml"):
        assert "(at line " in error_line(result)  # the line tomllib gives


@pytest.mark.parametrize("shape", CANNOT_ADD)
def test_init_refuses_a_pyproject_it_cannot_add_a_table_to(root: Path, shape: str) -> None:
    CANNOT_ADD[shape](root / "pyproject.toml")
    before = snapshot(root)
    result = spec(root, "init")
    assert_refused(result, before, root)
    assert "[tool.specledger] cannot be added" in error_line(result)


@pytest.mark.parametrize("shape", CANNOT_ADD)
def test_init_openspec_leaves_such_a_pyproject_alone(root: Path, shape: str) -> None:
    """The loader passes over it, so an openspec/ layout beside it is a workspace."""
    CANNOT_ADD[shape](root / "pyproject.toml")
    before = snapshot(root)
    result = spec(root, "init", "--openspec")
    assert result.returncode == 0, result.stderr
    after = snapshot(root)
    assert {k: v for k, v in after.items() if not k.startswith("openspec")} == before
    assert spec(root, "validate", "--all").returncode == 0


@pytest.mark.parametrize("mode", [(), ("--openspec",)], ids=["pyproject", "openspec"])
def test_init_refuses_an_unreadable_pyproject(root: Path, mode: tuple[str, ...]) -> None:
    pyproject = root / "pyproject.toml"
    pyproject.write_text('[tool.specledger]\nspecs_dir = "specs"\n')
    pyproject.chmod(0)
    try:
        before = snapshot(root)
        result = spec(root, "init", *mode, prefix=_file_modes_apply())
        assert_refused(result, before, root)
        assert "cannot read the file" in error_line(result)
    finally:
        pyproject.chmod(0o644)


@pytest.mark.parametrize("mode", [(), ("--openspec",)], ids=["pyproject", "openspec"])
@pytest.mark.parametrize("shape", ACCEPTED)
def test_init_accepts_what_the_loader_accepts(root: Path, shape: str, mode: tuple[str, ...]) -> None:
    ACCEPTED[shape](root / "pyproject.toml")
    first = spec(root, "init", *mode)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    validate = spec(root, "validate", "--all")
    assert validate.returncode == 0, validate.stderr
    again = snapshot(root)
    second = spec(root, "init", *mode)
    assert second.returncode == 0
    assert "nothing to do" in second.stdout
    assert snapshot(root) == again


def test_init_creates_the_folders_the_loader_reads(root: Path) -> None:
    table('specs_dir = "./docs//specs/"\nchanges_dir = "docs/../changes"')(root / "pyproject.toml")
    result = spec(root, "init")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == ["created docs/specs/", "created changes/", "created changes/archive/"]
    assert sorted(p.name for p in root.iterdir()) == ["changes", "docs", "pyproject.toml"]


@pytest.mark.parametrize("configured", ["specs", "a/../specs"])
def test_init_refuses_a_configured_folder_through_a_symbolic_link(root: Path, configured: str) -> None:
    (root / "real" / "x").mkdir(parents=True)
    os.symlink("real" if configured == "specs" else "real/x", root / configured.split("/")[0])
    table(f'specs_dir = "{configured}"')(root / "pyproject.toml")
    before = snapshot(root)
    result = spec(root, "init")
    assert result.returncode == 2, result.stdout
    assert "symbolic link" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(root) == before
