"""The archive journal and lock: how an interrupted archive is rolled forward or back.

An archive mutates the tree in three phases (see ``specledger.archive.apply``):

1. **prepare**: the journal is written in state ``prepared`` *before* anything else; then the
   missing folders are created, every new spec text is written to a temp file beside its target
   (fsynced), and every spec that will be replaced or deleted gets a hard-link backup beside it.
   Nothing a user sees has changed yet.
2. **commit**: the journal is atomically rewritten in state ``committed``. This rename is the
   single instant at which the archive happens.
3. **execute**: temp files are renamed over their targets, retired specs are unlinked, the change
   folder is renamed into the archive; then the backups are dropped, emptied folders pruned and
   the journal removed.

Every step is idempotent and recorded by path, so whichever process finds a journal can finish
the job: ``prepared`` (and ``rolling-back``, written when an in-process error asks for an undo)
is rolled back, ``committed`` is rolled forward. Either way the tree ends byte for byte in the
state before or after the archive, and the journal is the last thing removed.

The lock is ``flock(2)`` on the changes folder itself: the kernel drops it when its owner dies,
so a lock can never go stale, and no lock file has to be cleaned up after a ``kill -9``. The
journal records the owner's PID for messages.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from specledger.archive.names import BACKUP_SUFFIX, JOURNAL_NAME, TEMP_SUFFIX, backup_path, temp_path
from specledger.errors import SpecledgerError
from specledger.fsio import fsync_dir, write_file_durably
from specledger.workspace import UnsafePathError, Workspace

JOURNAL_FORMAT = "specledger-archive-journal/1"

MAX_JOURNAL_BYTES = 16 * 1024 * 1024
RESOLVE_BY_HAND = (
    "no spec command can tell how to finish that archive: compare the tree with version control "
    "(git status), restore any spec or change folder by hand, remove the files named "
    f"'.*{TEMP_SUFFIX}' and '.*{BACKUP_SUFFIX}' beside the specs, then delete this journal"
)

JournalState = Literal["prepared", "committed", "rolling-back"]


class ArchiveLockedError(SpecledgerError):
    """Another process is archiving in the same changes folder right now."""


# ---------------------------------------------------------------------------------------------
# Durable file-system primitives


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _exists(path: Path) -> bool:
    return os.path.lexists(path)


def _unlink_if_present(path: Path) -> bool:
    if not os.path.lexists(path):
        return False  # no needless unlink calls: each one is a point where a crash could land
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def _rmdir_if_empty(path: Path) -> bool:
    try:
        os.rmdir(path)
    except FileNotFoundError:
        return False
    except OSError as err:
        if err.errno in (errno.ENOTEMPTY, errno.EEXIST):
            return False
        raise
    return True


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------
# The journal record


@dataclass(frozen=True)
class WriteOp:
    """A spec written through ``temp``; ``backup`` holds the old text (None for a new spec)."""

    target: str
    temp: str
    backup: str | None
    sha256: str


@dataclass(frozen=True)
class DeleteOp:
    """A retired spec; ``backup`` keeps its text until the archive is final."""

    target: str
    backup: str


@dataclass(frozen=True)
class Journal:
    """Everything needed to finish or undo one archive; paths are relative to the workspace root."""

    change: str
    pid: int
    state: JournalState
    move_src: str
    move_dst: str
    dirs: tuple[str, ...] = ()  # folders created by the archive, parents first
    writes: tuple[WriteOp, ...] = ()
    deletes: tuple[DeleteOp, ...] = ()
    prune_stop: str = ""  # pruning of emptied folders stops here (the specs folder)
    extra: dict[str, Any] = field(default_factory=dict)
    root: str = ""  # the workspace root that wrote it: a journal copied elsewhere is refused

    def with_state(self, state: JournalState) -> Journal:
        return Journal(
            change=self.change,
            pid=self.pid,
            state=state,
            move_src=self.move_src,
            move_dst=self.move_dst,
            dirs=self.dirs,
            writes=self.writes,
            deletes=self.deletes,
            prune_stop=self.prune_stop,
            extra=self.extra,
            root=self.root,
        )

    def to_json(self) -> bytes:
        data = asdict(self)
        data["format"] = JOURNAL_FORMAT
        return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes, path: Path) -> Journal:
        """Parse a journal, refusing anything this version did not write."""
        try:
            if len(raw) > MAX_JOURNAL_BYTES:
                raise ValueError(f"{len(raw)} bytes, more than any archive writes")
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            if data.get("format") != JOURNAL_FORMAT:
                raise ValueError(f"unknown format {data.get('format')!r}")
            state = data["state"]
            if state not in ("prepared", "committed", "rolling-back"):
                raise ValueError(f"unknown state {state!r}")
            return cls(
                change=str(data["change"]),
                pid=int(data["pid"]),
                state=state,
                move_src=str(data["move_src"]),
                move_dst=str(data["move_dst"]),
                dirs=tuple(str(d) for d in data["dirs"]),
                writes=tuple(WriteOp(**w) for w in data["writes"]),
                deletes=tuple(DeleteOp(**d) for d in data["deletes"]),
                prune_stop=str(data.get("prune_stop", "")),
                extra=dict(data.get("extra", {})),
                root=str(data["root"]),
            )
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError) as err:
            raise SpecledgerError(
                f"the archive journal is damaged ({str(err)[:200]}); cannot tell how to finish the "
                "interrupted archive",
                path=path,
                code="archive_journal_damaged",
                hint=RESOLVE_BY_HAND,
            ) from err


def journal_path(workspace: Workspace) -> Path:
    return workspace.changes_dir / JOURNAL_NAME


def write_journal(workspace: Workspace, journal: Journal) -> None:
    """Replace the journal atomically: temp file, fsync, rename, fsync of the folder."""
    path = journal_path(workspace)
    tmp = path.with_name(path.name + ".tmp")
    _unlink_if_present(tmp)
    write_file_durably(tmp, journal.to_json())
    os.rename(tmp, path)
    fsync_dir(path.parent)


def read_journal(workspace: Workspace) -> Journal | None:
    path = journal_path(workspace)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise SpecledgerError(
            f"cannot read the archive journal: {err.strerror}",
            path=path,
            code="archive_journal_unreadable",
        ) from err
    return Journal.from_json(raw, path)


def remove_journal(workspace: Workspace) -> None:
    path = journal_path(workspace)
    _unlink_if_present(path.with_name(path.name + ".tmp"))
    if _unlink_if_present(path):
        fsync_dir(path.parent)


# ---------------------------------------------------------------------------------------------
# The lock


class ArchiveLock:
    """An exclusive ``flock`` on the changes folder, held for the whole archive.

    The kernel releases it when the holder exits, however it exits, so there is no stale lock
    to detect: a dead owner simply does not hold it any more.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._fd: int | None = None

    def acquire(self) -> None:
        folder = self.workspace.changes_dir
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as err:
            raise SpecledgerError(
                f"cannot open the changes folder: {err.strerror}",
                path=folder,
                code="archive_unreadable",
            ) from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise ArchiveLockedError(
                    "another archive is running in this repository; try again when it has finished",
                    path=folder,
                    code="archive_locked",
                ) from err
            raise SpecledgerError(
                f"cannot lock the changes folder: {err.strerror}",
                path=folder,
                code="archive_lock_failed",
            ) from err
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the last descriptor drops the flock
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> ArchiveLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# ---------------------------------------------------------------------------------------------
# Rolling forward and back


