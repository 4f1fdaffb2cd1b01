"""The operator's test endpoints in production: hidden unless asked for (tracking off: no SDK)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from runtime.app import create_app  # noqa: E402

TEST_ROUTES = ("/test-error", "/test-error-division", "/test-error-user")


@pytest.mark.scenario("error-tracking", "Production hides the test endpoints")
@pytest.mark.parametrize("mode", [{}, {"SENTRY_TEST_ROUTES": "auto"}], ids=["unset", "auto"])
def test_production_answers_404_on_every_test_endpoint(mode: dict[str, str]) -> None:
    application = create_app(env={"SENTRY_DSN": "", "SENTRY_ENVIRONMENT": "production", **mode})
    client = application.test_client()
    assert {path: client.get(path).status for path in TEST_ROUTES} == dict.fromkeys(TEST_ROUTES, 404)
    assert client.get("/health").status == 200


def test_the_same_endpoints_raise_outside_production() -> None:
    """The control: in development the same requests reach the handlers."""
    client = create_app(env={"SENTRY_DSN": "", "SENTRY_ENVIRONMENT": "development"}).test_client()
    assert {path: client.get(path).status for path in TEST_ROUTES} == dict.fromkeys(TEST_ROUTES, 500)
