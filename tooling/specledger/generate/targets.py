"""Generation targets: the ``[[tool.specledger.generate]]`` tables of ``pyproject.toml``.

Each table names a ``spec`` (the markdown the data comes from), a ``template`` (a jinja2 file name,
looked up first in the project's template folder, then in specledger's own templates) and an
``output`` file, all relative to the workspace root. ``[tool.specledger] templates_dir`` names the
project's template folder (optional; a template there overrides the packaged one of the same name).
Adding a generated file therefore needs a table and a template, not code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specledger.errors import SpecledgerError
from specledger.workspace import Workspace

CONFIG_FILE = "pyproject.toml"


@dataclass(frozen=True)
class Target:
    """One file to generate."""

    spec: str  # relative to the root, forward slashes
    template: str
    output: str
    line: int | None  # line of the table in pyproject.toml, when it can be found


def _inside(root: Path, value: str) -> bool:
    resolved = (root / value).resolve()
    return resolved == root or root in resolved.parents


def _table_lines(root: Path) -> list[int]:
    """Line numbers of each ``[[tool.specledger.generate]]`` header, for error messages."""
    try:
        text = (root / CONFIG_FILE).read_text(encoding="utf-8")
    except OSError:
        return []
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip().replace(" ", "") == "[[tool.specledger.generate]]"
    ]


def load_targets(workspace: Workspace) -> list[Target]:
    """The configured targets, checked: string keys, paths inside the root, no output twice."""
    entries = workspace.config.get("generate", [])
    if not isinstance(entries, list):
        raise SpecledgerError(
            "[tool.specledger] generate must be an array of tables ([[tool.specledger.generate]])",
            path=CONFIG_FILE,
            code="config_invalid",
        )
    root = workspace.root.resolve()
    lines = _table_lines(root)
    targets: list[Target] = []
    seen: dict[str, int] = {}
    for number, entry in enumerate(entries):
        line = lines[number] if number < len(lines) else None
        if not isinstance(entry, Mapping):
            raise SpecledgerError(
                "each generate entry must be a table",
                path=CONFIG_FILE,
                line=line,
                code="config_invalid",
            )
        target = _target(entry, root, line)
        if target.output in seen:
            raise SpecledgerError(
                f"output {target.output} is generated twice "
                f"(also by target {seen[target.output] + 1})",
                path=CONFIG_FILE,
                line=line,
                code="config_invalid",
            )
        seen[target.output] = number
        targets.append(target)
    return targets


def _target(entry: Mapping[str, Any], root: Path, line: int | None) -> Target:
    values: dict[str, str] = {}
    unknown = sorted(set(entry) - {"spec", "template", "output"})
    if unknown:
        raise SpecledgerError(
            f"unknown generate key {unknown[0]!r} (expected spec, template, output)",
            path=CONFIG_FILE,
            line=line,
            code="config_invalid",
        )
    for key in ("spec", "template", "output"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise SpecledgerError(
                f"generate target needs a non-empty string {key!r}",
                path=CONFIG_FILE,
                line=line,
                code="config_invalid",
            )
        values[key] = value.strip().replace("\\", "/")
    for key in ("spec", "output"):
        if Path(values[key]).is_absolute() or not _inside(root, values[key]):
            raise SpecledgerError(
                f"generate {key} {values[key]!r} points outside the project",
                path=CONFIG_FILE,
                line=line,
                code="config_invalid",
            )
    return Target(values["spec"], values["template"], values["output"], line)


def templates_dir(workspace: Workspace) -> Path | None:
    """The project's template folder from ``[tool.specledger] templates_dir``, if configured."""
    value = workspace.config.get("templates_dir")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise SpecledgerError(
            "[tool.specledger] templates_dir must be a non-empty path string",
            path=CONFIG_FILE,
            code="config_invalid",
        )
    folder = workspace.root / value
    if not folder.is_dir():
        raise SpecledgerError(
            f"templates_dir {value!r} is not a folder", path=CONFIG_FILE, code="config_invalid"
        )
    return folder
