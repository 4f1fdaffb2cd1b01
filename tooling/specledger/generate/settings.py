"""The Type column of a settings table: its syntax, and the check of each default against it.

The syntax is small on purpose, so that a reviewer reads it as plain English:

* ``boolean``: ``true`` or ``false``;
* ``string``: any text;
* ``dsn``: empty, or a Sentry DSN ``http(s)://<key>@<host>[:<port>]/<project id>``;
* ``integer`` / ``float``, optionally bounded: ``integer >= 100``, ``float <= 5``,
  ``float 0..1`` (both bounds inclusive);
* ``one of: a, b, c``: one of the listed words.

Each type becomes one of the runtime's type names (``bool``, ``string``, ``dsn``, ``integer``,
``float``, ``enum``) in the generated configuration.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

Value = bool | int | float | str

_NUMBER = r"[-+]?\d+(?:\.\d+)?"
_RANGE = re.compile(rf"^(integer|float)\s+({_NUMBER})\s*\.\.\s*({_NUMBER})$")
_BOUND = re.compile(rf"^(integer|float)\s*(>=|<=)\s*({_NUMBER})$")
_ONE_OF = re.compile(r"^one\s+of\s*:\s*(.+)$", re.IGNORECASE)
_CHOICE = re.compile(r"^[A-Za-z0-9_.-]+$")
_INTEGER = re.compile(r"^[-+]?\d+$")
_FLOAT = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")

TYPE_SYNTAX = (
    "boolean, string, dsn, integer, float, 'integer >= N', 'float <= N', 'float N..M' "
    "or 'one of: a, b, c'"
)


class TypeSyntaxError(ValueError):
    """The Type cell is not in the documented syntax."""


class DefaultError(ValueError):
    """A default does not fit its declared type."""


@dataclass(frozen=True)
class SettingType:
    """A parsed Type cell: the runtime's type name, with bounds or choices where given."""

    kind: str  # bool, string, dsn, integer, float, enum
    label: str  # the cell as written, for the docs
    minimum: int | float | None = None
    maximum: int | float | None = None
    choices: tuple[str, ...] = ()

    def coerce(self, text: str) -> Value:
        """Turn a Default cell into a typed value, or raise ``DefaultError`` saying why not."""
        if self.kind == "bool":
            if text.lower() in ("true", "false"):
                return text.lower() == "true"
            raise DefaultError(f"`{text}` is not a boolean (write true or false)")
        if self.kind == "string":
            return text
        if self.kind == "dsn":
            if text and (problem := dsn_problem(text)) is not None:
                raise DefaultError(f"`{text}` is not a valid DSN: {problem}")
            return text
        if self.kind == "enum":
            if text not in self.choices:
                raise DefaultError(f"`{text}` is not one of: {', '.join(self.choices)}")
            return text
        number = self._number(text)
        if self.minimum is not None and number < self.minimum:
            raise DefaultError(f"`{text}` is below the minimum {self.minimum}")
        if self.maximum is not None and number > self.maximum:
            raise DefaultError(f"`{text}` is above the maximum {self.maximum}")
        return number

    def _number(self, text: str) -> int | float:
        if self.kind == "integer":
            if not _INTEGER.match(text):
                raise DefaultError(f"`{text}` is not an integer")
            return int(text)
        if not _FLOAT.match(text):
            raise DefaultError(f"`{text}` is not a number")
        value = float(text)
        if not math.isfinite(value):  # pragma: no cover - the pattern admits no inf/nan
            raise DefaultError(f"`{text}` is not a finite number")
        return value


def _bound(kind: str, text: str) -> int | float:
    if kind == "integer":
        if not _INTEGER.match(text):
            raise TypeSyntaxError(f"the bound {text} of an integer must be a whole number")
        return int(text)
    return float(text)


def parse_type(cell: str) -> SettingType:
    """Parse a Type cell (see the module docstring) or raise ``TypeSyntaxError``."""
    text = " ".join(cell.split())
    simple = {
        "boolean": "bool",
        "string": "string",
        "dsn": "dsn",
        "integer": "integer",
        "float": "float",
    }
    if text.lower() in simple:
        return SettingType(kind=simple[text.lower()], label=text)
    if match := _RANGE.match(text):
        kind, low, high = match.groups()
        lo, hi = _bound(kind, low), _bound(kind, high)
        if lo > hi:
            raise TypeSyntaxError(f"the range {low}..{high} is empty")
        return SettingType(kind=kind, label=text, minimum=lo, maximum=hi)
    if match := _BOUND.match(text):
        kind, op, num = match.groups()
        value = _bound(kind, num)
        if op == ">=":
            return SettingType(kind=kind, label=text, minimum=value)
        return SettingType(kind=kind, label=text, maximum=value)
    if match := _ONE_OF.match(text):
        choices = tuple(part.strip() for part in match.group(1).split(","))
        bad = [c for c in choices if not _CHOICE.match(c)]
        if bad:
            raise TypeSyntaxError(f"choice {bad[0]!r} must be a single word")
        if len(set(choices)) != len(choices):
            raise TypeSyntaxError("a choice is listed twice")
        return SettingType(kind="enum", label=text, choices=choices)
    raise TypeSyntaxError(f"unknown type `{text}`; expected {TYPE_SYNTAX}")


def dsn_problem(text: str) -> str | None:
    """Why ``text`` is not a usable Sentry DSN, or None when it is one."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as err:
        return str(err)
    del port  # only parsed to reject a malformed port
    if parts.scheme not in ("http", "https"):
        return "the scheme must be http or https"
    if not parts.username:
        return "the public key (before @) is missing"
    if not parts.hostname:
        return "the host is missing"
    project = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if not project.isdigit():
        return "the path must end with the numeric project id"
    return None