def _abs(workspace: Workspace, rel: str) -> Path:
    """Resolve a journal path, refusing one that would leave the workspace (a tampered journal)."""
    path = workspace.root / rel
    if rel.startswith("/") or ".." in Path(rel).parts or "\x00" in rel:
        raise SpecledgerError(
            f"the archive journal names a path outside the workspace: {rel[:200]!r}",
            path=journal_path(workspace),
            code="archive_journal_damaged",
            hint=RESOLVE_BY_HAND,
        )
    try:
        workspace.confine(path, what="a path named by the archive journal", allow_links=False)
    except UnsafePathError as err:
        raise SpecledgerError(
            f"the archive journal names {rel!r}, which is no longer a safe place to write: {err.message}",
            path=journal_path(workspace),
            code="archive_journal_damaged",
            hint=RESOLVE_BY_HAND,
        ) from err
    return path


def _holds(path: Path, sha256: str) -> bool:
    """Whether ``path`` is a regular file whose content hashes to ``sha256`` (what archive wrote)."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        return sha256_of(path.read_bytes()) == sha256
    except OSError:
        return False


def execute(workspace: Workspace, journal: Journal) -> None:
    """Carry out a committed archive up to the move of the change folder (idempotent)."""
    touched: set[Path] = set()
    for op in journal.writes:
        target, temp = _abs(workspace, op.target), _abs(workspace, op.temp)
        if _exists(temp):
            if not _holds(temp, op.sha256):
                raise SpecledgerError(
                    f"{op.temp} does not hold the text the archive staged there, so it is not renamed "
                    f"over {op.target}",
                    path=journal_path(workspace),
                    code="archive_journal_damaged",
                    hint=RESOLVE_BY_HAND,
                )
            os.rename(temp, target)
            touched.add(target.parent)
    for dop in journal.deletes:
        target, backup = _abs(workspace, dop.target), _abs(workspace, dop.backup)
        # Only unlink the file we backed up: its backup is another name for the same inode.
        if _exists(target) and _same_file(target, backup):
            os.unlink(target)
            touched.add(target.parent)
    src, dst = _abs(workspace, journal.move_src), _abs(workspace, journal.move_dst)
    if _exists(src) and not _exists(dst):
        os.rename(src, dst)
        touched.update((src.parent, dst.parent))
    for folder in sorted(touched):
        fsync_dir(folder)


def finalize(workspace: Workspace, journal: Journal) -> None:
    """Drop the backups, prune folders left empty by retired specs, then remove the journal."""
    _drop_backups_and_prune(workspace, journal)
    remove_journal(workspace)


def roll_forward(workspace: Workspace, journal: Journal) -> None:
    """Finish a committed archive. Each step checks what is already done, so reruns are safe."""
    execute(workspace, journal)
    finalize(workspace, journal)


def _drop_backups_and_prune(workspace: Workspace, journal: Journal) -> None:
    touched: set[Path] = set()
    for op in journal.writes:
        if op.backup is not None and _unlink_if_present(_abs(workspace, op.backup)):
            touched.add(_abs(workspace, op.backup).parent)
    stop = _abs(workspace, journal.prune_stop) if journal.prune_stop else workspace.specs_dir
    for dop in journal.deletes:
        backup = _abs(workspace, dop.backup)
        if _unlink_if_present(backup):
            touched.add(backup.parent)
        # A retired capability leaves no empty folder behind (the reference prunes them too).
        folder = backup.parent
        while folder != stop and stop in folder.parents:
            if not _rmdir_if_empty(folder) and _exists(folder):
                break
            touched.add(folder.parent)
            folder = folder.parent
    for folder in sorted(touched, key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir():
            fsync_dir(folder)


def roll_back(workspace: Workspace, journal: Journal) -> None:
    """Undo an archive that did not commit (or asked to be undone), restoring every old byte."""
    touched: set[Path] = set()
    src, dst = _abs(workspace, journal.move_src), _abs(workspace, journal.move_dst)
    if _exists(dst) and not _exists(src):
        os.rename(dst, src)
        touched.update((src.parent, dst.parent))
    for dop in journal.deletes:
        target, backup = _abs(workspace, dop.target), _abs(workspace, dop.backup)
        touched.add(target.parent)
        if not _exists(backup):
            continue  # the backup was never made, so the target was never touched
        if _exists(target):
            # rename() between two names of one inode does nothing; drop the extra name instead
            os.unlink(backup)
        else:
            os.rename(backup, target)
    for op in reversed(journal.writes):
        target, temp = _abs(workspace, op.target), _abs(workspace, op.temp)
        touched.add(target.parent)
        staged = _unlink_if_present(temp)
        if op.backup is not None:
            backup = _abs(workspace, op.backup)
            if _exists(backup):
                if _same_file(backup, target):
                    os.unlink(backup)
                else:
                    os.rename(backup, target)
        elif not staged and _holds(target, op.sha256):
            # A new spec whose temp was already renamed into place: it holds exactly the bytes
            # archive wrote, so it is ours to remove. Anything else at that path is the user's.
            os.unlink(target)
    for rel in reversed(journal.dirs):
        folder = _abs(workspace, rel)
        if _rmdir_if_empty(folder):
            touched.add(folder.parent)
    for folder in sorted(touched, key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir():
            fsync_dir(folder)
    remove_journal(workspace)


def check_shape(workspace: Workspace, journal: Journal) -> None:
    """Refuse a journal that names a path no archive of ``journal.change`` would touch.

    A journal is a file in the repository, so it can be committed, copied or planted, and every
    command acts on one it finds. Confinement alone would let a planted journal move any file of
    the checkout (into ``.git/hooks``, say); this check holds it to the shape ``build_journal``
    gives: the change folder moved to its dated name in the archive folder, spec files (or the
    configured generated files) written or retired beside their staged and backup copies, and
    new folders only on the way to those. Such a journal can do nothing that the repository's
    own content could not do already.
    """
    from specledger.archive.targets import check_change_name, has_date_prefix
    from specledger.workspace import ARCHIVE_DIRNAME

    def refuse(why: str) -> SpecledgerError:
        return SpecledgerError(
            f"the archive journal {why}, which no archive of a change does; it was not acted on",
            path=journal_path(workspace), code="archive_journal_damaged",
            hint="if no archive was interrupted here, delete this file; otherwise: " + RESOLVE_BY_HAND)

    change = journal.change
    try:
        check_change_name(change)
    except SpecledgerError as err:
        raise refuse(f"names the change {change[:80]!r}, not a change folder name") from err
    rel = workspace.rel
    if journal.move_src != rel(workspace.changes_dir / change):
        raise refuse(f"moves {journal.move_src[:200]!r} instead of the change folder")
    dated = journal.move_dst.rpartition("/")[2]
    if (journal.move_dst != rel(workspace.archive_dir / dated) or dated == ARCHIVE_DIRNAME
            or not (dated == change if has_date_prefix(change) else
                    has_date_prefix(dated) and dated[11:] == change)):
        raise refuse(f"moves the change to {journal.move_dst[:200]!r}, not to its dated folder in the archive")
    if journal.prune_stop not in ("", rel(workspace.specs_dir)):
        raise refuse(f"prunes folders up to {journal.prune_stop[:200]!r}, not the specs folder")
    specs = rel(workspace.specs_dir) + "/"

    def spec_file(target: str) -> bool:
        return target.startswith(specs) and target.endswith("/spec.md") and len(target) > len(specs) + len("/spec.md")

    outputs: set[str] = set()
    if any(not spec_file(op.target) for op in journal.writes):
        outputs = _generated_outputs(workspace)
    for op in journal.writes:
        target = workspace.root / op.target
        if not (spec_file(op.target) or op.target in outputs):
            raise refuse(f"writes {op.target[:200]!r}, neither a spec nor a generated file")
        if op.temp != rel(temp_path(target)) or op.backup not in (None, rel(backup_path(target))):
            raise refuse(f"stages or backs up {op.target[:200]!r} under other names than archive's")
    for dop in journal.deletes:
        if not spec_file(dop.target) or dop.backup != rel(backup_path(workspace.root / dop.target)):
            raise refuse(f"retires {dop.target[:200]!r}, not a spec with archive's backup beside it")
    on_the_way = {str(folder) for rel_path in (journal.move_dst, *(op.target for op in journal.writes))
                  for folder in Path(rel_path).parents}
    for folder in journal.dirs:
        if folder not in on_the_way or folder == ".":
            raise refuse(f"creates the folder {folder[:200]!r}, which is on the way to nothing it writes")


def _generated_outputs(workspace: Workspace) -> set[str]:
    """The files ``spec generate`` writes, as the configuration names them (none when it is broken)."""
    if not workspace.config.get("generate"):
        return set()
    from specledger.generate.targets import load_targets

    try:
        return {workspace.rel(workspace.root / target.output) for target in load_targets(workspace)}
    except SpecledgerError:
        return set()


def settle(workspace: Workspace, journal: Journal) -> str:
    """Roll ``journal`` forward or back according to its state; return what was done, in words."""
    if journal.state == "committed":
        roll_forward(workspace, journal)
        return (
            f"completed the interrupted archive of change '{journal.change}' "
            f"(now at {journal.move_dst})"
        )
    roll_back(workspace, journal)
    return (
        f"undid the interrupted archive of change '{journal.change}'; the tree is as it was before"
    )


def recover(workspace: Workspace) -> Iterator[str]:
    """Finish or undo an interrupted archive; yields one line per action taken.

    Cheap when there is nothing to do (two ``lstat`` calls). When an archive is running in
    another process, it is left alone.
    """
    path = journal_path(workspace)
    leftover_tmp = path.with_name(path.name + ".tmp")
    if not _exists(path) and not _exists(leftover_tmp):
        return
    lock = ArchiveLock(workspace)
    try:
        lock.acquire()
    except ArchiveLockedError:
        yield "an archive is running in another process; its files were left alone"
        return
    try:
        yield from recover_locked(workspace)
    finally:
        lock.release()


def recover_locked(workspace: Workspace) -> Iterator[str]:
    """``recover`` for a caller that already holds the archive lock."""
    try:
        journal = read_journal(workspace)
        if journal is None:
            # A journal temp without a journal: the archive died before its first durable step.
            remove_journal(workspace)
            return
        if journal.root != str(workspace.root):
            raise SpecledgerError(
                f"the archive journal was written by an archive in {journal.root[:300]!r}, not in this "
                f"workspace ({workspace.root}); it was copied or committed by mistake",
                path=journal_path(workspace),
                code="archive_journal_foreign",
                hint="if no archive is interrupted here, delete this file (and keep "
                f"'{JOURNAL_NAME}*' in .gitignore); otherwise: " + RESOLVE_BY_HAND,
            )
        check_shape(workspace, journal)
        yield settle(workspace, journal)
    except OSError as err:
        raise SpecledgerError(
            f"could not finish an interrupted archive: {err}",
            path=journal_path(workspace),
            code="archive_recovery_failed",
            hint="fix the cause (permissions, disk space) and run any spec command again",
        ) from err


__all__ = [
    "BACKUP_SUFFIX",
    "JOURNAL_NAME",
    "TEMP_SUFFIX",
    "ArchiveLock",
    "ArchiveLockedError",
    "DeleteOp",
    "Journal",
    "WriteOp",
    "backup_path",
    "check_shape",
    "execute",
    "finalize",
    "fsync_dir",
    "read_journal",
    "recover",
    "recover_locked",
    "remove_journal",
    "roll_back",
    "roll_forward",
    "settle",
    "sha256_of",
    "temp_path",
    "write_file_durably",
    "write_journal",
]
