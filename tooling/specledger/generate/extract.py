"""Read the data a generator needs out of a spec's markdown, with line numbers for every error.

The data lives in plain markdown inside ``### Requirement:`` blocks (of a main spec or a delta
spec: the ``##`` section around them does not matter), so reviewers read exactly what the
generator reads:

* **settings table**: a table whose header row is ``Variable | Default | Type | Description``.
  Type follows :mod:`specledger.generate.settings`; a Default of ``(empty)`` (or an empty cell)
  is the empty string. A value may be wrapped in one code span (`` `true` ``).
* **deployment table**: a table whose header row is ``Variable | Default | Required | Description``.
  Required is ``yes`` or ``no``; a required variable has the Default ``(none)``.
* **scrub lists**: the bullet list that directly follows a paragraph starting with one of the bold
  labels in ``SCRUB_LABELS`` (``**Exact field names**``, ``**Name fragments**``, ``**Sensitive
  words**``, ``**Key qualifiers**``, ``**Kept readable**``, ``**Secret route parameters**``); one
  name per item. Each becomes one field of ``Scrubbing``.

The two tables and every scrub list must appear exactly once. A table whose first header is ``Variable`` but whose
columns match neither shape is an error, not silently skipped, so a typo in a header cannot make
the generator miss data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from specledger.errors import SpecledgerError
from specledger.generate.settings import (
    DefaultError,
    SettingType,
    TypeSyntaxError,
    Value,
    parse_type,
)

SETTINGS_COLUMNS = ("Variable", "Default", "Type", "Description")
DEPLOYMENT_COLUMNS = ("Variable", "Default", "Required", "Description")
FIELDS_LABEL = "Exact field names"
FRAGMENTS_LABEL = "Name fragments"
WORDS_LABEL = "Sensitive words"
QUALIFIERS_LABEL = "Key qualifiers"
READABLE_LABEL = "Kept readable"
ROUTE_PARAMS_LABEL = "Secret route parameters"
# Field of ``Scrubbing`` -> the bold label of its list in the spec, in the order they are read.
SCRUB_LABELS = {
    "fields": FIELDS_LABEL,
    "name_contains": FRAGMENTS_LABEL,
    "words": WORDS_LABEL,
    "key_qualifiers": QUALIFIERS_LABEL,
    "readable": READABLE_LABEL,
    "route_params": ROUTE_PARAMS_LABEL,
}
EMPTY_DEFAULT = "(empty)"
NO_DEFAULT = "(none)"

# Only the fixed prefix is matched; the name is cut out with str.strip() (a pattern ending in
# "(.+?)\s*$" retries the whole trailing run of spaces at every character: quadratic).
_REQUIREMENT = re.compile(r"^Requirement:", re.IGNORECASE)
_VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_FIELD = re.compile(r"^[A-Za-z0-9_-]+$")
_CODE_SPAN = re.compile(r"^`([^`]*)`$")
_LABEL = re.compile(r"^\*\*(.+?)\*\*")
_PIPE = re.compile(r"(?<!\\)\|")
_BROKEN_HEADER = re.compile(r"^\s*\|\s*Variable\s*\|", re.IGNORECASE)
_SCRUB_LABELS_LOWER = frozenset(label.lower() for label in SCRUB_LABELS.values())


@dataclass(frozen=True)
class Setting:
    """One row of the settings table."""

    name: str
    type: SettingType
    default: Value
    default_text: str  # the default as written ("" for empty), for docs and env files
    description: str  # markdown, as written
    line: int


@dataclass(frozen=True)
class DeploymentVariable:
    """One row of the deployment table."""

    name: str
    default: str | None  # None: required, no default
    description: str
    line: int

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class Scrubbing:
    """The scrub lists of the spec, lower-case, each in spec order (see ``SCRUB_LABELS``)."""

    fields: tuple[str, ...]  # exact field names
    name_contains: tuple[str, ...]  # fragments of a name
    words: tuple[str, ...]  # sensitive words of a name
    key_qualifiers: tuple[str, ...]  # words that make a following `key` sensitive
    readable: tuple[str, ...]  # last words that keep a name readable
    route_params: tuple[str, ...]  # route parameters that are always secret


@dataclass(frozen=True)
class SpecData:
    """Everything a template may use from one spec."""

    path: Path
    title: str
    settings: tuple[Setting, ...]
    scrubbing: Scrubbing
    deployment: tuple[DeploymentVariable, ...]


@dataclass
class _Table:
    header: list[str]
    header_line: int
    rows: list[tuple[int, list[str]]]
    requirement: str


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def _unwrap(cell: str) -> str:
    """A cell's value: surrounding whitespace dropped and one enclosing code span removed."""
    text = cell.strip()
    match = _CODE_SPAN.match(text)
    return match.group(1).strip() if match else text


def _raw_cell_count(line: str) -> int:
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    return len(_PIPE.split(text))


