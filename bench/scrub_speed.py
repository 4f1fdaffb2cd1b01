"""Cost of scrubbing a ~50 KB error event, against baselines measured in the same run.

Run from the repository root: ``.venv/bin/python bench/scrub_speed.py [--seconds 2] [--rounds 3]``.

Two measurements, alternated over ``--rounds`` rounds (medians reported):

1. **Scrubber throughput**: events per second (CPU time) through ``runtime.scrubbing.Scrubber``
   for an event of about 60 KB (request with a JSON body, 12 frames with locals, 30 breadcrumbs,
   contexts, modules; the body and messages differ from one event to the next, frames and headers
   repeat, as they do for one application's errors), against the previous scrubber (the
   fixed-list, name-only walker this repository shipped before, copied below) on the same events.
2. **Share of an error request**: the runtime's own app in-process (``create_app`` with tracking
   on and a transport that serialises and gzips each envelope as the HTTP transport does, short
   of the network) answering a POST whose ~24 KB form makes the handler raise, so sentry-sdk
   builds an event of about 40 KB (emmett-sentry puts the form in ``contexts.body_params``, the
   runtime shows it as ``request.data`` too). CPU time per request with the scrubber in the hook
   chain, with the previous scrubber, and with a no-op in its place, in alternating blocks of 10
   requests (the machine is shared, so wall-clock rates drift); the overhead is the ratio within
   each round, then the median. The runtime's budget for error tracking is 10 %.

Requests that do not fail pay nothing for scrubbing: secret route parameters are read from the
router when an event is captured, not by a pipe in front of every route.

The events are built before timing starts, so only scrubbing is timed in (1).
"""

from __future__ import annotations

import argparse
import copy
import gzip
import io
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from runtime.scrubbing import Scrubber  # noqa: E402
from runtime.settings import CONFIG_PATH, load_config  # noqa: E402

RESULT = ROOT / "bench" / "results" / "scrub_speed.txt"


