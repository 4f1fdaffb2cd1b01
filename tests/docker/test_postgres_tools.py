"""stack/ensure-postgres.sh and stack/postgres.py: the PostgreSQL the native stack test uses.

Prerequisites (one policy for every test that needs PostgreSQL or Bugsink): when the server
binaries (``make postgres``) or Bugsink's venv (``make bugsink``) are missing, the test fails and
names the make target; it never skips, so a CI run cannot go green without them. To run the
suite on a machine without them, deselect those tests: ``pytest -m "not e2e and not postgres"``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from stack.postgres import PostgresCluster, PostgresError, find_server_bin

REPO_ROOT = Path(__file__).resolve().parents[2]
ENSURE = REPO_ROOT / "stack" / "ensure-postgres.sh"
BASH = shutil.which("bash") or "/bin/bash"


@pytest.mark.postgres
def test_ensure_postgres_is_quiet_when_the_server_is_installed(postgres_server: Path) -> None:
    result = subprocess.run([BASH, str(ENSURE)], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_ensure_postgres_explains_when_it_cannot_install(tmp_path: Path) -> None:
    # No initdb under the (empty) library folder and no apt-get on PATH.
    result = subprocess.run(
        [BASH, str(ENSURE)],
        env={"PATH": str(tmp_path), "POSTGRES_LIB_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "apt-get is not available" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_server_binaries_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(PostgresError, match="make postgres"):
        find_server_bin(tmp_path)


@pytest.mark.postgres
def test_cluster_serves_loopback_with_passwords_and_cleans_up(postgres_server: Path) -> None:
    with PostgresCluster.start() as cluster:
        url = cluster.create_database("app_db", owner="app_user", password="pw-1")
        assert url == f"postgresql://app_user:pw-1@127.0.0.1:{cluster.port}/app_db"
        assert cluster.psql("SELECT current_setting('listen_addresses')") == "127.0.0.1"
        assert cluster.psql("SELECT current_user", database="app_db") == "postgres"
        with pytest.raises(PostgresError, match="invalid role name"):
            cluster.create_database("other", owner="bad name", password="x")
        with pytest.raises(PostgresError, match="URL-safe"):
            cluster.create_database("other", owner="other", password="a/b@c")
        base_dir, port = cluster.base_dir, cluster.port
    assert not base_dir.exists()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "server still listening after stop"
