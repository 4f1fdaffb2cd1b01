"""``.openspec.yaml``: per-change metadata (``schema``, ``created``, ``skip_specs``, ``retire_capabilities``).

The file is read as plain data with a loader of our own, because the stock one trusts it too
far: it turns dates into ``datetime`` (an impossible date such as ``2026-13-45`` raises), expands
aliases without limit (a "billion laughs" document exhausts memory once its value is printed),
and recurses once per nesting level (a few thousand ``[`` raise ``RecursionError``). Here the
size, the number of aliases and the nesting depth are bounded while the document is composed,
before anything is built, and every problem becomes a message with the line it concerns.
"""

from __future__ import annotations

import datetime as _dt
import re
import reprlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specledger.errors import SpecledgerError
from specledger.model import ChangeMetadata
from specledger.parse.files import UnreadableFile, read_regular

METADATA_FILE = ".openspec.yaml"
BUILTIN_SCHEMAS = {"spec-driven"}
# Generous for a file of four keys; anything larger is not change metadata.
MAX_METADATA_BYTES = 64 * 1024
DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# What YAML 1.1 reads as a timestamp (the old loader accepted these for ``created``): a date,
# then optionally a time and a zone. Anchored, and no two runs here can match the same text.
TIMESTAMP_TAIL_RE = re.compile(
    r"(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?"
)
SCHEMA_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60


class MetadataProblem(str):
    """Why the metadata file is not valid: the message, with ``line`` (1-based, ``None`` for the file)."""

    line: int | None

    def __new__(cls, message: str, line: int | None = None) -> MetadataProblem:
        problem = super().__new__(cls, message)
        problem.line = line
        return problem


@dataclass
class MetadataCheck:
    """Everything read from the file: the metadata, each problem, and whether skip_specs is asked for."""

    meta: ChangeMetadata
    problems: list[MetadataProblem] = field(default_factory=list)
    skip_specs_requested: bool = False

    @property
    def problem(self) -> MetadataProblem | None:
        """All problems in one message (at the first problem's line), ``None`` when there is none."""
        if not self.problems:
            return None
        return MetadataProblem("; ".join(self.problems), self.problems[0].line)


def _read_raw(path: Path) -> tuple[str | None, MetadataProblem | None]:
    """The file's text, or why it cannot be read (never blocks on a FIFO, never reads a device)."""
    try:
        data = read_regular(path, MAX_METADATA_BYTES)
    except UnreadableFile as err:
        return None, MetadataProblem(f"it {err.reason}")
    if len(data) > MAX_METADATA_BYTES:
        return None, MetadataProblem(f"it is larger than {MAX_METADATA_BYTES // 1024} KiB; change metadata is "
                                     "a few short keys")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        return None, MetadataProblem(f"not valid UTF-8 (byte 0x{data[err.start]:02x})", line)


def _is_date(value: Any) -> bool:
    """A ``created`` value: YYYY-MM-DD (optionally a YAML time after it) naming a real day."""
    if isinstance(value, _dt.date):
        return True
    if not isinstance(value, str):
        return False
    match = DATE_RE.match(value)
    if match is None:
        return False
    tail = value[match.end() :]
    if tail and not TIMESTAMP_TAIL_RE.fullmatch(tail):
        return False
    try:
        _dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return False
    return True


def _schema_known(schema: str, schema_dirs: tuple[Path, ...]) -> bool:
    if schema in BUILTIN_SCHEMAS:
        return True
    if not SCHEMA_NAME_RE.fullmatch(schema):
        return False  # never a path: no separator, no "..", nothing long enough to fail the filesystem
    for folder in schema_dirs:
        try:
            if (folder / schema / "schema.yaml").is_file():
                return True
        except (OSError, ValueError):
            continue
    return False


