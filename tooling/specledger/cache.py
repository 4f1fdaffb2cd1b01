"""A content-addressed cache of validation results, so that a warm ``spec validate --all`` only
re-checks what changed.

What is cached, and under which key
    A change's or a spec's findings are a function of file contents: the item's own files, the
    main specs its deltas would merge into, the configuration, and specledger itself. The key of
    an item hashes exactly those (every file below the change folder, whatever its name, and the
    main spec of every capability folder under its ``specs/``), on top of a *salt* that hashes
    the cache format, specledger's version and source files, the schemas, the Python version,
    the ``[tool.specledger]`` table, where the specs and changes live, and which OpenSpec schemas
    the repository declares. Change any of them and the entry is simply not found.

What is never cached
    Findings that depend on the file system rather than on contents (symbolic links on archive's
    paths, an existing archive destination, stray working files: ``Validator.path_findings``)
    are recomputed on every run and put back in their place; the cross-change overlap warning is
    recomputed from the cached list of requirements each change touches. An item is not cached
    at all when anything on its key is not a plain file or folder (a symbolic link, a FIFO), when
    a file could not be read, when it touches a spec that ``spec generate`` renders files from
    (those findings depend on templates), or when it has an environment error. Single-item runs
    (``spec validate NAME``) neither read nor write the cache: they are fast without it.

Where, and why it can be trusted
    ``.specledger_cache/`` at the workspace root (with a ``.gitignore`` of ``*``, as pytest and
    ruff do), written only through real folders inside the workspace (``Workspace.confine``),
    atomically (temporary file, then rename), so concurrent runs each read a whole file, old or
    new, and the last writer wins. The file is authenticated: a MAC (keyed BLAKE2b) with a random key kept in
    ``.specledger_cache/key``, bound to that key file's inode and change time. A cache that came
    with a checkout (a hostile pull request committing an entry that says "no findings") fails
    that check, because a checkout gives the key file a change time nobody can predict, and is
    ignored. Any unreadable, foreign or damaged cache is treated as empty; a cache that cannot be
    written (read-only tree, full disk) is skipped without a word. ``--no-cache`` or
    ``SPECLEDGER_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    # hashlib.blake2b itself: importing hashlib would load OpenSSL, 2.5 ms of every warm run
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b

from specledger import __version__
from specledger.findings import Finding, Level
from specledger.parse.files import read_at_most
from specledger.workspace import UnsafePathError, Workspace

CACHE_DIRNAME = ".specledger_cache"
CACHE_FILE = "validate.json"
KEY_FILE = "key"
FORMAT = 2  # 2: signed with keyed BLAKE2b (1 was HMAC-SHA256)
MAX_ENTRIES = 50_000  # stale entries beyond this are dropped, oldest first
MAX_CACHE_BYTES = 256 * 1024 * 1024
_PACKAGE = Path(__file__).resolve().parent


def disabled_by_environment() -> bool:
    return os.environ.get("SPECLEDGER_NO_CACHE", "").strip() not in ("", "0")


@dataclass
class Entry:
    """The cacheable part of one item's validation."""

    before: list[Finding]  # findings before the path findings (all of them for a spec)
    after: list[Finding]  # findings after the path findings
    path_specs: list[str]  # the spec ids whose paths archive would touch (for path_findings)
    touched: list[tuple[str, str, str]]  # what Validator.touched returned

    def to_data(self) -> list[Any]:
        return [_findings_data(self.before), _findings_data(self.after), self.path_specs,
                [list(t) for t in self.touched]]

    @classmethod
    def from_data(cls, data: Any) -> Entry:
        before, after, path_specs, touched = data
        return cls(_findings(before), _findings(after), [str(s) for s in path_specs],
                   [(str(a), str(b), str(c)) for a, b, c in touched])


def _findings_data(findings: Iterable[Finding]) -> list[list[Any]]:
    return [[f.level.value, f.code, f.message, f.path, f.line] for f in findings]


def _findings(data: Iterable[Any]) -> list[Finding]:
    out = []
    for level, code, message, path, line in data:
        if line is not None and not isinstance(line, int):
            raise ValueError("line")
        out.append(Finding(Level(level), str(code), str(message), str(path), line))
    return out


