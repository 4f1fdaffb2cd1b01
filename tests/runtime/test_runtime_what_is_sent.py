"""What the runtime hands to its transport: nothing when tracking is off, no transaction by default.

Each case runs the app in a fresh Python process: sentry-sdk keeps one global client and
emmett-sentry patches Emmett's router when it loads, so after this session's tracked app
(``conftest.py``) an app in this process would report through that client whatever its own
settings. The child replaces the HTTP transport with one that records every envelope item it is
given, which is the last point before anything would leave the process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

_CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import sentry_sdk
from sentry_sdk.transport import Transport

sent = []
transports = []

class Recording(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        transports.append(self)

    def capture_envelope(self, envelope):
        for item in envelope.items:
            payload = item.payload.json or {}
            sent.append({"type": item.type, "environment": payload.get("environment"),
                         "release": payload.get("release")})

from runtime.app import create_app
from runtime.error_tracking import default_release

app = create_app(env=json.loads(sys.argv[2]), transport=Recording)
client = app.test_client()
statuses = [client.get(path).status for path in ("/health", "/test-error", "/health")]
sentry_sdk.flush(timeout=5)
print(json.dumps({"statuses": statuses, "sent": sent, "transports": len(transports),
                  "enabled": app.tracking.enabled, "default_release": default_release()}))
"""

_DSN = f"http://{'b' * 32}@127.0.0.1:9/1"  # never contacted: the transport is replaced


def _run_app(env: dict[str, str]) -> dict[str, Any]:
    """Start the app with ``env`` in a child process, make three requests, return what it sent."""
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(ROOT), json.dumps(env)],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["statuses"] == [200, 500, 200]
    report["log"] = result.stderr
    return report


def _types(report: dict[str, Any]) -> list[str]:
    return [item["type"] for item in report["sent"]]


@pytest.mark.scenario("error-tracking", "Tracking disabled")
def test_tracking_disabled_hands_nothing_to_the_transport() -> None:
    report = _run_app({"SENTRY_DSN": _DSN, "SENTRY_ENABLED": "false"})
    assert report["enabled"] is False
    assert report["sent"] == []
    assert report["transports"] == 0


def test_the_same_run_with_tracking_on_sends_the_error() -> None:
    """The control for the test above: the child does record what is sent."""
    report = _run_app({"SENTRY_DSN": _DSN})
    assert report["enabled"] is True
    assert _types(report) == ["event"]


@pytest.mark.scenario("error-tracking", "Default configuration sends no transactions")
@pytest.mark.scenario("error-tracking", "Defaults apply")
def test_with_only_a_dsn_events_carry_the_defaults_and_no_transaction_is_sent() -> None:
    report = _run_app({"SENTRY_DSN": _DSN})
    # Two requests answered 200 and one 500: with tracing on, each would send a transaction.
    assert "transaction" not in _types(report)
    (event,) = report["sent"]
    assert event["type"] == "event"
    assert event["environment"] == "development"
    assert event["release"] == report["default_release"]
    assert report["default_release"].startswith("specledger-runtime@")


def test_tracing_switched_on_does_send_transactions() -> None:
    """The control: the child sees transactions when there are some, so their absence means it."""
    report = _run_app({"SENTRY_DSN": _DSN, "SENTRY_TRACES_SAMPLE_RATE": "1.0"})
    assert _types(report).count("transaction") == 3


@pytest.mark.scenario("error-tracking", "A value that does not fit its type")
def test_a_sample_rate_above_1_is_named_once_and_tracing_stays_off() -> None:
    report = _run_app({"SENTRY_DSN": _DSN, "SENTRY_TRACES_SAMPLE_RATE": "1.5"})
    assert report["enabled"] is True  # the runtime started and reports errors
    # (importing runtime.app also builds the module's own app from the child's environment,
    # which has no SENTRY_ variable: that one warns about its empty DSN, never about the rate)
    named = [ln for ln in report["log"].splitlines() if "SENTRY_TRACES_SAMPLE_RATE" in ln]
    assert len(named) == 1, report["log"]
    assert "WARNING" in named[0] and "1.5" in named[0]
    assert "traces_sample_rate=0.0" in report["log"]  # the start-up line reports the rate used
    assert _types(report) == ["event"]  # 0.0 really: no transaction for the three requests
