"""The scrubber: names by their words, values by their shape, free text, depth, robustness.

Every test builds its scrubber from the shipped config (generated from the spec), so a word
removed from the spec's lists makes these tests fail.
"""

from __future__ import annotations

import copy
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

from runtime.scrubbing import MASK, MAX_DEPTH, TOO_DEEP, Scrubber  # noqa: E402
from runtime.sensitive import luhn_valid, words_of  # noqa: E402
from runtime.settings import CONFIG_PATH, load_config  # noqa: E402

SECRET = "Zq8vLr2Kx"  # short and plain, so only a rule that names it can catch it
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CARD = "4111 1111 1111 1111"
RANDOM_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dcQ"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\n-----END RSA PRIVATE KEY-----"


@pytest.fixture(scope="module")
def scrubber() -> Scrubber:
    return Scrubber(load_config(CONFIG_PATH).scrubbing)


def _text(value: Any) -> str:
    return json.dumps(value, default=str)


# ---- names -----------------------------------------------------------------------------------

SENSITIVE_NAMES = [
    # the spellings
    "pwd", "pass", "db_passwd", "googleApiKey", "X-ApiKey", "X-Session-Id", "X-CSRF",
    "session_id", "jwt", "sig", "otp", "pw", "auth_header", "creds",
    # and the usual ones, in other spellings
    "password", "PASSWORD", "user.password", "creds[pass]", "Authorization", "Cookie",
    "Set-Cookie", "x-api-key", "X_Api_Key", "CSRFToken", "csrftoken", "sessionid", "access_token",
    "refreshToken", "client_secret", "privateKey", "private_key", "rsaprivatekey", "apikeys",
    "AWS_SECRET_ACCESS_KEY", "x-amz-security-token", "card_number", "cvv", "ssn", "SENTRY_DSN",
    "totp_code", "passphrase", "signature", "X-Hub-Signature-256", "credentials", "pin",
]  # fmt: skip

READABLE_NAMES = [
    "id", "user_id", "event_id", "trace_id", "name", "username", "email", "sort_key", "key",
    "primary_key", "version", "api_version", "token_count", "password_length", "card_type",
    "count", "items", "author", "bypass", "content-type", "Accept", "page", "keyboard",
]  # fmt: skip


@pytest.mark.parametrize("name", SENSITIVE_NAMES)
def test_sensitive_names_in_any_spelling(scrubber: Scrubber, name: str) -> None:
    assert scrubber.rules.is_sensitive_name(name)


@pytest.mark.parametrize("name", READABLE_NAMES)
def test_ordinary_names_stay_readable(scrubber: Scrubber, name: str) -> None:
    assert not scrubber.rules.is_sensitive_name(name)


def test_words_of_a_name() -> None:
    assert words_of("googleApiKey") == ["google", "api", "key"]
    assert words_of("X-CSRFToken") == ["x", "csrf", "token"]
    assert words_of("creds[pass].v2") == ["creds", "pass", "v", "2"]


@pytest.mark.scenario("error-tracking", "Names spelled any way")
@pytest.mark.parametrize("name", SENSITIVE_NAMES)
def test_a_sensitive_name_is_masked_in_every_request_place(scrubber: Scrubber, name: str) -> None:
    event: dict[str, Any] = {
        "request": {
            "headers": {name: SECRET, "Accept": "text/html"},
            "cookies": {name: SECRET},
            "query_string": f"page=2;{name}={SECRET}&sort=asc",
            "data": {"outer": [{name: SECRET, "n": 3}]},
        },
        "contexts": {"body_params": {name: SECRET, "nested": {name: {"deeper": SECRET}}}},
        "extra": {name: SECRET},
        "tags": {name: SECRET},
    }
    scrubber(event, {})
    assert SECRET not in _text(event)
    assert event["request"]["headers"]["Accept"] == "text/html"
    assert event["request"]["query_string"].startswith("page=2;")
    assert event["request"]["query_string"].endswith("&sort=asc")
    assert event["request"]["data"]["outer"][0]["n"] == 3


