"""Cost of scrubbing a 50 KB error event, against baselines measured in the same run.

Run from the repository root: ``.venv/bin/python bench/scrub_speed.py [--seconds 2] [--rounds 5]
[--output FILE]`` (default output: bench/results/scrub_speed.txt).

Two measurements, alternated over ``--rounds`` rounds (medians reported, with the lowest and the
highest round):

1. **Scrubber throughput**: events per second (CPU time) through ``runtime.scrubbing.Scrubber``
   for an event of 50 KB of JSON (request with a JSON body, 12 frames with locals, 30 breadcrumbs,
   contexts, modules). The body lies in ``request.data`` and ``contexts.body_params`` as two
   separate objects, so the scrubber walks all 50 KB (the runtime shares one object, which it walks
   once). The body and messages differ from one event to the next, frames and headers repeat, as
   they do for one application's errors. The previous scrubber (the fixed-list, name-only walker
   this repository shipped before, copied below) runs on the same events, as a reference.
2. **Share of an error request**: the runtime's own app in-process (``create_app`` with tracking
   on and a transport that serialises and gzips each envelope as the HTTP transport does, short
   of the network) answering a POST whose form makes the handler raise, so sentry-sdk builds an
   event of 36 KB (emmett-sentry puts the form in ``contexts.body_params``, the runtime shows
   it as ``request.data`` too). The form is what forms hold: notes, e-mail addresses, dates,
   times, quantities, phone numbers, links, remarks with a colon, and a password; most values
   change from one request to the next. CPU time per request with the scrubber in the hook chain,
   with the previous scrubber, and with a no-op in its place, in blocks of 10 requests that
   alternate (the first hook of each cycle rotates), since the machine is shared and wall-clock
   rates drift. The request includes what Emmett does with every unhandled error: it formats the
   traceback into its log (written to /dev/null here, to stderr in production). The overhead is
   the ratio within each round, then the median. The runtime's budget for error tracking is 10 %,
   and the last line says whether the median is within it.

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
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchlib import Report, machine_line  # noqa: E402

from runtime.scrubbing import MASK, Scrubber  # noqa: E402
from runtime.settings import CONFIG_PATH, load_config  # noqa: E402

RESULT = ROOT / "bench" / "results" / "scrub_speed.txt"
BUDGET = 0.10  # the runtime's request-overhead budget for error tracking


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


def body(seed: int = 0, items: int = 83) -> dict[str, Any]:
    """A JSON request body of ordinary data with a few secrets, 18 KB for 83 items; ``seed``
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


def form(seed: int, fields: int = 360) -> dict[str, str]:
    """A form of ordinary fields of eight kinds (and one password), 15 KB of JSON, which the event
    holds twice: an event of 36 KB, as big as with the 200 long notes this benchmark used before.
    ``seed`` makes most values new in every request. Half the kinds hold what makes the scrubber
    look closer (a colon, an "=", a long run of digits)."""
    kinds: list[Callable[[int], str]] = [
        lambda i: f"deliver item {i} after 5pm to the back door, order {seed}",
        lambda i: f"customer{seed}.{i}@example.com",
        lambda i: f"2026-11-{1 + i % 28:02d}",
        lambda i: f"{9 + i % 12}:{(seed + i) % 60:02d}",
        lambda i: str((seed * 7 + i) % 100),
        lambda i: f"+49 30 {seed % 10000:04d}{i % 1000:03d}",
        lambda i: f"https://shop.example/item/{i}?ref=mail&order={seed}",
        lambda i: f"note from customer {seed}: please ring twice, item {i}",
    ]
    data = {f"field_{i}": kinds[i % len(kinds)](i) for i in range(fields)}
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
    chain, measured in alternating blocks of 10 requests so that drift hits all alike; the hook
    that goes first in a cycle rotates."""
    original = callbacks[index]
    client = app.test_client()
    seed = 0
    spent = dict.fromkeys(hooks, 0.0)
    count = dict.fromkeys(hooks, 0)
    order = list(hooks)
    deadline = time.monotonic() + len(hooks) * seconds
    while time.monotonic() < deadline:
        for name in order:
            callbacks[index] = hooks[name]
            start = time.process_time()
            for _ in range(10):
                seed += 1
                reply = client.post("/bench-error", data=form(seed))
                if reply.status != 500:
                    raise SystemExit(f"unexpected status {reply.status}")
            spent[name] += time.process_time() - start
            count[name] += 10
        order = order[1:] + order[:1]
    callbacks[index] = original
    return {name: spent[name] / count[name] for name in hooks}


def _tracked_app() -> tuple[Any, list[Any], int, list[Any]]:
    """The runtime's app with tracking on, an in-memory transport and a raising JSON route."""
    from emmett import request
    from sentry_sdk.envelope import Envelope
    from sentry_sdk.transport import Transport

    from runtime.app import create_app

    first: list[Any] = []  # the first event sent (sentry-sdk's Event), for the check before timing

    class Sink(Transport):  # type: ignore[misc]
        """Does what sentry-sdk's HTTP transport does with an envelope (serialise, gzip at level 9,
        its default without brotli), short of the network: that work is part of what an error
        costs the runtime's process."""

        def capture_envelope(self, envelope: Envelope) -> None:
            body = io.BytesIO()
            with gzip.GzipFile(fileobj=body, mode="w", compresslevel=9) as compressed:
                envelope.serialize_into(compressed)
            if not first:
                captured = envelope.get_event()
                if captured is not None:
                    first.append(captured)

    app = create_app(env={"SENTRY_DSN": f"http://{'a' * 32}@127.0.0.1:9/1"}, transport=Sink)

    # Emmett formats every unhandled error's traceback into its log: part of the request's cost,
    # but thousands of them on the terminal would drown the report.
    devnull = open(os.devnull, "w")  # noqa: SIM115 (open for the life of the process)
    for handler in app.log.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(devnull)

    @app.route("/bench-error", methods=["post"], output="str")
    async def bench_error() -> str:
        order = await request.body_params
        lines = len(order)
        raise ValueError(f"could not price {lines} lines")

    callbacks = app.ext.Sentry._before_send_callbacks
    index = next(i for i, hook in enumerate(callbacks) if isinstance(hook, Scrubber))
    return app, callbacks, index, first