class _Reader:
    """One pass over the tokens of one spec; raises ``SpecledgerError`` at the first problem."""

    def __init__(self, path: Path, display: str, text: str) -> None:
        self.path = path
        self.display = display
        self.lines = text.split("\n")
        self.tokens = _parser().parse(text)
        self.title = ""
        self.tables: list[_Table] = []
        self.lists: dict[str, tuple[int, list[tuple[int, str]]]] = {}

    def error(
        self, message: str, line: int | None, code: str = "generate_bad_spec"
    ) -> SpecledgerError:
        return SpecledgerError(message, path=self.display, line=line, code=code)

    def read(self) -> None:
        requirement: str | None = None
        tokens = self.tokens
        for index, token in enumerate(tokens):
            if token.type == "heading_open":
                level = int(token.tag[1])
                content = tokens[index + 1].content.strip()
                if level == 1 and not self.title:
                    self.title = content
                if level <= 3:
                    match = _REQUIREMENT.match(content) if level == 3 else None
                    requirement = (content[match.end():].strip() or None) if match else None
            elif requirement is None:
                continue
            elif token.type == "table_open":
                self.tables.append(self._table(index, requirement))
            elif (
                token.type == "inline" and index > 0 and tokens[index - 1].type == "paragraph_open"
            ):
                self._maybe_list(index)

    def _line(self, token: Token) -> int:
        return token.map[0] + 1 if token.map else 0

    def _table(self, start: int, requirement: str) -> _Table:
        header: list[str] = []
        header_line = self._line(self.tokens[start])
        rows: list[tuple[int, list[str]]] = []
        current: list[str] | None = None
        line = header_line
        for token in self.tokens[start + 1 :]:
            if token.type == "table_close":
                break
            if token.type == "tr_open":
                current = []
                line = self._line(token)
            elif token.type == "inline" and current is not None:
                current.append(token.content)
            elif token.type == "tr_close" and current is not None:
                expected = len(header) if header else len(current)
                found = _raw_cell_count(self.lines[line - 1])
                if header and found != expected:
                    raise self.error(
                        f"table row has {found} cells, the header has {expected}", line
                    )
                if not header:
                    header = [cell.strip() for cell in current]
                else:
                    rows.append((line, current))
                current = None
        return _Table(header, header_line, rows, requirement)

    def _maybe_list(self, index: int) -> None:
        inline = self.tokens[index]
        match = _LABEL.match(inline.content.strip())
        if not match:
            return
        label = " ".join(match.group(1).split()).lower()
        if label not in _SCRUB_LABELS_LOWER:
            return
        line = self._line(inline)
        if label in self.lists:
            first = self.lists[label][0]
            raise self.error(
                f"a second **{match.group(1)}** list (the first is on line {first})", line
            )
        # paragraph_open, inline, paragraph_close, then the list must follow at once
        following = self.tokens[index + 2] if index + 2 < len(self.tokens) else None
        if following is None or following.type != "bullet_list_open":
            raise self.error(
                f"**{match.group(1)}** must be followed directly by a bullet list", line
            )
        items: list[tuple[int, str]] = []
        depth = 0
        for token in self.tokens[index + 2 :]:
            if token.type == "bullet_list_open":
                depth += 1
            elif token.type == "bullet_list_close":
                depth -= 1
                if depth == 0:
                    break
            elif token.type == "inline" and depth == 1:
                items.append((self._line(token), token.content))
        self.lists[label] = (line, items)


def _variable_name(reader: _Reader, cell: str, line: int, seen: dict[str, int]) -> str:
    """The variable named in a table row: well-formed and not declared before (``seen`` is updated)."""
    name = _unwrap(cell)
    if not _VARIABLE.match(name):
        raise reader.error(f"variable name `{name}` must be upper case letters, digits and _", line)
    if name in seen:
        raise reader.error(f"variable {name} is declared twice (first on line {seen[name]})", line)
    seen[name] = line
    return name


def _settings(reader: _Reader, table: _Table) -> tuple[Setting, ...]:
    seen: dict[str, int] = {}
    settings: list[Setting] = []
    for line, cells in table.rows:
        name = _variable_name(reader, cells[0], line, seen)
        try:
            kind = parse_type(_unwrap(cells[2]))
        except TypeSyntaxError as err:
            raise reader.error(f"{name}: {err}", line) from err
        raw = _unwrap(cells[1])
        text = "" if raw in ("", EMPTY_DEFAULT) else raw
        try:
            value = kind.coerce(text)
        except DefaultError as err:
            raise reader.error(f"{name}: the default {err} (type: {kind.label})", line) from err
        description = cells[3].strip()
        if not description:
            raise reader.error(f"{name} has no description", line)
        settings.append(Setting(name, kind, value, text, description, line))
    if not settings:
        raise reader.error("the settings table has no rows", table.header_line)
    return tuple(settings)


