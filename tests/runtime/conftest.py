"""One app with tracking on for the whole session.

emmett-sentry patches Emmett's router classes when it loads and sentry-sdk keeps one global
client, so a second tracked app in the same process would wrap every route twice. Modules that
need tracking share this app and add their own routes to it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sentry_sdk
from runtime_capture import DSN, CaptureTransport

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from runtime.app import RuntimeApp, create_app  # noqa: E402


@pytest.fixture(scope="session")
def tracked_app() -> Iterator[RuntimeApp]:
    """The runtime's app, reporting to an in-memory transport."""
    application = create_app(
        env={"SENTRY_DSN": DSN, "SENTRY_RELEASE": "unit@1", "SENTRY_ENVIRONMENT": "unit"},
        transport=CaptureTransport,
    )
    yield application
    sentry_sdk.get_client().close(timeout=0)
    sentry_sdk.get_global_scope().set_client(None)


@pytest.fixture(autouse=True)
def _clear_events() -> None:
    CaptureTransport.events.clear()
