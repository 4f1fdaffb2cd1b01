"""JSON Schemas (2020-12) for the artifact kinds, and how a schema error becomes a finding.

Each constraint that users can break carries an ``x-finding`` annotation beside it: for each
JSON Schema keyword, the level, stable code and message of the finding it produces. The message
may name fields of the object that failed (``{title}``, ``{name}``, ``{kind}``).

Two validators read the same schema files. ``jsonschema_rs`` (compiled, a few hundred times
faster) answers the common question "is this document valid?"; only when it says no does the
``jsonschema`` reference implementation run, to list the errors that become findings. The
findings therefore come from one implementation only, and a document the fast one accepts has
none. Should the two ever disagree on a document the fast one accepts, a finding would be lost:
``tests/core/test_schema_fast_path.py`` compares both verdicts on generated documents, the
conformance cases and a generated repository.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

KINDS = ("spec", "delta", "proposal", "tasks", "design")
FAST_PATH = True  # tests turn it off to compare the findings with and without it


@cache
def schema(kind: str) -> dict[str, Any]:
    """The schema of one artifact kind, as the package ships it."""
    text = (Path(__file__).parent / f"{kind}.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def validator(kind: str) -> Draft202012Validator:
    """The reference validator for one artifact kind, built once per process (imported lazily:
    most runs never need it)."""
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema(kind))
    return Draft202012Validator(schema(kind))


@cache
def _fast(kind: str) -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(schema(kind))


def is_valid(kind: str, data: Mapping[str, Any]) -> bool:
    """Whether ``data`` satisfies the kind's schema, asked of the compiled validator."""
    try:
        return bool(_fast(kind).is_valid(data))
    except (ValueError, TypeError, OverflowError):  # a value the compiled one cannot take: the reference decides
        return not any(True for _ in validator(kind).iter_errors(data))


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
    """Validate ``data`` against the kind's schema, yielding findings in document order.

    A ``required`` keyword gives one finding per missing property, each with its own code.
    """
    if FAST_PATH and is_valid(kind, data):
        return
    errors = sorted(validator(kind).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    done: set[tuple[tuple[str | int, ...], int]] = set()
    for err in errors:
        if err.validator == "required":
            # jsonschema reports each missing property as its own error but does not say which
            # one in structured form; so the first error of a `required` keyword at a place
            # stands for all of them, read from the instance, and the rest are dropped.
            key = (tuple(err.absolute_path), id(err.schema))
            if key in done:
                continue
            done.add(key)
            for missing in _missing(err):
                yield _to_finding(err, data, extra or {}, missing)
            continue
        yield _to_finding(err, data, extra or {})


def _missing(err: ValidationError) -> list[str]:
    """The properties a ``required`` error's instance lacks, in the schema's order."""
    required = err.validator_value if isinstance(err.validator_value, list) else []
    instance = err.instance if isinstance(err.instance, Mapping) else {}
    return [str(name) for name in required if name not in instance]


def _to_finding(
    err: ValidationError, data: Mapping[str, Any], extra: Mapping[str, Any], missing: str | None = None
) -> SchemaFinding:
    path = tuple(err.absolute_path)
    annotations = err.schema.get("x-finding", {}) if isinstance(err.schema, Mapping) else {}
    spec = annotations.get(err.validator)
    if err.validator == "required":
        spec = spec.get(missing) if isinstance(spec, Mapping) and missing is not None else None
        if not isinstance(spec, Mapping):
            where = "/".join(str(p) for p in path) or "document"
            return SchemaFinding("ERROR", "schema-required", f"{where}: {missing!r} is a required property", path)
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