def _deployment(reader: _Reader, table: _Table) -> tuple[DeploymentVariable, ...]:
    seen: dict[str, int] = {}
    variables: list[DeploymentVariable] = []
    for line, cells in table.rows:
        name = _variable_name(reader, cells[0], line, seen)
        required = _unwrap(cells[2]).lower()
        if required not in ("yes", "no"):
            raise reader.error(
                f"{name}: Required must be yes or no, not `{cells[2].strip()}`", line
            )
        raw = _unwrap(cells[1])
        if required == "yes" and raw != NO_DEFAULT:
            raise reader.error(f"{name} is required, so its Default must be {NO_DEFAULT}", line)
        if required == "no" and raw == NO_DEFAULT:
            raise reader.error(f"{name} is optional, so it needs a default", line)
        if "\n" in raw or any(ch in raw for ch in "\"'$`"):
            raise reader.error(
                f"{name}: the default `{raw}` cannot be written safely to an env file", line
            )
        description = cells[3].strip()
        if not description:
            raise reader.error(f"{name} has no description", line)
        default = None if required == "yes" else ("" if raw == EMPTY_DEFAULT else raw)
        variables.append(DeploymentVariable(name, default, description, line))
    if not variables:
        raise reader.error("the deployment table has no rows", table.header_line)
    return tuple(variables)


def _names(reader: _Reader, label: str, anchor: int) -> tuple[str, ...]:
    entry = reader.lists.get(label.lower())
    if entry is None:
        raise reader.error(
            f"no **{label}** list: write a paragraph starting with **{label}** inside a "
            "requirement, followed by a bullet list of names",
            anchor,
            code="generate_missing_data",
        )
    line, items = entry
    names: list[str] = []
    seen: dict[str, int] = {}
    for item_line, content in items:
        name = _unwrap(content).lower()
        if not _FIELD.match(name):
            raise reader.error(
                f"`{content.strip()}` is not a field name (letters, digits, _ and -)", item_line
            )
        if name in seen:
            raise reader.error(f"`{name}` is listed twice (first on line {seen[name]})", item_line)
        seen[name] = item_line
        names.append(name)
    if not names:
        raise reader.error(f"the **{label}** list is empty", line)
    return tuple(names)


def _pick(reader: _Reader, columns: Sequence[str], anchor: int) -> _Table:
    wanted = [c.lower() for c in columns]
    found = [t for t in reader.tables if [h.lower() for h in t.header] == wanted]
    if not found:
        _reject_broken_table(reader)
        raise reader.error(
            f"no table with the columns {' | '.join(columns)} in any requirement",
            anchor,
            code="generate_missing_data",
        )
    if len(found) > 1:
        raise reader.error(
            f"a second table with the columns {' | '.join(columns)} "
            f"(the first is on line {found[0].header_line})",
            found[1].header_line,
        )
    return found[0]


def _reject_broken_table(reader: _Reader) -> None:
    """Point at a ``| Variable |`` line that markdown did not read as a table (a common slip:
    the header and the ``---`` row have different cell counts, so it is just a paragraph)."""
    parsed = {table.header_line for table in reader.tables}
    for number, line in enumerate(reader.lines, start=1):
        if _BROKEN_HEADER.match(line) and number not in parsed:
            raise reader.error(
                "this line starts a table that markdown does not read as one: the header row, "
                "the --- row and every row need the same number of cells",
                number,
            )


def read_spec_data(path: Path, display: str, text: str | None = None) -> SpecData:
    """Parse ``path`` and return its generator data; ``display`` is the path used in messages.

    ``text``, when given, is read instead of the file: the spec as an archive would leave it,
    so that archive can regenerate from what it is about to write.

    Raises ``SpecledgerError`` (file and line) for an unreadable file, a missing or malformed
    table or list, a duplicate variable, or a default that does not fit its type.
    """
    try:
        if text is None:
            text = path.read_bytes().decode("utf-8")
    except FileNotFoundError as err:
        raise SpecledgerError(
            "the spec file does not exist", path=display, code="generate_no_spec"
        ) from err
    except (OSError, UnicodeDecodeError) as err:
        raise SpecledgerError(
            f"cannot read the spec: {err}", path=display, code="generate_no_spec"
        ) from err
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    reader = _Reader(path, display, text)
    reader.read()
    known = ([c.lower() for c in SETTINGS_COLUMNS], [c.lower() for c in DEPLOYMENT_COLUMNS])
    for table in reader.tables:
        header = [h.lower() for h in table.header]
        if header and header[0] == "variable" and header not in known:
            raise reader.error(
                f"table columns {' | '.join(table.header)} match neither "
                f"{' | '.join(SETTINGS_COLUMNS)} nor {' | '.join(DEPLOYMENT_COLUMNS)}",
                table.header_line,
            )
    anchor = _first_requirements_line(reader) or 1
    settings = _settings(reader, _pick(reader, SETTINGS_COLUMNS, anchor))
    deployment = _deployment(reader, _pick(reader, DEPLOYMENT_COLUMNS, anchor))
    scrubbing = Scrubbing(
        **{field: _names(reader, label, anchor) for field, label in SCRUB_LABELS.items()}
    )
    return SpecData(path, reader.title, settings, scrubbing, deployment)


def _first_requirements_line(reader: _Reader) -> int | None:
    """Line of the first ``##`` section holding requirements, where a missing-data error points."""
    for index, token in enumerate(reader.tokens):
        heading = token.type == "heading_open" and token.tag == "h2"
        if heading and "requirements" in reader.tokens[index + 1].content.lower():
            return reader._line(token)
    return None
