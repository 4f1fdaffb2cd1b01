"""Capturing events in-process (a uniquely named module: several conftest.py exist)."""

from __future__ import annotations

from typing import Any, ClassVar

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

DSN = f"http://{'a' * 32}@127.0.0.1:9/1"  # never contacted: the transport is replaced


class CaptureTransport(Transport):
    """Keeps events in memory instead of sending them."""

    events: ClassVar[list[dict[str, Any]]] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        event = envelope.get_event()
        if event is not None:
            CaptureTransport.events.append(event)


def one_event() -> dict[str, Any]:
    """The single event captured since the last clear (after flushing the SDK's queue)."""
    sentry_sdk.flush(timeout=2)
    assert len(CaptureTransport.events) == 1, CaptureTransport.events
    return CaptureTransport.events[0]
