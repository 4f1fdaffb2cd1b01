#!/usr/bin/env python3
"""specledger vs the reference CLI (OpenSpec 1.13.2) on the same large repository, in one run.

    python bench/validate_speed.py [--repeat 5] [--changes 500] [--specs 200]

Generates the repository with ../shared/bench/gen_large.py, installs the reference CLI from npm
into bench/.reference/ when it is missing (npm must be able to reach its registry), then times
each command for both tools (median of --repeat wall-clock runs, peak RSS from wait4) and prints
the ratio reference / specledger (above 1: specledger is faster). It also reports how many
items the two tools judge differently, since speed without agreement means nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE_DIR = REPO / "bench" / ".reference"
REFERENCE_VERSION = "1.13.2"
COMMANDS = [
    ["validate", "--all", "--strict", "--json"],
    ["validate", "--specs", "--strict", "--json"],
    ["validate", "change-0000", "--strict", "--json"],
    ["list", "--json"],
    ["list", "--specs", "--json"],
]


def reference_bin() -> Path:
    binary = REFERENCE_DIR / "node_modules" / ".bin" / "openspec"
    if not binary.exists():
        print(f"installing @fission-ai/openspec@{REFERENCE_VERSION} into {REFERENCE_DIR} ...", file=sys.stderr)
        REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(REFERENCE_DIR),
                        f"@fission-ai/openspec@{REFERENCE_VERSION}"], check=True)
    return binary


def run_wait4(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, str]:
    """Wall time, peak RSS (KiB) and stdout of one run."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = 0  # reaped by wait4 above
        out.seek(0)
        return elapsed, usage.ru_maxrss, out.read().decode("utf-8", "replace")


def verdicts(text: str) -> dict[str, tuple[bool, set[str]]]:
    """item -> (valid, codes of its ERROR/WARNING findings)."""
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return {f"{i['type']}:{i['id']}": (bool(i["valid"]), {x.get("code", "") for x in i["issues"]
                                                          if x["level"] != "INFO"})
            for i in data.get("items", [])}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--changes", type=int, default=500)
    ap.add_argument("--specs", type=int, default=200)
    args = ap.parse_args()
    generator = SHARED / "bench" / "gen_large.py"
    if not generator.is_file():
        print(f"missing {generator}: shared/ must sit beside the repository", file=sys.stderr)
        return 2
    if shutil.which("npm") is None:
        print("npm is not installed: the reference CLI cannot be measured", file=sys.stderr)
        return 2
    ours = Path(sys.executable).parent / "spec"
    ref = reference_bin()
    env = dict(os.environ, OPENSPEC_TELEMETRY="0", DO_NOT_TRACK="1", NO_COLOR="1", CI="1")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        root = Path(tmp) / "large"
        subprocess.run([sys.executable, str(generator), str(root), "--changes", str(args.changes),
                        "--specs", str(args.specs)], check=True, stdout=subprocess.DEVNULL)
        files = sum(len(f) for _, _, f in os.walk(root))
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        print(f"repository: {args.changes} changes, {args.specs} specs, {files} files, {size / 1e6:.1f} MB; "
              f"median of {args.repeat} runs each\n")
        print(f"{'command':<42} {'reference':>10} {'specledger':>11} {'ratio':>7} {'RSS ref/ours (MiB)':>20}")
        for command in COMMANDS:
            rows = {}
            outputs = {}
            for name, argv in (("ref", [str(ref), *command]), ("ours", [str(ours), *command])):
                runs = [run_wait4(argv, root, env) for _ in range(args.repeat)]
                rows[name] = (statistics.median(r[0] for r in runs), max(r[1] for r in runs))
                outputs[name] = runs[-1][2]
            ratio = rows["ref"][0] / rows["ours"][0]
            print(f"{' '.join(command):<42} {rows['ref'][0]:>9.2f}s {rows['ours'][0]:>10.2f}s {ratio:>6.1f}x "
                  f"{rows['ref'][1] / 1024:>9.0f} / {rows['ours'][1] / 1024:<8.0f}")
            if command[0] == "validate":
                a, b = verdicts(outputs["ref"]), verdicts(outputs["ours"])
                differ = sorted(k for k in a if k not in b or a[k][0] != b[k][0])
                overlap_only = [k for k in differ if k in b and b[k][1] == {"change-overlap"}]
                print(f"    verdicts differ on {len(differ)} of {len(a)} items; {len(overlap_only)} of them only "
                      "for the cross-change overlap warning (a deliberate addition)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