@pytest.mark.scenario("error-tracking", "Ordinary fields stay readable")
def test_ordinary_fields_keep_their_values(scrubber: Scrubber) -> None:
    body = {
        "user_id": 42, "name": "Ada Lovelace", "sort_key": "created_at", "version": "2.8.2",
        "token_count": 1234, "items": [{"id": 7, "count": 3, "price": 9.5}], "page": 2,
        "event_id": "9f1c2b3a4d5e6f708192a3b4c5d6e7f8", "uuid": "123e4567-e89b-12d3-a456-426614174000",
        "path": "/usr/lib/python3.11/site-packages/emmett_core/routing/router.py",
        "message": "Order 1234 shipped to Ada at 12:30; status: done", "ratio": 0.25,
        "active": True, "nothing": None, "timestamp": 1732895127123,
    }  # fmt: skip
    event = {"request": {"data": copy.deepcopy(body)}, "contexts": {"body_params": body}}
    expected = copy.deepcopy(body)
    scrubber(event, {})
    assert event["request"]["data"] == expected
    assert event["contexts"]["body_params"] == expected


# ---- values by shape -------------------------------------------------------------------------


@pytest.mark.scenario("error-tracking", "A credential under an innocent name")
@pytest.mark.parametrize(
    "secret",
    [JWT, CARD, "4111-1111-1111-1111", "4111111111111111", RANDOM_KEY, "Bearer abc.def-ghi",
     "Basic dXNlcjpodW50ZXIy", PEM, PEM.rsplit("\n", 1)[0]],
)  # fmt: skip
def test_credential_shaped_values_are_masked_under_any_name(
    scrubber: Scrubber, secret: str
) -> None:
    event: dict[str, Any] = {"request": {"data": {"note": f"see {secret} here", "ok": "fine"}}}
    scrubber(event, {})
    note = event["request"]["data"]["note"]
    core = secret.split()[-1] if secret.startswith(("Bearer", "Basic")) else secret
    assert MASK in note and core not in note, note
    assert note.startswith("see "), note
    # a PEM block cut before its END line takes the rest of the text with it
    assert note.endswith(" here") or (secret.startswith("-----BEGIN") and "END" not in secret)
    assert event["request"]["data"]["ok"] == "fine"


def test_short_bearer_and_basic_values(scrubber: Scrubber) -> None:
    assert scrubber.rules.scrub_text("Bearer x1") == "Bearer [Filtered]"
    assert scrubber.rules.scrub_text("Basic YTpi") == "Basic [Filtered]"  # a:b


def test_url_credentials_and_integer_card_numbers(scrubber: Scrubber) -> None:
    event: dict[str, Any] = {
        "extra": {"db": "postgresql://bugsink:s3cr3tpw@db:5432/bugsink", "n": 4111111111111111},
    }
    scrubber(event, {})
    assert event["extra"]["db"] == "postgresql://[Filtered]@db:5432/bugsink"
    assert event["extra"]["n"] == MASK


def test_near_misses_stay_readable(scrubber: Scrubber) -> None:
    kept = [
        "4111 1111 1111 1112",  # fails Luhn
        "1732895127123",  # a millisecond timestamp: cards start with 2 to 6
        "Basic information about the order",
        "test_runtime_scrubbing_speed_benchmark_2024",  # an identifier, not random
        "0123456789abcdef0123456789abcdef",  # hex: an id
    ]
    event: dict[str, Any] = {"extra": {f"k{i}": text for i, text in enumerate(kept)}}
    scrubber(event, {})
    assert list(event["extra"].values()) == kept


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


# ---- free text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"password={SECRET}", "password=[Filtered]"),
        (f"a=1;pwd={SECRET}&b=2", "a=1;pwd=[Filtered]&b=2"),
        (f"token: {SECRET} and more\nnext: line", "token: [Filtered]\nnext: line"),
        (f"{{'password': '{SECRET}', 'n': 1}}", "{'password': '[Filtered]', 'n': 1}"),
        (f'{{"apiKey":"{SECRET}","n":1}}', '{"apiKey":"[Filtered]","n":1}'),
        (f"creds={{'pass': '{SECRET}', 'u': 1}} tail", "creds=[Filtered] tail"),
        (f"Authorization: Bearer {SECRET}", "Authorization: [Filtered]"),
        (f"login failed for ada (pw={SECRET})", "login failed for ada (pw=[Filtered])"),
        (f"password='{SECRET}", "password=[Filtered]"),  # unterminated: the rest goes
    ],
)
def test_free_text_pairs(scrubber: Scrubber, text: str, expected: str) -> None:
    assert scrubber.rules.scrub_text(text) == expected


