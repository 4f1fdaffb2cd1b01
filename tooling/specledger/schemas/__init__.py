"""JSON Schemas (2020-12) for the artifact kinds, and how a schema error becomes a finding.

Each constraint that users can break carries an ``x-finding`` annotation beside it: for each
JSON Schema keyword, the level, stable code and message of the finding it produces. The message
may name fields of the object that failed (``{title}``, ``{name}``, ``{kind}``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

KINDS = ("spec", "delta", "proposal", "tasks", "design")


@cache
def validator(kind: str) -> Draft202012Validator:
    """The validator for one artifact kind, built once per process."""
    text = resources.files(__name__).joinpath(f"{kind}.schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


class SchemaFinding:
    __slots__ = ("code", "level", "message", "path")

    def __init__(self, level: str, code: str, message: str, path: tuple[str | int, ...]) -> None:
        self.level, self.code, self.message, self.path = level, code, message, path


def _owner(data: Any, path: tuple[str | int, ...]) -> Mapping[str, Any]:
    """The innermost object on ``path`` (for message fields)."""
    node, owner = data, data if isinstance(data, Mapping) else {}
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, Mapping):
            owner = node
    return owner


def check(kind: str, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> Iterator[SchemaFinding]:
    """Validate ``data`` against the kind's schema, yielding findings in document order."""
    errors = sorted(validator(kind).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    for err in errors:
        yield _to_finding(err, data, extra or {})


def _to_finding(err: ValidationError, data: Mapping[str, Any], extra: Mapping[str, Any]) -> SchemaFinding:
    path = tuple(err.absolute_path)
    annotations = err.schema.get("x-finding", {}) if isinstance(err.schema, Mapping) else {}
    spec = annotations.get(err.validator)
    if err.validator == "required" and isinstance(spec, Mapping):
        missing = next((k for k in spec if isinstance(err.instance, Mapping) and k not in err.instance), None)
        spec = spec.get(missing) if missing else None
    if not isinstance(spec, Mapping):
        where = "/".join(str(p) for p in path) or "document"
        return SchemaFinding("ERROR", f"schema-{err.validator}", f"{where}: {err.message}", path)
    owner_path = path[:-1] if path and not isinstance(_walk(data, path), Mapping) else path
    fields = {**extra, **_owner(data, owner_path)}
    try:
        message = str(spec["message"]).format_map(_Default(fields))
    except (ValueError, IndexError):
        message = str(spec["message"])
    return SchemaFinding(str(spec["level"]), str(spec["code"]), message, path)


def _walk(data: Any, path: tuple[str | int, ...]) -> Any:
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


class _Default(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
