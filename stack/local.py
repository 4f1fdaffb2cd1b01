"""``make run``: Bugsink and the runtime on this machine, in the foreground, until Ctrl-C.

Order: check the Bugsink venv and the ports; configure Bugsink (SQLite, ``local`` template,
phone-home off, quotas raised); migrate; create the admin once with a random password kept in
``.stack/local/admin-password`` (mode 0600); provision the team and project with a fixed id and a
key generated once, so the DSN is known before anything starts; start Bugsink, then the runtime;
fire both test errors and confirm Bugsink stored them; print where to look and how to log in.
A second run reuses all of it. Ports: ``BUGSINK_PORT`` (8000) and ``RUNTIME_PORT`` (8001); state
in ``STACK_STATE_DIR`` (``.stack/local``); start-up waits ``STACK_START_TIMEOUT`` seconds (120).
Exit codes: 0 after Ctrl-C, 1 when a server dies or a step fails, 2 for a bad setting.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType

from .bugsink import ROOT, Bugsink, StackError, check_venv, port_in_use, start_timeout

STATE = ROOT / ".stack" / "local"
# Where the stack keeps its state; the tests point it at a folder of their own.
STATE_VARIABLE = "STACK_STATE_DIR"
ADMIN_EMAIL = "admin@example.org"


class ServerDied(StackError):
    """A server stopped while the stack was up (exit 1, unlike setup problems)."""


PROJECT_ID = 1


def _say(message: str) -> None:
    print(f"[make run] {message}", flush=True)


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    try:
        port = int(raw)
    except ValueError:
        raise StackError(f"{name} must be a port number (1-65535), got {raw!r}") from None
    if not 1 <= port <= 65535:
        raise StackError(f"{name} must be a port number (1-65535), got {raw!r}")
    return port


def _secret_file(path: Path, make: str) -> str:
    """Read a secret kept in a file only the user can read; create it once."""
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(make + "\n")
    os.chmod(path, 0o600)  # in case the file existed with wider permissions
    return make


def serve_command(port: int, *, quiet: bool = False) -> list[str]:
    """The command that serves the runtime on 127.0.0.1:``port`` (run it from the repository root).

    ``quiet`` drops the access log and info lines: for tests and benchmarks, where they are noise.
    """
    command = [str(Path(sys.executable).parent / "granian"), "--interface=rsgi", "--host=127.0.0.1",
               f"--port={port}"]
    if quiet:
        command += ["--no-access-log", "--log-level=warning"]
    return [*command, "runtime.app:app"]


def _start_runtime(dsn: str, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["SENTRY_DSN"] = dsn
    env.setdefault("SENTRY_ENVIRONMENT", "development")
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            serve_command(port),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_http(url: str, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    timeout = start_timeout()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{what} exited with code {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise StackError(f"{what} did not answer {url} within {timeout:.0f} s; see {log}")


def _fire_test_errors(runtime_url: str) -> None:
    for path in ("/test-error", "/test-error-division"):
        try:
            urllib.request.urlopen(f"{runtime_url}{path}", timeout=30)
            _say(f"GET {path} did not fail (test routes off?)")
        except urllib.error.HTTPError as exc:
            _say(f"GET {path} -> {exc.code} (the error is on its way to Bugsink)")


def _counts(bugsink: Bugsink, token: str) -> dict[str, int]:
    """Stored events per exception type in the runtime's project."""
    counts: dict[str, int] = {}
    for issue in bugsink.api(token).issues(PROJECT_ID):
        kind = issue["calculated_type"]
        counts[kind] = counts.get(kind, 0) + issue["digested_event_count"]
    return counts


