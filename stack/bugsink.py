"""A native Bugsink (no Docker): configure, migrate, provision, serve, read events back.

Used by ``make run`` (``stack.local``) and by the end-to-end tests; the Docker side may import it
read-only. Bugsink lives in its own venv (``.stack/bugsink-venv``, made by ``make bugsink``)
because it pins many libraries and would switch on sentry-sdk's Django integration if it shared
the app's environment. Everything here talks to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VENV = ROOT / ".stack" / "bugsink-venv"
PROVISION_SCRIPT = Path(__file__).resolve().parent / "provision_bugsink.py"
_OVERRIDES_MARKER = "# --- specledger overrides (rewritten by stack/bugsink.py on every start) ---"


class StackError(Exception):
    """Something the operator must fix (missing venv, port taken, a failed step)."""


# A cold Bugsink (Django, gunicorn workers) takes a few seconds on an idle machine and far longer
# on a busy 2-core one; a tight limit there fails runs that would have worked.
DEFAULT_START_TIMEOUT = 120.0
START_TIMEOUT_VARIABLE = "STACK_START_TIMEOUT"


def start_timeout() -> float:
    """Seconds a server may take to answer after it starts: ``STACK_START_TIMEOUT``, default 120."""
    raw = os.environ.get(START_TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_START_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value < 86_400:
        raise StackError(f"{START_TIMEOUT_VARIABLE} must be a number of seconds above 0, got {raw!r}")
    return value


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (good enough for test fixtures on loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    """True when something already accepts connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def check_venv(venv: Path = DEFAULT_VENV) -> Path:
    """Return the venv's bin folder, or explain how to create it."""
    bin_dir = venv / "bin"
    for tool in ("python", "gunicorn", "bugsink-manage", "bugsink-create-conf"):
        if not (bin_dir / tool).exists():
            raise StackError(
                f"Bugsink is not installed at {venv} ({tool} missing): run `make bugsink`"
            )
    return bin_dir


def random_key() -> str:
    """32 hex characters: a DSN public key."""
    return secrets.token_hex(16)


def _quotas() -> dict[str, int]:
    # The defaults (1,000 events per 5 minutes) turn a burst test into 429s.
    return {
        "MAX_EVENTS_PER_PROJECT_PER_5_MINUTES": 1_000_000,
        "MAX_EVENTS_PER_PROJECT_PER_HOUR": 10_000_000,
        "MAX_EVENTS_PER_5_MINUTES": 1_000_000,
        "MAX_EVENTS_PER_HOUR": 10_000_000,
    }


