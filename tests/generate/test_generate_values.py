"""The Type syntax and the TOML writer, checked directly."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from specledger.errors import SpecledgerError
from specledger.generate.extract import SCRUB_LABELS, read_spec_data
from specledger.generate.render import toml_value
from specledger.generate.settings import DefaultError, TypeSyntaxError, dsn_problem, parse_type


@given(st.text())
def test_any_string_round_trips_through_toml(text: str) -> None:
    assert tomllib.loads(f"v = {toml_value(text)}")["v"] == text


@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers() | st.booleans())
def test_numbers_and_booleans_round_trip_through_toml(value: float | int | bool) -> None:
    loaded = tomllib.loads(f"v = {toml_value(value)}")["v"]
    assert loaded == value and type(loaded) is type(value)


@pytest.mark.parametrize(
    ("cell", "kind", "minimum", "maximum", "choices"),
    [
        ("boolean", "bool", None, None, ()),
        ("float 0..1", "float", 0.0, 1.0, ()),
        ("integer >= 100", "integer", 100, None, ()),
        ("float <= 5", "float", None, 5.0, ()),
        ("one of: auto, on, off", "enum", None, None, ("auto", "on", "off")),
    ],
)
def test_type_syntax(
    cell: str, kind: str, minimum: float | None, maximum: float | None, choices: tuple[str, ...]
) -> None:
    parsed = parse_type(cell)
    assert (parsed.kind, parsed.minimum, parsed.maximum, parsed.choices) == (
        kind, minimum, maximum, choices,
    )  # fmt: skip


@pytest.mark.parametrize(
    "cell", ["text", "float 2..1", "integer >= 1.5", "one of: a, a", "one of: a b"]
)
def test_bad_type_syntax(cell: str) -> None:
    with pytest.raises(TypeSyntaxError):
        parse_type(cell)


def test_integer_default_is_an_int_and_float_default_a_float() -> None:
    assert parse_type("integer >= 100").coerce("100") == 100
    value = parse_type("float >= 0").coerce("2")
    assert value == 2.0 and isinstance(value, float)
    with pytest.raises(DefaultError):
        parse_type("float >= 0").coerce("-0.5")


@pytest.mark.parametrize(
    ("dsn", "ok"),
    [
        ("http://0123456789abcdef0123456789abcdef@127.0.0.1:8000/1", True),
        ("https://key@bugsink.example.org/12", True),
        ("not-a-dsn", False),
        ("http://127.0.0.1:8000/1", False),
        ("http://key@127.0.0.1:8000/", False),
        ("http://key@127.0.0.1:99999/1", False),
        ("ftp://key@host/1", False),
    ],
)
def test_dsn_check(dsn: str, ok: bool) -> None:
    assert (dsn_problem(dsn) is None) is ok


REAL_SPEC = Path(__file__).resolve().parents[2] / "specs/error-tracking/spec.md"


def test_every_scrub_list_of_the_spec_is_read() -> None:
    scrubbing = read_spec_data(REAL_SPEC, "spec.md").scrubbing
    assert set(vars(scrubbing)) == set(SCRUB_LABELS)
    assert {"pwd", "session", "jwt"} <= set(scrubbing.words)
    assert "api" in scrubbing.key_qualifiers
    assert "count" in scrubbing.readable
    assert "code" in scrubbing.route_params


@pytest.mark.parametrize("label", ["Sensitive words", "Key qualifiers", "Kept readable",
                                   "Secret route parameters"])  # fmt: skip
def test_a_missing_scrub_list_names_its_label(tmp_path: Path, label: str) -> None:
    spec = tmp_path / "spec.md"
    spec.write_text(REAL_SPEC.read_text(encoding="utf-8").replace(f"**{label}**", label),
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(SpecledgerError, match=rf"no \*\*{label}\*\* list"):
        read_spec_data(spec, "spec.md")
