"""The scrubber masks sensitive keys in any spelling, at any depth, and keeps the rest."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from runtime.scrubbing import MASK, Scrubber  # noqa: E402
from runtime.settings import CONFIG_PATH, load_config  # noqa: E402


@pytest.fixture
def scrubber() -> Scrubber:
    config = load_config(CONFIG_PATH)
    return Scrubber(config.scrub_fields, config.scrub_name_contains)


@pytest.mark.parametrize(
    "name", ["Authorization", "AUTHORIZATION", "x-api-key", "X_Api_Key", "Cookie", "Set-Cookie"]
)
def test_headers_in_any_spelling(scrubber: Scrubber, name: str) -> None:
    event: dict[str, Any] = {"request": {"headers": {name: "s3cr3t", "Accept": "text/html"}}}
    scrubber(event, {})
    assert event["request"]["headers"] == {name: MASK, "Accept": "text/html"}


def test_query_string_and_url(scrubber: Scrubber) -> None:
    event: dict[str, Any] = {
        "request": {
            "query_string": "token=abc&page=2&access_token=def",
            "url": "http://h/p?api_key=ghi&q=x",
        }
    }
    scrubber(event, {})
    assert "abc" not in str(event) and "def" not in str(event) and "ghi" not in str(event)
    assert "page=2" in event["request"]["query_string"]
    assert event["request"]["url"].endswith("q=x")


def test_nested_bodies_contexts_and_frame_locals(scrubber: Scrubber) -> None:
    event: dict[str, Any] = {
        "contexts": {"body_params": {"password": "p", "profile": {"db_password": "q", "a": 1}}},
        "request": {"data": {"items": [{"secret": "r"}, {"name": "ok"}]}},
        "exception": {
            "values": [
                {"stacktrace": {"frames": [{"vars": {"params": {"sessionid": "s"}, "n": "1"}}]}}
            ]
        },
        "request_headers_as_pairs": [["Authorization", "t"], ["Accept", "*/*"]],
    }
    scrubber(event, {})
    text = str(event)
    for value in ("'p'", "'q'", "'r'", "'s'", "'t'"):
        assert value not in text
    assert event["contexts"]["body_params"]["profile"]["a"] == 1
    assert event["request"]["data"]["items"][1] == {"name": "ok"}
    assert event["request_headers_as_pairs"][1] == ["Accept", "*/*"]


def test_non_sensitive_names_are_left_alone(scrubber: Scrubber) -> None:
    assert not scrubber.is_sensitive("username")
    assert not scrubber.is_sensitive("content-type")
    assert scrubber.is_sensitive("user_password_hash")  # name_contains
    assert scrubber.is_sensitive("CSRFToken")
