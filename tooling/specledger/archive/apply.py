"""Carry out an ``ArchivePlan`` so that no crash can leave a mix of old and new files.

The plan already holds every byte to write (computed and validated in memory by
``specledger.archive.plan``). ``apply_plan`` takes the archive lock, checks that the tree still
matches the plan, then runs the prepare / commit / execute protocol described in
``specledger.archive.journal``. An error before the commit point undoes the preparation; an
error after it rolls back from the hard-link backups. Either way the caller gets a
``SpecledgerError`` and the tree is as it was.
"""

from __future__ import annotations

import contextlib
import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from specledger.archive.journal import (
    ArchiveLock,
    DeleteOp,
    Journal,
    WriteOp,
    backup_path,
    execute,
    finalize,
    recover_locked,
    roll_back,
    sha256_of,
    temp_path,
    write_journal,
)
from specledger.archive.plan import ArchivePlan, SpecUpdate
from specledger.archive.targets import archive_path_problems, check_change_name, raise_first, resolve_change_dir
from specledger.errors import RefusedError, SpecledgerError
from specledger.escape import printable
from specledger.fsio import fsync_dir, write_file_durably
from specledger.workspace import Workspace


@dataclass(frozen=True)
class ApplyResult:
    """What ``apply_plan`` did."""

    archived_as: str
    archive_dir: Path
    written: tuple[str, ...]  # spec ids created or updated
    deleted: tuple[str, ...]  # spec ids retired
    generated: tuple[str, ...] = ()  # generated files rewritten from the new specs
    recovered: tuple[str, ...] = ()  # lines about an earlier interrupted archive finished first
    cleanup_pending: bool = False  # archived, but leftover backups wait for the next command

    @property
    def specs_updated(self) -> bool:
        return bool(self.written or self.deleted)


def _rel(workspace: Workspace, path: Path) -> str:
    try:
        return path.relative_to(workspace.root).as_posix()
    except ValueError as err:
        raise SpecledgerError(
            f"archive would touch a path outside the workspace: {path}", code="archive_unsafe_path"
        ) from err


def _normalized(text: str) -> str:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _check_plan(workspace: Workspace, plan: ArchivePlan) -> None:
    """Refuse a plan that no longer matches the tree (or was never safe); nothing is touched yet."""
    change_dir, archive_dir = plan.change_dir, plan.archive_dir
    if change_dir.parent != workspace.changes_dir or change_dir.name != plan.change:
        raise SpecledgerError(
            f"the plan's change folder {change_dir} is not changes/{plan.change}",
            code="archive_unsafe_path",
        )
    resolve_change_dir(workspace, plan.change)
    if archive_dir.parent != workspace.archive_dir:
        raise SpecledgerError(
            f"the plan's destination {archive_dir} is not inside "
            f"{workspace.rel(workspace.archive_dir)}",
            code="archive_unsafe_path",
        )
    check_change_name(archive_dir.name)
    # Links, confinement, the destination, stray working files: checked again now, against the
    # tree as it is when writing starts (it may have moved since validation and planning).
    raise_first(archive_path_problems(workspace, plan.change, archive_dir, (u.spec_id for u in plan.specs),
                                      outputs=[o.path for o in plan.outputs]))
    for update in (*plan.file_writes, *plan.deletes):
        path = update.path
        expected = workspace.root / update.spec_id if update in plan.outputs else workspace.spec_path(update.spec_id)
        if path != expected:
            raise SpecledgerError(
                f"'{update.spec_id}' would be written outside its place in the workspace: {path}",
                code="archive_unsafe_path",
            )
        if update.action == "create":
            if os.path.lexists(path):
                raise RefusedError(
                    f"spec '{update.spec_id}' appeared since archive was planned; rerun archive",
                    path=workspace.rel(path),
                    code="archive_spec_changed",
                )
            continue
        if path.is_symlink() or not path.is_file():
            raise RefusedError(
                f"spec '{update.spec_id}' is missing or not a regular file",
                path=workspace.rel(path),
                code="archive_spec_changed",
            )
        if update.old_text is not None:
            try:
                current = path.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError) as err:
                raise SpecledgerError(
                    f"cannot read spec '{update.spec_id}': {err}",
                    path=workspace.rel(path),
                    code="archive_unreadable",
                ) from err
            if _normalized(current) != _normalized(update.old_text):
                raise RefusedError(
                    f"spec '{update.spec_id}' changed since the archive was planned; rerun archive",
                    path=workspace.rel(path),
                    code="archive_spec_changed",
                )


