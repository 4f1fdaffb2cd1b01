"""`spec docs serve`: a real server on a free loopback port that rebuilds when a spec changes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
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


def test_site_folder_path_is_printed(repo: Repo) -> None:
    result = repo.run("docs", "build")
    assert Path(result.stdout.strip()) == repo.root / "site" / "index.html"
