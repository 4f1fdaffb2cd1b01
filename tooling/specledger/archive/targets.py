"""Every path an archive touches, checked before the first write.

An archive writes the journal, stages and backs up each spec it changes beside it, creates
folders for new capabilities, and renames the change folder to ``changes/archive/<date>-<name>``.
``archive_path_problems`` lists what would stop any of that: a path that passes through a
symbolic link or leaves the workspace, a destination that already exists, a stray working file
of archive's in the way, a name too long for the file system. The validator reports the list as
findings (so ``validate --strict`` passing still means archive succeeds), the planner refuses on
it before planning, and ``apply`` checks it again against the tree as it is when writing starts.

Symbolic links: specledger *reads* through links that stay inside the workspace, but archive
never writes, renames or deletes through any link (see ``Workspace.confine``), because it must be
able to undo every step exactly and a link makes "the file" ambiguous.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from specledger.archive.names import JOURNAL_NAME, backup_path, temp_path
from specledger.errors import RefusedError, SpecledgerError
from specledger.workspace import ARCHIVE_DIRNAME, UnsafePathError, Workspace

DATE_PREFIX_LEN = len("YYYY-MM-DD-")
DEFAULT_NAME_MAX = 255  # bytes per file name on Linux and macOS file systems


def name_max(folder: Path) -> int:
    """The longest file name (in bytes) the file system holding ``folder`` accepts."""
    here = folder
    while not here.is_dir() and here != here.parent:
        here = here.parent
    try:
        return int(os.pathconf(here, "PC_NAME_MAX"))
    except (OSError, ValueError):
        return DEFAULT_NAME_MAX


def has_date_prefix(name: str) -> bool:
    head = name[:DATE_PREFIX_LEN]
    return (
        len(head) == DATE_PREFIX_LEN
        and head[4] == "-"
        and head[7] == "-"
        and head[10] == "-"
        and (head[:4] + head[5:7] + head[8:10]).isascii()
        and (head[:4] + head[5:7] + head[8:10]).isdigit()
    )


def archive_name(change: str, today: _dt.date) -> str:
    """``YYYY-MM-DD-<change>``, or the name unchanged when it already starts with a date."""
    return change if has_date_prefix(change) else f"{today.isoformat()}-{change}"


def check_change_name(name: str, *, limit: int = DEFAULT_NAME_MAX, why: str = "") -> None:
    """Refuse a change name that is not a single plain folder name (exit 2, nothing touched)."""
    if (
        not name
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or ".." in name
        or name.startswith(".")  # hidden names are archive's own working files
        or name == ARCHIVE_DIRNAME
        or os.path.isabs(name)
    ):
        raise SpecledgerError(
            f"'{name[:80]}' is not a valid change name: it must be a single folder name under "
            "the changes folder, without '..', slashes or a leading dot",
            code="archive_change_name_unsafe",
        )
    size = len(name.encode("utf-8", "surrogateescape"))
    if size > limit:
        raise SpecledgerError(
            f"the change name '{name[:40]}...' is {size} bytes long; at most {limit} are allowed{why}",
            code="change_name_too_long",
        )


def resolve_change_dir(workspace: Workspace, name: str) -> Path:
    """The open change folder for ``name``, after checking the name and that it is a real folder."""
    check_change_name(name)
    folder = workspace.change_dir(name)
    if folder.is_symlink():
        raise SpecledgerError(
            f"change '{name}' is a symbolic link; archive moves only real folders",
            path=workspace.rel(folder),
            code="archive_change_symlink",
        )
    if not folder.is_dir():
        names = workspace.change_names()
        import difflib  # only when a name is not found

        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        raise SpecledgerError(
            f"change '{name}' not found",
            path=workspace.rel(workspace.changes_dir),
            code="archive_change_not_found",
            hint=f"did you mean: {', '.join(close)}?" if close else f"open changes: {', '.join(names) or 'none'}",
        )
    return folder


def destination(workspace: Workspace, change: str, today: _dt.date | None = None) -> Path:
    """Where archiving ``change`` today moves it."""
    return workspace.archive_dir / archive_name(change, today or _dt.date.today())


def archive_path_problems(
    workspace: Workspace, change: str, target: Path, spec_ids: Iterable[str], outputs: Iterable[Path] = (),
    shared: dict[Any, Any] | None = None,
) -> list[SpecledgerError]:
    """Everything that would stop an archive of ``change`` to ``target`` touching ``spec_ids``.

    Empty when the archive can write every file it needs. Each problem is the error archive
    itself raises (``RefusedError`` for an existing destination, exit 1; the others exit 2).
    ``shared`` (a dict kept across calls of one read-only run, such as ``spec validate --all``)
    remembers the answers for the paths many changes have in common (the journal, each spec and
    its working files, the archive folder's name limit); archive itself passes none, so it
    always looks afresh.
    """
    if shared is not None:
        # one read-only run asks for a change's problems when it validates the change and again
        # when it plans its archive (the reviewer site): the same question, the same answer
        ids, extra = tuple(spec_ids), tuple(outputs)
        key = ("call", change, target, ids, extra)
        if key not in shared:
            shared[key] = _archive_path_problems(workspace, change, target, ids, extra, shared)
        return list(shared[key])
    return _archive_path_problems(workspace, change, target, spec_ids, outputs, None)


def _archive_path_problems(
    workspace: Workspace, change: str, target: Path, spec_ids: Iterable[str], outputs: Iterable[Path],
    shared: dict[Any, Any] | None,
) -> list[SpecledgerError]:
    problems: list[SpecledgerError] = []
    memo: dict[Any, Any] = {} if shared is None else shared

    known_dirs: set[str] | None = memo.setdefault("dirs", set()) if shared is not None else None

    def confined(path: Path, what: str) -> bool:
        try:
            workspace.confined_path(path, what=what, allow_links=False, known_dirs=known_dirs)
        except UnsafePathError as err:
            problems.append(err)
            return False
        return True

    def once(key: tuple[Any, ...], check: Callable[[], object]) -> None:
        """Run ``check`` (which appends to ``problems``) once per ``memo``; replay its problems after."""
        if key not in memo:
            start = len(problems)
            check()
            memo[key] = problems[start:]
        else:
            problems.extend(memo[key])

    once(("journal",), lambda: confined(workspace.changes_dir / JOURNAL_NAME, "the archive journal"))
    confined(workspace.change_dir(change), f"change folder '{change}'")
    folder = os.path.dirname(target)
    if ("name_max", folder) not in memo:
        memo[("name_max", folder)] = name_max(target.parent)
    limit = memo[("name_max", folder)]
    size = len(target.name.encode("utf-8", "surrogateescape"))
    if size > limit:
        problems.append(SpecledgerError(
            f"the archive folder name '{target.name[:40]}...' would be {size} bytes long; the file "
            f"system allows {limit} (archive adds the date, {DATE_PREFIX_LEN} characters, to the change name)",
            path=workspace.rel(workspace.change_dir(change)),
            code="archive_name_too_long",
            hint="rename the change folder to a shorter name",
        ))
    elif confined(target, "the archive destination") and os.path.lexists(target):
        problems.append(RefusedError(
            f"the archive destination {workspace.rel(target)} already exists",
            path=workspace.rel(target),
            code="archive_target_exists",
            hint="rename or remove the existing archived change first",
        ))
    def place(path: Path, what: str) -> None:
        if not confined(path, what):
            return
        for extra in (temp_path(path), backup_path(path)):
            if os.path.lexists(extra):
                problems.append(SpecledgerError(
                    "a working file of an earlier archive is in the way (no archive journal claims it); "
                    "check it holds nothing you need, then delete it",
                    path=workspace.rel(extra),
                    code="archive_working_file_exists",
                ))

    # each place is named uniquely by its description, so that is the memo's key (no path is
    # built for a place already checked)
    for spec_id in spec_ids:
        what = f"spec '{spec_id}'"
        once(("place", what), lambda s=spec_id, w=what: place(workspace.spec_path(s), w))  # type: ignore[misc]
    for path in outputs:
        what = f"generated file {workspace.rel(path)}"
        once(("place", what), lambda p=path, w=what: place(p, w))  # type: ignore[misc]
    return problems


def raise_first(problems: list[SpecledgerError]) -> None:
    """Raise the first problem, naming how many more there are."""
    if not problems:
        return
    first = problems[0]
    if len(problems) > 1:
        first.hint = (first.hint + "; " if first.hint else "") + (
            f"{len(problems) - 1} more problem(s): run 'spec validate' on the change to see them all"
        )
    raise first


__all__ = [
    "archive_name",
    "archive_path_problems",
    "check_change_name",
    "destination",
    "has_date_prefix",
    "name_max",
    "raise_first",
    "resolve_change_dir",
]