def _missing_dirs(path: Path, stop: Path) -> list[Path]:
    """Folders from ``stop`` (exclusive) down to ``path`` that do not exist, parents first."""
    missing: list[Path] = []
    folder = path
    while not folder.exists():
        if folder == stop or stop not in folder.parents:
            raise SpecledgerError(
                f"cannot create {folder}: outside the workspace", code="archive_unsafe_path"
            )
        missing.append(folder)
        folder = folder.parent
    return list(reversed(missing))


def build_journal(workspace: Workspace, plan: ArchivePlan) -> Journal:
    """The journal for ``plan`` in state ``prepared``; it names every path archive will create."""
    dirs: list[Path] = []
    for update in plan.file_writes:
        for folder in _missing_dirs(update.path.parent, workspace.root):
            if folder not in dirs:
                dirs.append(folder)
    for folder in _missing_dirs(plan.archive_dir.parent, workspace.root):
        if folder not in dirs:
            dirs.append(folder)
    writes = tuple(
        WriteOp(
            target=_rel(workspace, u.path),
            temp=_rel(workspace, temp_path(u.path)),
            backup=_rel(workspace, backup_path(u.path)) if u.action == "update" else None,
            sha256=sha256_of(_bytes_of(u)),
        )
        for u in plan.file_writes
    )
    deletes = tuple(
        DeleteOp(target=_rel(workspace, u.path), backup=_rel(workspace, backup_path(u.path)))
        for u in plan.deletes
    )
    return Journal(
        change=plan.change,
        pid=os.getpid(),
        state="prepared",
        move_src=_rel(workspace, plan.change_dir),
        move_dst=_rel(workspace, plan.archive_dir),
        dirs=tuple(_rel(workspace, d) for d in dirs),
        writes=writes,
        deletes=deletes,
        prune_stop=_rel(workspace, workspace.specs_dir),
        root=str(workspace.root),
    )


def _bytes_of(update: SpecUpdate) -> bytes:
    if update.new_bytes is not None:
        return update.new_bytes
    if update.new_text is not None:
        return update.new_text.encode("utf-8")
    raise SpecledgerError(
        f"the plan has no new text for spec '{update.spec_id}'", code="archive_bad_plan"
    )


def _prepare(workspace: Workspace, plan: ArchivePlan, journal: Journal) -> None:
    """Create folders, stage new texts and link backups; nothing visible changes."""
    touched: set[Path] = set()
    for rel in journal.dirs:
        folder = workspace.root / rel
        os.mkdir(folder)
        touched.add(folder.parent)
    for update in plan.file_writes:
        write_file_durably(temp_path(update.path), _bytes_of(update))
        if update.action == "update":
            os.link(update.path, backup_path(update.path))
        touched.add(update.path.parent)
    for update in plan.deletes:
        os.link(update.path, backup_path(update.path))
        touched.add(update.path.parent)
    # Deepest first, so that a new folder's own entries are durable before its parent's entry.
    for folder in sorted(touched, key=lambda p: len(p.parts), reverse=True):
        fsync_dir(folder)


def _describe(err: OSError) -> str:
    where = f" ({err.filename})" if err.filename else ""
    return f"{err.strerror or err}{where}"