@dataclass
class Bugsink:
    """One Bugsink instance: its folder (conf, SQLite files, logs), port and process."""

    home: Path
    port: int
    host: str = "127.0.0.1"
    venv: Path = DEFAULT_VENV
    database_url: str | None = None  # PostgreSQL; None keeps SQLite files in ``home``
    workers: int = 2
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        """The instance's URL (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    @property
    def bin(self) -> Path:
        """The Bugsink venv's bin folder (checked)."""
        return check_venv(self.venv)

    def env(self) -> dict[str, str]:
        """Environment for Bugsink's processes: its own venv, our settings, nothing of ours."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SENTRY_", "PYTHON", "VIRTUAL_ENV", "DJANGO_", "BUGSINK_"))
            and k != "DATABASE_URL"
        }
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["DJANGO_SETTINGS_MODULE"] = "bugsink_conf"
        env["PYTHONUNBUFFERED"] = "1"
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env

    def _run(self, args: list[str], extra_env: dict[str, str] | None = None) -> str:
        """Run a Bugsink command in ``home``; return stdout, or StackError with its stderr."""
        env = self.env()
        env.update(extra_env or {})
        result = subprocess.run(
            args, cwd=self.home, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
            raise StackError(
                f"`{' '.join(Path(a).name if i == 0 else a for i, a in enumerate(args))}` "
                f"failed (exit {result.returncode}):\n  " + "\n  ".join(detail)
            )
        return result.stdout

    def configure(self) -> None:
        """Create ``bugsink_conf.py`` once (keeps its SECRET_KEY), then rewrite our overrides."""
        self.home.mkdir(parents=True, exist_ok=True)
        conf = self.home / "bugsink_conf.py"
        if not conf.exists():
            self._run(
                [
                    str(self.bin / "bugsink-create-conf"),
                    "--template=local",
                    f"--host={self.host}",
                    f"--port={self.port}",
                    f"--output-file={conf}",
                ]
            )
            conf.chmod(0o600)  # it holds the SECRET_KEY
        text = conf.read_text(encoding="utf-8").split(_OVERRIDES_MARKER)[0].rstrip()
        overrides = [
            _OVERRIDES_MARKER,
            "import os as _os",
            f'DATABASES["default"]["NAME"] = {str(self.home / "db.sqlite3")!r}',
            f'DATABASES["snappea"]["NAME"] = {str(self.home / "snappea.sqlite3")!r}',
            'if _os.environ.get("DATABASE_URL"):',
            "    from bugsink.conf_utils import parse_database_url",
            '    DATABASES["default"] = parse_database_url(_os.environ["DATABASE_URL"])',
            'ALLOWED_HOSTS = ["127.0.0.1", "localhost"]',
            f'BUGSINK["BASE_URL"] = {self.base_url!r}',
            "# Bugsink reports usage to bugsink.com hourly unless told not to.",
            'BUGSINK["PHONEHOME"] = False',
            f"BUGSINK.update({_quotas()!r})",
            "",
        ]
        conf.write_text(text + "\n\n" + "\n".join(overrides), encoding="utf-8")

    def migrate(self) -> None:
        """Create or update both databases (a no-op pass takes about a second)."""
        manage = str(self.bin / "bugsink-manage")
        self._run([manage, "migrate", "--verbosity=0"])
        self._run([manage, "migrate", "snappea", "--database=snappea", "--verbosity=0"])

    def ensure_admin(self, email: str, password: str) -> bool:
        """Create a superuser unless one with this e-mail exists; True when created."""
        code = (
            "import os\n"
            "from django.contrib.auth import get_user_model\n"
            "U = get_user_model()\n"
            "e = os.environ['SL_ADMIN_EMAIL']\n"
            "if U.objects.filter(username=e).exists(): print('exists')\n"
            "else:\n"
            "    U.objects.create_superuser(username=e, email=e, "
            "password=os.environ['SL_ADMIN_PASSWORD']); print('created')\n"
        )
        out = self._run(
            [str(self.bin / "bugsink-manage"), "shell", "-c", code],
            # Passed through the environment so it never shows in a process listing.
            {"SL_ADMIN_EMAIL": email, "SL_ADMIN_PASSWORD": password},
        )
        return out.strip().endswith("created")

    def provision(
        self,
        project_key: str,
        project_id: int = 1,
        project_name: str = "specledger-runtime",
        team_name: str = "specledger",
        api_token: str | None = None,
        member_email: str | None = None,
    ) -> str:
        """Run ``provision_bugsink.py``; return the DSN it prints."""
        extra = {
            "BUGSINK_PROJECT_ID": str(project_id),
            "BUGSINK_PROJECT_KEY": project_key,
            "BUGSINK_PROJECT_NAME": project_name,
            "BUGSINK_TEAM_NAME": team_name,
        }
        if api_token:
            extra["BUGSINK_API_TOKEN"] = api_token
        if member_email:
            extra["BUGSINK_MEMBER_EMAIL"] = member_email
        out = self._run([str(self.bin / "python"), str(PROVISION_SCRIPT)], extra)
        return out.strip().splitlines()[-1]

    def start(self, log: IO[bytes] | None = None) -> None:
        """Start gunicorn in the background; logs go to ``log`` or ``home/gunicorn.log``."""
        if self.process is not None and self.process.poll() is None:
            return
        if port_in_use(self.host, self.port):
            raise StackError(
                f"port {self.port} on {self.host} is already in use: stop what runs there or "
                "set BUGSINK_PORT to another port"
            )
        stream = log or open(self.home / "gunicorn.log", "ab")  # noqa: SIM115 (outlives this call)
        self.process = subprocess.Popen(
            [
                str(self.bin / "gunicorn"),
                f"--bind={self.host}:{self.port}",
                f"--workers={self.workers}",
                "--no-control-socket",  # gunicorn 26 would share ~/.gunicorn/gunicorn.ctl otherwise
                "--access-logfile=-",
                "--capture-output",
                "bugsink.wsgi",
            ],
            cwd=self.home,
            env=self.env(),
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in `make run` is handled by us, not by gunicorn
        )
        if log is None:
            stream.close()

    def wait_ready(self, timeout: float | None = None) -> None:
        """Poll ``/health/ready`` until 200; StackError if the process dies or time runs out.

        ``timeout`` defaults to :func:`start_timeout` (``STACK_START_TIMEOUT``, 120 s).
        """
        timeout = start_timeout() if timeout is None else timeout
        deadline = time.monotonic() + timeout
        url = f"{self.base_url}/health/ready"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise StackError(
                    f"Bugsink exited with code {self.process.returncode} during start-up; "
                    f"see {self.home / 'gunicorn.log'}"
                )
            try:
                with urllib.request.urlopen(url, timeout=1) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise StackError(f"Bugsink did not answer {url} within {timeout:.0f} s")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM gunicorn (its workers follow), SIGKILL after ``timeout``."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def setup(self, project_key: str, api_token: str | None = None, project_id: int = 1) -> str:
        """configure + migrate + provision in one call; return the DSN."""
        self.configure()
        self.migrate()
        return self.provision(project_key, project_id=project_id, api_token=api_token)

    def api(self, token: str) -> BugsinkAPI:
        """A client for the REST API of this instance."""
        return BugsinkAPI(self.base_url, token)

    def remove(self) -> None:
        """Delete the instance's folder (after stop)."""
        shutil.rmtree(self.home, ignore_errors=True)


