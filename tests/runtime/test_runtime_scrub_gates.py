"""The gate that lets the scrubber skip most strings of an event (``Rules.suspects``).

Two promises: every credential shape and every sensitive pair passes the gate, alone or among
hundreds of ordinary strings, wherever it lies; and a string the gate lets go is one the rules
would have returned unchanged.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from runtime.scrubbing import MASK, Scrubber  # noqa: E402
from runtime.sensitive import Rules  # noqa: E402
from runtime.settings import CONFIG_PATH, load_config  # noqa: E402

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\n-----END RSA PRIVATE KEY-----"

# (text holding a secret, the secret): shapes masked in free text and in code alike
SHAPES = [
    (f"token {JWT} sent", JWT),
    ("token eyJhbGciOi.eyJzdWIi.dBjftJeZ4C sent", "dBjftJeZ4C"),  # segments too short for a token
    (f"key:\n{PEM}\nend", "MIIEowIBAAKCAQEAx"),
    ("card 4111 1111 1111 1111 on file", "4111 1111 1111 1111"),
    ("card 4111-1111-1111-1111 on file", "4111-1111-1111-1111"),
    ("card 4111111111111111", "4111111111111111"),
    ("db at postgresql://bugsink:s3cr3tpw@db:5432/bugsink", "s3cr3tpw"),
    ("header Bearer abc.def-ghi", "abc.def-ghi"),
    ("header bEaReR abc.def-ghi", "abc.def-ghi"),
    ("header Basic dXNlcjpodW50ZXIy", "dXNlcjpodW50ZXIy"),
    ("key sk_live_4eC39HqLyjWDarjtT1zdp7dcQ here", "sk_live_4eC39HqLyjWDarjtT1zdp7dcQ"),
]
# free text only: a value written after a sensitive name
PAIRS = [
    ("login failed (password=hunter2x)", "hunter2x"),
    ("reset with token: Zq8vLr2Kx", "Zq8vLr2Kx"),
    ('{"apiKey":"Zq8vLr2Kx"}', "Zq8vLr2Kx"),
    ("{'user.password' :\t'Zq8vLr2Kx'}", "Zq8vLr2Kx"),
    ("creds[pass]        =Zq8vLr2Kx", "Zq8vLr2Kx"),  # eight spaces: the most a pair allows
    ("at 10:30 ref=mail;otp=Zq8vLr2Kx", "Zq8vLr2Kx"),  # after separators of ordinary names
    ("a." * 46 + "password=Zq8vLr2Kx", "Zq8vLr2Kx"),  # a name of 100 characters, the longest
    ("pw=Zq8", "Zq8"),
]
# separators after no name, or after an ordinary one: no pair rule can change these
NOT_PAIRS = [
    "at 10:30 on 2026-11-29T10:00:00Z",
    "https://shop.example/item/6?ref=mail&order=12345",
    "note from customer 12345: please ring",
    "password         =x",  # nine spaces: not a pair
    "9password=x",  # a name starts with a letter
    "a." * 47 + "password=x",  # no name is longer than 100 characters
    "a." * 46 + "xpassword=x",
    "key=value; id: 7",
]
# Strings with none of the markers: the gate lets them go
PLAIN = [
    "deliver item 57 after 5pm to the back door, code 1234-00057",
    "Ada Lovelace",
    "/usr/lib/python3.11/emmett_core/router.py",
    "<emmett.rsgi.wrappers.Response object at 0x7fe3d8d3ca10>",
    "2.8.2",
    "",
    "x",
]


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules(load_config(CONFIG_PATH).scrubbing)


def _among_plain(secret_text: str, at: int, count: int = 300) -> list[str]:
    texts = [f"{PLAIN[i % len(PLAIN)]} {i}" for i in range(count)]
    texts[at] = secret_text
    return texts


@pytest.mark.parametrize("at", [0, 150, 299])
@pytest.mark.parametrize(("text", "secret"), SHAPES)
def test_every_shape_passes_the_gate_wherever_it_lies(
    rules: Rules, text: str, secret: str, at: int
) -> None:
    for free_text in (True, False):
        assert at in rules.suspects(_among_plain(text, at), free_text=free_text)
        assert rules.suspects([text], free_text=free_text) == [0]


@pytest.mark.parametrize("at", [0, 150, 299])
@pytest.mark.parametrize(("text", "secret"), PAIRS)
def test_every_pair_passes_the_gate_in_free_text(rules: Rules, text: str, secret: str, at: int) -> None:
    assert at in rules.suspects(_among_plain(text, at))


def test_ordinary_strings_do_not_pass_the_gate(rules: Rules) -> None:
    assert rules.suspects(PLAIN) == []
    assert rules.suspects(PLAIN, free_text=False) == []
    assert rules.suspects([]) == []


def test_separators_after_ordinary_names_do_not_pass_the_gate(rules: Rules) -> None:
    assert rules.suspects(NOT_PAIRS) == []
    for text in NOT_PAIRS:
        assert rules.scrub_text(text) == text


def test_positions_survive_newlines_and_characters_that_lower_case_to_two(rules: Rules) -> None:
    # "\n" joins the texts; "İ" lower-cases to two characters, which shifts the lowered text
    assert rules.suspects(["a\nb\n", "c", "Bearer abc.def"]) == [2]
    assert rules.suspects(["plain", "one\ntwo\npassword=x", "three\nfour", "eyJhbGc.eyJz.abc"]) == [1, 3]
    assert rules.suspects(["\n" * 5, "\nBearer abc", "x"], free_text=False) == [1]
    assert rules.suspects(["İİİ", "plain", "Bearer abc.def", "İ"]) == [2]
    assert rules.suspects(["İ" * 20, "Bearer x", "plain text, long enough to be hit"]) == [1]
    assert rules.suspects(["İ Basic dXNlcjpodW50ZXIy", "plain"]) == [0]
    assert rules.suspects(["ü" * 30, "4111 1111 1111 1111"]) == [1]


@pytest.mark.parametrize(("text", "secret"), SHAPES + PAIRS)
def test_the_scrubber_masks_a_secret_among_hundreds_of_ordinary_strings(
    text: str, secret: str
) -> None:
    scrubber = Scrubber(load_config(CONFIG_PATH).scrubbing)
    fields = {f"line_{i}_note": value for i, value in enumerate(_among_plain(text, 150))}
    event: dict[str, Any] = {
        "request": {"data": fields},
        "breadcrumbs": {"values": [{"message": value} for value in _among_plain(text, 7, 20)]},
    }
    scrubber(event, {})
    dumped = json.dumps(event)
    assert secret not in dumped
    assert MASK in event["request"]["data"]["line_150_note"]
    assert event["request"]["data"]["line_3_note"] == f"{PLAIN[3]} 3"


def test_integers_from_the_smallest_card_number_up_are_judged() -> None:
    scrubber = Scrubber(load_config(CONFIG_PATH).scrubbing)
    smallest = 2000000000008  # 13 digits from 2, Luhn-valid: the smallest a card can be
    event: dict[str, Any] = {"extra": {"a": smallest, "b": [-smallest, 4222222222222, smallest - 1]}}
    scrubber(event, {})
    assert event["extra"] == {"a": MASK, "b": [MASK, MASK, smallest - 1]}


def test_route_values_in_keys_are_masked_in_their_request_only() -> None:
    scrubber = Scrubber(load_config(CONFIG_PATH).scrubbing)
    key = "reset tok-9d8c7b6a"
    scrubber.scrub_event({"extra": {key: 1}})  # remembered as a plain key
    event: dict[str, Any] = {"extra": {key: 1}}
    scrubber.scrub_event(event, ["tok-9d8c7b6a"])
    assert event["extra"] == {"reset [Filtered]": 1}
    event = {"extra": {key: 1}}
    scrubber.scrub_event(event)  # another request's value is not this one's secret
    assert event["extra"] == {key: 1}


def test_a_credential_shaped_key_is_renamed_after_its_value_is_scrubbed() -> None:
    scrubber = Scrubber(load_config(CONFIG_PATH).scrubbing)
    event: dict[str, Any] = {"extra": {JWT: "password=hunter2x", "n": "ok"}}
    scrubber(event, {})
    assert JWT not in json.dumps(event) and "hunter2x" not in json.dumps(event)
    assert list(event["extra"].values()) == ["ok", "password=[Filtered]"]


# Text built from the characters and pieces the rules look for, so that random draws come close
# to every shape (and often make one).
_PIECES = st.sampled_from(
    ["eyJ", "eyJhbGc", ".", "-----BEGIN ", "KEY-----", "-----END", "Bearer ", "BASIC ", "bearer\t",
     "://", "@", "=", ":", "password", "token", "pwd", "user.", "creds[", "]", " ", " " * 8, "\t",
     "\n", "İ", "ẞ", "'", '"', "{", "4111", "1111 ", "-", "9", "dXNlcjpodW50ZXIy", "Zq8vLr2KxQ9",
     "aB3", "0" * 13, "x" * 25, "a." * 30]
)  # fmt: skip
_TEXT = st.lists(_PIECES | st.text(max_size=6), max_size=12).map("".join)


@settings(max_examples=600, deadline=None)
@given(texts=st.lists(_TEXT, max_size=8), free_text=st.booleans())
def test_what_the_gate_lets_go_the_rules_leave_unchanged(
    rules: Rules, texts: list[str], free_text: bool
) -> None:
    suspects = set(rules.suspects(texts, free_text=free_text))
    for index, text in enumerate(texts):
        if index not in suspects:
            assert rules.scrub_text(text, free_text=free_text) == text


# ---- linear time -----------------------------------------------------------------------------

PATHOLOGICAL_BATCHES = [
    lambda n: ["password=x"] * n,  # every text a suspect
    lambda n: [":" * 50] * n,
    lambda n: ["a" * 99 + " " * 8 + "=" + "a" * 99] * n,
    lambda n: ["://" + "a" * 100] * n,
    lambda n: ["://a@" * 20] * n,
    lambda n: ["İ" * 10, "Bearer x"] * n,
    lambda n: ["4 " * 30] * n,
    lambda n: ["eyJ" * 20] * n,
]


@pytest.mark.parametrize("make", PATHOLOGICAL_BATCHES)
def test_the_gate_grows_linearly_with_the_texts(rules: Rules, make: Callable[[int], list[str]]) -> None:
    """8x the texts may cost at most ~30x the time (quadratic: 64x)."""

    def cost(n: int) -> float:
        texts = make(n)
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            rules.suspects(texts)
            best = min(best, time.perf_counter() - start)
        return best

    gc.collect()
    gc.disable()  # the collector's full passes grow with the whole test process, not the texts
    try:
        small, large = cost(200), cost(1_600)
    finally:
        gc.enable()
    assert large < max(small, 1e-4) * 30, (small, large)
