"""Requests per second with error tracking off and on, on ``/health`` and on an erroring route.

Run from the repository root: ``.venv/bin/python bench/runtime_overhead.py [--seconds 4]
[--rounds 4] [--output FILE]``. For each route and round it starts the runtime under granian (one
worker, 127.0.0.1, ``stack.local.serve_command``) twice, once with ``SENTRY_ENABLED=false`` and once
with a DSN, in alternating order (off first in odd rounds, on first in even ones) so that drift on
a shared machine does not always favour the same mode. Each run gets one second of warm-up load,
then ``--seconds`` of measured load from a small keep-alive generator in separate processes (``wrk``
is not installed; separate processes so that the client's GIL does not cap the server).

The per-round overhead is ``1 - on/off`` of the two runs of that round; the report gives every
round's figure and their median, min and max, because the noise on a busy 2-core machine can be as
large as the overhead itself.

Every run is checked rather than trusted:

* the runtime's start-up log line says ``error tracking: ON`` (or ``OFF``), and ``/health`` reports
  the same state;
* the DSN points at a capturing endpoint in this process, which counts the events it receives: an
  "on" run of the erroring route must deliver events to it, an "off" run none;
* every response has the route's status (200 for ``/health``, 500 for ``/test-error``); any other
  status or a failed request fails the benchmark (exit 1).

``/health`` never sends anything, so there the cost is the instrumentation (isolation scope, request
processor). ``/test-error`` raises on every request: with tracking on, each request builds, scrubs
and queues an event that the SDK's background thread sends to the endpoint, so that figure is the
worst case of an app that fails on every request. The capturing endpoint runs on the same 2 cores
(as a Bugsink on the same machine would), which makes the "on" figure of the erroring route, if
anything, pessimistic.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import http.server
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchlib import Report, machine_line  # noqa: E402

from stack.local import serve_command  # noqa: E402

ROUTES = {"/health": 200, "/test-error": 500}


class BenchFailed(Exception):
    """A run did not do what it was meant to: wrong tracking state, statuses, or events."""


class _Capture(http.server.ThreadingHTTPServer):
    """The DSN's endpoint: answers every envelope with 200 and counts the events in them."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CaptureHandler)
        self.lock = threading.Lock()
        self.events = 0

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The runtime is stopped with its connection to us open: a reset then is expected.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def take(self) -> int:
        """Events received since the last call."""
        with self.lock:
            count, self.events = self.events, 0
        return count


class _CaptureHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects
    # The reply is written in two pieces (headers, body): without TCP_NODELAY the second waits for
    # the client's delayed ACK, about 40 ms, which would cap delivery near 20 events per second.
    disable_nagle_algorithm = True
    server: _Capture

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        encoding = (self.headers.get("content-encoding") or "").lower()
        try:
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
        except (OSError, zlib.error):
            body = b""
        # An envelope: a header line, then per item a header line and a payload line.
        events = 0
        for line in body.split(b"\n"):
            if line.startswith(b"{") and b'"type"' in line:
                try:
                    events += json.loads(line).get("type") == "event"
                except ValueError:
                    continue
        with self.server.lock:
            self.server.events += events
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _client(port: int, path: str, status: int, connections: int, until: float,
            out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """One process: ``connections`` keep-alive connections round-robin; count expected statuses."""
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=5) for _ in range(connections)]
    done = errors = 0
    while time.monotonic() < until:
        for conn in conns:
            try:
                conn.request("GET", path)
                reply = conn.getresponse()
                reply.read()
                if reply.status == status:
                    done += 1
                else:
                    errors += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
    out.put((done, errors))


def _run_load(port: int, path: str, seconds: float, procs: int, conns: int) -> tuple[int, int]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    until = time.monotonic() + seconds
    workers = [ctx.Process(target=_client, args=(port, path, ROUTES[path], conns, until, out))
               for _ in range(procs)]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=seconds + 30) for _ in workers]
    for worker in workers:
        worker.join()
    return sum(r[0] for r in results), sum(r[1] for r in results)


@dataclass(frozen=True)
class Measured:
    """One run: requests per second, the runtime's CPU time per request, events received."""

    rate: float
    cpu_per_request: float
    requests: int
    events: int