@pytest.mark.scenario("error-tracking", "Secrets written into messages")
def test_messages_breadcrumbs_and_log_parameters(scrubber: Scrubber) -> None:
    event: dict[str, Any] = {
        "exception": {"values": [{"type": "ValueError", "value": f"password={SECRET}"}]},
        "logentry": {"message": "token=%s", "params": [SECRET, 3], "formatted": f"token={SECRET}"},
        "breadcrumbs": {
            "values": [
                {"category": "app", "message": f"reset with token={SECRET}",
                 "data": {"note": f"otp: {SECRET}", "attempt": 2}},
                {"category": "httplib", "data": {"http.query": f"q=1;api_key={SECRET}"}},
            ]
        },
        "extra": {"detail": f"sig={SECRET}"},
        "transaction": f"/login?session={SECRET}",
    }  # fmt: skip
    scrubber(event, {})
    assert SECRET not in _text(event)
    assert event["exception"]["values"][0]["value"] == "password=[Filtered]"
    assert event["logentry"]["params"] == [MASK, 3]
    assert event["breadcrumbs"]["values"][0]["data"]["attempt"] == 2
    assert event["breadcrumbs"]["values"][1]["data"]["http.query"] == "q=1;api_key=[Filtered]"


@pytest.mark.scenario("error-tracking", "Secrets in frame locals")
def test_frame_locals_by_word_and_source_lines_by_shape_only(scrubber: Scrubber) -> None:
    source = 'password = form["password"]'
    frame = {
        "function": "login",
        "context_line": source,
        "vars": {
            "pw": f"'{SECRET}'", "auth_header": f"'Bearer {SECRET}'",
            "creds": {"pass": f"'{SECRET}'"}, "params": {"user": "'ann'", "db_password": "'x'"},
            "beyond_serializer_depth": f"{{'inner': {{'passwd': '{SECRET}'}}}}", "n": "3",
        },
    }  # fmt: skip
    event: dict[str, Any] = {"exception": {"values": [{"stacktrace": {"frames": [frame]}}]}}
    scrubber(event, {})
    assert SECRET not in _text(event)
    assert frame["context_line"] == source
    assert frame["vars"]["params"] == {"user": "'ann'", "db_password": MASK}
    assert frame["vars"]["n"] == "3"


# ---- route parameters ------------------------------------------------------------------------


def test_route_values_are_masked_everywhere(scrubber: Scrubber) -> None:
    token = "tok-9d8c7b6a"
    event: dict[str, Any] = {
        "request": {"url": f"http://h/reset/{token}"},
        "transaction": f"/reset/{token}",
        "tags": {"path": f"/reset/{token}"},
        "breadcrumbs": {"values": [{"message": f"reset requested for {token}"}]},
        "exception": {"values": [{"value": f"unknown {token}"}]},
    }
    scrubber.scrub_event(event, [token])
    assert token not in _text(event)
    assert event["request"]["url"] == "http://h/reset/[Filtered]"


def test_a_short_route_value_is_masked_only_as_a_whole_segment(scrubber: Scrubber) -> None:
    event: dict[str, Any] = {"request": {"url": "http://h/a/ab/abc"}, "message": "ab and abc"}
    scrubber.scrub_event(event, ["ab"])
    assert event["request"]["url"] == "http://h/a/[Filtered]/abc"
    assert event["message"] == "ab and abc"


# ---- depth -----------------------------------------------------------------------------------


def _nested(depth: int, leaf: dict[str, Any]) -> dict[str, Any]:
    node = leaf
    for _ in range(depth):
        node = {"level": node}
    return node


def test_nothing_past_the_depth_limit_is_kept(scrubber: Scrubber) -> None:
    body = _nested(100, {"value": SECRET, "list": [[[SECRET]]]})
    event: dict[str, Any] = {
        "contexts": {"body_params": body},
        "request": {"data": [copy.deepcopy(body)]},
    }
    scrubber(event, {})
    text = _text(event)
    assert SECRET not in text
    assert TOO_DEEP in text
    node: Any = event["contexts"]["body_params"]
    depth = 2
    while isinstance(node, dict):
        node = node["level"]
        depth += 1
    # the container at the limit is replaced whole: keys and values past it are gone
    assert node == TOO_DEEP and depth == MAX_DEPTH


