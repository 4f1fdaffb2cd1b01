"""``spec docs serve``: the site on 127.0.0.1, rebuilt when a spec or change changes.

Standard library only: ``http.server`` serves the site folder, and a thread polls the
modification times of the specs and changes folders (no watcher dependency, works on every
file system) and rebuilds when they differ from the last build's.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from specledger.workspace import Workspace

Snapshot = tuple[tuple[str, int, int], ...]


def snapshot(workspace: Workspace) -> Snapshot:
    """(path, mtime in ns, size) of every file under the specs and changes folders, sorted."""
    out: list[tuple[str, int, int]] = []
    for top in (workspace.specs_dir, workspace.changes_dir):
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                try:
                    info = os.stat(path)
                except OSError:
                    continue
                out.append((path, info.st_mtime_ns, info.st_size))
    return tuple(sorted(out))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # a preview needs no access log on the terminal


class Preview:
    """A running preview: the HTTP server and the rebuild loop, stopped together by ``stop``."""

    def __init__(self, workspace: Workspace, out: Path, rebuild: Callable[[], object], *, port: int,
                 interval: float, on_rebuild: Callable[[str], None]) -> None:
        self.workspace = workspace
        self.interval = interval
        self._rebuild = rebuild
        self._on_rebuild = on_rebuild
        self._stop = threading.Event()
        handler = functools.partial(_QuietHandler, directory=str(out))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._last = snapshot(workspace)
        self._watcher = threading.Thread(target=self._watch, name="spec-docs-watch", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            current = snapshot(self.workspace)
            if current == self._last:
                continue
            self._last = current
            try:
                self._rebuild()
                self._on_rebuild("rebuilt")
            except Exception as err:  # keep serving the last good site; say why the rebuild failed
                self._on_rebuild(f"rebuild failed: {err}")

    def serve_forever(self) -> None:
        self._watcher.start()
        try:
            self.server.serve_forever(poll_interval=0.2)
        finally:
            self.stop()

    def stop(self) -> None:
        self._stop.set()
        self.server.server_close()


__all__ = ["Preview", "snapshot"]
