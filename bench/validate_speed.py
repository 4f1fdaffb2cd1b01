#!/usr/bin/env python3
"""specledger vs the reference CLI (OpenSpec 1.13.2) on the same large repository, in one run.

    python bench/validate_speed.py [--rounds 5] [--sizes 500,2000,5000 | --changes 500 --specs 200]
                                   [--output FILE]

Generates the repository with shared/bench/gen_large.py (``$SPECLEDGER_SHARED``, which `make`
exports, or ../shared beside the repository), installs the reference CLI with ``npm ci`` from the
lock in bench/reference/ into bench/.reference/ when it is missing, then measures each command:

* one warm-up run of each tool (page cache, node's compile cache, Python's bytecode), untimed;
* ``--rounds`` rounds, each running both tools back to back, the reference first in odd rounds and
  specledger first in even ones, so that drift on a shared machine hits both alike;
* per round the ratio reference / specledger (above 1: specledger is faster) of the wall times and
  of the CPU times (user + system, from wait4, which other load on a shared machine distorts less);
  each reported as the median with its min and max, next to the median wall times and peak RSS.

Every run is checked, warm-up included: the exit code must be 0 (1 for validate when the JSON says
an item failed, and only then), stdout must be the command's JSON, stderr must be empty, and the
answer must be the same in every round. A run that fails a check stops the benchmark with exit 1
and its stderr, instead of being timed as a success.

The two tools' answers are compared too, since speed without agreement means nothing: validate's
verdict per item, list's task counts per change and requirement counts per spec. Differences that
come only from specledger's cross-change overlap warning (a deliberate addition, which fails an item
under --strict) are counted apart; any other difference makes the exit code 1.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchlib import Report, machine_line, repo_arguments

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SPECLEDGER_SHARED") or REPO.parent / "shared")
REFERENCE_LOCK_DIR = REPO / "bench" / "reference"
REFERENCE_DIR = REPO / "bench" / ".reference"
REFERENCE_VERSION = "1.13.2"
# Only this finding of specledger's may explain a verdict the reference does not share.
DELIBERATE = {"change-overlap"}


class RunFailed(Exception):
    """A run crashed, exited with an unexpected code, printed on stderr or answered differently."""


@dataclass(frozen=True)
class Run:
    """One timed run: wall and CPU time, peak RSS, and its answer reduced to what the tools must agree on."""

    seconds: float
    cpu: float
    rss_kib: int
    answer: dict[str, Any]


def validate_answer(data: Any, code: int) -> dict[str, Any]:
    """item -> (valid, codes of its ERROR/WARNING findings); the exit code must match the items."""
    items = data["items"]
    answer = {
        f"{item['type']}:{item['id']}": (
            bool(item["valid"]),
            tuple(sorted({issue.get("code", "") for issue in item["issues"] if issue["level"] != "INFO"})),
        )
        for item in items
    }
    failed = sum(not valid for valid, _ in answer.values())
    if code != (1 if failed else 0):
        raise RunFailed(f"exit code {code} with {failed} failed item(s) in the JSON")
    return answer


def list_answer(data: Any, code: int) -> dict[str, Any]:
    """change -> (completedTasks, totalTasks), or spec -> requirementCount; exit code 0."""
    if code != 0:
        raise RunFailed(f"exit code {code}")
    if "changes" in data:
        return {f"change:{c['name']}": (c["completedTasks"], c["totalTasks"]) for c in data["changes"]}
    return {f"spec:{s['id']}": s["requirementCount"] for s in data["specs"]}


def run_once(argv: list[str], cwd: Path, env: dict[str, str], reduce: Callable[[Any, int], dict[str, Any]]) -> Run:
    """Time one run and check it; raise RunFailed (with its stderr) when anything is off."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: tell Popen
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    what = " ".join(Path(argv[0]).name if i == 0 else a for i, a in enumerate(argv))
    try:
        if proc.returncode < 0:
            raise RunFailed(f"killed by signal {-proc.returncode}")
        if stderr.strip():
            raise RunFailed("wrote on stderr")
        try:
            data = json.loads(stdout) if reduce is not version_answer else stdout.strip()
        except ValueError:
            raise RunFailed(f"exit code {proc.returncode}, stdout is not JSON") from None
        if not data:
            raise RunFailed(f"exit code {proc.returncode}, nothing on stdout")
        answer = reduce(data, proc.returncode)
    except (RunFailed, KeyError, TypeError) as exc:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        message = str(exc) if isinstance(exc, RunFailed) else f"unexpected JSON ({exc!r})"
        raise RunFailed(f"{what}: {message}" + (f"\n--- stderr ---\n{tail}" if tail else "")) from None
    return Run(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, answer)