def _checked_event_size(app: Any, first: list[Any]) -> int:
    """Send one failing request through the runtime's own hook chain, before any timing: its event
    must arrive with the form's password masked (timing a scrubber that does not scrub would mean
    nothing). Returns the size of the event's JSON."""
    reply = app.test_client().post("/bench-error", data=form(0))
    sent = json.dumps(first[0]) if first else ""
    if reply.status != 500 or "hunter2" in sent or MASK not in sent:
        raise SystemExit("the failing request's event did not arrive scrubbed: nothing to measure")
    return len(sent)


def _spread(values: list[float], scale: float = 1.0, digits: int = 0) -> str:
    """``median (lowest to highest)`` of ``values`` times ``scale``."""
    low, mid, high = (f"{v * scale:,.{digits}f}" for v in (min(values), statistics.median(values), max(values)))
    return f"{mid} ({low} to {high})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULT, help="report file (default: bench/results/)")
    args = parser.parse_args()

    config = load_config(CONFIG_PATH)
    new = Scrubber(config.scrubbing)
    old = OldScrubber(config.scrubbing.fields, config.scrubbing.name_contains)
    size = len(json.dumps(event()))

    app, callbacks, index, first = _tracked_app()
    request_event_size = _checked_event_size(app, first)

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
    # each ratio is taken within its round (same machine state); the figure is their median
    overhead = [n / z - 1 for n, z in zip(rows["req_new"], rows["req_none"], strict=True)]
    overhead_old = [o / z - 1 for o, z in zip(rows["req_old"], rows["req_none"], strict=True)]
    per_event = [1000 / rate for rate in rows["new"]]
    verdict = "met" if statistics.median(overhead) <= BUDGET else "NOT met"
    say = Report(args.output)
    say(f"{machine_line()}; {args.rounds} rounds x {args.seconds:g} s; CPU time; "
        "median (lowest to highest round)")
    say(f"synthetic event: {size / 1024:.1f} KB of JSON; event of an error request: "
        f"{request_event_size / 1024:.1f} KB")
    say(f"scrubber:          {_spread(rows['new'])} events/s, {_spread(per_event, digits=2)} ms per event")
    say(f"previous scrubber: {_spread(rows['old'])} events/s (names only)")
    say(f"error request, in-process, no scrubber:       {_spread(rows['req_none'], 1000, 2)} ms")
    say(f"error request, in-process, previous scrubber: {_spread(rows['req_old'], 1000, 2)} ms, "
        f"overhead {_spread(overhead_old, 100, 1)} %")
    say(f"error request, in-process, scrubber:          {_spread(rows['req_new'], 1000, 2)} ms, "
        f"overhead {_spread(overhead, 100, 1)} %")
    say(f"scrubbing overhead per error request: {statistics.median(overhead) * 100:.1f} % "
        f"(budget <= {BUDGET * 100:.0f} %: {verdict})")
    say.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
