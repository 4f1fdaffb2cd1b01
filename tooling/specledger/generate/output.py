"""Compare rendered files with the tree, show unified diffs, and write them all or none.

Failure policy of ``spec generate`` (chosen: **write nothing**). A run that fails part-way must
not leave some outputs new and others old, so writing has two phases:

1. *stage*: every output is confined to the workspace again, its folder is checked (an existing
   file where a folder must be is refused), missing folders are created, and each new text is
   written and fsynced to a temporary file beside its output. Creating that file is the
   writability check: it is exact where ``os.access`` is not (root ignores modes, a read-only
   mount refuses even root, a full disk only shows when writing).
2. *commit*: only when every temporary file is on disk is each renamed over its output.

A failure while staging removes the temporary files and the folders this run created, so the
tree is as it was, and the message says that nothing was written. A rename cannot be undone, and
once every temporary file exists a rename fails only if the tree changes under us; should that
happen, the message names every output already replaced.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from specledger.errors import SpecledgerError
from specledger.fsio import fsync_dir, write_file_durably
from specledger.workspace import Workspace


@dataclass(frozen=True)
class Rendered:
    """A rendered file, not yet written."""

    output: str  # relative to the root, forward slashes
    path: Path  # where it is written: confined and resolved (a link inside the root is followed)
    text: str


@dataclass(frozen=True)
class Outcome:
    """What happened (or, under --check, would happen) to one output."""

    output: str
    status: str  # "unchanged", "stale", "missing", "written", "created"
    diff: str = ""


def require_regular_file(path: Path, shown: str, what: str) -> bool:
    """False when ``path`` does not exist; True for a regular file; a ``SpecledgerError`` for
    anything else, above all a FIFO or a device, whose reading would block or never end."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as err:
        raise SpecledgerError(
            f"cannot read the {what}: {err.strerror or err}", path=shown, code="generate_unreadable"
        ) from err
    if stat.S_ISDIR(mode):
        raise SpecledgerError(
            f"the {what} is a folder, not a file; nothing was written",
            path=shown,
            code="generate_write_failed",
        )
    if not stat.S_ISREG(mode):
        raise SpecledgerError(
            f"the {what} is not a regular file (a pipe, socket or device); nothing was written",
            path=shown,
            code="generate_unreadable",
        )
    return True


