"""Generation targets: the ``[[tool.specledger.generate]]`` tables of ``pyproject.toml``.

Each table names a ``spec`` (the markdown the data comes from), a ``template`` (a jinja2 file name,
looked up first in the project's template folder, then in specledger's own templates) and an
``output`` file, all relative to the workspace root. ``[tool.specledger] templates_dir`` names the
project's template folder (optional; a template there overrides the packaged one of the same name).
Adding a generated file therefore needs a table and a template, not code.

Every path is checked before anything is read or rendered: no NUL or other control character,
no name longer than the file system allows, and, resolved through every symbolic link, inside the
workspace (:meth:`Workspace.confine`, the one confinement check). A link *inside* the workspace
to another place inside it is accepted: it is just another name for a file the repository owns.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specledger.errors import SpecledgerError
from specledger.workspace import UnsafePathError, Workspace

CONFIG_FILE = "pyproject.toml"
MAX_NAME_BYTES = 255  # one file or folder name (NAME_MAX on Linux, macOS and Windows' NTFS)
MAX_PATH_BYTES = 1024  # a whole configured path; far below PATH_MAX, far above any real need


@dataclass(frozen=True)
class Target:
    """One file to generate."""

    spec: str  # relative to the root, forward slashes
    template: str
    output: str
    line: int | None  # line of the table in pyproject.toml, when it can be found


def _path_problem(value: str) -> str | None:
    """Why ``value`` cannot be a configured relative path, or None (checked before any system call,
    which would otherwise fail with ValueError on a NUL byte or ENAMETOOLONG deep inside)."""
    for char in value:
        if unicodedata.category(char) == "Cc":
            return f"holds the control character U+{ord(char):04X}"
    if len(value.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        return f"is longer than {MAX_PATH_BYTES} bytes"
    for part in value.split("/"):
        if len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
            return f"has a name longer than {MAX_NAME_BYTES} bytes ({part[:20]}...)"
    return None


def _shown(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:60] + "...")


def confine_configured(
    workspace: Workspace, value: str, what: str, line: int | None
) -> Path:
    """``value`` (relative to the root) resolved, or a ``pyproject.toml`` error at ``line``."""
    problem = _path_problem(value)
    if problem is not None:
        raise SpecledgerError(
            f"{what} {_shown(value)} {problem}", path=CONFIG_FILE, line=line, code="config_invalid"
        )
    if Path(value).is_absolute() or os.path.normpath(value).split("/")[0] == "..":
        raise UnsafePathError(
            f"{what} {_shown(value)} points outside the project; it must be a path relative to "
            "the project's root that stays below it",
            path=CONFIG_FILE,
            line=line,
            code="path_outside_workspace",
        )
    try:
        return workspace.confine(workspace.root / value, what=what)
    except UnsafePathError as err:
        raise UnsafePathError(
            f"{err.message} (configured as {_shown(value)})",
            path=CONFIG_FILE,
            line=line,
            code=err.code,
            hint=err.hint,
        ) from err


def _table_lines(root: Path) -> list[int]:
    """Line numbers of each ``[[tool.specledger.generate]]`` header, for error messages."""
    try:
        text = (root / CONFIG_FILE).read_text(encoding="utf-8")
    except OSError:
        return []
    return [
        number
        for number, line in enumerate(text.split("\n"), start=1)
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
    lines = _table_lines(workspace.root)
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
        target = _target(entry, workspace, line)
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


def _target(entry: Mapping[str, Any], workspace: Workspace, line: int | None) -> Target:
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
        problem = _path_problem(values[key])
        if problem is not None:
            raise SpecledgerError(
                f"generate {key} {_shown(values[key])} {problem}",
                path=CONFIG_FILE,
                line=line,
                code="config_invalid",
            )
    for key in ("spec", "output"):
        confine_configured(workspace, values[key], f"generate {key}", line)
    return Target(values["spec"], values["template"], values["output"], line)


def _templates_dir_line(root: Path) -> int | None:
    try:
        text = (root / CONFIG_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip().startswith("templates_dir"):
            return number
    return None


def templates_dir(workspace: Workspace) -> Path | None:
    """The project's template folder from ``[tool.specledger] templates_dir``, if configured.

    Resolved and confined to the workspace: ``templates_dir = "/etc"``, ``"../elsewhere"`` or a
    symbolic link leaving the workspace is refused before any template is read.
    """
    value = workspace.config.get("templates_dir")
    if value is None:
        return None
    line = _templates_dir_line(workspace.root)
    if not isinstance(value, str) or not value.strip():
        raise SpecledgerError(
            "[tool.specledger] templates_dir must be a non-empty path string",
            path=CONFIG_FILE,
            line=line,
            code="config_invalid",
        )
    folder = confine_configured(workspace, value.strip(), "templates_dir", line)
    if not folder.is_dir():
        raise SpecledgerError(
            f"templates_dir {_shown(value)} is not a folder",
            path=CONFIG_FILE,
            line=line,
            code="config_invalid",
        )
    return folder
