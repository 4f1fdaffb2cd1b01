"""Compare rendered files with the tree, show unified diffs, and write atomically."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from specledger.errors import SpecledgerError
from specledger.fsio import replace_atomically


@dataclass(frozen=True)
class Rendered:
    """A rendered file, not yet written."""

    output: str  # relative to the root, forward slashes
    path: Path
    text: str


@dataclass(frozen=True)
class Outcome:
    """What happened (or, under --check, would happen) to one output."""

    output: str
    status: str  # "unchanged", "stale", "missing", "written", "created"
    diff: str = ""


def current_text(path: Path) -> str | None:
    """The file's text as it is on disk, or None when it does not exist."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise SpecledgerError(
            f"cannot read the generated file: {err}",
            path=str(path),
            code="generate_unreadable_output",
        ) from err


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
        old = current_text(item.path)
        if old == item.text:
            outcomes.append(Outcome(item.output, "unchanged"))
        else:
            status = "missing" if old is None else "stale"
            outcomes.append(Outcome(item.output, status, unified_diff(item.output, old, item.text)))
    return outcomes


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (LF line endings) to ``path`` atomically; see ``specledger.fsio``."""
    replace_atomically(path, text.encode("utf-8"))


def write_changed(rendered: list[Rendered]) -> list[Outcome]:
    """Write every file whose content differs; leave identical files untouched."""
    outcomes = []
    for item in rendered:
        old = current_text(item.path)
        if old == item.text:
            outcomes.append(Outcome(item.output, "unchanged"))
            continue
        try:
            write_atomic(item.path, item.text)
        except OSError as err:
            raise SpecledgerError(
                f"cannot write the file: {err}", path=item.output, code="generate_write_failed"
            ) from err
        outcomes.append(Outcome(item.output, "created" if old is None else "written"))
    return outcomes