class OldScrubber:
    """The scrubber this repository shipped before the rule-based one (exact names + fragments,
    whole-event walk, ``&``-only query strings, depth cut at 50): the throughput baseline."""

    def __init__(self, fields: Iterable[str], name_contains: Iterable[str]) -> None:
        self._fields = frozenset(self._norm(f) for f in fields)
        self._contains = tuple(self._norm(c) for c in name_contains)

    @staticmethod
    def _norm(name: str) -> str:
        return name.strip().lower().replace("-", "_")

    def is_sensitive(self, key: str) -> bool:
        norm = self._norm(key)
        return norm in self._fields or any(part in norm for part in self._contains)

    def scrub_query(self, query: str) -> str:
        if not query:
            return query
        pairs = parse_qsl(query, keep_blank_values=True)
        if not pairs:
            return "[Filtered]"
        pairs = [(k, "[Filtered]" if self.is_sensitive(k) else v) for k, v in pairs]
        return urlencode(pairs, safe="[]")

    def scrub(self, value: Any, depth: int = 0) -> Any:
        if depth > 50:
            return value
        if isinstance(value, dict):
            for key in list(value):
                if isinstance(key, str) and self.is_sensitive(key):
                    value[key] = "[Filtered]"
                elif key == "query_string" and isinstance(value[key], str):
                    value[key] = self.scrub_query(value[key])
                else:
                    value[key] = self.scrub(value[key], depth + 1)
            return value
        if isinstance(value, list):
            for index, item in enumerate(value):
                value[index] = self.scrub(item, depth + 1)
        return value

    def __call__(self, event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        self.scrub(event)
        return event


def body(seed: int = 0, items: int = 110) -> dict[str, Any]:
    """A JSON request body of ordinary data with a few secrets, ~25 KB for 110 items; ``seed``
    makes its strings differ from one event to the next, as real bodies do."""
    return {
        "user_id": 77,
        "password": "hunter2",
        "cart": [
            {
                "id": i, "sku": f"SKU-{i:05d}", "name": f"Item number {i} of order {seed}", "qty": i % 7,
                "price": 9.99 + i, "note": f"deliver after 5pm; code={i}-{seed}", "tags": ["a", "b"],
                "meta": {"created": "2026-11-29T10:00:00Z", "source": "web"},
            }
            for i in range(items)
        ],
    }


def form(seed: int, fields: int = 200) -> dict[str, str]:
    """A form of ordinary fields (and one password), ~24 KB once emmett-sentry copies it in;
    ``seed`` makes every request's values new."""
    data = {f"line_{i}_note": f"deliver item {i} after 5pm to the back door, code {seed}-{i:05d}"
            for i in range(fields)}
    data["password"] = "hunter2"
    return data


def event(seed: int = 0) -> dict[str, Any]:
    """A serialised error event of about 50 KB, shaped like what sentry-sdk hands to hooks. The
    body, messages and breadcrumbs change with ``seed``; frames, headers and modules repeat from
    one event to the next, as they do for errors of one application."""
    frames = [
        {
            "filename": f"runtime/module_{i}.py", "abs_path": f"/srv/app/runtime/module_{i}.py",
            "function": f"handler_{i}", "module": f"runtime.module_{i}", "lineno": 40 + i,
            "pre_context": ["    order = load(order_id)", "    if not order:", "        abort(404)"],
            "context_line": "    total = compute(order, coupon)",
            "post_context": ["    return total", "", ""], "in_app": True,
            "vars": {
                "order_id": "80417", "coupon": "'WINTER'", "request": "<Request POST /orders>",
                "session_id": "'c0ffee-1234'", "items": "[1, 2, 3]", "self": "<OrderService>",
                "attempt": "2", "settings": {"db_password": "'x'", "retries": "3"},
            },
        }
        for i in range(12)
    ]
    data = body(seed)
    return {
        "event_id": "9f1c2b3a4d5e6f708192a3b4c5d6e7f8",
        "level": "error",
        "platform": "python",
        "timestamp": "2026-11-29T10:00:00.000000Z",
        "server_name": "web-1",
        "release": "specledger-runtime@0.1.0",
        "environment": "production",
        "exception": {
            "values": [
                {"type": "ValueError", "value": f"could not price order {seed} (token=abc123)",
                 "mechanism": {"type": "emmett", "handled": False},
                 "stacktrace": {"frames": frames}}
            ]
        },
        "request": {
            "url": "http://127.0.0.1:8001/orders",
            "method": "POST",
            "query_string": "draft=1&page=2;token=abc",
            "headers": {
                "Host": "127.0.0.1:8001", "User-Agent": "Mozilla/5.0 (X11; Linux x86_64)",
                "Accept": "application/json", "Content-Type": "application/json",
                "Authorization": "Bearer abc.def.ghi", "Cookie": "sessionid=abc; theme=dark",
                "X-Request-Id": "0f8fad5b-d9cb-469f-a165-70867728950e",
            },
            "data": copy.deepcopy(data),
        },
        "contexts": {
            "body_params": data,
            "trace": {"trace_id": "a" * 32, "span_id": "b" * 16},
            "runtime": {"name": "CPython", "version": "3.11.7"},
        },
        "breadcrumbs": {
            "values": [
                {"type": "log", "category": "runtime.orders", "level": "info",
                 "message": f"priced line {i} of order {seed} in {i * 3} ms",
                 "timestamp": "2026-11-29T10:00:00Z", "data": {"line": i}}
                for i in range(30)
            ]
        },
        "tags": {"emmett.version": "2.8.2", "route": "orders.create"},
        "modules": {f"package-{i}": f"{i}.0.{i}" for i in range(60)},
        "extra": {"sys.argv": ["granian", "--interface=rsgi", "runtime.app:app"]},
    }


def events_per_second(hook: Callable[[dict[str, Any], dict[str, Any]], Any], seconds: float) -> float:
    """Events per second of CPU time through ``hook``, on copies made before the clock starts."""
    batch = 50
    done = 0
    spent = 0.0
    while spent < seconds:
        copies = [event(done + n) for n in range(batch)]
        start = time.process_time()
        for item in copies:
            hook(item, {})
        spent += time.process_time() - start
        done += batch
    return done / spent


def request_costs(
    app: Any, callbacks: list[Any], index: int, hooks: dict[str, Any], seconds: float
) -> dict[str, float]:
    """CPU seconds per error request with each of ``hooks`` in the scrubber's place in the hook
    chain, measured in alternating blocks of 10 requests so that drift hits all alike."""
    original = callbacks[index]
    client = app.test_client()
    seed = 0
    spent = dict.fromkeys(hooks, 0.0)
    count = dict.fromkeys(hooks, 0)
    deadline = time.monotonic() + len(hooks) * seconds
    while time.monotonic() < deadline:
        for name, hook in hooks.items():
            callbacks[index] = hook
            start = time.process_time()
            for _ in range(10):
                seed += 1
                reply = client.post("/bench-error", data=form(seed))
                if reply.status != 500:
                    raise SystemExit(f"unexpected status {reply.status}")
            spent[name] += time.process_time() - start
            count[name] += 10
    callbacks[index] = original
    return {name: spent[name] / count[name] for name in hooks}


def _tracked_app() -> tuple[Any, list[Any], int, list[int]]:
    """The runtime's app with tracking on, an in-memory transport and a raising JSON route."""
    from emmett import request
    from sentry_sdk.envelope import Envelope
    from sentry_sdk.transport import Transport

    from runtime.app import create_app

    sizes: list[int] = []

    class Sink(Transport):  # type: ignore[misc]
        """Does what sentry-sdk's HTTP transport does with an envelope (serialise, gzip at level 9,
        its default without brotli), short of the network: that work is part of what an error
        costs the runtime's process."""

        def capture_envelope(self, envelope: Envelope) -> None:
            body = io.BytesIO()
            with gzip.GzipFile(fileobj=body, mode="w", compresslevel=9) as compressed:
                envelope.serialize_into(compressed)
            captured = envelope.get_event()
            if captured is not None and len(sizes) < 5:
                sizes.append(len(json.dumps(captured)))

    app = create_app(env={"SENTRY_DSN": f"http://{'a' * 32}@127.0.0.1:9/1"}, transport=Sink)

    @app.route("/bench-error", methods=["post"], output="str")
    async def bench_error() -> str:
        order = await request.body_params
        lines = len(order)
        raise ValueError(f"could not price {lines} lines")

    callbacks = app.ext.Sentry._before_send_callbacks
    index = next(i for i, hook in enumerate(callbacks) if isinstance(hook, Scrubber))
    return app, callbacks, index, sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    config = load_config(CONFIG_PATH)
    new = Scrubber(config.scrubbing)
    old = OldScrubber(config.scrubbing.fields, config.scrubbing.name_contains)
    size = len(json.dumps(event()))

    app, callbacks, index, sizes = _tracked_app()

    def no_scrub(item: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        return item

    hooks = {"new": callbacks[index], "old": old, "none": no_scrub}
    rows: dict[str, list[float]] = {"new": [], "old": [], "req_new": [], "req_old": [], "req_none": []}
    for number in range(1, args.rounds + 1):
        rows["new"].append(events_per_second(new, args.seconds))
        rows["old"].append(events_per_second(old, args.seconds))
        costs = request_costs(app, callbacks, index, hooks, args.seconds)
        for name, cost in costs.items():
            rows[f"req_{name}"].append(cost)
        print(
            f"round {number}: scrubber {rows['new'][-1]:,.0f} ev/s, previous scrubber "
            f"{rows['old'][-1]:,.0f} ev/s; error request CPU ms: "
            + ", ".join(f"{name} {cost * 1000:.2f}" for name, cost in costs.items()),
            file=sys.stderr,
        )
    med = {name: statistics.median(values) for name, values in rows.items()}
    per_event_ms = 1000 / med["new"]
    # the ratio is taken within each round (same machine state), then the median of the rounds
    overhead = statistics.median(n / z for n, z in zip(rows["req_new"], rows["req_none"], strict=True)) - 1
    overhead_old = statistics.median(o / z for o, z in zip(rows["req_old"], rows["req_none"], strict=True)) - 1
    lines = [
        f"# {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} Python {platform.python_version()}, "
        f"{args.rounds} rounds x {args.seconds:g} s, medians of CPU time (2 cores shared)",
        f"synthetic event: {size / 1024:.1f} KB of JSON; event of an error request: "
        f"{(statistics.median(sizes) if sizes else 0) / 1024:.1f} KB",
        f"scrubber:          {med['new']:,.0f} events/s ({per_event_ms:.2f} ms per event)",
        f"previous scrubber: {med['old']:,.0f} events/s (names only; ratio new/old "
        f"{med['new'] / med['old']:.2f})",
        f"error request, in-process, no scrubber:       {med['req_none'] * 1000:.2f} ms CPU",
        f"error request, in-process, previous scrubber: {med['req_old'] * 1000:.2f} ms CPU "
        f"({overhead_old * 100:+.1f} %)",
        f"error request, in-process, scrubber:          {med['req_new'] * 1000:.2f} ms CPU "
        f"({overhead * 100:+.1f} %)",
        f"scrubbing overhead per error request: {overhead * 100:.1f} % (budget <= 10 %)",
    ]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
