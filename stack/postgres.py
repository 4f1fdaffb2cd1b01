"""A throwaway PostgreSQL cluster on 127.0.0.1, for tests that need a real PostgreSQL.

The cluster lives in a temporary directory: ``initdb`` there, a server on a free loopback port,
roles and databases created on demand, and everything stopped and deleted by :meth:`stop`.
It uses Debian's server binaries (``/usr/lib/postgresql/<version>/bin``; ``make postgres``
installs them). PostgreSQL refuses to run as root, so when the caller is root the server and
its tools run as the ``postgres`` OS user (created by the Debian package) instead.

Typical use::

    with PostgresCluster.start() as cluster:
        url = cluster.create_database("bugsink", owner="bugsink", password="s3cret")
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

__all__ = ["PostgresCluster", "PostgresError", "find_server_bin"]

DEFAULT_LIB_DIR = Path("/usr/lib/postgresql")
# Names we interpolate into SQL; keeping them to plain identifiers avoids quoting pitfalls.
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresError(RuntimeError):
    """PostgreSQL is missing, or the throwaway cluster could not be set up."""


def find_server_bin(lib_dir: Path = DEFAULT_LIB_DIR) -> Path:
    """Return the newest ``<lib_dir>/<version>/bin`` that holds ``initdb``, ``pg_ctl`` and ``psql``.

    Raises :class:`PostgresError` (with the command that fixes it) when none does.
    """
    candidates: list[tuple[int, Path]] = []
    for bin_dir in lib_dir.glob("*/bin"):
        if all((bin_dir / tool).is_file() for tool in ("initdb", "pg_ctl", "psql")):
            version = bin_dir.parent.name
            candidates.append((int(version) if version.isdigit() else 0, bin_dir))
    if not candidates:
        raise PostgresError(
            f"no PostgreSQL server binaries under {lib_dir}/<version>/bin; "
            "run `make postgres` (bash stack/ensure-postgres.sh) to install them"
        )
    return max(candidates)[1]


def _free_port() -> int:
    # The port is released before the server binds it; a collision in that window is possible
    # but rare, and it surfaces as a clear start-up failure rather than as a wrong connection.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_user() -> pwd.struct_passwd | None:
    """The unprivileged OS user to run the server as, or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError as exc:
        raise PostgresError(
            "running as root and there is no `postgres` OS user to run the server as; "
            "install Debian's postgresql package (make postgres) or run the tests as a normal user"
        ) from exc


def _check_identifier(kind: str, name: str) -> None:
    if not _IDENTIFIER.match(name):
        raise PostgresError(f"invalid {kind} name {name!r}: use lower-case letters, digits and _")


@dataclass
class PostgresCluster:
    """A running throwaway cluster. Create it with :meth:`start`; always :meth:`stop` it."""

    base_dir: Path
    bin_dir: Path
    port: int
    host: str = "127.0.0.1"
    superuser: str = "postgres"
    _user: pwd.struct_passwd | None = field(default=None, repr=False)
    _running: bool = field(default=False, repr=False)

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        """Where the server puts its Unix socket (used for administration only)."""
        return self.base_dir / "run"

    @property
    def log_file(self) -> Path:
        """The server log; its tail is included in start-up errors."""
        return self.base_dir / "server.log"

    @classmethod
    def start(
        cls, *, lib_dir: Path = DEFAULT_LIB_DIR, port: int | None = None, timeout: float = 60.0
    ) -> PostgresCluster:
        """initdb a new cluster in a temporary directory and start it on 127.0.0.1.

        The server listens on TCP loopback only (``port`` or a free one) with password
        (scram-sha-256) authentication, exactly as a client in another container would meet it.
        Durability settings are off because the data is thrown away.
        """
        bin_dir = find_server_bin(lib_dir)
        user = _server_user()
        base_dir = Path(tempfile.mkdtemp(prefix="specledger-pg-"))
        cluster = cls(base_dir=base_dir, bin_dir=bin_dir, port=port or _free_port(), _user=user)
        try:
            cluster.socket_dir.mkdir()
            if user is not None:
                for path in (base_dir, cluster.socket_dir):
                    os.chown(path, user.pw_uid, user.pw_gid)
            cluster._run(
                [
                    str(bin_dir / "initdb"),
                    f"--pgdata={cluster.data_dir}",
                    f"--username={cluster.superuser}",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                what="initdb",
            )
            options = " ".join(
                [
                    f"-p {cluster.port}",
                    f"-c listen_addresses={cluster.host}",
                    f"-c unix_socket_directories={cluster.socket_dir}",
                    "-c fsync=off",
                    "-c synchronous_commit=off",
                    "-c full_page_writes=off",
                ]
            )
            cluster._run(
                [
                    str(bin_dir / "pg_ctl"),
                    f"--pgdata={cluster.data_dir}",
                    f"--log={cluster.log_file}",
                    f"--options={options}",
                    "--wait",
                    f"--timeout={int(timeout)}",
                    "start",
                ],
                what="pg_ctl start",
            )
            cluster._running = True
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _run(
        self, argv: Sequence[str], *, what: str, input_text: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        user = self._user
        result = subprocess.run(
            argv,
            input=input_text,
            capture_output=True,
            text=True,
            check=False,
            cwd=self.base_dir,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
        )
        if result.returncode != 0:
            log_tail = ""
            if self.log_file.exists():
                log_tail = "\n".join(self.log_file.read_text(errors="replace").splitlines()[-15:])
            raise PostgresError(
                f"{what} failed (exit {result.returncode}): "
                f"{(result.stderr or result.stdout).strip()}"
                + (f"\nserver log:\n{log_tail}" if log_tail else "")
            )
        return result

    def psql(self, sql: str, *, database: str = "postgres") -> str:
        """Run SQL as the superuser over the Unix socket; return psql's unaligned output."""
        result = self._run(
            [
                str(self.bin_dir / "psql"),
                "--no-psqlrc",
                "--quiet",
                "--tuples-only",
                "--no-align",
                "--set=ON_ERROR_STOP=1",
                f"--host={self.socket_dir}",
                f"--port={self.port}",
                f"--username={self.superuser}",
                f"--dbname={database}",
            ],
            what="psql",
            input_text=sql,
        )
        return result.stdout.strip()

    def create_database(self, name: str, *, owner: str, password: str) -> str:
        """Create a login role ``owner`` and a database ``name`` it owns; return its URL.

        The URL (``postgresql://owner:password@127.0.0.1:port/name``) is what Bugsink's
        ``DATABASE_URL`` expects. The password must be URL-safe (letters, digits, ``-_.~``).
        """
        _check_identifier("database", name)
        _check_identifier("role", owner)
        if not password or not re.fullmatch(r"[A-Za-z0-9._~-]+", password):
            raise PostgresError("the password must be non-empty and URL-safe (A-Z a-z 0-9 . _ ~ -)")
        self.psql(
            f"CREATE ROLE {owner} LOGIN PASSWORD '{password}';\n"
            f"CREATE DATABASE {name} OWNER {owner};\n"
        )
        return f"postgresql://{owner}:{password}@{self.host}:{self.port}/{name}"

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete the cluster's directory. Idempotent."""
        if self._running:
            self._running = False
            with contextlib.suppress(PostgresError):
                self._run(
                    [
                        str(self.bin_dir / "pg_ctl"),
                        f"--pgdata={self.data_dir}",
                        "--mode=fast",
                        "--wait",
                        "stop",
                    ],
                    what="pg_ctl stop",
                )
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
