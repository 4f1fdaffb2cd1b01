"""Reading artifact files safely: every failure becomes a message naming the file."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from specledger.markdown import Document, parse

# Specs far beyond any real one are refused rather than parsed: a guard against a wrong file.
MAX_FILE_BYTES = 20 * 1024 * 1024


class UnreadableFile(Exception):
    """A file that exists (or is named) but cannot be read as UTF-8 markdown."""

    def __init__(self, path: Path, reason: str, *, environment: bool) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason
        self.environment = environment  # True: the filesystem failed us (exit 2), not the content


def read_regular(path: Path, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of ``path``, which must be a regular file (a link to one is followed).

    The one way specledger reads a file it did not write: opened without blocking (a FIFO would
    otherwise wait for a writer forever) and judged by the open descriptor, so a path swapped
    after a check cannot fool it; reading stops one byte past ``limit``, so a link to
    ``/dev/zero`` or a huge file costs nothing, and the caller says what more than ``limit``
    means. Raises ``UnreadableFile`` (an environment problem) naming why.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise UnreadableFile(path, "is a directory, not a file", environment=True)
            if not stat.S_ISREG(info.st_mode):
                raise UnreadableFile(path, "is not a regular file (a FIFO, socket or device)", environment=True)
            return read_at_most(fd, min(info.st_size, limit), limit + 1)
        finally:
            os.close(fd)
    except UnreadableFile:
        raise
    except OSError as err:
        if err.errno == errno.ELOOP:
            reason = "is a symbolic link loop"
        elif err.errno in (errno.EACCES, errno.EPERM):
            reason = "permission denied"
        elif err.errno == errno.ENOENT:
            reason = "does not exist (broken symbolic link?)" if os.path.islink(path) else "does not exist"
        else:
            reason = f"cannot be read ({os.strerror(err.errno) if err.errno else err})"
        raise UnreadableFile(path, reason, environment=True) from err


def read_text(path: Path) -> str:
    """Read a UTF-8 text file, raising ``UnreadableFile`` with a clear reason."""
    data = read_regular(path, MAX_FILE_BYTES)
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile(
            path, f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; refusing to parse it", environment=False
        )
    if b"\x00" in data:
        raise UnreadableFile(path, "is a binary file, not markdown text", environment=False)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise UnreadableFile(
            path, f"line {line}: not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start})",
            environment=False,
        ) from err


def read_at_most(fd: int, expected: int, limit: int) -> bytes:
    """Up to ``limit`` bytes from ``fd``, in reads sized to the file (``expected`` bytes, as fstat
    said), not one buffer of ``limit``: a file that grows meanwhile is still read to its end."""
    chunks: list[bytes] = []
    size = max(expected + 1, 1 << 16)
    while limit > 0:
        chunk = os.read(fd, min(size, limit))
        if not chunk:
            break
        chunks.append(chunk)
        limit -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_markdown(path: Path) -> Document:
    """Read and parse a markdown file."""
    return parse(read_text(path))
