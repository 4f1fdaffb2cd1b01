"""Writing the site: confined paths, atomic replaces, and removal of pages a build no longer makes.

A build remembers the files it wrote in a manifest inside the output folder; the next build
removes those it no longer produces (an archived change's old open-change page, say) and never
touches any other file in the folder.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from specledger.errors import SpecledgerError
from specledger.fsio import replace_atomically
from specledger.workspace import Workspace

MANIFEST = ".specledger-site.json"
DEFAULT_DIRNAME = "site"
WRITE_THREADS = 16


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
    from specledger.site.pages import render_pages

    return render_pages(collect(workspace))


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


def write_site(workspace: Workspace, files: dict[str, bytes], out: Path) -> BuildResult:
    """Write ``files`` under ``out``; every target is confined before the first write."""
    folder = check_out_dir(workspace, out)
    targets = {rel: workspace.confine(folder / rel, what="a site page") for rel in sorted(files)}
    stale = sorted(set(_previous(folder)) - set(files))
    stale_paths = {rel: workspace.confine(folder / rel, what="an old site page") for rel in stale}
    manifest_path = workspace.confine(folder / MANIFEST, what="the site manifest")
    pending = [rel for rel, target in targets.items() if not _same_bytes(target, files[rel])]
    try:
        # Each replace waits on two fsyncs; overlapping them is what makes a full build fast.
        # Every file is still written whole and atomically, so the order does not matter.
        with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:
            for done in [pool.submit(replace_atomically, targets[rel], files[rel]) for rel in pending]:
                done.result()
        removed = []
        for rel, path in stale_paths.items():
            if path.is_file() and folder in path.parents:
                path.unlink()
                removed.append(rel)
        manifest = json.dumps({"files": sorted(files)}, indent=1).encode("utf-8") + b"\n"
        replace_atomically(manifest_path, manifest)
    except OSError as err:
        raise SpecledgerError(f"cannot write the site: {err.strerror or err}",
                              path=workspace.rel(Path(err.filename)) if err.filename else None,
                              code="site_write_failed") from err
    return BuildResult(folder, tuple(pending), len(targets) - len(pending), tuple(removed))


def build_site(workspace: Workspace, out: Path | None = None) -> BuildResult:
    """Render the site for ``workspace`` and write it to ``out`` (default: ``site/`` at the root)."""
    target = out if out is not None else default_out(workspace)
    check_out_dir(workspace, target)  # refuse a bad folder before the work of rendering
    return write_site(workspace, render_site(workspace), target)
