"""`spec docs serve`: a real server on a free loopback port that rebuilds when a spec changes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from site_support import Repo


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
    return body.decode("utf-8")


def test_serve_rebuilds_after_a_spec_edit(repo: Repo) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "specledger", "docs", "serve", "--port", "0", "--interval", "0.2"],
        cwd=repo.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            match = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
            url = match.group(1) if match else None
        assert url, "the server never said where it listens"
        page = url + "specs/billing.html"
        assert "The system SHALL issue one invoice per month." in _fetch(page)

        spec = repo.root / "openspec/specs/billing/spec.md"
        spec.write_text(spec.read_text(encoding="utf-8").replace("one invoice per month", "two invoices per month"),
                        encoding="utf-8")
        seen = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            seen = _fetch(page)
            if "two invoices per month" in seen:
                break
            time.sleep(0.2)
        assert "two invoices per month" in seen
        assert (repo.root / "site/specs/billing.html").read_text(encoding="utf-8") == seen
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends: the server stops cleanly
        try:
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            rest = proc.stderr.read() if proc.stderr else ""
            if proc.stderr:
                proc.stderr.close()
    assert proc.returncode == 0, rest
    assert "rebuilt" in rest or "stopped" in rest


def test_serve_refuses_a_port_in_use(repo: Repo) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = repo.run("docs", "serve", "--port", str(port))
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert not (repo.root / "site").exists()  # refused before anything was built


def test_site_folder_path_is_printed(repo: Repo) -> None:
    result = repo.run("docs", "build")
    assert Path(result.stdout.strip()) == repo.root / "site" / "index.html"


class _Server:
    """`spec docs serve` on a free port, as a process; ``stop`` sends ``signum`` and collects stderr."""

    def __init__(self, root: Path) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "specledger", "docs", "serve", "--port", "0", "--interval", "0.2"],
            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        stream = self.proc.stderr
        assert stream is not None
        self.lines: list[str] = []  # its stderr, read as it comes by a thread (a read never blocks a test)
        reader = threading.Thread(target=lambda: self.lines.extend(iter(stream.readline, "")), daemon=True)
        reader.start()
        self._reader = reader
        match = self.wait_for(r"at http://127\.0\.0\.1:(\d+)/", 60)
        assert match, "the server never said where it listens: " + "".join(self.lines)
        self.port = int(match.group(1))

    def wait_for(self, pattern: str, seconds: float) -> re.Match[str] | None:
        """The first stderr line matching ``pattern``, waiting at most ``seconds`` for it."""
        deadline = time.monotonic() + seconds
        while True:
            found = next((m for line in list(self.lines) if (m := re.search(pattern, line))), None)
            if found or time.monotonic() > deadline or self.proc.poll() is not None:
                return found
            time.sleep(0.05)

    def raw(self, request: bytes) -> bytes:
        """Send ``request`` as it is (no client library normalising it) and return the whole answer."""
        import socket

        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as conn:
            conn.sendall(request)
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)

    def stop(self, signum: int = signal.SIGINT) -> str:
        self.proc.send_signal(signum)
        try:
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        return "".join(self.lines)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_serve_answers_only_for_the_site_files_and_local_names(repo: Repo, tmp_path: Path) -> None:
    """A site folder that came with a repository may hold links anywhere: nothing outside the
    site is served, no folder is listed, a page asked for under a foreign Host name (DNS
    rebinding) is refused, and a malformed path is a 400, not an exception in the terminal."""
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "key.txt").write_text("TOPSECRET-4242\n", encoding="utf-8")
    repo.build()
    site = repo.root / "site"
    (site / "out-file.html").symlink_to(secret / "key.txt")
    (site / "out-dir").symlink_to(secret)
    (site / "empty").mkdir()
    (site / "inside.html").symlink_to(site / "index.html")  # a link that stays inside is fine
    server = _Server(repo.root)
    try:
        def get(path: str, host: str = "127.0.0.1") -> bytes:
            return server.raw(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())

        assert _status(get("/index.html")) == 200
        assert _status(get("/index.html", f"localhost:{server.port}")) == 200
        assert _status(get("/inside.html")) == 200
        for path in ("/out-file.html", "/out-dir/key.txt", "/out-dir/", "/empty/", "/%2e%2e/%2e%2e/etc/passwd"):
            answer = get(path)
            assert _status(answer) == 404 and b"TOPSECRET" not in answer, path
        assert _status(get("/index.html", "evil.example")) == 403
        assert _status(get("/index.html", "evil.example:80")) == 403
        assert _status(server.raw(b"GET /%00 HTTP/1.0\r\n\r\n")) == 400
    finally:
        log = server.stop()
    assert "Traceback" not in log and "Exception" not in log, log


def test_serve_stops_cleanly_on_sigterm_and_keeps_the_site_when_the_repository_goes(repo: Repo) -> None:
    """SIGTERM (what a service manager sends) stops it as Ctrl-C does; and when the specs and
    changes folders disappear, the last site stays served instead of an empty one."""
    server = _Server(repo.root)
    try:
        import shutil

        shutil.move(str(repo.root / "openspec"), str(repo.root / "moved-away"))
        server.wait_for("not rebuilt|rebuilt|rebuild failed", 30)
        assert _status(server.raw(b"GET /specs/billing.html HTTP/1.0\r\n\r\n")) == 200
    finally:
        log = server.stop(signal.SIGTERM)
    assert server.proc.returncode == 0, log
    assert "not rebuilt: the specs and changes folders are gone" in log
    assert "stopped" in log and "Traceback" not in log
    assert (repo.root / "site/specs/billing.html").is_file()
    assert not (repo.root / "openspec").exists()  # not recreated by a rebuild
