"""Findings: what validation says about a file, as data until a reporter renders it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    ERROR = "ERROR"
    WARNING = "WARNING"
    INFO = "INFO"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Finding:
    """One problem (or note) in one file.

    ``code`` is stable across releases so scripts and CI can match on it; ``path`` is relative
    to the workspace root; ``line`` is 1-based when the finding points at a line.
    """

    level: Level
    code: str
    message: str
    path: str
    line: int | None = None
    environment: bool = False  # the file could not be read at all (exit code 2)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "level": self.level.value,
            "code": self.code,
            "path": self.path,
            "message": self.message,
        }
        if self.line is not None:
            data["line"] = self.line
        return data


def error(code: str, message: str, path: str, line: int | None = None) -> Finding:
    return Finding(Level.ERROR, code, message, path, line)


def warning(code: str, message: str, path: str, line: int | None = None) -> Finding:
    return Finding(Level.WARNING, code, message, path, line)


def info(code: str, message: str, path: str, line: int | None = None) -> Finding:
    return Finding(Level.INFO, code, message, path, line)