def compare(ref: dict[str, Any], ours: dict[str, Any], validate: bool) -> tuple[int, int, int]:
    """(items compared, differences, of which explained by the deliberate overlap warning)."""
    keys = ref.keys() | ours.keys()
    # validate: the verdict (valid or not) per item; list: the counts themselves.
    def same(key: str) -> bool:
        return key in ref and key in ours and (ref[key][0] == ours[key][0] if validate else ref[key] == ours[key])

    differ = [key for key in sorted(keys) if not same(key)]
    explained = 0
    if validate:
        for key in differ:
            if key in ref and key in ours and ref[key][0] and not ours[key][0]:
                extra = set(ours[key][1]) - set(ref[key][1])
                if extra and extra <= DELIBERATE:
                    explained += 1
    return len(keys), len(differ), explained


def reference_bin() -> Path:
    """The reference CLI, installed from bench/reference/package-lock.json when missing."""
    binary = REFERENCE_DIR / "node_modules" / ".bin" / "openspec"
    lock = REFERENCE_LOCK_DIR / "package-lock.json"
    stamp = REFERENCE_DIR / "package-lock.json"
    if not binary.exists() or not stamp.exists() or stamp.read_bytes() != lock.read_bytes():
        print(f"installing @fission-ai/openspec@{REFERENCE_VERSION} into {REFERENCE_DIR} (npm ci) ...",
              file=sys.stderr)
        REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(REFERENCE_LOCK_DIR / name, REFERENCE_DIR / name)
        subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund", "--prefix", str(REFERENCE_DIR)],
                       check=True, stdout=subprocess.DEVNULL)
    return binary


def machine() -> str:
    """Date, cores and CPU model: the context every figure needs."""
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{machine_line()}, node {node}, reference @fission-ai/openspec {REFERENCE_VERSION}"


def spread(values: list[float]) -> str:
    """Median [min-max] of per-round ratios."""
    return f"{statistics.median(values):.2f}x [{min(values):.2f}-{max(values):.2f}]"


@dataclass(frozen=True)
class Command:
    """One row of the table: the reference's arguments, and ours per variant (cold, warm)."""

    label: str
    ref: list[str]
    ours: dict[str, list[str]]
    validate: bool
    sizes: str = "all"  # "all", or "first": only at the first (smallest) size


COMMANDS_BY_SIZE = [
    Command("validate --all --strict --json", ["validate", "--all", "--strict", "--json"],
            {"cold": ["validate", "--all", "--strict", "--json", "--no-cache"],
             "warm": ["validate", "--all", "--strict", "--json"]}, True),
    Command("validate --all --json", ["validate", "--all", "--json"],
            {"cold": ["validate", "--all", "--json", "--no-cache"], "warm": ["validate", "--all", "--json"]},
            True, "first"),
    Command("validate --specs --strict --json", ["validate", "--specs", "--strict", "--json"],
            {"cold": ["validate", "--specs", "--strict", "--json", "--no-cache"]}, True, "first"),
    Command("validate change-0000 --strict --json", ["validate", "change-0000", "--strict", "--json"],
            {"cold": ["validate", "change-0000", "--strict", "--json"]}, True),
    Command("list --json", ["list", "--json"], {"cold": ["list", "--json"]}, False),
    Command("list --specs --json", ["list", "--specs", "--json"], {"cold": ["list", "--specs", "--json"]}, False,
            "first"),
    Command("--version", ["--version"], {"cold": ["--version"]}, False, "first"),
]


def version_answer(_data: Any, code: int) -> dict[str, Any]:
    if code != 0:
        raise RunFailed(f"exit code {code}")
    return {}


