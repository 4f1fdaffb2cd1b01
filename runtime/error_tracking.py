"""Error tracking for the runtime: emmett-sentry configured from the generated settings.

``setup_error_tracking(app)`` must run before any route is defined, because emmett-sentry only
wraps routes registered after ``use_extension``. It never raises for bad configuration: a missing,
malformed or keyless DSN, a broken config file or a bad environment value each produce one clear
log line and tracking stays off (or the default is used), because an app that does not boot is
worse than an app that does not report.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import platform
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sentry_sdk
from emmett_core.pipeline.pipe import Pipe
from sentry_sdk.utils import BadDsn, Dsn

from .scrubbing import Scrubber
from .settings import CONFIG_PATH, ConfigError, load_config, resolve

logger = logging.getLogger("runtime.error_tracking")

# Fallbacks for settings the generated config might not declare; the scrub lists have none on
# purpose: without the config nothing is sent at all.
_FALLBACKS: dict[str, Any] = {
    "SENTRY_ENABLED": True,
    "SENTRY_DSN": "",
    "SENTRY_ENVIRONMENT": "development",
    "SENTRY_TRACES_SAMPLE_RATE": 0.0,
    "SENTRY_RELEASE": "",
    "SENTRY_TEST_ROUTES": "auto",
    "SENTRY_TRANSPORT_QUEUE_SIZE": 10_000,
    "SENTRY_SHUTDOWN_TIMEOUT": 2.0,
}


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is now (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:  # StreamHandler.__init__ assigns it; ignore that
        pass


def _ensure_log_output() -> None:
    """Make the runtime's start-up lines visible: granian configures only its own loggers."""
    # Only this module's logger: Emmett logs under the app's import name ("runtime.app") with
    # its own handler, and a handler on "runtime" would print every traceback twice.
    if not logger.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("[runtime] %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


@dataclass(frozen=True)
class TrackingState:
    """What start-up decided; the app and the tests read it."""

    enabled: bool
    target: str  # where events go, without the key ("" when off)
    environment: str
    release: str
    traces_sample_rate: float
    test_routes: bool
    reason: str = ""  # why tracking is off


def default_release() -> str:
    """``specledger-runtime@<version>``, the version of the installed project."""
    try:
        version = importlib.metadata.version("specledger")
    except importlib.metadata.PackageNotFoundError:
        version = "0.0.0+unknown"
    return f"specledger-runtime@{version}"


def check_dsn(raw: str) -> tuple[str, str]:
    """Return ``(dsn, "")`` for a usable DSN, else ``("", reason)``; never echoes the key."""
    if not raw:
        return "", "SENTRY_DSN is empty"
    try:
        parsed = Dsn(raw)
    except BadDsn as exc:
        return "", f"SENTRY_DSN is malformed ({exc})"
    except (ValueError, TypeError):
        return "", "SENTRY_DSN is malformed"
    if not parsed.host:
        return "", "SENTRY_DSN has no host"
    if not parsed.project_id:
        return "", "SENTRY_DSN has no project id"
    return raw, ""


def describe_target(dsn: str) -> str:
    """A DSN without its key, fit for logs: ``http://127.0.0.1:8000 project 1``."""
    parsed = Dsn(dsn)
    port = "" if parsed.port in (80, 443) else f":{parsed.port}"
    path = parsed.path.rstrip("/")
    return f"{parsed.scheme}://{parsed.host}{port}{path} project {parsed.project_id}"


def _copy_body_to_request(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Expose the parsed body as ``request.data``, where Bugsink shows a request's body.

    emmett-sentry puts it only in ``contexts.body_params``. Both places hold the same object, not
    a copy: the scrubber, which runs after this hook, then judges the body once (it visits a shared
    object once) and masks it in both places, and no time goes into copying it.
    """
    contexts = event.get("contexts")
    body = contexts.get("body_params") if isinstance(contexts, dict) else None
    request = event.get("request")
    if isinstance(request, dict) and body and "data" not in request:
        request["data"] = body
    return event


def _route_args_reader(app: Any) -> Callable[[], Mapping[str, Any]]:
    """Read the parameters of the route that matched the request being handled.

    Emmett hands them to the handler and keeps no copy, so the router matches the request again,
    when an event is captured: only failing requests pay for it (a pipe in front of every route
    cost about 10 us per request). Raises outside a request; the scrubber then uses none.
    """

    def read() -> Mapping[str, Any]:
        from emmett import current

        match, args = app._router_http.match(current.request)
        return dict(args) if match and args else {}

    return read


def _test_routes_enabled(mode: str, environment: str) -> bool:
    if mode == "on":
        return True
    if mode == "off":
        return False
    return environment.strip().lower() != "production"


def _emmett_version() -> str:
    try:
        return importlib.metadata.version("emmett")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def setup_error_tracking(
    app: Any,
    env: Mapping[str, str] | None = None,
    config_path: Path = CONFIG_PATH,
    transport: Any = None,
) -> TrackingState:
    """Configure emmett-sentry on ``app`` from the config and ``env``; log the outcome.

    ``transport`` replaces the HTTP transport (unit tests capture events in-process with it).
    """
    _ensure_log_output()
    env = os.environ if env is None else env
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        environment = env.get("SENTRY_ENVIRONMENT", "").strip() or "development"
        mode = env.get("SENTRY_TEST_ROUTES", "auto").strip().lower()
        state = TrackingState(
            enabled=False,
            target="",
            environment=environment,
            release=env.get("SENTRY_RELEASE", "").strip() or default_release(),
            traces_sample_rate=0.0,
            test_routes=_test_routes_enabled(
                mode if mode in {"on", "off"} else "auto", environment
            ),
            reason=f"configuration unusable: {exc}",
        )
        logger.error("error tracking: OFF (%s)", state.reason)
        return state

    resolved = resolve(config, env)
    for problem in resolved.problems:
        logger.warning("error tracking: %s", problem)

    def setting(name: str) -> Any:
        return resolved.get(name, _FALLBACKS[name])

    environment = str(setting("SENTRY_ENVIRONMENT")) or "development"
    release = str(setting("SENTRY_RELEASE")) or default_release()
    rate = float(setting("SENTRY_TRACES_SAMPLE_RATE"))
    test_routes = _test_routes_enabled(str(setting("SENTRY_TEST_ROUTES")), environment)

    dsn, reason = check_dsn(str(setting("SENTRY_DSN")))
    if not setting("SENTRY_ENABLED"):
        dsn, reason = "", "SENTRY_ENABLED is false"
    if not dsn:
        state = TrackingState(False, "", environment, release, rate, test_routes, reason)
        logger.warning("error tracking: OFF (%s); errors are only logged locally", reason)
        return state

    from emmett_sentry import Sentry  # imported late: nothing to patch when tracking is off

    sdk_opts: dict[str, Any] = {
        "transport_queue_size": int(setting("SENTRY_TRANSPORT_QUEUE_SIZE")),
        "shutdown_timeout": float(setting("SENTRY_SHUTDOWN_TIMEOUT")),
        # Bodies are scrubbed by our hook, so keep them whole rather than let the SDK drop them.
        "max_request_body_size": "always",
        "server_name": platform.node(),
    }
    if transport is not None:
        sdk_opts["transport"] = transport
    scrubber = Scrubber(config.scrubbing, route_args=_route_args_reader(app))
    # Transactions (only sent when tracing is on) carry URLs and breadcrumbs too.
    sdk_opts["before_send_transaction"] = scrubber
    app.config.Sentry.dsn = dsn
    app.config.Sentry.environment = environment
    app.config.Sentry.release = release
    # emmett-sentry has no traces_sample_rate key: tracing_sample_rate is what reaches the SDK.
    app.config.Sentry.enable_tracing = rate > 0
    app.config.Sentry.tracing_sample_rate = rate if rate > 0 else None
    app.config.Sentry.sdk_opts = sdk_opts
    ext = app.use_extension(Sentry)
    # Emmett logs every exception it answers with a 500 ("Application exception:") on the app's
    # own logger, after emmett-sentry has captured it. Left to the SDK's logging integration,
    # that line builds and scrubs a second event for the same error, which the SDK then drops
    # as a duplicate: half the cost of every failing request, for nothing.
    from sentry_sdk.integrations.logging import ignore_logger

    ignore_logger(app.logger_name)

    # Registered through the extension (not sdk_opts), which would replace its own hook chain.
    ext.before_send(_copy_body_to_request)
    ext.before_send(scrubber)

    scope = sentry_sdk.get_global_scope()
    scope.set_context(
        "runtime",
        {"name": platform.python_implementation(), "version": platform.python_version()},
    )
    scope.set_context("emmett", {"version": _emmett_version()})
    scope.set_tag("emmett.version", _emmett_version())

    target = describe_target(dsn)
    state = TrackingState(True, target, environment, release, rate, test_routes)
    logger.info(
        "error tracking: ON, sending to %s (environment=%s, release=%s, traces_sample_rate=%s)",
        target,
        environment,
        release,
        rate,
    )
    return state


def flush(timeout: float) -> None:
    """Send what is queued, waiting at most ``timeout`` seconds (no-op when tracking is off)."""
    client = sentry_sdk.get_client()
    if client.is_active():
        client.flush(timeout=timeout)


class SentryUser(Pipe):
    """Attach the authenticated user (id, email) to events raised while handling the request.

    ``resolve`` returns ``None`` for anonymous requests, or a mapping with ``id`` and ``email``.
    Only those two fields are sent, whatever else the mapping holds.
    """

    def __init__(self, resolve: Any) -> None:
        self._resolve = resolve

    async def open(self) -> None:
        user = self._resolve()
        if user:
            sentry_sdk.get_isolation_scope().set_user(
                {"id": str(user.get("id", "")), "email": user.get("email")}
            )
