"""Secrets in every place of a real request through the app, captured in-process.

The app is the runtime's own (``create_app``) with a few routes that put secrets where real code
does: route parameters, locals, exception messages, log messages and their ``extra``, tags, the
transaction name and breadcrumb data. emmett-sentry patches the router and sentry-sdk keeps one
global client, so these routes are added to the session's tracked app (``conftest.py``).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
from emmett import request
from runtime_capture import one_event

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from runtime.app import RuntimeApp  # noqa: E402
from runtime.scrubbing import MASK, SecretRouteParams  # noqa: E402

PW = "hunter2-Pw"
TOKEN = "rst-7f3a9c2e"
HEADER = "abc.def-ghi"
CREDS = "cr3d-pass"
LOGGED = "lg-4e5f6a7b"
EXTRA = "ex-1a2b3c4d"
QUERY = "qy-8a9b0c1d"
log = logging.getLogger("runtime.tests.reset")


@pytest.fixture(scope="module")
def app(tracked_app: RuntimeApp) -> RuntimeApp:
    application = tracked_app

    @application.route("/reset/<str:token>", output="str")
    async def reset(token: str) -> str:
        pw = PW
        auth_header = f"Bearer {HEADER}"
        creds = {"user": "ann", "pass": CREDS}
        log.warning("reset requested with token=%s", LOGGED, extra={"note": f"secret={EXTRA}"})
        log.warning("reset for %s", token)
        sentry_sdk.add_breadcrumb(category="httplib", data={"http.query": f"a=1;token={QUERY}"})
        sentry_sdk.set_tag("path", request.path)
        sentry_sdk.get_current_scope().set_transaction_name(request.path)
        raise ValueError(f"password={pw} rejected for {creds['user']} ({len(auth_header)})")

    @application.route(
        "/invites/<str:ticket>", output="str", pipeline=[SecretRouteParams("ticket")]
    )
    async def accept_invite(ticket: str) -> str:
        raise LookupError(f"no invite {ticket}")

    @application.route("/orders/<int:order_id>", output="str")
    async def order(order_id: int) -> str:
        raise LookupError(f"order {order_id} missing")

    @application.route("/log-only", output="str")
    async def log_only() -> str:
        log.error("upstream refused token=%s", LOGGED)
        return "ok"

    return application


def _one_event() -> dict[str, Any]:
    return one_event()


@pytest.mark.scenario("error-tracking", "Secrets written into messages")
@pytest.mark.scenario("error-tracking", "Secret route parameter")
def test_secrets_in_route_locals_messages_logs_tags_and_breadcrumbs(app: RuntimeApp) -> None:
    assert app.test_client().get(f"/reset/{TOKEN}").status == 500
    event = _one_event()
    text = json.dumps(event)
    for name, secret in {"path parameter": TOKEN, "local pw": PW, "auth header": HEADER,
                         "nested creds": CREDS, "log message": LOGGED, "log extra": EXTRA,
                         "breadcrumb query": QUERY}.items():  # fmt: skip
        assert secret not in text, f"the {name} reached the event"
    assert event["request"]["url"].endswith("/reset/[Filtered]")
    assert event["transaction"] == "/reset/[Filtered]"
    assert event["tags"]["path"] == "/reset/[Filtered]"
    value = event["exception"]["values"][-1]["value"]
    assert value == "password=[Filtered] rejected for ann (18)"
    crumbs = event["breadcrumbs"]["values"]
    assert any(c.get("message") == "reset requested with token=[Filtered]" for c in crumbs)
    assert any(c.get("message") == "reset for [Filtered]" for c in crumbs)
    frame = event["exception"]["values"][-1]["stacktrace"]["frames"][-1]
    assert frame["function"] == "reset"
    assert frame["vars"]["pw"] == MASK
    assert frame["vars"]["creds"] == MASK
    assert frame["vars"]["token"] == MASK


def test_a_route_declares_its_own_secret_parameter(app: RuntimeApp) -> None:
    assert app.test_client().get("/invites/tkt-5566aabb").status == 500
    event = _one_event()
    assert "tkt-5566aabb" not in json.dumps(event)
    assert event["request"]["url"].endswith("/invites/[Filtered]")


def test_an_ordinary_route_parameter_stays_readable(app: RuntimeApp) -> None:
    assert app.test_client().get("/orders/80417").status == 500
    event = _one_event()
    assert event["request"]["url"].endswith("/orders/80417")
    assert event["exception"]["values"][-1]["value"] == "order 80417 missing"


def test_a_logged_error_has_its_parameters_masked(app: RuntimeApp) -> None:
    assert app.test_client().get("/log-only").status == 200
    event = _one_event()
    assert LOGGED not in json.dumps(event)
    assert event["logentry"]["formatted"] == "upstream refused token=[Filtered]"
    assert event["logentry"]["params"] == [MASK]


def test_request_placements_through_the_test_error_route(app: RuntimeApp) -> None:
    secret = "pl-0c9d8e7f"
    client = app.test_client()
    reply = client.post(
        f"/test-error?page=2;pwd={secret}&googleApiKey={secret}",
        data={"db_passwd": secret, "user_id": "77", "otp": secret},
        headers={"X-ApiKey": secret, "X-Session-Id": secret, "X-CSRF": secret},
    )
    assert reply.status == 500
    event = _one_event()
    assert secret not in json.dumps(event)
    assert event["request"]["query_string"].startswith("page=2;pwd=[Filtered]")
    assert event["request"]["data"]["user_id"] == "77"