class BugsinkAPI:
    """Reads stored issues and events through ``/api/canonical/0/`` with a bearer token."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base = f"{base_url}/api/canonical/0"
        self.token = token

    def get(self, path: str, **params: Any) -> Any:
        """GET ``path`` (relative to the API root) and decode the JSON reply."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        request = urllib.request.Request(
            f"{self.base}/{path.lstrip('/')}{query}",
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.loads(reply.read())

    def _all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Follow cursor pagination and return every result."""
        page = self.get(path, **params)
        items = list(page.get("results", []))
        while page.get("next"):
            with urllib.request.urlopen(
                urllib.request.Request(
                    page["next"], headers={"Authorization": f"Bearer {self.token}"}
                ),
                timeout=10,
            ) as reply:
                page = json.loads(reply.read())
            items.extend(page.get("results", []))
        return items

    def issues(self, project_id: int) -> list[dict[str, Any]]:
        """Every issue of a project."""
        return self._all("issues/", project=project_id)

    def events(self, issue_id: str) -> list[dict[str, Any]]:
        """Every event of an issue (summaries)."""
        return self._all("events/", issue=issue_id)

    def event(self, event_id: str) -> dict[str, Any]:
        """One stored event, with its full data."""
        return dict(self.get(f"events/{event_id}/"))

    def lookup(self, project_id: int, sdk_event_id: str) -> dict[str, Any] | None:
        """The stored event for an SDK event id, or None while it is not (yet) there."""
        try:
            return dict(self.get("events/lookup/", project=project_id, event_id=sdk_event_id))
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise

    def project(self, project_id: int) -> dict[str, Any]:
        """A project's record (counts included)."""
        return dict(self.get(f"projects/{project_id}/"))
