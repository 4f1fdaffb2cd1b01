"""The runtime's Emmett app, served with ``granian --interface rsgi runtime.app:app``.

Error tracking is set up before any route exists (emmett-sentry wraps only routes defined after it
loads). ``/health`` always answers; ``/test-error`` and ``/test-error-division`` exist so that an
operator can prove, end to end, that errors reach Bugsink; in production they are off unless
``SENTRY_TEST_ROUTES=on``.
"""

from __future__ import annotations

import json
from typing import Any

from emmett import App, response

from .error_tracking import TrackingState, flush, setup_error_tracking


class RuntimeApp(App):  # type: ignore[misc]
    """Emmett's App plus a bounded flush of queued error events when the server stops."""

    tracking: TrackingState
    shutdown_timeout: float = 2.0

    def __rsgi_del__(self, loop: Any) -> None:
        # granian calls this in each worker on shutdown; the SDK's atexit hook may never run there.
        if self.tracking.enabled:
            flush(self.shutdown_timeout)


def create_app(env: dict[str, str] | None = None, transport: Any = None) -> RuntimeApp:
    """Build the app; ``env`` and ``transport`` exist for tests (defaults: os.environ, HTTP)."""
    application = RuntimeApp(__name__)
    application.tracking = setup_error_tracking(application, env=env, transport=transport)
    if application.tracking.enabled:
        sdk_opts = application.config.Sentry.sdk_opts
        application.shutdown_timeout = float(sdk_opts.get("shutdown_timeout", 2.0))

    @application.route("/health", methods=["get"], output="str")
    async def health() -> str:
        response.headers["content-type"] = "application/json"
        state = "on" if application.tracking.enabled else "off"
        return json.dumps({"status": "ok", "error_tracking": state})

    if application.tracking.test_routes:

        @application.route("/test-error", methods=["get", "post"], output="str")
        async def test_error() -> str:
            raise Exception("Deliberate test error raised by /test-error")

        @application.route("/test-error-division", methods=["get", "post"], output="str")
        async def test_error_division() -> str:
            numerator = 1
            denominator = 0
            return str(numerator / denominator)

    return application


app = create_app()
