"""What every benchmark here shares: the machine line, and the generated repository's options."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SPECLEDGER_SHARED") or REPO.parent / "shared")
GENERATOR = SHARED / "bench" / "gen_large.py"


def machine_line() -> str:
    """Date, cores, CPU model and Python: the context every figure needs."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"# {now}, nproc {os.cpu_count()}, {model}, Python {platform.python_version()}"


def repo_arguments(description: str) -> argparse.ArgumentParser:
    """The options of a benchmark over the generated repository (rounds, size, report file)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--changes", type=int, default=500)
    ap.add_argument("--specs", type=int, default=200)
    ap.add_argument("--output", type=Path, help="also write the report to this file")
    return ap


def missing_generator() -> str | None:
    """Why the repository generator cannot be used, or None when it is there."""
    if GENERATOR.is_file():
        return None
    return (f"missing {GENERATOR}: set SPECLEDGER_SHARED (make passes SHARED) or put shared/ beside the "
            "repository")


class Report:
    """A benchmark's report: each line printed, and kept in ``output`` as well when one is given."""

    def __init__(self, output: Path | None) -> None:
        self._file = open(output, "w", encoding="utf-8") if output else None  # noqa: SIM115 (closed by close())

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        if self._file is not None:
            print(line, file=self._file, flush=True)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