def test_keys_past_the_limit_are_not_kept_either(scrubber: Scrubber) -> None:
    event: dict[str, Any] = {"extra": _nested(40, {f"note {SECRET}": 1, "x": [[{"y": SECRET}]]})}
    scrubber(event, {})
    assert SECRET not in _text(event)


def test_a_secret_within_the_limit_is_masked_by_name(scrubber: Scrubber) -> None:
    event: dict[str, Any] = {"contexts": {"body_params": _nested(10, {"password": SECRET})}}
    scrubber(event, {})
    assert SECRET not in _text(event) and TOO_DEEP not in _text(event)


# ---- robustness ------------------------------------------------------------------------------

_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12) | st.integers(), children, max_size=4)
    | st.tuples(children, children),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(shape=_JSONISH, name=st.sampled_from(SENSITIVE_NAMES))
def test_any_event_shape_is_scrubbed_without_raising(
    scrubber: Scrubber, shape: Any, name: str
) -> None:
    event: dict[str, Any] = {"extra": {"shape": shape, name: SECRET}, "weird": shape}
    result = scrubber(event, {})
    assert SECRET not in _text(result)


def test_unusual_values_and_cycles(scrubber: Scrubber) -> None:
    class Odd:
        def __str__(self) -> str:
            return f"password={SECRET}"

    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no")

    loop: list[Any] = []
    loop.append(loop)
    event: dict[str, Any] = {
        "extra": {"odd": Odd(), "broken": Broken(), "loop": loop, 3: b"token=abc", "t": (1, f"pwd={SECRET}")},
        "exception": "not a dict",
        "breadcrumbs": None,
    }
    result = scrubber(event, {})
    text = repr(result)  # the self-containing list stays, so not JSON
    assert SECRET not in text
    assert "password=[Filtered]" in text and "token=[Filtered]" in text
    assert result["extra"]["broken"] == "<Broken>"


def test_a_failing_walk_sends_a_skeleton_not_the_event(
    scrubber: Scrubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(scrubber, "_walk", explode)
    event = {"event_id": "e1", "level": "error", "extra": {"password": SECRET},
             "exception": {"values": [{"type": "ValueError", "value": SECRET}]}}  # fmt: skip
    result = scrubber(event, {})
    assert SECRET not in _text(result)
    assert result["event_id"] == "e1"
    assert result["exception"]["values"][0]["type"] == "ValueError"


# ---- linear time -----------------------------------------------------------------------------

PATHOLOGICAL: list[Callable[[int], str]] = [
    lambda n: "a" * n,
    lambda n: "password=" * n,
    lambda n: "password='" + "\\'" * n,
    lambda n: "token: " + "{" * n,
    lambda n: "a" + "-" * n + "=",
    lambda n: "x://" + "u" * n,
    lambda n: "http://" * n,
    lambda n: "-----BEGIN A-----" * n,
    lambda n: "eyJ" * n + "." * n,
    lambda n: "Bearer " * n,
    lambda n: "4" * n,
    lambda n: "4 " * n,
    lambda n: "Ab1" * n,
    lambda n: ("a_" * 60 + "=") * n,
]


@pytest.mark.parametrize("make", PATHOLOGICAL)
def test_text_scrubbing_grows_linearly(scrubber: Scrubber, make: Callable[[int], str]) -> None:
    """A wide-margin growth check: 8x the input may cost at most ~30x the time (quadratic: 64x)."""

    def cost(n: int) -> float:
        text = make(n)
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            scrubber.rules.scrub_text(text)
            best = min(best, time.perf_counter() - start)
        return best

    # The collector's full passes grow with everything the test process holds, not with the
    # text: keep them out of the measurement.
    gc.collect()
    gc.disable()
    try:
        small, large = cost(1_000), cost(8_000)
    finally:
        gc.enable()
    assert large < max(small, 1e-4) * 30, (small, large)