def apply_plan(
    workspace: Workspace, plan: ArchivePlan, *, lock: ArchiveLock | None = None
) -> ApplyResult:
    """Write the plan's specs and move the change into the archive, crash-safely.

    Pass ``lock`` when the caller already holds the archive lock (it should, while it builds the
    plan, so that no other archive changes the specs in between). Raises ``RefusedError`` when
    the tree no longer matches the plan and ``SpecledgerError`` when a write fails; in both cases
    nothing was changed.
    """
    own_lock = lock is None
    if lock is None:
        lock = ArchiveLock(workspace)
        lock.acquire()
    elif not lock.held:
        raise SpecledgerError(
            "apply_plan was given a lock that is not held", code="archive_bad_plan"
        )
    try:
        recovered = tuple(recover_locked(workspace))
        _check_plan(workspace, plan)
        journal = build_journal(workspace, plan)
        try:
            write_journal(workspace, journal)
            _prepare(workspace, plan, journal)
            write_journal(workspace, journal.with_state("committed"))
        except OSError as err:
            _undo(workspace, journal)
            raise SpecledgerError(
                f"could not prepare the archive: {_describe(err)}; nothing was changed",
                code="archive_write_failed",
            ) from err
        try:
            execute(workspace, journal)
        except OSError as err:
            _undo(workspace, journal.with_state("rolling-back"), record=True)
            raise SpecledgerError(
                f"could not complete the archive: {_describe(err)}; every change was undone",
                code="archive_write_failed",
            ) from err
        cleanup_pending = False
        try:
            finalize(workspace, journal)
        except OSError:
            # The archive itself is done; the next spec command drops the leftover backups.
            cleanup_pending = True
        return ApplyResult(
            archived_as=plan.archive_dir.name,
            archive_dir=plan.archive_dir,
            written=tuple(u.spec_id for u in plan.writes),
            deleted=tuple(u.spec_id for u in plan.deletes),
            generated=tuple(u.spec_id for u in plan.outputs),
            recovered=recovered,
            cleanup_pending=cleanup_pending,
        )
    finally:
        if own_lock:
            lock.release()


def _undo(workspace: Workspace, journal: Journal, *, record: bool = False) -> None:
    """Roll back in-process. If that fails too, the journal stays for the next command to settle."""
    if record:
        # If this fails the journal still says "committed" on disk, and the next command rolls
        # forward instead, which is also a whole state.
        with contextlib.suppress(OSError):
            write_journal(workspace, journal)
    try:
        roll_back(workspace, journal)
    except OSError as err:
        raise SpecledgerError(
            f"an archive write failed and undoing it failed too ({_describe(err)}); "
            "the next spec command will finish or undo it",
            code="archive_rollback_failed",
        ) from err


def preview(workspace: Workspace, plan: ArchivePlan) -> list[tuple[str, str]]:
    """``(spec id, unified diff)`` for every spec the plan would change, for ``--dry-run``."""
    out: list[tuple[str, str]] = []
    for update in (*plan.specs, *plan.outputs):
        if update.action == "unchanged":
            continue
        rel = printable(workspace.rel(update.path))  # a header line must stay one line
        old = update.old_text or ""
        new = update.new_text if update.new_text is not None else ""
        if update.new_text is None and update.new_bytes is not None and update.action != "delete":
            new = update.new_bytes.decode("utf-8", errors="replace")
        diff = difflib.unified_diff(
            _normalized(old).splitlines(keepends=True),
            _normalized(new).splitlines(keepends=True),
            fromfile="/dev/null" if update.action == "create" else f"a/{rel}",
            tofile="/dev/null" if update.action == "delete" else f"b/{rel}",
        )
        out.append((update.spec_id, "".join(diff)))
    return out


__all__ = [
    "ApplyResult",
    "apply_plan",
    "build_journal",
    "check_change_name",
    "preview",
    "resolve_change_dir",
]
