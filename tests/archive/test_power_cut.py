"""A power cut during ``spec archive``: every disk state it could leave, recovered to before or after.

``kill -9`` (``test_archive_crash.py``) keeps the page cache, so it tests a crash of the process.
A power cut also loses whatever the kernel had not yet written: this module checks that case the
way crash-consistency checkers (ALICE, CrashMonkey) do.

1. The real archive runs once under strace, which records each call that changes the tree
   (open with O_CREAT or O_TRUNC, write, fsync, fdatasync, rename, link, unlink, mkdir, rmdir,
   truncate), with the bytes written and the path behind every file descriptor.
2. A model of the file system replays those calls on inodes and folder entries, starting from
   the tree before the archive, and for a cut after each call enumerates every disk state the
   syncs made so far allow:

   - a folder entry change (a creation, link, unlink, mkdir or rmdir) is on disk for sure only
     when that folder was fsynced after it; a rename only when both its folders were, and a
     rename is atomic (the entry is under the old name or the new one, never both or neither);
   - file data is on disk for sure only when the file was fsynced after the write;
   - every other change may or may not have reached the disk, each independently of the others
     (no order is kept beyond the sync barriers), and unsynced data may be missing, torn (its
     first half only) or present as zeros (the size reached the disk, the blocks did not).

3. Each distinct state is laid out on disk at the archive's own path (the journal records its
   root), one ``spec list`` runs (every command recovers first; it runs in this process, through
   click's runner, to spare an interpreter start per state), and the tree must then equal the
   state before or after the archive, byte for byte, with ``spec list`` exiting 0.

Not modelled: a second power cut during the recovery itself; a folder's entries are taken to
reach the disk one by one, never half-written; an fsync of a file is not taken to make its name
durable (the stricter reading of POSIX; ext4 in practice does more). The replay of the whole record
must end in exactly the tree the real run left, so a call the model misreads fails the test.

strace is required (``make tools`` installs it); without it the module fails rather than skips.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from faults import PYTHON, SPEC, STRACE, env
from scenario import CLI_CHANGE, describe_difference, make_cli_tree, make_tree, snapshot
from specledger.cli.main import cli

pytestmark = pytest.mark.slow

if STRACE is None:
    pytest.fail("strace is required for the power-cut test (make tools installs it)", pytrace=False)

DRIVER = Path(__file__).with_name("scenario.py")
TRACED = (
    "openat,open,creat,write,pwrite64,writev,pwritev,fsync,fdatasync,rename,renameat,renameat2,"
    "link,linkat,unlink,unlinkat,mkdir,mkdirat,rmdir,truncate,ftruncate,lseek"
)
# An upper bound on the states examined at one cut: far above what the archive produces, low
# enough that a protocol gone wrong (nothing synced) fails quickly instead of running for hours.
MAX_STATES_PER_CUT = 50_000

SCENARIOS: dict[str, tuple[Callable[[Path], object], Callable[[Path], list[str]]]] = {
    "plan": (make_tree, lambda root: [str(PYTHON), str(DRIVER), str(root)]),
    "cli": (make_cli_tree, lambda root: [str(SPEC), "archive", CLI_CHANGE, "--yes", "--json"]),
}

# ---------------------------------------------------------------------------------------------
# Reading the strace record (run with -xx: every string and path is hex-escaped, so any byte is safe)

_CALL = re.compile(
    r"^(?:\d+\s+)?(?P<name>\w+)\((?P<args>.*)\)\s+=\s+(?P<ret>-?\d+)(?:<(?P<ret_path>(?:\\x[0-9a-f]{2})*)>)?"
)
_STRING = re.compile(r'"((?:\\x[0-9a-f]{2})*)"')
_FD = re.compile(r"(\d+|AT_FDCWD)<((?:\\x[0-9a-f]{2})*)>")


def _unhex(text: str) -> bytes:
    return bytes.fromhex(text.replace("\\x", ""))


@dataclass(frozen=True)
class Syscall:
    """One successful call: its name, string arguments, descriptor arguments, flags text, result."""

    name: str
    strings: tuple[bytes, ...]
    fds: tuple[tuple[str, bytes], ...]  # (number or AT_FDCWD, path behind it)
    args: str
    ret: int
    ret_path: bytes | None


def read_record(log: Path) -> list[Syscall]:
    """The successful calls in a ``strace -f -y -xx`` log, in order."""
    calls = []
    for line in log.read_text(encoding="ascii").splitlines():
        match = _CALL.match(line)
        if match is None or int(match["ret"]) < 0:
            continue  # failed calls change nothing; "+++ exited" and signal lines are not calls
        args = match["args"]
        calls.append(Syscall(
            name=match["name"],
            strings=tuple(_unhex(s) for s in _STRING.findall(args)),
            fds=tuple((n, _unhex(p)) for n, p in _FD.findall(_STRING.sub('""', args))),
            args=_STRING.sub('""', args),
            ret=int(match["ret"]),
            ret_path=_unhex(match["ret_path"]) if match["ret_path"] is not None else None,
        ))
    return calls


# ---------------------------------------------------------------------------------------------
# The file-system model: inodes, folder entries, and the operations the record turns into


@dataclass(frozen=True)
class Op:
    """One change to the tree, by inode: what a power cut may keep or lose."""

    kind: str  # add, remove, rename, write, trunc, fsync
    ino: int
    parent: int = 0
    name: bytes = b""
    parent2: int = 0  # rename: the new folder and name
    name2: bytes = b""
    offset: int = 0
    data: bytes = b""


@dataclass
class Model:
    """Inodes (folders as entry maps, files as bytes) and the ops the archive applied to them."""

    root_ino: int
    dirs: dict[int, dict[bytes, int]]
    files: dict[int, bytes]
    ops: list[Op] = field(default_factory=list)
    _next: int = 10**12  # new inodes, far from the real numbers of the initial tree

    @classmethod
    def of_tree(cls, root: Path) -> Model:
        """The model of the tree under ``root`` as it is on disk (hard links kept)."""
        dirs: dict[int, dict[bytes, int]] = {}
        files: dict[int, bytes] = {}

        def visit(path: Path) -> int:
            st = os.lstat(path)
            if path.is_dir() and not path.is_symlink():
                dirs[st.st_ino] = {os.fsencode(e.name): visit(Path(e.path)) for e in os.scandir(path)}
            else:
                files[st.st_ino] = path.read_bytes()
            return st.st_ino

        return cls(visit(root), dirs, files)

    def new_ino(self) -> int:
        self._next += 1
        return self._next

    def lookup(self, parts: list[bytes]) -> tuple[int, bytes, int | None]:
        """(folder inode, last name, inode of the entry or None) for a path below the root."""
        folder = self.root_ino
        for part in parts[:-1]:
            folder = self.dirs[folder][part]
        return folder, parts[-1], self.dirs[folder].get(parts[-1])


def build_ops(model: Model, calls: list[Syscall], root: bytes) -> Model:
    """Replay ``calls`` on ``model`` (its entries become the after state) and record the ops."""
    fd_ino: dict[str, int] = {}
    fd_offset: dict[str, int] = {}
    opened_as: dict[str, str] = {}

    def parts(path: bytes, base: bytes | None = None) -> list[bytes] | None:
        if not path.startswith(b"/"):
            if base is None:
                return None  # a descriptor that is no file: "pipe:[...]", "socket:[...]"
            path = os.path.join(base, path)
        path = os.path.normpath(path)
        if path != root and not path.startswith(root + b"/"):
            return None  # outside the tree under test (the interpreter, /dev/null, ...)
        return [p for p in path[len(root):].split(b"/") if p]

    def add(folder: int, name: bytes, ino: int) -> None:
        model.dirs[folder][name] = ino
        model.ops.append(Op("add", ino, folder, name))

    for call in calls:
        name = call.name
        if name in ("openat", "open", "creat"):
            base = call.fds[0][1] if call.fds else None
            where = parts(call.strings[0], base)
            if where is None:
                continue
            if not where:  # the tree's root folder itself (opened to fsync it)
                fd_ino[str(call.ret)] = model.root_ino
                continue
            folder, leaf, ino = model.lookup(where)
            if ino is None:
                assert "O_CREAT" in call.args or name == "creat", f"opened a missing file: {call}"
                ino = model.new_ino()
                model.files[ino] = b""
                add(folder, leaf, ino)
            elif "O_TRUNC" in call.args and ino in model.files:
                model.files[ino] = b""
                model.ops.append(Op("trunc", ino))
            fd_ino[str(call.ret)] = ino
            fd_offset[str(call.ret)] = 0
            opened_as[str(call.ret)] = call.args
        elif name == "write":
            fd, path = call.fds[0]
            if parts(path) is None or fd not in fd_ino:
                continue
            ino = fd_ino[fd]
            data = call.strings[0][: call.ret]
            offset = fd_offset[fd]
            old = model.files[ino]
            model.files[ino] = old[:offset].ljust(offset, b"\0") + data + old[offset + len(data):]
            fd_offset[fd] = offset + len(data)
            model.ops.append(Op("write", ino, offset=offset, data=data))
        elif name in ("fsync", "fdatasync"):
            fd, path = call.fds[0]
            if parts(path) is not None and fd in fd_ino:
                model.ops.append(Op("fsync", fd_ino[fd]))
        elif name in ("rename", "renameat", "renameat2"):
            if name == "rename":
                old_p, new_p = parts(call.strings[0]), parts(call.strings[1])
            else:
                old_p = parts(call.strings[0], call.fds[0][1])
                new_p = parts(call.strings[1], call.fds[1][1])
            if old_p is None or new_p is None:
                assert old_p is None and new_p is None, f"a rename across the tree's edge: {call}"
                continue
            folder, leaf, ino = model.lookup(old_p)
            folder2, leaf2, _ = model.lookup(new_p)
            assert ino is not None
            del model.dirs[folder][leaf]
            model.dirs[folder2][leaf2] = ino
            model.ops.append(Op("rename", ino, folder, leaf, folder2, leaf2))
        elif name in ("link", "linkat"):
            if name == "link":
                src, dst = parts(call.strings[0]), parts(call.strings[1])
            else:
                src = parts(call.strings[0], call.fds[0][1])
                dst = parts(call.strings[1], call.fds[1][1])
            if src is None or dst is None:
                continue
            ino = model.lookup(src)[2]
            folder, leaf, _ = model.lookup(dst)
            assert ino is not None
            add(folder, leaf, ino)
        elif name in ("unlink", "unlinkat", "rmdir"):
            base = call.fds[0][1] if name == "unlinkat" else None
            where = parts(call.strings[0], base)
            if where is None:
                continue
            folder, leaf, ino = model.lookup(where)
            assert ino is not None
            del model.dirs[folder][leaf]
            model.ops.append(Op("remove", ino, folder, leaf))
        elif name in ("mkdir", "mkdirat"):
            base = call.fds[0][1] if name == "mkdirat" else None
            where = parts(call.strings[0], base)
            if where is None:
                continue
            folder, leaf, _ = model.lookup(where)
            ino = model.new_ino()
            model.dirs[ino] = {}
            add(folder, leaf, ino)
        elif name == "lseek":
            # reads seek freely; a seek on a file being written would break the offsets kept here
            fd, path = call.fds[0]
            assert parts(path) is None or "O_WRONLY" not in opened_as.get(fd, ""), f"a seek while writing: {call}"
        elif name in ("pwrite64", "writev", "pwritev", "truncate", "ftruncate"):
            path = call.fds[0][1] if call.fds else (call.strings[0] if call.strings else b"")
            assert parts(path) is None, f"the model does not handle {name} inside the tree: {call}"
    return model


# ---------------------------------------------------------------------------------------------
# Enumerating what a power cut may leave


def _durable_for_sure(ops: list[Op], cut: int) -> list[bool]:
    """For each op before ``cut``: did a later fsync (before the cut) make it durable?"""
    synced_after: list[set[int]] = [set() for _ in range(cut + 1)]
    for i in range(cut - 1, -1, -1):
        synced_after[i] = set(synced_after[i + 1])
        if ops[i].kind == "fsync":
            synced_after[i].add(ops[i].ino)
    sure = []
    for i, op in enumerate(ops[:cut]):
        later = synced_after[i + 1]
        if op.kind in ("add", "remove"):
            sure.append(op.parent in later)
        elif op.kind == "rename":
            sure.append(op.parent in later and op.parent2 in later)
        elif op.kind in ("write", "trunc"):
            sure.append(op.ino in later)
        else:
            sure.append(True)  # an fsync changes nothing on disk by itself
    return sure


def _variants(op: Op) -> list[Op | None]:
    """What an unsynced op may have left: nothing, all of it, and for data a torn or zeroed write."""
    if op.kind != "write":
        return [None, op]
    out: list[Op | None] = [None, op, Op("write", op.ino, offset=op.offset, data=bytes(len(op.data)))]
    if len(op.data) > 1:
        out.append(Op("write", op.ino, offset=op.offset, data=op.data[: len(op.data) // 2]))
    return out


def crash_states(initial: Model, replayed: Model) -> Iterator[tuple[int, dict[str, bytes | str]]]:
    """(cut, state) for every cut and every disk state allowed at it (states repeat)."""
    ops = replayed.ops
    new_dirs = set(replayed.dirs) - set(initial.dirs)
    for cut in range(len(ops) + 1):
        sure = _durable_for_sure(ops, cut)
        choices: list[list[Op | None]] = [
            [op] if sure[i] else _variants(op) for i, op in enumerate(ops[:cut]) if op.kind != "fsync"
        ]
        count = 1
        for options in choices:
            count *= len(options)
        assert count <= MAX_STATES_PER_CUT, f"{count} possible states after op {cut}: too little is synced"
        for picked in itertools.product(*choices):
            yield cut, _apply(initial, [op for op in picked if op is not None], new_dirs)


def _apply(initial: Model, ops: list[Op], new_dirs: set[int]) -> dict[str, bytes | str]:
    """The tree the disk holds when exactly ``ops`` reached it, as a snapshot-like map.

    A folder made by the archive exists as an inode from its mkdir on, whether or not its entry
    in the parent reached the disk; its own entries are judged on their own.
    """
    dirs = {ino: dict(entries) for ino, entries in initial.dirs.items()}
    dirs.update({ino: {} for ino in new_dirs})
    files = dict(initial.files)
    for op in ops:
        if op.kind == "add":
            dirs[op.parent][op.name] = op.ino
        elif op.kind == "remove":
            if dirs[op.parent].get(op.name) == op.ino:
                del dirs[op.parent][op.name]
        elif op.kind == "rename":
            if dirs[op.parent].get(op.name) == op.ino:
                del dirs[op.parent][op.name]
            dirs[op.parent2][op.name2] = op.ino
        elif op.kind == "write":
            old = files.get(op.ino, b"")
            files[op.ino] = old[: op.offset].ljust(op.offset, b"\0") + op.data + old[op.offset + len(op.data):]
        elif op.kind == "trunc":
            files[op.ino] = b""
    state: dict[str, bytes | str] = {}
    links: dict[int, str] = {}

    def walk(ino: int, prefix: str, seen: frozenset[int]) -> None:
        assert ino not in seen, "a folder inside itself: the model allowed an impossible state"
        for name, child in sorted(dirs.get(ino, {}).items()):
            rel = prefix + os.fsdecode(name)
            if child not in dirs:
                state[rel] = files.get(child, b"")
                if child in links:
                    state[rel + "\0link"] = links[child]  # hard links are part of the state
                else:
                    links[child] = rel
            else:
                state[rel] = "<dir>"
                walk(child, rel + "/", seen | {ino})

    walk(initial.root_ino, "", frozenset())
    return state


def lay_out(root: Path, state: dict[str, bytes | str]) -> None:
    """Write ``state`` under ``root`` (which must not exist), hard links as hard links."""
    root.mkdir()
    for rel, content in sorted(state.items()):
        path = root / rel.split("\0")[0]
        if rel.endswith("\0link"):
            assert isinstance(content, str)
            path.unlink()
            os.link(root / content, path)
        elif content == "<dir>":
            path.mkdir()
        else:
            assert isinstance(content, bytes)
            path.write_bytes(content)


def _plain(state: dict[str, bytes | str]) -> dict[str, bytes | str]:
    """A model state without its hard-link markers, comparable with ``scenario.snapshot``."""
    return {k: v for k, v in state.items() if not k.endswith("\0link")}


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_state_a_power_cut_can_leave_recovers_to_before_or_after(
    tmp_path: Path, scenario: str
) -> None:
    make, argv = SCENARIOS[scenario]
    root = tmp_path / "tree"
    make(root)
    before = snapshot(root)
    initial = Model.of_tree(root)
    log = tmp_path / "strace.log"
    traced = subprocess.run(
        [str(STRACE), "-f", "-qq", "-y", "-xx", "-s", "16777216", "-o", str(log), "-e", f"trace={TRACED}",
         *argv(root)],
        cwd=root, env=env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert traced.returncode == 0, traced.stderr
    after = snapshot(root)
    assert before != after

    model = build_ops(initial_copy(initial), read_record(log), os.fsencode(root))
    # The replay must end where the real run ended, or the model misread the record.
    new_dirs = set(model.dirs) - set(initial.dirs)
    assert _plain(_apply(initial, [op for op in model.ops if op.kind != "fsync"], new_dirs)) == after

    seen: dict[tuple[tuple[str, bytes | str], ...], int] = {}
    for cut, state in crash_states(initial, model):
        seen.setdefault(tuple(sorted(state.items())), cut)
    failures = []
    outcomes = {"before": 0, "after": 0}
    # `spec list` in this process: the same command (recovery first, then the listing) without
    # an interpreter start per state
    runner = CliRunner()
    for key, cut in seen.items():
        state = dict(key)
        shutil.rmtree(root)
        lay_out(root, state)
        with contextlib.chdir(root):
            recovered = runner.invoke(cli, ["list"])
        got = snapshot(root)
        if got == before:
            outcomes["before"] += 1
        elif got == after:
            outcomes["after"] += 1
        else:
            failures.append(
                f"cut after op {cut} ({model.ops[cut - 1] if cut else 'none'}), state "
                f"{describe_difference(_plain(state), before)} vs before; spec list exit "
                f"{recovered.exit_code}: {recovered.stderr.strip()[:300]!r} {recovered.exception!r}; after recovery: "
                f"{describe_difference(got, before)} vs before, {describe_difference(got, after)} vs after"
            )
        if recovered.exit_code != 0 and got in (before, after):
            failures.append(f"cut after op {cut}: spec list exit {recovered.exit_code}: {recovered.stderr[:300]!r}")
    print(f"{scenario}: {len(model.ops)} ops, {len(seen)} distinct power-cut states, {outcomes}")
    assert not failures, f"{len(failures)} of {len(seen)} states end in neither state:\n" + "\n".join(failures[:10])
    assert outcomes["before"] and outcomes["after"]


def initial_copy(model: Model) -> Model:
    """A deep copy of a model's tree, to replay the record on without touching the original."""
    return Model(model.root_ino, {k: dict(v) for k, v in model.dirs.items()}, dict(model.files))