def _confirm_stored(bugsink: Bugsink, token: str, before: dict[str, int]) -> None:
    """Wait until Bugsink holds one more event of each test error than before they were fired."""
    # digesting an event is quick, but on a loaded machine it can lag as much as a start-up does
    timeout = start_timeout()
    deadline = time.monotonic() + timeout
    wanted = ("Exception", "ZeroDivisionError")
    now: dict[str, int] = {}
    while time.monotonic() < deadline:
        now = _counts(bugsink, token)
        if all(now.get(kind, 0) > before.get(kind, 0) for kind in wanted):
            _say("Bugsink has stored both test errors (Exception, ZeroDivisionError).")
            return
        time.sleep(0.2)
    _say(f"warning: after {timeout:.0f} s Bugsink's counts are {now or 'empty'}; see its log")


def run() -> int:
    """Bring the stack up, serve until interrupted, stop both servers."""
    bugsink_port = _port("BUGSINK_PORT", 8000)
    runtime_port = _port("RUNTIME_PORT", 8001)
    if bugsink_port == runtime_port:
        raise StackError("BUGSINK_PORT and RUNTIME_PORT must differ")
    check_venv()
    for name, port in (("BUGSINK_PORT", bugsink_port), ("RUNTIME_PORT", runtime_port)):
        if port_in_use("127.0.0.1", port):
            raise StackError(f"port {port} is in use: stop what runs there or set {name}")

    state = Path(os.environ.get(STATE_VARIABLE, "").strip() or STATE)
    state.mkdir(parents=True, exist_ok=True)
    password_file = state / "admin-password"
    password = _secret_file(password_file, secrets.token_urlsafe(18))
    key = _secret_file(state / "project-key", secrets.token_hex(16))
    token = _secret_file(state / "api-token", secrets.token_hex(20))

    bugsink = Bugsink(state / "bugsink", bugsink_port)
    started = time.monotonic()
    _say(f"configuring Bugsink in {bugsink.home} (SQLite, phone-home off)")
    bugsink.configure()
    bugsink.migrate()
    if bugsink.ensure_admin(ADMIN_EMAIL, password):
        _say(f"created Bugsink admin {ADMIN_EMAIL}")
    dsn = bugsink.provision(key, project_id=PROJECT_ID, api_token=token, member_email=ADMIN_EMAIL)

    runtime: subprocess.Popen[bytes] | None = None
    stop_requested = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    runtime_log = state / "runtime.log"
    try:
        bugsink.start(log=None)
        bugsink.wait_ready()
        runtime_url = f"http://127.0.0.1:{runtime_port}"
        runtime = _start_runtime(dsn, runtime_port, runtime_log)
        _wait_http(f"{runtime_url}/health", runtime, "the runtime", runtime_log)
        _say(f"up in {time.monotonic() - started:.1f} s")
        before = _counts(bugsink, token)
        _fire_test_errors(runtime_url)
        _confirm_stored(bugsink, token, before)
        _say(f"see them at   {bugsink.base_url}/issues/{PROJECT_ID}/")
        _say(f"log in as     {ADMIN_EMAIL}, password in {password_file} (readable only by you)")
        _say(f"runtime       {runtime_url}/health  (log: {runtime_log})")
        _say(f"Bugsink log   {bugsink.home / 'gunicorn.log'}")
        _say("press Ctrl-C to stop both")
        while not stop_requested:
            for name, proc in (("Bugsink", bugsink.process), ("the runtime", runtime)):
                if proc is not None and proc.poll() is not None:
                    raise ServerDied(f"{name} stopped unexpectedly (exit {proc.returncode})")
            time.sleep(0.3)
        _say("stopping")
        return 0
    finally:
        if runtime is not None and runtime.poll() is None:
            runtime.terminate()
            try:
                runtime.wait(10)
            except subprocess.TimeoutExpired:
                runtime.kill()
        bugsink.stop()


def main() -> int:
    """CLI entry: clear messages and exit codes instead of tracebacks."""
    try:
        return run()
    except ServerDied as exc:
        print(f"[make run] error: {exc}", file=sys.stderr)
        return 1
    except StackError as exc:
        # Bad ports, a missing venv, a failed setup step: the environment needs fixing.
        print(f"[make run] error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
