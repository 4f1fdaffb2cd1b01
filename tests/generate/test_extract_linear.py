"""The generator's reading of requirement headings is linear in the length of the line."""

from __future__ import annotations

import time
from pathlib import Path

from generate_support import REAL_SPEC
from specledger.generate.extract import read_spec_data


def _cpu(text: str, path: Path) -> float:
    started = time.process_time()
    read_spec_data(path, "spec.md", text)
    return time.process_time() - started


def test_long_space_runs_in_requirement_headings_stay_linear(tmp_path: Path) -> None:
    base = REAL_SPEC.read_text(encoding="utf-8")

    def spec(spaces: int) -> str:
        heading = "### Requirement: a" + " " * spaces + "b\n\nThe system SHALL x.\n\n"
        return base.replace("## Requirements\n", "## Requirements\n\n" + heading * 4, 1)

    small, large = _cpu(spec(2_000), tmp_path), _cpu(spec(16_000), tmp_path)
    # 8x the input: a linear reading takes about 8x (plus the fixed cost of the rest of the
    # spec), a quadratic one about 64x. The margin is wide on purpose (a busy machine).
    assert large < max(small, 0.01) * 30, (small, large)
