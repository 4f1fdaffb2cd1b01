"""Writing the site: confined paths, atomic replaces, and removal of pages a build no longer makes.

A build remembers the files it wrote in a manifest inside the output folder; the next build
removes those it no longer produces (an archived change's old open-change page, say) and never
touches any other file in the folder.

A first build writes the whole site into a temporary folder beside the target and renames it
into place: all or nothing. A rebuild writes only the pages whose bytes changed, each to a
temporary file renamed over the old page, so a reader sees the old page or the new one. Nothing
is fsynced (unlike ``specledger.fsio``, which archive and generate use): the site is a build
output that the next build regenerates, and a page a power cut left short differs from what
that build renders, so it is written again.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from specledger.errors import SpecledgerError
from specledger.workspace import Workspace

MANIFEST = ".specledger-site.json"
DEFAULT_DIRNAME = "site"
PAGE_MODE = 0o644


@dataclass(frozen=True)
class BuildResult:
    out: Path
    written: tuple[str, ...]  # files whose bytes changed
    unchanged: int
    removed: tuple[str, ...]

    @property
    def index(self) -> Path:
        return self.out / "index.html"


def default_out(workspace: Workspace) -> Path:
    return workspace.root / DEFAULT_DIRNAME


def render_site(workspace: Workspace) -> dict[str, bytes]:
    """Every file of the site for ``workspace``, by path relative to the site folder."""
    from specledger.site.collect import collect
    from specledger.site.render import ChangePageMaker, render_pages

    maker = ChangePageMaker(workspace)
    return render_pages(collect(workspace, maker), maker)


def check_out_dir(workspace: Workspace, out: Path) -> Path:
    """The resolved output folder; refuses one outside the workspace or mixed with specs or changes."""
    resolved = workspace.confine(out, what="the site folder")
    clashes = [workspace.root] if resolved == workspace.root else []
    for folder in (workspace.specs_dir.resolve(), workspace.changes_dir.resolve()):
        if resolved == folder or folder in resolved.parents or resolved in folder.parents:
            clashes.append(folder)
    for folder in clashes[:1]:
            raise SpecledgerError(
                f"the site folder {workspace.rel(resolved)} would mix generated pages with "
                f"{workspace.rel(folder) or 'the workspace root'}",
                path=workspace.rel(resolved), code="site_out_unsafe",
                hint="choose a folder of its own, such as site/ (the default)")
    if resolved.exists() and not resolved.is_dir():
        raise SpecledgerError("the site folder exists and is not a folder", path=workspace.rel(resolved),
                              code="site_out_not_dir")
    return resolved


def _same_bytes(path: Path, data: bytes) -> bool:
    """True when ``path`` already holds exactly ``data`` (a rebuild then leaves it alone)."""
    try:
        return path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _previous(out: Path) -> list[str]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    files = data.get("files") if isinstance(data, dict) else None
    return [f for f in files if isinstance(f, str)] if isinstance(files, list) else []


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` (which must not exist) holding ``data``, with the mode of every page."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PAGE_MODE)
    try:
        os.fchmod(fd, PAGE_MODE)  # whatever the umask: the same site, the same files
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")


def _check_plain(rel: str) -> None:
    if rel.startswith("/") or any(part in ("", ".", "..") for part in rel.split("/")):
        raise ValueError(f"not a plain relative page path: {rel!r}")  # a bug, not a user's input


class _TreeWriter:
    """Writes files under ``root``, a fresh folder of our own, creating subfolders as needed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.made = {root}

    def __call__(self, rel: str, data: bytes) -> None:
        _check_plain(rel)
        path = self.root / rel
        if path.parent not in self.made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.made.add(path.parent)
        _write_new(path, data)


def _replace(path: Path, data: bytes) -> None:
    """Replace (or create) ``path`` by a rename, keeping an existing file's permission bits."""
    from specledger.fsio import replace_atomically

    replace_atomically(path, data, durable=False, new_mode=PAGE_MODE)


