"""``spec docs serve``: the site on 127.0.0.1, rebuilt when a spec or change changes.

Standard library only: ``http.server`` serves the site folder, and a thread polls the
modification times of the specs and changes folders (no watcher dependency, works on every
file system) and rebuilds when they differ from the last build's.
"""

from __future__ import annotations

import functools
import http.server
import os
import signal
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


# Names a browser on this machine uses for the preview; any other Host header is a page elsewhere
# reaching the server through DNS rebinding, and is refused.
_LOCAL_HOSTS = ("127.0.0.1", "localhost")


def _host_name(header: str) -> str:
    """The name of a Host header without its port, lower-cased (an IPv6 literal is kept whole)."""
    value = header.strip().lower()
    if value.startswith("["):
        return value  # the preview listens on IPv4 only: no IPv6 literal names it
    return value.rsplit(":", 1)[0] if ":" in value else value


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the files of the site folder, and nothing else.

    ``SimpleHTTPRequestHandler`` follows any symbolic link it finds and lists folders: a site
    folder that came with a repository could hold a link to ``/etc`` or to the user's keys. Here
    a request is answered only for a regular file whose real path lies inside the site folder
    (a folder gets its ``index.html`` or 404), only under a local Host name, and a malformed path
    gets 400 rather than an exception in the terminal.
    """

    root_real = ""  # the site folder, resolved (set per server by ``Preview``)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a preview needs no access log on the terminal

    def send_head(self) -> Any:
        host = self.headers.get("Host")
        if host is not None and _host_name(host) not in _LOCAL_HOSTS:
            self.send_error(403, "this preview answers only for 127.0.0.1 and localhost")
            return None
        try:
            path = self.translate_path(self.path)
            real = os.path.realpath(path)
        except ValueError:  # a NUL byte, say
            self.send_error(400, "malformed path")
            return None
        if real != self.root_real and not real.startswith(self.root_real + os.sep):
            self.send_error(404, "not found")
            return None
        if os.path.isdir(real) and not os.path.isfile(os.path.join(real, "index.html")):
            self.send_error(404, "not found")  # no folder listings
            return None
        if not os.path.isdir(real) and not os.path.isfile(real):
            self.send_error(404, "not found")  # a FIFO or device would block or stream forever
            return None
        try:
            return super().send_head()
        except ValueError:
            self.send_error(400, "malformed path")
            return None

    def list_directory(self, path: Any) -> Any:
        self.send_error(404, "not found")
        return None


class Preview:
    """A running preview: the HTTP server and the rebuild loop, stopped together by ``stop``."""

    def __init__(self, workspace: Workspace, out: Path, rebuild: Callable[[], object], *, port: int,
                 interval: float, on_rebuild: Callable[[str], None]) -> None:
        self.workspace = workspace
        self.interval = interval
        self._rebuild = rebuild
        self._on_rebuild = on_rebuild
        self._stop = threading.Event()
        root_real = os.path.realpath(out)
        handler_class = type("SiteHandler", (_SiteHandler,), {"root_real": root_real})
        handler = functools.partial(handler_class, directory=root_real)
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
            if not (self.workspace.specs_dir.is_dir() or self.workspace.changes_dir.is_dir()):
                # the repository was moved or deleted: a build now would make an empty site (and
                # recreate the folders on its way); the last good one stays served
                self._on_rebuild("not rebuilt: the specs and changes folders are gone; serving the last site")
                continue
            try:
                self._rebuild()
                self._on_rebuild("rebuilt")
            except Exception as err:  # keep serving the last good site; say why the rebuild failed
                self._on_rebuild(f"rebuild failed: {err}")

    def serve_forever(self) -> None:
        """Serve until Ctrl-C or SIGTERM (both end in ``KeyboardInterrupt`` for the caller)."""
        previous = signal.signal(signal.SIGTERM, _interrupt) if threading.current_thread() is threading.main_thread() \
            else None
        self._watcher.start()
        try:
            self.server.serve_forever(poll_interval=0.2)
        finally:
            self.stop()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def stop(self) -> None:
        """Stop serving; a rebuild under way is let finish, so no half-written staging folder stays."""
        self._stop.set()
        self.server.server_close()
        if self._watcher.is_alive() and self._watcher is not threading.current_thread():
            self._watcher.join()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


__all__ = ["Preview", "snapshot"]
