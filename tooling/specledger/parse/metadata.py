"""``.openspec.yaml``: per-change metadata (``skip_specs``, ``retire_capabilities``)."""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

import yaml

from specledger.errors import SpecledgerError
from specledger.model import ChangeMetadata

METADATA_FILE = ".openspec.yaml"
BUILTIN_SCHEMAS = {"spec-driven"}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def load_metadata(change_dir: Path, schema_dirs: tuple[Path, ...] = ()) -> tuple[ChangeMetadata, str | None, bool]:
    """Read the metadata file.

    Returns ``(metadata, problem, skip_specs_requested)``: ``problem`` says why the file is not
    valid metadata (``None`` when it is, or when there is no file); ``skip_specs_requested`` tells
    whether the raw file asks for ``skip_specs`` at all, valid or not.
    """
    path = change_dir / METADATA_FILE
    if not path.exists() and not path.is_symlink():
        return ChangeMetadata(), None, False
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return ChangeMetadata(present=True), f"cannot read it: {err}", True
    try:
        data: Any = yaml.safe_load(raw)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        return ChangeMetadata(present=True), f"not valid YAML{where}", "skip_specs" in raw
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return ChangeMetadata(present=True), "expected a mapping of keys to values", "skip_specs" in raw
    requested = "skip_specs" in data and data["skip_specs"] is not False
    problems = []
    schema = data.get("schema")
    if not isinstance(schema, str) or not schema.strip():
        problems.append("'schema' is required and must be a name such as spec-driven")
    elif schema not in BUILTIN_SCHEMAS and not any((d / schema / "schema.yaml").is_file() for d in schema_dirs):
        problems.append(f"unknown schema {schema!r}")
    for key in ("skip_specs", "retire_capabilities"):
        if key in data and not isinstance(data[key], bool):
            problems.append(f"'{key}' must be true or false, not {data[key]!r}")
    created = data.get("created")
    if created is not None and not isinstance(created, _dt.date) and not (
        isinstance(created, str) and DATE_RE.match(created)
    ):
        problems.append("'created' must be a date written YYYY-MM-DD")
    meta = ChangeMetadata(
        schema=schema if isinstance(schema, str) else None,
        skip_specs=data.get("skip_specs") is True,
        retire_capabilities=data.get("retire_capabilities") is True,
        present=True,
    )
    return meta, ("; ".join(problems) or None), requested


def read_metadata(change_dir: Path, schema_dirs: tuple[Path, ...] = ()) -> ChangeMetadata:
    """The change's metadata; raises ``SpecledgerError`` when the file is present but invalid."""
    meta, problem, _ = load_metadata(change_dir, schema_dirs)
    if problem:
        raise SpecledgerError(f"invalid change metadata: {problem}", path=change_dir / METADATA_FILE,
                              code="invalid_metadata")
    return meta
