"""A small generator of OpenSpec repositories for the adoption tests, and defects to seed into them.

``clean_repo`` writes a repository that passes ``spec validate --all --strict``. Each seeder in
``SEEDERS`` reverses exactly one fix of ``spec fix`` in one file, so that after ``spec fix`` every
file must be byte for byte what ``clean_repo`` wrote.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result
from specledger.cli.main import cli

VOCAB = ["account", "billing", "invoice", "payment", "user", "session", "token", "device", "report", "export",
         "import", "queue", "retry", "webhook", "email", "audit", "schedule", "tenant", "quota", "limit"]


def run(*args: str) -> Result:
    """The CLI as a user runs it (from the current folder), stdout and stderr kept apart."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})


def run_json(*args: str) -> tuple[int, dict[str, object]]:
    result = run(*args)
    return result.exit_code, json.loads(result.stdout)


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(VOCAB) for _ in range(n))


def _requirement(rng: random.Random, name: str, scenarios: int = 2) -> str:
    text = f"### Requirement: {name}\nThe system SHALL handle the {_words(rng, 6)} for {name}.\n\n"
    for k in range(scenarios):
        text += (f"#### Scenario: {name} case {k}\n- **WHEN** the {_words(rng, 3)} happens\n"
                 f"- **THEN** the system records the {_words(rng, 3)}\n\n")
    return text


def clean_repo(root: Path, *, specs: int = 3, changes: int = 3, seed: int = 7) -> dict[str, bytes]:
    """Write a valid repository under ``root``; return ``{relative path: bytes}`` of every file."""
    rng = random.Random(seed)
    files: dict[str, str] = {}
    for s in range(specs):
        cap = f"cap-{s}"
        body = "".join(_requirement(rng, f"{cap} rule {r}") for r in range(3))
        files[f"openspec/specs/{cap}/spec.md"] = (
            f"# {cap} Specification\n\n## Purpose\nThis capability covers the {_words(rng, 8)} of area {cap}.\n\n"
            f"## Requirements\n\n{body}").rstrip("\n") + "\n"
    for c in range(changes):
        name = f"change-{c}"
        cap = f"cap-{c % specs}"
        files[f"openspec/changes/{name}/proposal.md"] = (
            f"## Why\nCustomers asked for {_words(rng, 10)} many times this year.\n\n"
            f"## What Changes\n- {_words(rng, 5)}\n")
        files[f"openspec/changes/{name}/tasks.md"] = "## 1. Build\n- [x] 1.1 Write it\n- [ ] 1.2 Test it\n"
        delta = (f"## ADDED Requirements\n\n{_requirement(rng, f'{name} new rule')}"
                 f"## MODIFIED Requirements\n\n{_requirement(rng, f'{cap} rule {c // specs}')}").rstrip("\n") + "\n"
        files[f"openspec/changes/{name}/specs/{cap}/spec.md"] = delta
    written: dict[str, bytes] = {}
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        written[rel] = text.encode("utf-8")
    return written


def tree(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root`` (symbolic links and validate's cache folder left out), as bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink() and ".specledger_cache" not in p.relative_to(root).parts}


# -- defects: each one is the exact reverse of one fix ------------------------------------------
def _replace_once(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _scenarios_as_bullets(text: str) -> str:
    """Every scenario heading of the first requirement becomes a ``- **Scenario:**`` bullet."""
    head = text.index("### Requirement:")
    end = text.find("### Requirement:", head + 1)
    end = len(text) if end < 0 else end
    return text[:head] + text[head:end].replace("#### Scenario: ", "- **Scenario:** ") + text[end:]


def _mixed_endings(text: str) -> str:
    """The first three lines in CRLF; the rest stays LF (the dominant ending)."""
    lines = text.split("\n")
    return "\r\n".join(lines[:4]) + "\n" + "\n".join(lines[4:])


Seeder = tuple[str, str, Callable[[str], str]]  # (fix code, file, defect)

SEEDERS: list[Seeder] = [
    ("delta-header-form", "openspec/changes/change-0/specs/cap-0/spec.md",
     lambda t: _replace_once(t, "## ADDED Requirements", "##ADDED  requirements")),
    ("delta-header-form", "openspec/changes/change-1/specs/cap-1/spec.md",
     lambda t: _replace_once(t, "## MODIFIED Requirements", "## modified requirements")),
    ("section-header-form", "openspec/specs/cap-0/spec.md", lambda t: _replace_once(t, "## Purpose", "##Purpose")),
    ("section-header-form", "openspec/specs/cap-1/spec.md",
     lambda t: _replace_once(t, "## Requirements", "##  requirements")),
    ("requirement-header-form", "openspec/changes/change-2/specs/cap-2/spec.md",
     lambda t: _replace_once(t, "### Requirement: change-2", "###requirement:change-2")),
    ("requirement-header-hashes", "openspec/specs/cap-2/spec.md",
     lambda t: _replace_once(t, "### Requirement: cap-2 rule 1\n", "### Requirement: cap-2 rule 1 ###\n")),
    ("scenario-header-level", "openspec/changes/change-1/specs/cap-1/spec.md",
     lambda t: _replace_once(t, "#### Scenario: change-1 new rule case 0", "### Scenario: change-1 new rule case 0")),
    ("scenario-header-level", "openspec/specs/cap-1/spec.md",
     lambda t: _replace_once(t, "#### Scenario: cap-1 rule 2 case 1", "##### Scenario: cap-1 rule 2 case 1")),
    ("scenario-bullet", "openspec/changes/change-2/specs/cap-2/spec.md", _scenarios_as_bullets),
    ("line-endings-mixed", "openspec/specs/cap-0/spec.md", _mixed_endings),
    ("final-newline-missing", "openspec/changes/change-0/specs/cap-0/spec.md", lambda t: t.rstrip("\n")),
]


def seed(root: Path, seeders: list[Seeder] = SEEDERS) -> set[str]:
    """Apply the defects; return the files they touched."""
    touched = set()
    for _code, rel, defect in seeders:
        path = root / rel
        path.write_bytes(defect(path.read_bytes().decode("utf-8")).encode("utf-8"))
        touched.add(rel)
    return touched