def current_text(path: Path, output: str) -> str | None:
    """The file's text as it is on disk, or None when it does not exist."""
    from specledger.parse.files import MAX_FILE_BYTES, UnreadableFile, read_regular

    if not require_regular_file(path, output, "output"):
        return None
    try:
        # (read_regular, not read_bytes: a file swapped for a FIFO since the check cannot block)
        data = read_regular(path, MAX_FILE_BYTES)
        if len(data) > MAX_FILE_BYTES:
            raise UnreadableFile(path, f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", environment=True)
        return data.decode("utf-8")
    except UnreadableFile as err:
        if not os.path.lexists(path):
            return None  # removed since the check above
        raise SpecledgerError(f"cannot read the generated file: it {err.reason}", path=output,
                              code="generate_unreadable_output") from err
    except UnicodeDecodeError as err:
        raise SpecledgerError(f"cannot read the generated file: {err}", path=output,
                              code="generate_unreadable_output") from err


def unified_diff(output: str, old: str | None, new: str) -> str:
    """A unified diff from the file on disk (or /dev/null) to the rendered text."""
    lines = difflib.unified_diff(
        (old or "").splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{output}" if old is not None else "/dev/null",
        tofile=f"b/{output}",
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def compare(rendered: list[Rendered]) -> list[Outcome]:
    """For each file: unchanged, stale (with a diff) or missing (with a diff). Writes nothing."""
    outcomes = []
    for item in rendered:
        old = current_text(item.path, item.output)
        if old == item.text:
            outcomes.append(Outcome(item.output, "unchanged"))
        else:
            status = "missing" if old is None else "stale"
            outcomes.append(Outcome(item.output, status, unified_diff(item.output, old, item.text)))
    return outcomes


@dataclass
class _Staged:
    item: Rendered
    path: Path  # the confined output path
    existed: bool
    temp: Path | None = None


def _missing_folders(workspace: Workspace, staged: _Staged) -> list[Path]:
    """The folders to create for ``staged`` (outermost first); refuses a file in the way."""
    missing: list[Path] = []
    folder = staged.path.parent
    while not folder.is_dir():
        if folder.exists() or folder.is_symlink():
            raise SpecledgerError(
                f"cannot write {staged.item.output}: {workspace.rel(folder)} is a file, not a "
                "folder; nothing was written",
                path=staged.item.output,
                code="generate_write_failed",
            )
        missing.append(folder)
        folder = folder.parent
    return missing[::-1]


def _unstage(staged: list[_Staged], created: list[Path]) -> None:
    """Remove every temporary file and every folder this run created (innermost folder first)."""
    for entry in staged:
        if entry.temp is not None:
            with contextlib.suppress(OSError):
                entry.temp.unlink()
            entry.temp = None
    for folder in reversed(created):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _stage(workspace: Workspace, staged: list[_Staged]) -> None:
    """Phase 1: folders and fsynced temporary files for every output, or nothing at all."""
    created: list[Path] = []
    plans = [(entry, _missing_folders(workspace, entry)) for entry in staged]
    current: _Staged | None = None
    try:
        for entry, folders in plans:
            current = entry
            for folder in folders:
                if not folder.is_dir():  # two outputs may need the same new folder
                    folder.mkdir()
                    created.append(folder)
            # the tree may have moved since rendering: confine again, right before writing
            entry.path = workspace.confine(entry.path, what=f"generated file {entry.item.output}")
            mode = entry.path.stat().st_mode & 0o7777 if entry.existed else 0o644
            fd, name = tempfile.mkstemp(
                prefix=f".{entry.path.name}.", suffix=".tmp", dir=entry.path.parent
            )
            os.close(fd)
            entry.temp = Path(name)
            write_file_durably(entry.temp, entry.item.text.encode("utf-8"), exclusive=False)
            os.chmod(entry.temp, mode)
        for folder in {entry.path.parent for entry in staged}:
            fsync_dir(folder)
    except OSError as err:
        _unstage(staged, created)
        output = current.item.output if current is not None else "?"
        raise SpecledgerError(
            f"cannot write {output}: {err.strerror or err}; nothing was written",
            path=output,
            code="generate_write_failed",
        ) from err
    except BaseException:
        _unstage(staged, created)
        raise


def _commit(staged: list[_Staged]) -> None:
    """Phase 2: rename every temporary file over its output."""
    done: list[str] = []
    for index, entry in enumerate(staged):
        assert entry.temp is not None
        try:
            os.replace(entry.temp, entry.path)
        except OSError as err:
            _unstage(staged[index:], [])
            written = ", ".join(done) if done else "none"
            raise SpecledgerError(
                f"cannot replace {entry.item.output}: {err.strerror or err}; files already "
                f"written: {written}",
                path=entry.item.output,
                code="generate_write_failed",
            ) from err
        entry.temp = None
        done.append(entry.item.output)
    try:
        for folder in {entry.path.parent for entry in staged}:
            fsync_dir(folder)
    except OSError as err:
        raise SpecledgerError(
            f"wrote {', '.join(done)}, but the folder could not be synced to disk: "
            f"{err.strerror or err}",
            code="generate_write_failed",
        ) from err


def write_changed(workspace: Workspace, rendered: list[Rendered]) -> list[Outcome]:
    """Write every file whose content differs, all or none (see the module docstring); leave
    identical files untouched."""
    outcomes: list[Outcome] = []
    staged: list[_Staged] = []
    for item in rendered:
        old = current_text(item.path, item.output)
        if old == item.text:
            outcomes.append(Outcome(item.output, "unchanged"))
            continue
        staged.append(_Staged(item, item.path, existed=old is not None))
        outcomes.append(Outcome(item.output, "created" if old is None else "written"))
    if staged:
        _stage(workspace, staged)
        _commit(staged)
    return outcomes
