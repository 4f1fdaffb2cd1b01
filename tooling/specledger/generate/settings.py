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
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

Value = bool | int | float | str

# re.ASCII: \d would otherwise accept any script's digits ("١٢٣"), which int() reads as 123.
_NUMBER = r"[-+]?\d+(?:\.\d+)?"
_RANGE = re.compile(rf"^(integer|float)\s+({_NUMBER})\s*\.\.\s*({_NUMBER})$", re.ASCII)
_BOUND = re.compile(rf"^(integer|float)\s*(>=|<=)\s*({_NUMBER})$", re.ASCII)
_ONE_OF = re.compile(r"^one\s+of\s*:\s*(.+)$", re.IGNORECASE)
_CHOICE = re.compile(r"^[A-Za-z0-9_.-]+$")
_INTEGER = re.compile(r"^[-+]?\d+$", re.ASCII)
_FLOAT = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$", re.ASCII)

# TOML integers are 64-bit signed; a parser may refuse anything wider, so we never write one.
INTEGER_MIN = -(2**63)
INTEGER_MAX = 2**63 - 1
# Longer number texts are refused before conversion: int() raises ValueError past 4,300 digits,
# and no 64-bit integer or useful float needs more than a few dozen characters.
MAX_NUMBER_CHARS = 64
# Unicode categories refused in every default: control characters (Cc: NUL, VT, FF, RS, U+0085,
# ...), format characters (Cf: bidi overrides, zero-width spaces) and the line and paragraph
# separators (Zl U+2028, Zp U+2029). A default is one line of visible text; these would break the
# env file's lines (for Python's splitlines or for Compose) or hide what a reviewer reads.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
# An env value made only of these is written bare; anything else is single-quoted.
_ENV_BARE = re.compile(r"[A-Za-z0-9_.,:/@+%=~-]*")
_ENV_FORBIDDEN = "'\"$`"

TYPE_SYNTAX = (
    "boolean, string, dsn, integer, float, 'integer >= N', 'float <= N', 'float N..M' "
    "or 'one of: a, b, c'"
)


class TypeSyntaxError(ValueError):
    """The Type cell is not in the documented syntax."""


class DefaultError(ValueError):
    """A default does not fit its declared type."""


def shown(text: str, limit: int = 40) -> str:
    """``text`` for a message: cut after ``limit`` characters (with its length) and escaped."""
    if len(text) > limit:
        text = f"{text[:limit]}... ({len(text)} characters)"
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text


def invisible_character(text: str) -> str | None:
    """The first character of ``text`` a default may not hold (as ``U+XXXX name``), or None."""
    for char in text:
        if unicodedata.category(char) in _INVISIBLE_CATEGORIES:
            name = unicodedata.name(char, "control character")
            return f"U+{ord(char):04X} ({name})"
    return None


def env_value_problem(text: str) -> str | None:
    """Why ``text`` cannot be a value in a Compose ``.env`` file, or None when it can.

    Compose reads ``'...'`` literally except that a backslash escapes the closing quote, so a
    quoted value may hold anything but a quote, a line break and a final backslash. We refuse
    the other quote, ``$`` and the backtick as well: they are shell syntax a reader would
    misread, and a deployment default never needs them.
    """
    if (char := invisible_character(text)) is not None:
        return f"holds the invisible or line-breaking character {char}"
    for char in _ENV_FORBIDDEN:
        if char in text:
            return f"holds {char!r}, which an env file would interpret"
    if text.endswith("\\"):
        return "ends with a backslash, which would escape the closing quote"
    return None


def env_literal(text: str) -> str:
    """``text`` as written after ``NAME=`` in an env file: bare when that is unambiguous, else
    single-quoted (so `` #`` is not a comment, spaces are kept and nothing is interpolated).

    Raises ``ValueError`` for a value :func:`env_value_problem` refuses.
    """
    if (problem := env_value_problem(text)) is not None:
        raise ValueError(f"the env value `{shown(text)}` {problem}")
    return text if _ENV_BARE.fullmatch(text) else f"'{text}'"


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
        if (char := invisible_character(text)) is not None:
            raise DefaultError(f"`{shown(text)}` holds the invisible character {char}")
        if self.kind == "bool":
            if text.lower() in ("true", "false"):
                return text.lower() == "true"
            raise DefaultError(f"`{shown(text)}` is not a boolean (write true or false)")
        if self.kind == "string":
            return text
        if self.kind == "dsn":
            if text and (problem := dsn_problem(text)) is not None:
                raise DefaultError(f"`{shown(text)}` is not a valid DSN: {problem}")
            return text
        if self.kind == "enum":
            if text not in self.choices:
                raise DefaultError(f"`{shown(text)}` is not one of: {', '.join(self.choices)}")
            return text
        number = self._number(text)
        if self.minimum is not None and number < self.minimum:
            raise DefaultError(f"`{text}` is below the minimum {self.minimum}")
        if self.maximum is not None and number > self.maximum:
            raise DefaultError(f"`{text}` is above the maximum {self.maximum}")
        return number

    def _number(self, text: str) -> int | float:
        if len(text) > MAX_NUMBER_CHARS:
            raise DefaultError(
                f"`{shown(text)}` is too long for a number (at most {MAX_NUMBER_CHARS} characters)"
            )
        if self.kind == "integer":
            if not _INTEGER.match(text):
                raise DefaultError(f"`{text}` is not an integer")
            value = int(text)
            if not INTEGER_MIN <= value <= INTEGER_MAX:
                raise DefaultError(f"`{text}` does not fit in a 64-bit integer, which TOML requires")
            return value
        if not _FLOAT.match(text):
            raise DefaultError(f"`{text}` is not a number")
        number = float(text)
        if not math.isfinite(number):  # 1e999 overflows to inf, which TOML cannot hold
            raise DefaultError(f"`{text}` is not a finite number")
        return number


def _bound(kind: str, text: str) -> int | float:
    if len(text) > MAX_NUMBER_CHARS:
        raise TypeSyntaxError(
            f"the bound {shown(text)} is too long (at most {MAX_NUMBER_CHARS} characters)"
        )
    if kind == "integer":
        if not _INTEGER.match(text):
            raise TypeSyntaxError(f"the bound {text} of an integer must be a whole number")
        value = int(text)
        if not INTEGER_MIN <= value <= INTEGER_MAX:
            raise TypeSyntaxError(f"the bound {text} does not fit in a 64-bit integer")
        return value
    return float(text)  # at most MAX_NUMBER_CHARS digits: always finite


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
    raise TypeSyntaxError(f"unknown type `{shown(text)}`; expected {TYPE_SYNTAX}")


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
