"""Error-tracking settings: the generated TOML's defaults, overridden by environment variables.

The TOML (``runtime/config/error_tracking.toml``) is generated from the error-tracking spec; this
module only interprets it. Each ``[settings.NAME]`` table declares a ``type`` (bool, string, dsn,
float, integer, enum), a ``default`` and optional ``min``/``max``/``choices``. An environment
variable with the same name overrides the default; an unset or empty variable keeps the default (as
the spec says, so ``SENTRY_ENABLED=`` from a compose file means "not set", not "false"); a value that
does not parse is reported and the default is kept, because the app must boot whatever its environment
looks like.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .sensitive import Vocabulary

CONFIG_PATH = Path(__file__).resolve().parent / "config" / "error_tracking.toml"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_TYPES = {"bool", "string", "dsn", "float", "integer", "enum"}


class ConfigError(Exception):
    """The config file is missing or malformed; the message names the file (and line if known)."""


@dataclass(frozen=True)
class SettingSpec:
    """One declared setting, as the TOML describes it."""

    name: str
    type: str
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrackingConfig:
    """The declared settings and scrub lists of one config file."""

    path: Path
    settings: Mapping[str, SettingSpec]
    scrubbing: Vocabulary


@dataclass
class ResolvedSettings:
    """Effective values after environment overrides, plus what went wrong on the way."""

    values: dict[str, Any]
    problems: list[str] = field(default_factory=list)

    def get(self, name: str, fallback: Any = None) -> Any:
        """Return a setting's value, or ``fallback`` when the config does not declare it."""
        return self.values.get(name, fallback)


def _error(path: Path, message: str) -> ConfigError:
    return ConfigError(f"{path}: {message}")


def load_config(path: Path = CONFIG_PATH) -> TrackingConfig:
    """Read and check the generated config; raise ConfigError with file (and line) on problems."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _error(path, "not found (run `spec generate`)") from None
    except OSError as exc:
        raise _error(path, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise _error(path, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib puts "(at line N, column M)" in its message.
        raise _error(path, f"invalid TOML: {exc}") from None

    tables = raw.get("settings", {})
    if not isinstance(tables, dict):
        raise _error(path, "[settings] must be a table of tables")
    specs: dict[str, SettingSpec] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise _error(path, f"[settings.{name}] must be a table")
        kind = table.get("type")
        if kind not in _TYPES:
            raise _error(
                path, f"[settings.{name}] type must be one of {sorted(_TYPES)}, got {kind!r}"
            )
        choices = tuple(str(c) for c in table.get("choices", ()))
        if kind == "enum" and not choices:
            raise _error(path, f"[settings.{name}] an enum needs a non-empty choices list")
        spec = SettingSpec(
            name=name,
            type=kind,
            default=None,
            minimum=table.get("min"),
            maximum=table.get("max"),
            choices=choices,
        )
        default = table.get("default")
        try:
            checked = _coerce(spec, default) if isinstance(default, str) else _check(spec, default)
        except ValueError as exc:
            raise _error(path, f"[settings.{name}] default: {exc}") from None
        specs[name] = SettingSpec(name, kind, checked, spec.minimum, spec.maximum, choices)

    scrubbing = raw.get("scrubbing", {})
    if not isinstance(scrubbing, dict):
        raise _error(path, "[scrubbing] must be a table")
    lists: dict[str, tuple[str, ...]] = {}
    # Every list of the spec's scrubbing requirement; one left out is read as empty.
    for key in Vocabulary.__dataclass_fields__:
        value = scrubbing.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise _error(path, f"[scrubbing] {key} must be a list of non-empty strings")
        lists[key] = tuple(value)
    return TrackingConfig(path, specs, Vocabulary(**lists))


def _check(spec: SettingSpec, value: Any) -> Any:
    """Check an already-typed value (a TOML default) against its declaration."""
    if spec.type == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if spec.type in {"float", "integer"}:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {value!r}")
        return _bounded(spec, float(value) if spec.type == "float" else _as_int(value))
    return _coerce(spec, str(value))


def _as_int(value: int | float) -> int:
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"expected an integer, got {value!r}")
    return int(value)


def _bounded(spec: SettingSpec, value: float | int) -> float | int:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    if spec.minimum is not None and value < spec.minimum:
        raise ValueError(f"{value!r} is below the minimum {spec.minimum!r}")
    if spec.maximum is not None and value > spec.maximum:
        raise ValueError(f"{value!r} is above the maximum {spec.maximum!r}")
    return value


def _coerce(spec: SettingSpec, text: str) -> Any:
    """Turn an environment string into the declared type; raise ValueError with a short reason."""
    stripped = text.strip()
    if spec.type == "bool":
        lowered = stripped.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"expected one of true/false/1/0/yes/no/on/off, got {text!r}")
    if spec.type == "float":
        try:
            return _bounded(spec, float(stripped))
        except ValueError as exc:
            if "could not convert" in str(exc):
                raise ValueError(f"expected a number, got {text!r}") from None
            raise
    if spec.type == "integer":
        try:
            number = int(stripped)
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
        return _bounded(spec, number)
    if spec.type == "enum":
        if stripped.lower() not in spec.choices:
            raise ValueError(f"expected one of {', '.join(spec.choices)}, got {text!r}")
        return stripped.lower()
    # string and dsn: a DSN is checked where it is used, so a bad one can be explained there.
    return stripped


def _redacted(spec: SettingSpec, text: str) -> str:
    # A DSN carries the project's key; never echo it back into logs.
    return "<hidden>" if spec.type == "dsn" else repr(text)


def resolve(config: TrackingConfig, env: Mapping[str, str]) -> ResolvedSettings:
    """Apply environment overrides to the declared defaults; collect one message per bad value."""
    resolved = ResolvedSettings(values={})
    for name, spec in config.settings.items():
        value = spec.default
        if env.get(name, "").strip():
            try:
                value = _coerce(spec, env[name])
            except ValueError as exc:
                shown = _redacted(spec, env[name])
                reason = str(exc).replace(repr(env[name]), shown)
                resolved.problems.append(
                    f"{name}: ignoring {shown} ({reason}); using the default {spec.default!r}"
                )
        resolved.values[name] = value
    return resolved
