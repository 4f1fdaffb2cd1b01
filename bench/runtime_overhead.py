"""Requests per second to ``/health`` with error tracking off and on (default settings).

Run from the repository root: ``.venv/bin/python bench/runtime_overhead.py [--seconds 5]
[--rounds 3]``. It starts the runtime under granian (one worker, 127.0.0.1) twice per round, once
with ``SENTRY_ENABLED=false`` and once with a valid DSN, alternating so that drift on a shared
machine hits both alike, and drives it with a small keep-alive load generator (``wrk`` is not
installed; the generator runs in separate processes so the GIL of the client does not cap the
server). A trivial route never sends anything, so the DSN points at a closed loopback port: what
is measured is the per-request cost of the instrumentation (isolation scope, request processor).
The target is an overhead of at most 10 %.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stack.local import serve_command  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _client(port: int, connections: int, until: float, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """One process: ``connections`` keep-alive connections round-robin, count 200s."""
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=5) for _ in range(connections)]
    done = errors = 0
    while time.monotonic() < until:
        for conn in conns:
            try:
                conn.request("GET", "/health")
                reply = conn.getresponse()
                reply.read()
                if reply.status == 200:
                    done += 1
                else:
                    errors += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
    out.put((done, errors))


def _start(env_extra: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env.update(env_extra)
    proc = subprocess.Popen(
        serve_command(port, quiet=True),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the runtime did not start; run the bench from the repository root")


def _measure(env_extra: dict[str, str], seconds: float, procs: int, conns: int) -> float:
    proc, port = _start(env_extra)
    try:
        # Warm-up: first requests pay for imports and lazy set-up in the worker.
        _run_load(port, 1.0, procs, conns)
        done, errors = _run_load(port, seconds, procs, conns)
        if errors:
            print(f"  ({errors} failed requests)", file=sys.stderr)
        return done / seconds
    finally:
        proc.terminate()
        proc.wait(10)


def _run_load(port: int, seconds: float, procs: int, conns: int) -> tuple[int, int]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    until = time.monotonic() + seconds
    workers = [ctx.Process(target=_client, args=(port, conns, until, out)) for _ in range(procs)]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=seconds + 30) for _ in workers]
    for worker in workers:
        worker.join()
    return sum(r[0] for r in results), sum(r[1] for r in results)


def main() -> int:
    """Measure, print req/s for each mode and the on/off ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4, help="per client process")
    args = parser.parse_args()
    if not (Path(sys.executable).parent / "granian").exists():
        print("granian is not installed in this venv; run `make venv` first", file=sys.stderr)
        return 2

    off_env = {"SENTRY_ENABLED": "false"}
    on_env = {"SENTRY_DSN": f"http://{'0' * 32}@127.0.0.1:{_free_port()}/1"}
    off: list[float] = []
    on: list[float] = []
    for round_no in range(1, args.rounds + 1):
        off.append(_measure(off_env, args.seconds, args.client_processes, args.connections))
        on.append(_measure(on_env, args.seconds, args.client_processes, args.connections))
        print(f"round {round_no}: off {off[-1]:,.0f} req/s, on {on[-1]:,.0f} req/s")
    off_med, on_med = statistics.median(off), statistics.median(on)
    ratio = on_med / off_med
    print(f"tracking off: {off_med:,.0f} req/s (median of {args.rounds})")
    print(f"tracking on:  {on_med:,.0f} req/s (median of {args.rounds})")
    print(f"ratio on/off: {ratio:.3f}  (overhead {100 * (1 - ratio):.1f} %, target <= 10 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
