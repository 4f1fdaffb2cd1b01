"""stack/provision_bugsink.py: bad input is refused clearly; PostgreSQL works like SQLite.

Prerequisites (one policy for every test that needs PostgreSQL or Bugsink): when the server
binaries (``make postgres``) or Bugsink's venv (``make bugsink``) are missing, the test fails and
names the make target; it never skips, so a CI run cannot go green without them. To run the
suite on a machine without them, deselect those tests: ``pytest -m "not e2e and not postgres"``.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import urllib.request
from pathlib import Path

import pytest

from stack.bugsink import PROVISION_SCRIPT, Bugsink, free_port

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "BUGSINK_PROJECT_KEY is required"),
        ({"BUGSINK_PROJECT_KEY": "xyz"}, "32 hexadecimal"),
        ({"BUGSINK_PROJECT_KEY": "a" * 32, "BUGSINK_PROJECT_ID": "0"}, "integer >= 1"),
        ({"BUGSINK_PROJECT_KEY": "a" * 32, "BUGSINK_API_TOKEN": "ABC"}, "40 lowercase"),
        ({"BUGSINK_PROJECT_KEY": "a" * 32}, "bugsink_conf"),  # no settings in the cwd
    ],
)
def test_bad_input_exits_2_with_a_message(
    tmp_path: Path, env: dict[str, str], message: str, bugsink_bin: Path
) -> None:
    python = bugsink_bin / "python"
    result = subprocess.run(
        [str(python), str(PROVISION_SCRIPT)],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.scenario("error-tracking", "Restart")
@pytest.mark.postgres
def test_provisioning_on_postgresql_is_idempotent_and_keeps_the_sequence_usable(
    tmp_path: Path, bugsink_bin: Path
) -> None:
    from stack.postgres import PostgresCluster, PostgresError

    try:
        cluster_cm = PostgresCluster.start()
    except PostgresError as exc:
        pytest.fail(f"{exc} (run `make postgres`)", pytrace=False)
    with cluster_cm as cluster:
        url = cluster.create_database("bugsink", owner="bugsink", password=secrets.token_hex(8))
        server = Bugsink(tmp_path / "bugsink", free_port(), database_url=url)
        key, token = secrets.token_hex(16), secrets.token_hex(20)
        server.configure()
        server.migrate()
        first = server.provision(key, project_id=1, api_token=token)
        again = server.provision(key, project_id=1, api_token=token)
        assert first == again == f"http://{key}@127.0.0.1:{server.port}/1"
        server.start()
        try:
            server.wait_ready()
            api = server.api(token)
            team = api.get("teams/")["results"][0]["id"]
            request = urllib.request.Request(
                f"{api.base}/projects/",
                data=json.dumps({"team": team, "name": "made-later"}).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as reply:
                # Without the sequence fix this insert collides with the explicit id 1.
                assert json.loads(reply.read())["id"] == "2"
        finally:
            server.stop()
