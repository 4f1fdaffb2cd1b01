"""The runtime's errors really reach a real Bugsink, scrubbed, and never hurt the app."""

from __future__ import annotations

import json
import secrets
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
from e2e_support import PROJECTS, BugsinkHandle, Runtime, wait_for

from stack.bugsink import free_port, start_timeout

pytestmark = pytest.mark.e2e


def _settled_issues(bugsink: BugsinkHandle, project: int, expected: int) -> list[dict[str, Any]]:
    """Issues of a project once ``expected`` events are digested and nothing more arrives."""

    def counted() -> list[dict[str, Any]] | None:
        issues = bugsink.api.issues(project)
        total = sum(i["digested_event_count"] for i in issues)
        return issues if total >= expected else None

    wait_for(counted, start_timeout(), f"{expected} events in project {project}")
    time.sleep(1.0)  # a duplicate would arrive within milliseconds of the original
    return bugsink.api.issues(project)


def _frames(event: dict[str, Any]) -> list[dict[str, Any]]:
    values = event["data"]["exception"]["values"]
    return [frame for value in values for frame in value["stacktrace"]["frames"]]


@pytest.mark.scenario("error-tracking", "Verify the setup")
@pytest.mark.scenario("error-tracking", "Division by zero")
def test_each_test_endpoint_stores_exactly_one_complete_event(
    bugsink: BugsinkHandle, start_runtime: Callable[..., Runtime]
) -> None:
    release = f"e2e@{secrets.token_hex(4)}"
    runtime = start_runtime(
        SENTRY_DSN=bugsink.dsn_for("endpoints"),
        SENTRY_RELEASE=release,
        SENTRY_ENVIRONMENT="e2e-test",
    )
    assert "error tracking: ON" in runtime.log()
    expected = {"/test-error": "Exception", "/test-error-division": "ZeroDivisionError"}
    for path in expected:
        status, _ = runtime.request("GET", path)
        assert status == 500

    issues = _settled_issues(bugsink, PROJECTS["endpoints"], expected=2)
    by_type = {issue["calculated_type"]: issue for issue in issues}
    assert sorted(by_type) == sorted(expected.values())
    for path, exc_type in expected.items():
        issue = by_type[exc_type]
        assert issue["digested_event_count"] == 1, f"{path}: {issue['digested_event_count']} events"
        (summary,) = bugsink.api.events(issue["id"])
        event = bugsink.api.event(summary["id"])
        data = event["data"]
        assert data["exception"]["values"][-1]["type"] == exc_type
        functions = [frame["function"] for frame in _frames(event)]
        assert functions[-1] in {"test_error", "test_error_division"}
        assert any(frame["filename"].endswith("runtime/app.py") for frame in _frames(event))
        assert data["request"]["url"] == f"http://127.0.0.1:{runtime.port}{path}"
        assert data["request"]["method"] == "GET"
        assert data["environment"] == "e2e-test"
        assert data["release"] == release
        assert data["contexts"]["runtime"]["name"] == "CPython"
        assert data["contexts"]["emmett"]["version"].startswith("2.8")
        assert data["server_name"]


@pytest.mark.scenario("error-tracking", "Secrets in a failing login request")
def test_secrets_in_the_request_never_reach_bugsink(
    bugsink: BugsinkHandle, start_runtime: Callable[..., Runtime]
) -> None:
    secret = {
        name: f"leak{name}{secrets.token_hex(8)}"
        for name in ("password", "token", "authorization", "cookie", "apikey", "jsonsecret")
    }
    runtime = start_runtime(SENTRY_DSN=bugsink.dsn_for("scrub"))
    status, _ = runtime.request(
        "POST",
        f"/test-error?token={secret['token']}&page=2",
        body=f"password={secret['password']}&username=alice".encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": f"Bearer {secret['authorization']}",
            "Cookie": f"sessionid={secret['cookie']}; theme=dark",
            "X-Api-Key": secret["apikey"],
        },
    )
    assert status == 500
    status, _ = runtime.request(
        "POST",
        "/test-error-division",
        body=json.dumps({"user": {"api_key": secret["jsonsecret"]}, "n": 1}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert status == 500

    issues = _settled_issues(bugsink, PROJECTS["scrub"], expected=2)
    stored = [
        bugsink.api.event(summary["id"])
        for issue in issues
        for summary in bugsink.api.events(issue["id"])
    ]
    assert len(stored) == 2
    text = json.dumps(stored)
    for name, value in secret.items():
        assert value not in text, f"the {name} value was stored in Bugsink"
    form_event = next(
        e
        for e in stored
        if e["data"]["request"]["method"] == "POST"
        and "page=2" in e["data"]["request"].get("query_string", "")
    )
    # What is not secret still arrives, so the scrubbing is not just "drop everything".
    assert form_event["data"]["request"]["data"]["username"] == "alice"
    assert form_event["data"]["request"]["headers"]["x-api-key"] == "[Filtered]"


@pytest.mark.scenario("error-tracking", "Bugsink does not answer")
@pytest.mark.scenario("error-tracking", "Malformed DSN")
@pytest.mark.scenario("error-tracking", "DSN without a key")
@pytest.mark.parametrize(
    "dsn_kind",
    ["wrong-key", "unknown-project", "closed-port", "black-hole", "malformed", "keyless"],
)
def test_app_keeps_answering_whatever_the_dsn(
    bugsink: BugsinkHandle, start_runtime: Callable[..., Runtime], dsn_kind: str
) -> None:
    base = f"127.0.0.1:{bugsink.server.port}"
    # A listener that never accepts: connections hang until the SDK's own timeout.
    black_hole = socket.socket()
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(1)
    hole = f"127.0.0.1:{black_hole.getsockname()[1]}"
    dsn = {
        "black-hole": f"http://{bugsink.key}@{hole}/1",
        "wrong-key": f"http://{secrets.token_hex(16)}@{base}/1",
        "unknown-project": f"http://{bugsink.key}@{base}/999",
        "closed-port": f"http://{bugsink.key}@127.0.0.1:{free_port()}/1",
        "malformed": "not a dsn at all",
        "keyless": f"http://{base}/1",
    }[dsn_kind]
    runtime = start_runtime(SENTRY_DSN=dsn)
    for _ in range(3):
        assert runtime.request("GET", "/test-error")[0] == 500
        status, body = runtime.request("GET", "/health")
        assert status == 200
        assert json.loads(body)["status"] == "ok"
    if dsn_kind in {"black-hole", "closed-port"}:
        # Shutdown flushes with a bound (SENTRY_SHUTDOWN_TIMEOUT, 2 s) instead of hanging.
        runtime.process.terminate()
        runtime.process.wait(timeout=15)
    black_hole.close()
    if dsn_kind in {"malformed", "keyless"}:
        assert json.loads(body)["error_tracking"] == "off"
        log = runtime.log()
        assert log.count("error tracking: OFF") == 1
        assert "SENTRY_DSN is malformed" in log
