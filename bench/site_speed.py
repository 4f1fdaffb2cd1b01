#!/usr/bin/env python3
"""`spec docs build` against our own `spec validate --all` on the generated large repository.

    python bench/site_speed.py [--rounds 5] [--changes 500] [--specs 200] [--output FILE]

The site is built from the validator's reading plus an archive plan and a redline per open
change, so `validate --all` on the same tree is its natural floor; the target is a build in at
most twice that time. Both commands run as real processes, interleaved round by round (the build
first in every other round) after an untimed warm-up of each. Every run's exit code is checked,
and each build is checked to have written every page.

What is compared: a cold build against a cold validation. `spec docs build` keeps no cache: it
validates every item and renders and writes every page, each time into a fresh folder (a first
build, not a rebuild that skips unchanged pages). `spec validate --all` runs with `--no-cache`
when it has that option, so that it too checks every item rather than reading the results of
the previous round. Neither run may inherit ``SPECLEDGER_JOBS`` or ``SPECLEDGER_NO_CACHE``. The
target is judged on that comparison, the stricter one. For reference, each round also times the
command as typed on a fresh clone, `spec validate --all` with its cache folder removed first: it
too validates every item, and also hashes every file and writes its cache.

The builds' folders are all removed at the end, not between rounds: ext4 does not reuse an inode
freed in the last half minute and walks past each one when it allocates the next, so deleting
the previous build's 700 files just before the next build made that build's file creation
several times slower (`recently_deleted` in the kernel profile), a cost a user's build does not
pay and the validation never does. For the same reason a run started within half a minute of
the previous one (which deletes its repository and builds when it ends), or of anything else
deleting many files in the same file system, pays it on every page: the build's system time
shows it.

Last, one more build runs in process with a single worker (``SPECLEDGER_JOBS=1``), its phases
timed by wrapping the functions that do them: where the CPU time goes. The validation's time
includes the site's own steps taken while it runs (a parallel build takes them between the
workers' results). "write pages" is mostly the kernel's time to create the files: ext4 without a
journal passes over every inode of the folder's block group freed in the last 30 seconds on each
creation, so it depends on what the machine deleted just before, more than on specledger.
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
from pathlib import Path

from benchlib import GENERATOR, Report, machine_line, missing_generator, repo_arguments

CACHE_DIRNAME = ".specledger_cache"  # specledger.cache.CACHE_DIRNAME (the bench runs any specledger)

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / ".venv" / "bin" / "spec"
TARGET = 2.0


class RunFailed(Exception):
    pass


def timed(argv: list[str], cwd: Path, ok: tuple[int, ...],
          env: dict[str, str]) -> tuple[float, float, float, int, str, str]:
    """Wall time, CPU time, its system part, peak RSS (KiB), stdout and stderr of one run; raises unless
    the exit code is in ``ok``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    if proc.returncode not in ok:
        raise RunFailed(f"{' '.join(argv[1:])}: exit code {proc.returncode}\n{stderr[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_stime, usage.ru_maxrss, stdout, stderr


PHASES_SCRIPT = r"""
import json, os, sys, time
from pathlib import Path
import specledger.archive.plan as plan_module
import specledger.site.collect as collect_module
import specledger.site.markup as markup_module
import specledger.site.output as output_module
import specledger.site.render as render_module
import specledger.validate as validate_module
from specledger.workspace import find_workspace

spent = {}

def timed(owner, name, key):
    inner = getattr(owner, name)
    def wrapper(*args, **kwargs):
        start = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[key] = spent.get(key, 0.0) + time.process_time() - start
    setattr(owner, name, wrapper)

timed(collect_module, "collect", "collect (validate, plan, change pages)")
timed(validate_module.Validator, "change", "  validate changes")
timed(validate_module.Validator, "spec", "  validate specs")
timed(plan_module, "build_plan", "  archive plans")
timed(render_module.ChangePageMaker, "__call__", "  change pages (all of the below)")
timed(collect_module, "change_texts", "    proposal, design and tasks read")
timed(collect_module, "redline", "    redlines")
timed(collect_module._Meanwhile, "__call__", "  specs and history for the other pages")
timed(collect_module._Meanwhile, "rest", "  specs and history for the other pages")
timed(render_module, "_render_all", "other pages, and writing all")
timed(render_module, "spec_context", "  spec page data")
timed(output_module, "_write_new", "  write pages")
timed(markup_module, "markdown_blocks", "markdown (in all of the above)")
timed(render_module, "render", "templates (in all of the above)")
output_module.build_site(find_workspace(), Path(sys.argv[1]))
print(json.dumps(spent))
"""

PHASE_ORDER = ("collect (validate, plan, change pages)", "  validate changes", "  validate specs", "  archive plans",
               "  change pages (all of the below)", "    proposal, design and tasks read", "    redlines",
               "  specs and history for the other pages", "other pages, and writing all", "  spec page data",
               "  write pages", "markdown (in all of the above)", "templates (in all of the above)")


def phases(repo: Path, env: dict[str, str]) -> dict[str, float]:
    """CPU time of each phase of one in-process build with one worker (the functions, timed by wrapping)."""
    out = repo / "site-phases"
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-c", PHASES_SCRIPT, str(out)], cwd=repo,
                          capture_output=True, text=True, env={**env, "SPECLEDGER_JOBS": "1"})
    if proc.returncode != 0:
        raise RunFailed(f"the in-process build failed:\n{proc.stderr[-2000:]}")
    result: dict[str, float] = json.loads(proc.stdout)
    return result


