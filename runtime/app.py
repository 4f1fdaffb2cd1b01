"""The runtime's Emmett app, served with ``granian --interface rsgi runtime.app:app``.

Error tracking is set up before any route exists (emmett-sentry wraps only routes defined after it
loads). ``/health`` always answers; ``/test-error`` and ``/test-error-division`` exist so that an
operator can prove, end to end, that errors reach Bugsink; in production they are off unless
``SENTRY_TEST_ROUTES=on``. ``/test-error-user`` is the worked example of attaching the
authenticated user to error events (see ``example_user``); it is switched like the test routes.
"""

from __future__ import annotations

import json
from typing import Any

from emmett import App, response

from .error_tracking import SentryUser, TrackingState, flush, setup_error_tracking

# The user the example route runs as. This app has no login; a real application resolves the
# signed-in user from its own session instead (with Emmett's auth module: ``auth.user``).
EXAMPLE_USER = {"id": "example-user-1", "email": "example.user@example.org"}


def example_user() -> dict[str, str] | None:
    """The example route's user resolver: a mapping with ``id`` and ``email``, or ``None``.

    ``SentryUser`` calls it once per request, before the handler runs; returning ``None`` leaves
    the event anonymous. Only ``id`` and ``email`` are ever sent, whatever else the mapping holds.
    """
    return EXAMPLE_USER


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

        # How an application attaches its authenticated user: put SentryUser, with a function
        # that returns the signed-in user, in the pipeline of the routes (or the whole app:
        # ``application.pipeline = [SentryUser(resolver)]``). Every event raised while handling
        # the request then carries that user's id and email, and nothing else of the user.
        @application.route(
            "/test-error-user",
            methods=["get", "post"],
            output="str",
            pipeline=[SentryUser(example_user)],
        )
        async def test_error_user() -> str:
            raise Exception("Deliberate test error raised by /test-error-user as a signed-in user")

    return application


app = create_app()