def compile_bytecode(ours: Path) -> None:
    """Byte-compile the installed package, as ``pip install`` does: a development install run with
    PYTHONDONTWRITEBYTECODE set would otherwise compile every module on every run and be timed so."""
    package = subprocess.run([str(ours.parent / "python"), "-c", "import specledger, os; "
                              "print(os.path.dirname(specledger.__file__))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([str(ours.parent / "python"), "-m", "compileall", "-q", package], check=True,
                   stdout=subprocess.DEVNULL)


def measure(command: Command, root: Path, env: dict[str, str], ref: Path, ours: Path, rounds: int,
            say: Report) -> int:
    """Time one row at one size; returns the number of unexplained differences between the tools."""
    reduce: Callable[[Any, int], dict[str, Any]] = (
        version_answer if command.ref == ["--version"] else validate_answer if command.validate else list_answer)
    tools = {"ref": [str(ref), *command.ref]} | {name: [str(ours), *argv] for name, argv in command.ours.items()}
    warm = {name: run_once(argv, root, env, reduce) for name, argv in tools.items()}
    runs: dict[str, list[Run]] = {name: [] for name in tools}
    ratios: dict[str, list[float]] = {name: [] for name in command.ours}
    cpu_ratios: dict[str, list[float]] = {name: [] for name in command.ours}
    for round_no in range(1, rounds + 1):
        order = list(tools) if round_no % 2 else list(reversed(tools))
        for name in order:
            run = run_once(tools[name], root, env, reduce)
            if run.answer != warm[name].answer:
                raise RunFailed(f"{command.label}: {name} answered differently in round {round_no}")
            runs[name].append(run)
        for name in command.ours:
            ratios[name].append(runs["ref"][-1].seconds / runs[name][-1].seconds)
            cpu_ratios[name].append(runs["ref"][-1].cpu / runs[name][-1].cpu)
    med = {name: statistics.median(r.seconds for r in rs) for name, rs in runs.items()}
    rss = {name: max(r.rss_kib for r in rs) / 1024 for name, rs in runs.items()}
    for name in command.ours:
        label = command.label + (f" ({name})" if len(command.ours) > 1 else "")
        say(f"{label:<45} {med['ref']:>8.2f}s {med[name]:>9.2f}s  {spread(ratios[name]):<20} "
            f"{spread(cpu_ratios[name]):<20} {rss['ref']:>7.0f} / {rss[name]:<7.0f}")
        say("    wall ratio per round: " + ", ".join(f"{r:.2f}" for r in ratios[name])
            + "; CPU: " + ", ".join(f"{r:.2f}" for r in cpu_ratios[name]))
    if reduce is version_answer:
        return 0
    unexplained = 0
    for name in command.ours:
        total, differ, explained = compare(warm["ref"].answer, warm[name].answer, command.validate)
        unexplained += differ - explained
        what = "verdicts" if command.validate else "counts"
        say(f"    {name}: {what} differ on {differ} of {total} items" +
            (f" ({explained} only through specledger's cross-change overlap warning)" if explained else ""))
    return unexplained


def main() -> int:
    """Generate the repositories, measure every command interleaved, print and record the tables."""
    ap = repo_arguments(__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=None,
                    help="comma-separated numbers of changes (specs: 0.4 per change, as the generator's "
                    "default ratio), e.g. 500,2000,5000; default: --changes and --specs")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    try:
        sizes = ([(int(n), int(n) * 2 // 5) for n in args.sizes.split(",")] if args.sizes
                 else [(args.changes, args.specs)])
    except ValueError:
        ap.error("--sizes takes comma-separated whole numbers, e.g. 500,2000,5000")
    generator = SHARED / "bench" / "gen_large.py"
    if not generator.is_file():
        print(f"missing {generator}: set SPECLEDGER_SHARED (make passes SHARED) or put shared/ beside the "
              "repository", file=sys.stderr)
        return 2
    if shutil.which("npm") is None or shutil.which("node") is None:
        print("node and npm are needed to install and run the reference CLI", file=sys.stderr)
        return 2
    ours = Path(sys.executable).parent / "spec"
    ref = reference_bin()
    compile_bytecode(ours)
    env = dict(os.environ, OPENSPEC_TELEMETRY="0", DO_NOT_TRACK="1", NO_COLOR="1", CI="1")
    env.pop("SPECLEDGER_NO_CACHE", None)
    env.pop("SPECLEDGER_JOBS", None)
    say = Report(args.output)

    unexplained = 0
    try:
        say(machine())
        say(f"1 warm-up + {args.rounds} interleaved rounds per command (the reference, specledger cold, "
            "specledger warm, in turn; reversed every other round)")
        say("cold: --no-cache (every item checked); warm: the cache left by the warm-up run (same files)")
        say("ratio = reference / specledger per round, of wall time and of CPU time (user+system):")
        say("median [min-max] over the rounds; times are medians")
        for index, (changes, specs) in enumerate(sizes):
            with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
                root = Path(tmp) / "large"
                subprocess.run([sys.executable, str(generator), str(root), "--changes", str(changes),
                                "--specs", str(specs)], check=True, stdout=subprocess.DEVNULL)
                files = sum(len(f) for _, _, f in os.walk(root))
                size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
                say()
                say(f"## {changes} changes, {specs} specs ({files} files, {size / 1e6:.1f} MB)")
                say(f"{'command':<45} {'reference':>9} {'specledger':>10}  {'wall ratio':<20} {'CPU ratio':<20} "
                    f"{'RSS MiB ref/ours':>16}")
                for command in COMMANDS_BY_SIZE:
                    if command.sizes == "first" and index:
                        continue
                    unexplained += measure(command, root, env, ref, ours, args.rounds, say)
        if unexplained:
            say(f"benchmark failed: {unexplained} difference(s) between the tools are not explained by the "
                "overlap warning")
            return 1
    except RunFailed as exc:
        say(f"benchmark failed: {exc}")
        return 1
    finally:
        say.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