def check_metadata(change_dir: Path, schema_dirs: tuple[Path, ...] = ()) -> MetadataCheck:
    """Read and check the change's metadata file; never raises for what the file holds."""
    path = change_dir / METADATA_FILE
    if not path.exists() and not path.is_symlink():
        return MetadataCheck(ChangeMetadata())
    # PyYAML (and the regular expressions it compiles) is imported only for a change that has
    # the file: a run over changes without one never pays for it.
    from yaml import MappingNode, ScalarNode, YAMLError

    from specledger.parse.plain_yaml import MAX_DEPTH, compose, line_of, reason

    present = ChangeMetadata(present=True)
    raw, unreadable = _read_raw(path)
    if raw is None:
        return MetadataCheck(present, [unreadable or MetadataProblem("cannot read it")], True)
    try:
        node, data = compose(raw)
    except YAMLError as err:
        return MetadataCheck(present, [MetadataProblem(f"not valid YAML: {reason(err)}", line_of(err, raw))],
                             "skip_specs" in raw)
    except RecursionError:  # defence in depth: the depth limit stops nesting long before this
        return MetadataCheck(present, [MetadataProblem(f"nested more than {MAX_DEPTH} levels deep")],
                             "skip_specs" in raw)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        line = node.start_mark.line + 1 if node is not None else None
        return MetadataCheck(present, [MetadataProblem("expected a mapping of keys to values", line)],
                             "skip_specs" in raw)
    lines: dict[str, int] = {}
    if isinstance(node, MappingNode):
        for key_node, _value_node in node.value:
            if isinstance(key_node, ScalarNode) and isinstance(key_node.value, str):
                lines.setdefault(key_node.value, key_node.start_mark.line + 1)
    requested = "skip_specs" in data and data["skip_specs"] is not False
    problems: list[MetadataProblem] = []
    schema = data.get("schema")
    if not isinstance(schema, str) or not schema.strip():
        problems.append(MetadataProblem("'schema' is required and must be a name such as spec-driven",
                                        lines.get("schema")))
    elif not _schema_known(schema, schema_dirs):
        problems.append(MetadataProblem(f"unknown schema {_short.repr(schema)}", lines.get("schema")))
    for key in ("skip_specs", "retire_capabilities"):
        if key in data and not isinstance(data[key], bool):
            problems.append(MetadataProblem(f"'{key}' must be true or false, not {_short.repr(data[key])}",
                                            lines.get(key)))
    created = data.get("created")
    if created is not None and not _is_date(created):
        problems.append(MetadataProblem(f"'created' must be a real date written YYYY-MM-DD, not {_short.repr(created)}",
                                        lines.get("created")))
    meta = ChangeMetadata(
        schema=schema if isinstance(schema, str) else None,
        skip_specs=data.get("skip_specs") is True,
        retire_capabilities=data.get("retire_capabilities") is True,
        present=True,
    )
    return MetadataCheck(meta, problems, requested)


def load_metadata(
    change_dir: Path, schema_dirs: tuple[Path, ...] = ()
) -> tuple[ChangeMetadata, MetadataProblem | None, bool]:
    """Read the metadata file.

    Returns ``(metadata, problem, skip_specs_requested)``: ``problem`` says why the file is not
    valid metadata (``None`` when it is, or when there is no file) and carries the line it
    concerns as ``problem.line``; ``skip_specs_requested`` tells whether the raw file asks for
    ``skip_specs`` at all, valid or not.
    """
    result = check_metadata(change_dir, schema_dirs)
    return result.meta, result.problem, result.skip_specs_requested


def read_metadata(change_dir: Path, schema_dirs: tuple[Path, ...] = ()) -> ChangeMetadata:
    """The change's metadata; raises ``SpecledgerError`` when the file is present but invalid."""
    meta, problem, _ = load_metadata(change_dir, schema_dirs)
    if problem:
        raise SpecledgerError(f"invalid change metadata: {problem}", path=change_dir / METADATA_FILE,
                              line=problem.line, code="invalid_metadata")
    return meta
