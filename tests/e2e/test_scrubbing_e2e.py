"""No secret reaches a real Bugsink, whatever its place in the request or the handler.

Secrets go to the runtime's real ``/test-error`` in every request placement (query string with
``;`` and ``&``, headers, cookies, form, JSON nested 100 levels, raw text body), and to a few
routes that put them where application code does (exception message, log message and its
``extra``, locals, a route parameter, tags, the transaction name). Then every stored event and
issue is read back through Bugsink's API and searched for each secret; ordinary fields must still
be there. Each test has its own Bugsink project, provisioned here, so counts never mix with the
other end-to-end tests.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import BugsinkHandle, Runtime, stop_runtimes, wait_for, wait_health

from stack.bugsink import free_port
from stack.local import serve_command

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PLACEMENTS_PROJECT = 21
HANDLER_PROJECT = 22

# The runtime's own app plus routes that put secrets where handlers do. Written to a temporary
# module and served like the runtime, so the whole real stack (granian, RSGI, emmett-sentry,
# the SDK's HTTP transport) is exercised.
SECRET_APP = '''
import json
import logging

import sentry_sdk
from emmett import request

from runtime.app import app  # the served app itself (a second tracked app would wrap twice)
from runtime.scrubbing import SecretRouteParams

log = logging.getLogger("e2e.handlers")


@app.route("/reset/<str:token>", methods=["get"], output="str")
async def reset(token):
    # the test hands its secrets over in a header, under names that are themselves sensitive
    given = json.loads(request.headers.get("x-test-secrets"))
    pw = given["pw"]
    auth_header = request.headers.get("x-forwarded-auth")
    creds = {"user": "ann", "pass": given["creds_pass"]}
    log.warning("reset requested with token=%s", given["log_token"],
                extra={"note": f"secret={given['extra_secret']}"})
    log.warning("reset for %s", token)
    sentry_sdk.add_breadcrumb(category="httplib",
                              data={"http.query": f"a=1;api_key={given['query_api_key']}"})
    sentry_sdk.set_tag("path", request.path)
    sentry_sdk.get_current_scope().set_transaction_name(request.path)
    raise ValueError(f"password={pw} rejected for {creds['user']} ({len(auth_header)})")


@app.route("/invites/<str:ticket>", methods=["get"], output="str",
           pipeline=[SecretRouteParams("ticket")])
async def accept_invite(ticket):
    raise LookupError(f"no invite {ticket}")


@app.route("/raw-error", methods=["post"], output="str")
async def raw_error():
    raw = (await request.body).decode()
    raise ValueError(f"cannot parse the body: {raw}")
'''


def _secret(label: str) -> str:
    return f"leak{label}{secrets.token_hex(6)}"


def _nested(depth: int, leaf: dict[str, Any]) -> dict[str, Any]:
    node = leaf
    for level in range(depth, 0, -1):
        node = {f"level{level}": node}
    return node


def _stored(bugsink: BugsinkHandle, project: int, expected: int) -> list[dict[str, Any]]:
    """Every stored event and issue of a project, once ``expected`` events are digested."""

    def counted() -> list[dict[str, Any]] | None:
        issues = bugsink.api.issues(project)
        total = sum(i["digested_event_count"] for i in issues)
        return issues if total >= expected else None

    wait_for(counted, 30, f"{expected} events in project {project}")
    time.sleep(1.0)  # let a straggler (a duplicate, a log event) arrive too
    issues = bugsink.api.issues(project)
    events = [
        bugsink.api.event(summary["id"])
        for issue in issues
        for summary in bugsink.api.events(issue["id"])
    ]
    return [*issues, *events]


def _leaks(stored: list[dict[str, Any]], planted: dict[str, str]) -> list[str]:
    """``"<place> at <json path>"`` for every planted secret found in what Bugsink stored."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", stored)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((f"{path}.{key}", value) for key, value in node.items())
            stack.extend((f"{path}.<key>", key) for key in node)
        elif isinstance(node, list):
            stack.extend((f"{path}[{index}]", value) for index, value in enumerate(node))
        else:
            text = str(node)
            found.extend(f"{place} at {path}" for place, value in planted.items() if value in text)
    return sorted(found)


@pytest.fixture
def project_dsn(bugsink: BugsinkHandle) -> Callable[[int], str]:
    """Provision a project of the session's Bugsink for one test; return its DSN."""

    def provision(project_id: int) -> str:
        return bugsink.server.provision(
            bugsink.key, project_id=project_id, project_name=f"e2e-scrub-{project_id}"
        )

    return provision


