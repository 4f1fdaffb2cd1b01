"""Helpers shared by the `spec generate` tests (a uniquely named module, not conftest, so that
test files can import it whatever other test folders hold)."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result
from specledger.cli.main import cli

REPO_ROOT = Path(__file__).resolve().parents[2]
REAL_SPEC = REPO_ROOT / "specs/error-tracking/spec.md"
SPEC_REL = "specs/error-tracking/spec.md"  # the copy sits where the spec lives after archive
OUTPUTS = ("runtime/config/error_tracking.toml", "docker/.env.example", "docs/bugsink-setup.md")

if str(REPO_ROOT) not in sys.path:  # the runtime's own loader is imported from the checkout
    sys.path.insert(0, str(REPO_ROOT))


def pyproject_text(spec: str = SPEC_REL, extra: str = "") -> str:
    """A pyproject declaring the three real targets, plus ``extra`` TOML appended."""
    tables = "".join(
        f'\n[[tool.specledger.generate]]\nspec = "{spec}"\n'
        f'template = "{template}"\noutput = "{output}"\n'
        for template, output in zip(
            ("runtime-config.toml.j2", "env.example.j2", "bugsink-setup.md.j2"),
            OUTPUTS,
            strict=True,
        )
    )
    return f'[tool.specledger]\nspecs_dir = "specs"\nchanges_dir = "changes"\n{extra}{tables}'


@dataclass
class Project:
    """A temporary workspace and a way to run `spec` inside it."""

    root: Path
    runner: CliRunner

    @property
    def spec(self) -> Path:
        return self.root / SPEC_REL

    def run(self, *args: str) -> Result:
        return self.runner.invoke(cli, list(args), catch_exceptions=False)

    def edit_spec(self, old: str, new: str) -> None:
        text = self.spec.read_text(encoding="utf-8")
        assert old in text, f"test setup: {old!r} not in the spec"
        self.spec.write_text(text.replace(old, new, 1), encoding="utf-8")

    def outputs(self) -> dict[str, bytes | None]:
        """Every output's bytes (None when missing), to prove that nothing was written."""
        found: dict[str, bytes | None] = {}
        for rel in OUTPUTS:
            path = self.root / rel
            found[rel] = path.read_bytes() if path.exists() else None
        return found


def snapshot(root: Path) -> dict[str, str]:
    """Every entry below ``root`` (links not followed): kind, permission bits and content hash or
    link target. Two equal snapshots mean nothing was created, changed, moved or deleted."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            info = path.lstat()
            rel = path.relative_to(root).as_posix()
            mode = oct(stat.S_IMODE(info.st_mode))
            if stat.S_ISLNK(info.st_mode):
                found[rel] = f"link -> {os.readlink(path)}"
            elif stat.S_ISDIR(info.st_mode):
                found[rel] = f"dir {mode}"
            elif not stat.S_ISREG(info.st_mode):  # a FIFO: reading it would block
                found[rel] = f"special {stat.S_IFMT(info.st_mode):o} {mode}"
            else:
                found[rel] = f"file {mode} {hashlib.sha256(path.read_bytes()).hexdigest()}"
    return found


def difference(before: dict[str, str], after: dict[str, str]) -> str:
    """What changed between two snapshots, for an assertion message."""
    lines = [f"- {k}: {before[k]}" for k in sorted(before.keys() - after.keys())]
    lines += [f"+ {k}: {after[k]}" for k in sorted(after.keys() - before.keys())]
    lines += [f"~ {k}: {before[k]} -> {after[k]}" for k in sorted(before) if k in after and before[k] != after[k]]
    return "\n".join(lines) or "no difference"