_TICK = os.sysconf("SC_CLK_TCK")


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its descendants (granian's worker).

    Read from /proc; a measure of the work the runtime does that other load on a shared machine
    barely changes, unlike wall-clock throughput.
    """
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / _TICK
    tree, todo = set(), [pid]
    while todo:
        current = todo.pop()
        tree.add(current)
        todo.extend(child for child, parent in parents.items() if parent == current and child not in tree)
    return sum(times.get(member, 0.0) for member in tree)


def _measure(mode: str, path: str, args: argparse.Namespace, capture: _Capture) -> Measured:
    """Start the runtime in ``mode`` ("on"/"off"), check that mode took effect, load ``path``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env["SENTRY_TEST_ROUTES"] = "on"
    if mode == "on":
        env["SENTRY_DSN"] = f"http://{'0' * 32}@127.0.0.1:{capture.port}/1"
    else:
        env["SENTRY_ENABLED"] = "false"
    port = _free_port()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(serve_command(port, quiet=True), cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            try:
                health = _wait_health(port, proc)
            except BenchFailed as exc:
                log.seek(0)
                tail = "\n".join(log.read().decode("utf-8", "replace").strip().splitlines()[-15:])
                raise BenchFailed(f"{mode} run: {exc}\n--- runtime log ---\n{tail}") from None
            if health.get("error_tracking") != mode:
                raise BenchFailed(f"{mode} run: /health says error_tracking={health.get('error_tracking')!r}")
            capture.take()
            _run_load(port, path, 1.0, args.client_processes, args.connections)  # warm-up
            time.sleep(0.2)  # let the warm-up's events land before counting
            capture.take()
            cpu_before = _tree_cpu(proc.pid)
            done, errors = _run_load(port, path, args.seconds, args.client_processes, args.connections)
            cpu = _tree_cpu(proc.pid) - cpu_before
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        events = capture.take()  # includes what the shutdown flush sent
        log.seek(0)
        first = log.read(64 * 1024).decode("utf-8", "replace")
    startup = next((line for line in first.splitlines() if "error tracking:" in line), "")
    if f"error tracking: {mode.upper()}" not in startup:
        raise BenchFailed(f"{mode} run: the start-up log does not say tracking is {mode}: {startup or first[:300]!r}")
    if errors:
        raise BenchFailed(f"{mode} run of {path}: {errors} request(s) failed or had a status other than "
                          f"{ROUTES[path]}")
    if mode == "off" and events:
        raise BenchFailed(f"off run of {path}: the endpoint received {events} event(s)")
    if mode == "on" and ROUTES[path] >= 500 and not events:
        raise BenchFailed(f"on run of {path}: no event reached the endpoint")
    return Measured(done / args.seconds, cpu / max(done, 1), done, events)


def _wait_health(port: int, proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    deadline = time.monotonic() + 60  # generous: a busy 2-core machine
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchFailed(f"the runtime exited with code {proc.returncode} before answering")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            reply = conn.getresponse()
            if reply.status == 200:
                return dict(json.loads(reply.read()))
        except (OSError, http.client.HTTPException, ValueError):
            time.sleep(0.05)
    raise BenchFailed("the runtime did not answer /health within 60 s")


def _pct(values: list[float]) -> str:
    """Median [min, max] of per-round fractions, as percentages."""
    return (f"{100 * statistics.median(values):+.1f} % [min {100 * min(values):+.1f} %, "
            f"max {100 * max(values):+.1f} %] over {len(values)} rounds")


def _machine() -> str:
    return machine_line()


def main() -> int:
    """Measure both routes in both modes, alternating; print per-round overheads and their spread."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4, help="per client process")
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    if args.rounds < 1 or args.seconds <= 0:
        parser.error("--rounds must be at least 1 and --seconds positive")
    if not (Path(sys.executable).parent / "granian").exists():
        print("granian is not installed in this venv; run `make venv` first", file=sys.stderr)
        return 2

    say = Report(args.output)

    capture = _Capture()
    threading.Thread(target=capture.serve_forever, daemon=True).start()
    try:
        say(_machine())
        say(f"granian 1 worker; load: {args.client_processes} client processes x {args.connections} keep-alive "
            f"connections; per run 1 s warm-up + {args.seconds:g} s measured; {args.rounds} rounds, order "
            "alternating (odd rounds off->on, even rounds on->off)")
        say("throughput overhead = 1 - on/off req/s of the same round (negative: on was faster, i.e. noise);")
        say("CPU per request = the runtime's user+system CPU time (granian and its worker) over the measured")
        say("requests, which other load on the machine changes far less than it changes wall-clock req/s")
        for path in ROUTES:
            say()
            say(f"{path} (expects {ROUTES[path]})")
            overheads, cpu_overheads = [], []
            for round_no in range(1, args.rounds + 1):
                order = ("off", "on") if round_no % 2 else ("on", "off")
                result = {mode: _measure(mode, path, args, capture) for mode in order}
                off, on = result["off"], result["on"]
                overheads.append(1 - on.rate / off.rate)
                cpu_overheads.append(on.cpu_per_request / off.cpu_per_request - 1)
                sent = f"; {on.events:,} events received for {on.requests:,} requests" if ROUTES[path] >= 500 else ""
                say(f"  round {round_no} ({order[0]} first): req/s off {off.rate:,.0f}, on {on.rate:,.0f} "
                    f"(overhead {100 * overheads[-1]:+.1f} %); CPU per request off "
                    f"{1e6 * off.cpu_per_request:,.0f} us, on {1e6 * on.cpu_per_request:,.0f} us "
                    f"({100 * cpu_overheads[-1]:+.1f} %){sent}")
            say(f"  throughput overhead median {_pct(overheads)}")
            say(f"  CPU per request, on vs off: median {_pct(cpu_overheads)}")
    except BenchFailed as exc:
        say(f"benchmark failed: {exc}")
        return 1
    finally:
        capture.shutdown()
        say.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
