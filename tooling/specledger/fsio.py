"""Durable file-system primitives shared by archive and generate.

A reader, or a crash at any instant, sees a file's old content or its new content, never a mix:
data goes to a temporary file in the same folder, is fsynced, then renamed over the target, and
the folder is fsynced so the rename itself survives a power cut.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Make the entries of ``folder`` (creations, renames, unlinks) durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file_durably(path: Path, data: bytes, *, exclusive: bool = True, sync: bool = True) -> None:
    """Create ``path`` with ``data`` and fsync it (its folder is fsynced by the caller).

    ``exclusive`` refuses to reuse an existing file: a stray file with our temp name is not ours
    to overwrite, and a rollback would otherwise delete it. ``sync=False`` skips the fsync, for
    outputs that are rebuilt rather than recovered.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o644)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def replace_atomically(path: Path, data: bytes, *, durable: bool = True, new_mode: int = 0o644) -> None:
    """Replace (or create) ``path`` with ``data``: temp file, fsync, rename, fsync of the folder.

    The file keeps its permission bits; a new file gets ``new_mode``, whatever the umask. With
    ``durable`` false nothing is fsynced: for build outputs (the reviewer site) that a power cut
    may leave cut short and the next build rewrites; readers still see old or new, never a mix.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = new_mode
    import tempfile  # only writers need it: keeps it out of read-only commands' start-up

    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write_file_durably(tmp, data, exclusive=False, sync=durable)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if durable:
        fsync_dir(path.parent)
