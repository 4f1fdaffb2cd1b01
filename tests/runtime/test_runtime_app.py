"""The app in-process: events captured by an in-memory transport, and the boot guarantees.

emmett-sentry patches Emmett's router classes and sentry-sdk keeps one global client, so the app
with tracking on is the session's (``conftest.py``); apps with tracking off never touch either.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from runtime_capture import DSN, one_event

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from runtime.app import RuntimeApp, create_app  # noqa: E402
from runtime.error_tracking import SentryUser, check_dsn  # noqa: E402

_USER = {"id": 42, "email": "ada@example.org", "password": "never-sent"}


@pytest.fixture(scope="module")
def app_with_user(tracked_app: RuntimeApp) -> RuntimeApp:
    """The session's tracked app plus a route run as an authenticated user."""

    @tracked_app.route("/as-user", output="str", pipeline=[SentryUser(lambda: _USER)])
    async def as_user() -> str:
        raise RuntimeError("failure while logged in")

    return tracked_app


def _one_event() -> dict[str, Any]:
    return one_event()


def test_an_error_is_captured_once_with_its_request_and_release(tracked_app: RuntimeApp) -> None:
    reply = tracked_app.test_client().get("/test-error-division?page=3")
    assert reply.status == 500
    event = _one_event()
    assert event["exception"]["values"][-1]["type"] == "ZeroDivisionError"
    assert event["request"]["method"] == "GET"
    assert event["request"]["url"].endswith("/test-error-division")
    assert event["release"] == "unit@1"
    assert event["environment"] == "unit"
    assert event["contexts"]["emmett"]["version"]


def test_form_body_reaches_the_event_scrubbed(tracked_app: RuntimeApp) -> None:
    client = tracked_app.test_client()
    reply = client.post("/test-error", data={"password": "hunter2", "username": "ada"})
    assert reply.status == 500
    event = _one_event()
    assert "hunter2" not in str(event)
    assert event["request"]["data"]["username"] == "ada"
    assert event["contexts"]["body_params"]["password"] == "[Filtered]"


def test_the_authenticated_user_is_attached_with_id_and_email_only(
    app_with_user: RuntimeApp,
) -> None:
    assert app_with_user.test_client().get("/as-user").status == 500
    event = _one_event()
    assert event["user"] == {"id": "42", "email": "ada@example.org"}


def test_health_answers_with_tracking_on(tracked_app: RuntimeApp) -> None:
    reply = tracked_app.test_client().get("/health")
    assert reply.status == 200
    assert '"error_tracking": "on"' in reply.data


@pytest.mark.scenario("error-tracking", "Malformed DSN")
@pytest.mark.scenario("error-tracking", "DSN without a key")
@pytest.mark.scenario("error-tracking", "No DSN")
@pytest.mark.parametrize(
    ("dsn", "reason"),
    [
        ("", "empty"),
        ("not-a-dsn", "malformed"),
        ("http://127.0.0.1:8000/1", "malformed"),
        ("http://abc@127.0.0.1:8000/", "malformed"),
    ],
)
def test_a_bad_dsn_boots_with_one_warning(
    dsn: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="runtime.error_tracking"):
        application = create_app(env={"SENTRY_DSN": dsn})
    assert application.tracking.enabled is False
    warnings = [r for r in caplog.records if r.name == "runtime.error_tracking"]
    assert len(warnings) == 1
    assert reason in warnings[0].getMessage()
    assert "abc@" not in warnings[0].getMessage()
    assert application.test_client().get("/health").status == 200


def test_a_bad_setting_is_logged_and_the_default_used(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="runtime.error_tracking"):
        application = create_app(env={"SENTRY_TRACES_SAMPLE_RATE": "abc", "SENTRY_DSN": ""})
    assert application.tracking.traces_sample_rate == 0.0
    assert any("SENTRY_TRACES_SAMPLE_RATE" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SENTRY_ENVIRONMENT": "production"}, 404),
        ({"SENTRY_ENVIRONMENT": "production", "SENTRY_TEST_ROUTES": "on"}, 500),
        ({"SENTRY_ENVIRONMENT": "staging"}, 500),
        ({"SENTRY_ENVIRONMENT": "staging", "SENTRY_TEST_ROUTES": "off"}, 404),
    ],
)
def test_test_routes_are_off_in_production_unless_enabled(
    env: dict[str, str], expected: int
) -> None:
    application = create_app(env={"SENTRY_DSN": "", **env})
    assert application.test_client().get("/test-error").status == expected


def test_check_dsn_accepts_a_complete_dsn() -> None:
    assert check_dsn(DSN) == (DSN, "")