@dataclass
class ValidationCache:
    """The cache of one workspace for one run: look items up, store results, save once."""

    ws: Workspace
    folder: Path
    salt: bytes
    entries: dict[str, Any] = field(default_factory=dict)  # key -> Entry data, as loaded
    fresh: dict[str, Any] = field(default_factory=dict)  # key -> Entry data, used or made this run
    _digests: dict[Path, bytes | None] = field(default_factory=dict)

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, ws: Workspace) -> ValidationCache | None:
        """The workspace's cache, or ``None`` when it cannot be used safely (e.g. a linked folder)."""
        folder = ws.root / CACHE_DIRNAME
        try:
            ws.confine(folder, what="the validation cache", allow_links=False)
        except UnsafePathError:
            return None
        cache = cls(ws, folder, _salt(ws))
        cache.entries = cache._load()
        return cache

    def _load(self) -> dict[str, Any]:
        try:
            key = self._key(create=False)
            if key is None:
                return {}
            opened = _open_regular(self.folder / CACHE_FILE)
            if opened is None:
                return {}
            fd, info = opened
            try:
                if info.st_size > MAX_CACHE_BYTES:
                    return {}
                raw = read_at_most(fd, info.st_size, MAX_CACHE_BYTES + 1)
            finally:
                os.close(fd)
            if len(raw) > MAX_CACHE_BYTES:
                return {}
            header_line, _, payload = raw.partition(b"\n")
            header = json.loads(header_line)
            if header.get("format") != FORMAT or header.get("salt") != self.salt.hex():
                return {}
            # (a plain comparison: nobody can time this check, it runs on the user's own machine)
            if header.get("key") != key[1] or header.get("mac") != sign(key[0], payload):
                return {}
            entries = json.loads(payload)
            return entries if isinstance(entries, dict) else {}
        except (OSError, ValueError, TypeError, AttributeError, RecursionError):
            return {}

    def _key(self, *, create: bool) -> tuple[bytes, list[int]] | None:
        """The signing key and the identity of its file (device, inode, change time)."""
        path = self.folder / KEY_FILE
        if create and not os.path.lexists(path):
            self._make_key(path)
        opened = _open_regular(path)
        if opened is None:
            return None  # missing, or not a plain file (a FIFO, a link): no cache
        fd, info = opened
        try:
            if hasattr(os, "getuid") and info.st_uid != os.getuid():
                return None
            key = os.read(fd, 64)
        finally:
            os.close(fd)
        if len(key) != 32:
            return None
        return key, [info.st_dev, info.st_ino, info.st_ctime_ns]

    def _make_key(self, path: Path) -> None:
        self._make_folder()
        temp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{os.urandom(4).hex()}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, os.urandom(32))
        finally:
            os.close(fd)
        try:
            os.link(temp, path)  # fails if another run made one first: theirs is used
        except FileExistsError:
            pass
        finally:
            os.unlink(temp)

    def _make_folder(self) -> None:
        self.ws.confine(self.folder, what="the validation cache", allow_links=False)
        os.makedirs(self.folder, exist_ok=True)
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            _write_new(ignore, b"# written by specledger: this folder is a local cache\n*\n")
        tag = self.folder / "CACHEDIR.TAG"
        if not tag.exists():
            _write_new(tag, b"Signature: 8a477f597d28d172789f06886806bc55\n"
                            b"# specledger validation cache: see specledger/cache.py\n")

    # -- keys ------------------------------------------------------------------------------------
    def _digest(self, path: Path) -> bytes | None:
        """Content hash of a plain file; ``b""`` when nothing is there; ``None`` for anything else."""
        if path in self._digests:
            return self._digests[path]
        value: bytes | None
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            value = b""
        except (OSError, ValueError):
            value = None
        else:
            value = _file_digest(path) if stat.S_ISREG(info.st_mode) else None
        self._digests[path] = value
        return value

    def spec_key(self, spec_id: str) -> str | None:
        digest = self._digest(self.ws.spec_path(spec_id))
        if not digest:
            return None  # missing, a link or unreadable: validate it for real
        h = blake2b(self.salt, digest_size=20)
        h.update(b"spec\0" + spec_id.encode("utf-8", "surrogateescape") + b"\0" + digest)
        return h.hexdigest()

    def change_key(self, name: str) -> str | None:
        folder = str(self.ws.change_dir(name))
        h = blake2b(self.salt, digest_size=20)
        h.update(b"change\0" + name.encode("utf-8", "surrogateescape") + b"\0")
        spec_ids: set[str] = set()
        stack = [(folder, "")]
        while stack:
            here, prefix = stack.pop()
            try:
                with os.scandir(here) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except (OSError, ValueError):
                return None
            for entry in entries:
                rel = prefix + entry.name
                try:
                    if entry.is_symlink():
                        return None
                    if entry.is_dir(follow_symlinks=False):
                        h.update(b"d\0" + rel.encode("utf-8", "surrogateescape") + b"\0")
                        stack.append((entry.path, rel + "/"))
                        continue
                    if not entry.is_file(follow_symlinks=False):
                        return None
                except OSError:
                    return None
                digest = _file_digest(entry.path)
                if digest is None:
                    return None
                h.update(b"f\0" + rel.encode("utf-8", "surrogateescape") + b"\0" + digest)
                parts = rel.split("/")
                if len(parts) > 2 and parts[0] == "specs" and parts[-1] == "spec.md":
                    spec_ids.add("/".join(parts[1:-1]))
        for spec_id in sorted(spec_ids):
            digest = self._digest(self.ws.spec_path(spec_id))
            if digest is None:
                return None
            h.update(b"s\0" + spec_id.encode("utf-8", "surrogateescape") + b"\0" + digest)
        return h.hexdigest()

    # -- entries ---------------------------------------------------------------------------------
    def lookup(self, key: str) -> Entry | None:
        """The entry stored under ``key`` (``None`` when absent or not well formed)."""
        data = self.entries.get(key)
        if data is None:
            return None
        try:
            return Entry.from_data(data)
        except (ValueError, TypeError, KeyError):
            return None

    def keep(self, key: str) -> None:
        """Mark a looked-up entry as used by this run, so that saving keeps it."""
        if key in self.entries:
            self.fresh[key] = self.entries[key]

    def put(self, key: str, entry: Entry) -> None:
        self.fresh[key] = entry.to_data()

    def save(self, *, keep_others: bool) -> None:
        """Write this run's entries (plus, with ``keep_others``, older ones up to the bound)."""
        if self.fresh.keys() == self.entries.keys():
            return  # nothing new, nothing dropped
        merged: dict[str, Any] = {}
        if keep_others:
            merged.update((k, v) for k, v in self.entries.items() if k not in self.fresh)
        merged.update(self.fresh)
        if len(merged) > MAX_ENTRIES:
            merged = dict(list(merged.items())[-MAX_ENTRIES:])
        try:
            key = self._key(create=True)
            if key is None:
                return
            payload = json.dumps(merged, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogateescape")
            header = {"format": FORMAT, "salt": self.salt.hex(), "key": key[1],
                      "mac": sign(key[0], payload)}
            data = json.dumps(header).encode() + b"\n" + payload
            self.ws.confine(self.folder / CACHE_FILE, what="the validation cache", allow_links=False)
            temp = self.folder / f".{CACHE_FILE}.{os.getpid()}.{os.urandom(4).hex()}"
            try:
                _write_new(temp, data)
                os.replace(temp, self.folder / CACHE_FILE)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(temp)  # a full disk leaves no half-written temporary file behind
                raise
        except (OSError, UnsafePathError, ValueError):
            return  # a cache is an optimisation: a tree we cannot write to is not an error


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def sign(key: bytes, payload: bytes) -> str:
    """The cache file's signature of ``payload``: BLAKE2b keyed with ``key`` (a MAC by design)."""
    return blake2b(payload, key=key, digest_size=32).hexdigest()


def _open_regular(path: str | Path) -> tuple[int, os.stat_result] | None:
    """A descriptor on ``path`` and its status when it is a plain file, never following a link.

    Non-blocking, so a FIFO put where a file should be cannot hang the run; its type is then
    read from the descriptor, so a file swapped after the open cannot fool the check either.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
    except OSError:
        os.close(fd)
        return None
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        return None
    return fd, info


def _file_digest(path: str | Path) -> bytes | None:
    opened = _open_regular(path)
    if opened is None:
        return None
    fd, info = opened
    try:
        # one read sized to the file as opened; more only if it has grown since
        first = os.read(fd, info.st_size + 1)
        h = blake2b(first, digest_size=20)
        while len(first) > info.st_size and (chunk := os.read(fd, 1 << 20)):
            h.update(chunk)
        return h.digest()
    except OSError:
        return None
    finally:
        os.close(fd)


def _salt(ws: Workspace) -> bytes:
    """What every entry depends on besides the item's own files (see the module's docstring)."""
    h = blake2b(digest_size=20)
    h.update(f"{FORMAT}\0{__version__}\0{sys.version}\0".encode())
    for dirpath, dirnames, filenames in os.walk(_PACKAGE):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith((".py", ".json")):
                path = os.path.join(dirpath, name)
                try:
                    info = os.stat(path)
                except OSError:
                    continue
                h.update(f"{os.path.relpath(path, _PACKAGE)}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    for name in ("spec", "delta", "proposal", "tasks", "design"):
        digest = _file_digest(_PACKAGE / "schemas" / f"{name}.schema.json")
        h.update(digest or b"-")
    h.update(json.dumps(_plain(ws.config), sort_keys=True, default=str).encode("utf-8", "surrogateescape"))
    h.update(f"\0{ws.rel(ws.specs_dir)}\0{ws.rel(ws.changes_dir)}\0".encode("utf-8", "surrogateescape"))
    schemas_dir = ws.root / "openspec" / "schemas"
    try:
        declared = sorted(e.name for e in os.scandir(schemas_dir)
                          if os.path.isfile(os.path.join(e.path, "schema.yaml")))
    except (OSError, ValueError):
        declared = []
    h.update("\0".join(declared).encode("utf-8", "surrogateescape"))
    return h.digest()


def _plain(value: Any) -> Any:
    """The configuration as JSON-ready data (integers in hex: no digit limit applies to that)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return f"int:{value:x}"
    if isinstance(value, float):
        return f"float:{value!r}"
    return value