@pytest.fixture
def secret_app(tmp_path: Path) -> Iterator[Callable[[str], Runtime]]:
    """Start the runtime plus SECRET_APP's routes under granian; stopped at teardown."""
    (tmp_path / "scrub_e2e_app.py").write_text(SECRET_APP, encoding="utf-8")
    started: list[Runtime] = []

    def start(dsn: str) -> Runtime:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
        env.update(SENTRY_DSN=dsn, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
        command = [*serve_command(port, quiet=True)[:-1], "scrub_e2e_app:app"]
        log_path = tmp_path / f"secret-app-{port}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        runtime = Runtime(port, process, log_path)
        started.append(runtime)
        wait_health(runtime)
        return runtime

    yield start
    stop_runtimes(started)


@pytest.mark.scenario("error-tracking", "Names spelled any way")
@pytest.mark.scenario("error-tracking", "Ordinary fields stay readable")
@pytest.mark.scenario("error-tracking", "Deep nesting")
def test_no_request_placement_reaches_bugsink(
    bugsink: BugsinkHandle,
    start_runtime: Callable[..., Runtime],
    project_dsn: Callable[[int], str],
) -> None:
    planted = {
        place: _secret(place)
        for place in (
            "query-pwd", "query-after-semicolon", "query-googleApiKey", "header-authorization",
            "header-x-apikey", "header-x-session-id", "header-x-csrf", "cookie-sessionid",
            "cookie-csrftoken", "form-db_passwd", "form-otp", "json-depth-100",
            "json-depth-8-password", "json-jwt-under-note", "raw-password", "raw-bearer",
        )
    }  # fmt: skip
    jwt = (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        f"eyJzdWIiOiJ{secrets.token_hex(8)}In0.{planted['json-jwt-under-note']}"
    )
    planted["json-jwt-under-note"] = jwt
    runtime = start_runtime(SENTRY_DSN=project_dsn(PLACEMENTS_PROJECT))
    p = planted
    requests = [
        (
            f"/test-error?page=2&pwd={p['query-pwd']};token={p['query-after-semicolon']}"
            f"&googleApiKey={p['query-googleApiKey']}",
            f"username=alice&db_passwd={p['form-db_passwd']}&otp={p['form-otp']}".encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": f"Bearer {p['header-authorization']}",
                "X-ApiKey": p["header-x-apikey"],
                "X-Session-Id": p["header-x-session-id"],
                "X-CSRF": p["header-x-csrf"],
                "Cookie": f"sessionid={p['cookie-sessionid']}; "
                f"csrftoken={p['cookie-csrftoken']}; theme=dark",
            },
        ),
        (
            "/test-error",
            json.dumps(
                {
                    "user_id": 77, "name": "Ada", "items": 3, "sort_key": "created",
                    "note": jwt,
                    "deep": _nested(100, {"value": p["json-depth-100"]}),
                    "shallow": _nested(8, {"password": p["json-depth-8-password"]}),
                }
            ).encode(),
            {"Content-Type": "application/json"},
        ),
        (
            "/test-error",
            f"password={p['raw-password']}\nAuthorization: Bearer {p['raw-bearer']}\n".encode(),
            {"Content-Type": "text/plain"},
        ),
    ]
    for path, body, headers in requests:
        status, _ = runtime.request("POST", path, body=body, headers=headers)
        assert status == 500

    stored = _stored(bugsink, PLACEMENTS_PROJECT, expected=len(requests))
    leaks = _leaks(stored, planted)
    assert not leaks, "\n".join(leaks)
    events = [item["data"] for item in stored if "data" in item]
    assert len(events) == len(requests)
    form = next(e for e in events if "page=2" in e["request"].get("query_string", ""))
    assert form["request"]["data"]["username"] == "alice"
    assert form["request"]["headers"]["x-session-id"] == "[Filtered]"
    as_json = next(e for e in events if isinstance(e["request"].get("data"), dict)
                   and "user_id" in e["request"]["data"])  # fmt: skip
    data = as_json["request"]["data"]
    assert (data["user_id"], data["name"], data["items"], data["sort_key"]) == (
        77, "Ada", 3, "created",
    )  # fmt: skip
    assert "[Filtered: too deep]" in json.dumps(data["deep"])


@pytest.mark.scenario("error-tracking", "Secrets written into messages")
@pytest.mark.scenario("error-tracking", "Secret route parameter")
def test_no_handler_placement_reaches_bugsink(
    bugsink: BugsinkHandle,
    secret_app: Callable[[str], Runtime],
    project_dsn: Callable[[int], str],
) -> None:
    planted = {
        place: _secret(place)
        for place in (
            "path-parameter", "declared-path-parameter", "local-pw", "local-auth-header",
            "local-nested-creds", "log-message", "log-extra", "breadcrumb-http-query",
            "raw-body-in-message",
        )
    }  # fmt: skip
    p = planted
    runtime = secret_app(project_dsn(HANDLER_PROJECT))
    handed = {"pw": p["local-pw"], "creds_pass": p["local-nested-creds"],
              "log_token": p["log-message"], "extra_secret": p["log-extra"],
              "query_api_key": p["breadcrumb-http-query"]}  # fmt: skip
    status, _ = runtime.request(
        "GET",
        f"/reset/{p['path-parameter']}",
        headers={
            "X-Forwarded-Auth": f"Bearer {p['local-auth-header']}",
            "X-Test-Secrets": json.dumps(handed),
        },
    )
    assert status == 500
    assert runtime.request("GET", f"/invites/{p['declared-path-parameter']}")[0] == 500
    status, _ = runtime.request(
        "POST",
        "/raw-error",
        body=f"user=ann&passphrase={p['raw-body-in-message']}".encode(),
        headers={"Content-Type": "text/plain"},
    )
    assert status == 500

    stored = _stored(bugsink, HANDLER_PROJECT, expected=3)
    leaks = _leaks(stored, planted)
    assert not leaks, "\n".join(leaks)
    events = [item["data"] for item in stored if "data" in item]
    reset = next(e for e in events if "/reset/" in e["request"]["url"])
    assert reset["request"]["url"].endswith("/reset/[Filtered]")
    assert reset["transaction"] == "/reset/[Filtered]"
    assert reset["tags"]["path"] == "/reset/[Filtered]"
    assert reset["exception"]["values"][-1]["value"].startswith("password=[Filtered] rejected")
    raw = next(e for e in events if e["request"]["url"].endswith("/raw-error"))
    assert "user=ann&passphrase=[Filtered]" in raw["exception"]["values"][-1]["value"]