def validate_command(env: dict[str, str]) -> list[str]:
    """`spec validate --all`, cold: with --no-cache when this specledger has it."""
    helptext = subprocess.run([str(SPEC), "validate", "--help"], capture_output=True, text=True, env=env).stdout
    return [str(SPEC), "validate", "--all", *(["--no-cache"] if "--no-cache" in helptext else [])]


def main() -> int:
    ap = repo_arguments(__doc__.splitlines()[0])
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    problem = missing_generator()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    env = {k: v for k, v in os.environ.items() if k not in ("SPECLEDGER_JOBS", "SPECLEDGER_NO_CACHE")}
    env["NO_COLOR"] = "1"
    say = Report(args.output)
    try:
        with tempfile.TemporaryDirectory(prefix="site-bench-") as tmp:
            repo = Path(tmp) / "repo"
            subprocess.run([sys.executable, str(GENERATOR), str(repo), "--changes", str(args.changes),
                            "--specs", str(args.specs)], check=True, stdout=subprocess.DEVNULL)
            return _measure(repo, args.rounds, args.changes, args.specs, env, say)
    except RunFailed as err:
        say(f"bench failed: {err}")
        return 1
    finally:
        say.close()


def _measure(repo: Path, rounds: int, changes: int, specs: int, env: dict[str, str], say: Report) -> int:
    expected_pages = changes + specs + 2  # + index, changelog (nothing archived)
    validate_cmd = validate_command(env)
    fresh_cmd = [str(SPEC), "validate", "--all"]
    times: dict[str, list[float]] = {"validate": [], "build": [], "fresh": []}
    cpu: dict[str, list[float]] = {"validate": [], "build": [], "fresh": []}
    system: dict[str, list[float]] = {"validate": [], "build": [], "fresh": []}
    rss: dict[str, list[int]] = {"validate": [], "build": [], "fresh": []}
    fresh_ratios: list[float] = []
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    for round_no in range(rounds + 1):  # round 0 warms caches and is not counted
        out = repo / f"site-{round_no}"
        build_cmd = [str(SPEC), "docs", "build", "--out", str(out)]
        runs = {}
        order = ("build", "validate", "fresh") if round_no % 2 else ("validate", "fresh", "build")
        for name in order:
            if name == "validate":
                runs[name] = timed(validate_cmd, repo, (0, 1), env)
            elif name == "fresh":
                shutil.rmtree(repo / CACHE_DIRNAME, ignore_errors=True)  # cold: what a fresh clone runs
                runs[name] = timed(fresh_cmd, repo, (0, 1), env)
            else:
                runs[name] = timed(build_cmd, repo, (0,), env)
        _, _, _, _, stdout, stderr = runs["build"]
        pages = sum(1 for _ in out.rglob("*.html"))
        if pages != expected_pages or f"{pages + 1} written" not in stderr or not stdout.strip():
            raise RunFailed(f"build wrote {pages} pages, expected {expected_pages}: {stderr.strip()}")
        if round_no == 0:
            continue
        for name, (wall, cpu_time, sys_time, peak, _, _) in runs.items():
            times[name].append(wall)
            cpu[name].append(cpu_time)
            system[name].append(sys_time)
            rss[name].append(peak)
        ratios.append(times["build"][-1] / times["validate"][-1])
        fresh_ratios.append(times["build"][-1] / times["fresh"][-1])
        cpu_ratios.append(cpu["build"][-1] / cpu["validate"][-1])
    split = phases(repo, env)
    for folder in repo.glob("site-*"):
        shutil.rmtree(folder)
    median_ratio = statistics.median(ratios)
    say(machine_line())
    say(f"repository: {changes} changes, {specs} specs (gen_large.py); 1 warm-up + {rounds} interleaved rounds "
        "(the build first in every other round)")
    say(f"compared: a cold build (no cache; every page rendered and written into a fresh folder) with a cold "
        f"`{' '.join(validate_cmd[1:])}`")
    say()
    say(f"spec {' '.join(validate_cmd[1:]):<24} median {statistics.median(times['validate']):.2f}s  "
        f"peak RSS {max(rss['validate']) // 1024} MiB")
    say(f"{'spec docs build':<29} median {statistics.median(times['build']):.2f}s  "
        f"peak RSS {max(rss['build']) // 1024} MiB  ({expected_pages} pages + stylesheet)")
    say(f"{'ratio build / validate':<29} median {median_ratio:.2f}x [{min(ratios):.2f}-{max(ratios):.2f}]  "
        f"per round: {', '.join(f'{r:.2f}' for r in ratios)}")
    say(f"{'CPU time (user+sys)':<29} validate {statistics.median(cpu['validate']):.2f}s, build "
        f"{statistics.median(cpu['build']):.2f}s, ratio median {statistics.median(cpu_ratios):.2f}x "
        f"[{min(cpu_ratios):.2f}-{max(cpu_ratios):.2f}] (steadier than wall time on a busy machine)")
    say(f"{'  of which system time':<29} validate {statistics.median(system['validate']):.2f}s, build "
        f"{statistics.median(system['build']):.2f}s")
    say(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    say(f"target: wall-time ratio at most {TARGET:.2f}x -> {'met' if median_ratio <= TARGET else 'NOT met'}")
    say()
    say(f"for reference, the command as typed on a fresh clone (`spec validate --all`, no cache yet, so it also "
        f"writes one): median {statistics.median(times['fresh']):.2f}s; build / it "
        f"{statistics.median(fresh_ratios):.2f}x [{min(fresh_ratios):.2f}-{max(fresh_ratios):.2f}]")
    say()
    say("CPU time of one in-process build with one worker (SPECLEDGER_JOBS=1), by phase:")
    for name in PHASE_ORDER:
        say(f"  {name:<40} {split.get(name, 0.0):6.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