def _manifest(files: Iterable[str]) -> bytes:
    return json.dumps({"files": sorted(files)}, indent=1).encode("utf-8") + b"\n"


def _first_build(folder: Path, fill: Callable[[_TreeWriter], Iterable[str]]) -> None:
    """Write the whole site beside ``folder`` and rename it into place.

    ``fill`` writes every file of the site through the writer it is given and returns their paths.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = _temp_name(folder)
    os.mkdir(staging)
    try:
        write = _TreeWriter(staging)
        write(MANIFEST, _manifest(fill(write)))
        os.rename(staging, folder)
    except BaseException as err:
        import shutil  # only here: it imports zlib, bz2 and lzma, 2 ms of every build's start-up

        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(err, OSError) and err.errno in (errno.EEXIST, errno.ENOTEMPTY) and folder.exists():
            raise SpecledgerError("the site folder was created by something else during the build",
                                  code="site_write_failed", hint="build again") from err
        raise


def _write_all(files: dict[str, bytes]) -> Callable[[_TreeWriter], Iterable[str]]:
    def fill(write: _TreeWriter) -> Iterable[str]:
        for rel, data in files.items():
            write(rel, data)
        return files

    return fill


def write_site(workspace: Workspace, files: dict[str, bytes], out: Path) -> BuildResult:
    """Write ``files`` under ``out``; every target is confined before the first write."""
    folder = check_out_dir(workspace, out)
    for rel in files:
        _check_plain(rel)
    targets = {rel: workspace.confine(folder / rel, what="a site page") for rel in sorted(files)}
    manifest_path = workspace.confine(folder / MANIFEST, what="the site manifest")
    if not folder.exists():
        try:
            _first_build(folder, _write_all(files))
        except OSError as err:
            raise _write_failed(workspace, err) from err
        return BuildResult(folder, tuple(targets), 0, ())
    stale = sorted(set(_previous(folder)) - set(files))
    stale_paths = {rel: workspace.confine(folder / rel, what="an old site page") for rel in stale}
    pending = [rel for rel, target in targets.items() if not _same_bytes(target, files[rel])]
    try:
        for rel in pending:
            _replace(targets[rel], files[rel])
        removed = []
        for rel, path in stale_paths.items():
            if path.is_file() and folder in path.parents:
                path.unlink()
                removed.append(rel)
        manifest = _manifest(files)
        if not _same_bytes(manifest_path, manifest):
            _replace(manifest_path, manifest)
    except OSError as err:
        raise _write_failed(workspace, err) from err
    return BuildResult(folder, tuple(pending), len(targets) - len(pending), tuple(removed))


def _write_failed(workspace: Workspace, err: OSError) -> SpecledgerError:
    return SpecledgerError(f"cannot write the site: {err.strerror or err}",
                           path=workspace.rel(Path(err.filename)) if err.filename else None,
                           code="site_write_failed")


def build_site(workspace: Workspace, out: Path | None = None) -> BuildResult:
    """Render the site for ``workspace`` and write it to ``out`` (default: ``site/`` at the root)."""
    from specledger.site.collect import collect
    from specledger.site.render import ChangePageMaker, emit_pages, render_pages

    target = out if out is not None else default_out(workspace)
    folder = check_out_dir(workspace, target)  # refuse a bad folder before the work of rendering
    maker = ChangePageMaker(workspace)
    data = collect(workspace, maker)
    if folder.exists():
        return write_site(workspace, render_pages(data, maker), target)
    # A first build: each page is written into the staging folder as soon as it is rendered,
    # while the workers render the next ones (the folder is fresh and ours, every path plain).
    written: list[str] = []

    def fill(write: _TreeWriter) -> list[str]:
        written.extend(emit_pages(data, maker, write))
        return written

    try:
        _first_build(folder, fill)
    except OSError as err:
        raise _write_failed(workspace, err) from err
    return BuildResult(folder, tuple(written), 0, ())
