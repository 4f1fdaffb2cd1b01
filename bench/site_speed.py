#!/usr/bin/env python3
"""`spec docs build` against our own `spec validate --all` on the generated large repository.

    python bench/site_speed.py [--rounds 5] [--changes 500] [--specs 200] [--output FILE]

The site is built from the validator's reading plus an archive plan and a redline per open
change, so `validate --all` on the same tree is its natural floor; the target is a build in at
most twice that time. Both commands run as real processes, interleaved round by round after a
warm-up, each build into a fresh folder (a full build, every page written). Every run's exit
code is checked, and each build is checked to have written every page.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import repo_arguments

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SPECLEDGER_SHARED", REPO.parent / "shared"))
SPEC = REPO / ".venv" / "bin" / "spec"


class RunFailed(Exception):
    pass


def timed(argv: list[str], cwd: Path, ok: tuple[int, ...]) -> tuple[float, float, int, str, str]:
    """Wall time, CPU time, peak RSS (KiB), stdout and stderr of one run; raises unless the exit code is in ``ok``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                env={**os.environ, "NO_COLOR": "1"})
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    if proc.returncode not in ok:
        raise RunFailed(f"{' '.join(argv[1:])}: exit code {proc.returncode}\n{stderr[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, stdout, stderr


PHASES_SCRIPT = r"""
import json, sys, time
from pathlib import Path
import specledger.archive.plan as plan_module
import specledger.rules.spec as spec_rules
import specledger.site.collect as collect_module
import specledger.site.pages as pages_module
import specledger.validate as validate_module
from specledger.site.output import write_site
from specledger.workspace import find_workspace

spent = {}

def timed(owner, name, key):
    inner = getattr(owner, name)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[key] = spent.get(key, 0.0) + time.perf_counter() - start
    setattr(owner, name, wrapper)

timed(validate_module.Validator, "bulk", "validate (Validator.bulk)")
timed(collect_module, "build_plan", "archive plans (build_plan)")
timed(spec_rules, "check_spec_text", "  of which: re-checking merged specs")
timed(collect_module, "redline", "redlines")
timed(collect_module, "change_texts", "reading proposal/design/tasks")
for name in ("markdown_html", "markdown_sections", "render_tokens"):
    timed(pages_module, name, "  of which: markdown")
workspace = find_workspace()
start = time.perf_counter()
data = collect_module.collect(workspace)
spent["collect (all of the above)"] = time.perf_counter() - start
start = time.perf_counter()
files = pages_module.render_pages(data)
spent["render pages"] = time.perf_counter() - start
start = time.perf_counter()
write_site(workspace, files, Path(sys.argv[1]))
spent["write pages"] = time.perf_counter() - start
print(json.dumps(spent))
"""


PHASE_ORDER = ("validate (Validator.bulk)", "archive plans (build_plan)", "  of which: re-checking merged specs",
               "redlines", "reading proposal/design/tasks", "collect (all of the above)", "render pages",
               "  of which: markdown", "write pages")


def phases(repo: Path) -> dict[str, float]:
    """Where one in-process build spends its time (the functions themselves, timed by wrapping)."""
    out = repo / "site-phases"
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-c", PHASES_SCRIPT, str(out)], cwd=repo,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RunFailed(f"the in-process build failed:\n{proc.stderr[-2000:]}")
    shutil.rmtree(out)
    result: dict[str, float] = json.loads(proc.stdout)
    return result


def main() -> int:
    ap = repo_arguments(__doc__.splitlines()[0])
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    generator = SHARED / "bench" / "gen_large.py"
    if not generator.is_file():
        print(f"missing {generator}: set SPECLEDGER_SHARED or put shared/ beside the repository", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="site-bench-") as tmp:
        repo = Path(tmp) / "repo"
        subprocess.run([sys.executable, str(generator), str(repo), "--changes", str(args.changes),
                        "--specs", str(args.specs)], check=True, stdout=subprocess.DEVNULL)
        expected_pages = args.changes + args.specs + 2  # + index, changelog (nothing archived)
        validate_cmd = [str(SPEC), "validate", "--all"]
        times: dict[str, list[float]] = {"validate": [], "build": []}
        rss: dict[str, list[int]] = {"validate": [], "build": []}
        ratios: list[float] = []
        cpu: dict[str, list[float]] = {"validate": [], "build": []}
        cpu_ratios: list[float] = []
        try:
            for round_no in range(args.rounds + 1):  # round 0 warms caches and is not counted
                out = repo / f"site-{round_no}"
                v_time, v_cpu, v_rss, _, _ = timed(validate_cmd, repo, (0, 1))
                build_cmd = [str(SPEC), "docs", "build", "--out", str(out)]
                b_time, b_cpu, b_rss, stdout, stderr = timed(build_cmd, repo, (0,))
                pages = sum(1 for _ in out.rglob("*.html"))
                if pages != expected_pages or f"{pages + 1} written" not in stderr or not stdout.strip():
                    raise RunFailed(f"build wrote {pages} pages, expected {expected_pages}: {stderr.strip()}")
                shutil.rmtree(out)
                if round_no == 0:
                    continue
                times["validate"].append(v_time)
                times["build"].append(b_time)
                rss["validate"].append(v_rss)
                rss["build"].append(b_rss)
                ratios.append(b_time / v_time)
                cpu["validate"].append(v_cpu)
                cpu["build"].append(b_cpu)
                cpu_ratios.append(b_cpu / v_cpu)
            split = phases(repo)
        except RunFailed as err:
            print(f"bench failed: {err}", file=sys.stderr)
            return 1
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    median_ratio = statistics.median(ratios)
    lines = [
        f"# {now}, nproc {os.cpu_count()}, {model}, Python {platform.python_version()}",
        f"repository: {args.changes} changes, {args.specs} specs (gen_large.py); 1 warm-up + {args.rounds} "
        "interleaved rounds; each build into a fresh folder",
        "",
        f"spec validate --all      median {statistics.median(times['validate']):.2f}s  "
        f"peak RSS {max(rss['validate']) // 1024} MiB",
        f"spec docs build          median {statistics.median(times['build']):.2f}s  "
        f"peak RSS {max(rss['build']) // 1024} MiB  ({expected_pages} pages + stylesheet)",
        f"ratio build / validate   median {median_ratio:.2f}x [{min(ratios):.2f}-{max(ratios):.2f}]  "
        f"per round: {', '.join(f'{r:.2f}' for r in ratios)}",
        f"CPU time (user+sys)      validate {statistics.median(cpu['validate']):.2f}s, build "
        f"{statistics.median(cpu['build']):.2f}s, ratio median {statistics.median(cpu_ratios):.2f}x "
        f"[{min(cpu_ratios):.2f}-{max(cpu_ratios):.2f}] (steadier than wall time on a busy machine)",
        f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        f"target: wall-time ratio at most 2.00x -> {'met' if median_ratio <= 2.0 else 'NOT met'}",
        "",
        "where one in-process build spends its time (one extra run):",
        *(f"  {name:<40} {split.get(name, 0.0):6.2f}s" for name in PHASE_ORDER),
    ]
    report = "\n".join(lines) + "\n"
    print(report, end="")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
