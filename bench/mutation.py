"""Mutation check: how many small bugs planted in the core would the fast tests catch?

Runs mutmut 3 (PyPI) over ``rules/``, ``archive/``, ``report/`` and ``runtime/scrubbing.py``
and prints the score and the surviving mutants. Not part of CI: a full run takes tens of
minutes on two cores. One command::

    .venv/bin/python bench/mutation.py            # everything (scrubbing last)
    .venv/bin/python bench/mutation.py report     # one target: rules, archive, report, scrubbing

How it is kept away from the working tree: mutmut writes mutated copies under ``mutants/`` of
the folder it runs in, so this script extracts the last commit (``git archive HEAD``) into
``.stack/mutation/repo`` (the package under ``src/``, where mutmut looks for it) and runs there.
mutmut lives in its own venv (``.stack/mutation-venv``, made on first use) and sees the project's
venv through ``PYTHONPATH``, so the tests run with the project's own library versions.

The tests used are the in-process ones (CliRunner and direct calls); tests that run the ``spec``
console script in a subprocess would run the unmutated package and are left out, as are the
hypothesis properties (hundreds of examples per mutant). A survivor is therefore "no fast test
notices", not "nothing notices": the crash, conformance and property suites cover more.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STACK = ROOT / ".stack"
VENV = STACK / "mutation-venv"
WORK = STACK / "mutation"
MUTMUT_VERSION = "3.8.1"

TARGETS: dict[str, tuple[list[str], list[str]]] = {
    # name: (paths to mutate in the laid-out copy, the tests that exercise them)
    "rules": (
        ["src/specledger/rules/"],
        ["tests/core/test_cli.py", "tests/core/test_bad_input.py", "tests/archive/test_archive_cli.py"],
    ),
    "archive": (
        ["src/specledger/archive/"],
        ["tests/archive/test_archive_journal.py", "tests/archive/test_archive_cli.py"],
    ),
    "report": (
        ["src/specledger/report/"],
        ["tests/core/test_cli.py", "tests/core/test_bad_input.py"],
    ),
    "scrubbing": (
        ["runtime/scrubbing.py", "runtime/sensitive.py"],
        # the app-level scrubbing tests fail under mutmut: emmett-sentry patches emmett's router
        # once per app, and mutmut builds the app again in the same process
        ["tests/runtime/test_runtime_scrubbing.py", "tests/runtime/test_runtime_scrub_gates.py"],
    ),
}
# Tests in the files above that run the console script in a subprocess (see the docstring).
DESELECT = "not colour and not unreadable_file"


def ensure_venv() -> Path:
    """mutmut's own venv; created once from PyPI."""
    mutmut = VENV / "bin" / "mutmut"
    if not mutmut.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", f"mutmut=={MUTMUT_VERSION}"],
                       check=True)
    return mutmut


def lay_out() -> Path:
    """The last commit's files with the package moved to ``src/``; returns the folder.

    The commit, not the working tree: several people edit the tree at once, and a half-made
    change elsewhere must not fail the clean run every mutant is compared with.
    """
    repo = WORK / "repo"
    shutil.rmtree(WORK, ignore_errors=True)
    repo.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(repo, filter="data")
    (repo / "tooling").rename(repo / "src")
    # The conformance cases sit beside the clone; some fixtures look for them there.
    (WORK / "shared").symlink_to(ROOT.parent / "shared")
    return repo


def write_config(repo: Path, paths: list[str], tests: list[str]) -> None:
    """mutmut's settings: pyproject.toml has no [tool.mutmut], so it reads setup.cfg."""
    lines = ["[mutmut]", "source_paths ="]
    lines += [f"    {p}" for p in paths]
    lines += ["also_copy =", "    src/", "    runtime/", "    stack/", "    docker/", "    specs/", "    changes/"]
    lines += ["pytest_add_cli_args_test_selection ="] + [f"    {t}" for t in tests]
    lines += ["pytest_add_cli_args =", "    -p", "    no:cacheprovider", "    -k", f"    {DESELECT}"]
    (repo / "setup.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_target(mutmut: Path, name: str, max_children: int, sample: bool = False) -> str:
    """Run mutmut for one target; return its summary and survivors as text.

    ``sample`` runs only the mutants whose number ends in 0 or 5 (one in five, spread evenly over
    every function), to keep a big target within a time budget.
    """
    paths, tests = TARGETS[name]
    repo = WORK / "repo"
    shutil.rmtree(repo / "mutants", ignore_errors=True)
    write_config(repo, paths, tests)
    site = next((ROOT / ".venv" / "lib").glob("python3*/site-packages"))
    env = dict(os.environ, PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1")
    env.pop("CI", None)  # keep mutmut's progress output plain but present
    pick = ["*0", "*5"] if sample else []
    run = subprocess.run([str(mutmut), "run", "--max-children", str(max_children), *pick], cwd=repo,
                         env=env, capture_output=True, text=True, check=False)
    results = subprocess.run([str(mutmut), "results", "--all", "true"], cwd=repo, env=env,
                             capture_output=True, text=True, check=False)
    counts: dict[str, int] = {}
    survivors: list[str] = []
    for line in results.stdout.splitlines():
        mutant, _, status = line.strip().rpartition(": ")
        if not mutant:
            continue
        counts[status] = counts.get(status, 0) + 1
        if status == "survived":
            survivors.append(mutant)
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    judged = killed + counts.get("survived", 0)
    score = f"{100 * killed / judged:.1f} %" if judged else "n/a"
    out = [f"== {name}: {', '.join(paths)}",
           f"tests: {' '.join(tests)} (-k '{DESELECT}')",
           f"mutants: {sum(counts.values())}{' (a one-in-five sample was run)' if sample else ''}; "
           + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
           f"score (killed / (killed + survived)): {score}",
           "survivors:"]
    out += [f"  {s}" for s in survivors]
    if run.returncode != 0:
        out.append(f"mutmut run exited {run.returncode}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return "\n".join(out)


def show_diffs(mutmut: Path, names: list[str]) -> str:
    """The diff of each named mutant (from the last target's run folder)."""
    repo = WORK / "repo"
    site = next((ROOT / ".venv" / "lib").glob("python3*/site-packages"))
    env = dict(os.environ, PYTHONPATH=str(site), PYTHONIOENCODING="utf-8")
    parts = []
    for name in names:
        shown = subprocess.run([str(mutmut), "show", name], cwd=repo, env=env, capture_output=True, text=True,
                               check=False)
        parts.append(shown.stdout.strip())
    return "\n\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", choices=list(TARGETS), default=list(TARGETS),
                        help="what to mutate (default: all, scrubbing last)")
    parser.add_argument("--max-children", type=int, default=2, help="parallel test processes (default 2)")
    parser.add_argument("--diffs", action="store_true", help="print the diff of every survivor")
    parser.add_argument("--sample", action="store_true", help="run one mutant in five (numbers ending in 0 or 5)")
    args = parser.parse_args()
    mutmut = ensure_venv()
    lay_out()
    for name in args.targets or list(TARGETS):
        summary = run_target(mutmut, name, args.max_children, args.sample)
        print(summary, flush=True)
        if args.diffs:
            survivors = [ln.strip() for ln in summary.split("survivors:\n", 1)[-1].splitlines()
                         if ln.startswith("  ")]
            print(show_diffs(mutmut, survivors), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
