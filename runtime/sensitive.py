"""What counts as a secret: names classified by their words, values by their shape, free text.

The rules are the ones the error-tracking spec states (requirement "Scrubbing of sensitive
fields"); the vocabularies come from the generated config. Every regular expression here runs in
time linear in its input: no quantified group contains another unbounded quantifier over an
overlapping class, and the few that backtrack do so over a bounded window.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import AnyStr

MASK = "[Filtered]"

# Words of a name: upper-case runs (an acronym before a capitalised word stays whole: CSRFToken ->
# CSRF, Token), capitalised words, lower-case runs and digit runs; everything else separates.
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z][a-z]*|[a-z]+|[0-9]+")
_NAME_LIMIT = 256  # a name longer than this is judged by its first 256 characters

# ---- value shapes -------------------------------------------------------------------------
_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]{0,64}-----")
_URL_USERINFO = re.compile(
    r"(?<![A-Za-z0-9+.\-])([A-Za-z][A-Za-z0-9+.\-]{0,31}://)([^\s/?#@'\"<>]{1,512})@"
)
# The part of _URL_USERINFO after the scheme, for many texts joined: where credentials can be
# (a literal start, which the regex engine finds quickly; no newline in between).
_URL_CREDENTIALS = re.compile(r"://[^\s/?#@'\"<>]{1,512}@")
_AUTH_SCHEME = re.compile(r"\b(Bearer|Basic)([ \t]{1,16})([A-Za-z0-9._~+/=-]{1,8192})", re.IGNORECASE)
# A dotted run (JWTs are three of its segments); starting only where a run starts keeps a failed
# attempt from being retried at every later character of the same run.
_DOTTED = re.compile(r"(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]{8,}")
# A card number stands alone: digits glued to letters (a hex id, a token) are not one.
_CARD = re.compile(r"(?<![0-9A-Za-z])[2-6](?:[ -]?[0-9]){12,18}(?![0-9A-Za-z])")
_TOKEN_RUN = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{24,}")
_HEX_ID = re.compile(r"[0-9A-Fa-f-]+")
_MIN_TOKEN = 24
_MIN_CARD = 13
# No integer of smaller magnitude has a card number's digits (13 or more, the first 2 to 6).
CARD_INT_FLOOR = 2 * 10**12
# Gates for the two patterns above, which most strings cannot match: both are built of ASCII
# characters only, so the text is read as ASCII bytes (any other character becomes "?", which
# belongs to neither) and mapped to one byte per class; a substring search then says whether a
# match is possible at all. A C-level pass over the bytes, several times cheaper than a regular
# expression scan. A card number is 13 or more digits once spaces and dashes are deleted; a
# token is a run of 24 token characters.
_TOKEN_CLASS = bytes(
    ord("t") if chr(byte) in "+/_=-" or (chr(byte).isascii() and chr(byte).isalnum()) else ord(" ")
    for byte in range(256)
)
_DIGIT_CLASS = bytes(ord("d") if chr(byte) in "0123456789" else ord(" ") for byte in range(256))
# For many texts joined, where deleting bytes would lose where each text starts: a card number
# lies within a run of 13 or more digits, spaces and dashes.
_CARD_RUN_CLASS = bytes(ord("d") if chr(byte) in "0123456789 -" else ord(" ") for byte in range(256))
_TOKEN_GATE = b"t" * _MIN_TOKEN
_CARD_GATE = b"d" * _MIN_CARD
# Substrings without which scrub_text changes nothing (see Rules.suspects), besides a pair's
# separator and a URL's "://" with "@".
_SHAPE_MARKERS = ("-----BEGIN", "eyJ")
_SCHEMES = ("bearer", "basic")  # searched in the lower-cased text

# ---- free text: `name=value`, `name: value`, `"name": "value"`, `'name': 'value'` ----------
# The lookbehind makes a name start only where a word starts, so each start is tried once.
_NAME_SEP = re.compile(
    r"(?<![A-Za-z0-9_.\-\[\]])([A-Za-z][A-Za-z0-9_.\-\[\]]{0,99})[\"']?[ \t]{0,8}([=:])[ \t]{0,8}"
)
# The same, read backwards from each separator: the name a match of _NAME_SEP would end at it
# (the name's first character, here its last, must still be a letter). Possessive quantifiers:
# nothing that was taken can be given back, so each separator costs at most 110 steps.
_NAME_BEFORE = re.compile(rb":[ \t]{0,8}+[\"']?+([A-Za-z0-9_.\-\[\]]{1,100}+)(?![A-Za-z0-9_.\-\[\]])")
_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_QUOTES = "\"'"
# An unquoted value ends at a separator. Single character classes only: a repeated group costs
# the regex engine bookkeeping per repetition, which grows faster than the text.
_UNQUOTED = {
    "=": re.compile(r"[^\s&;,'\"<>()\[\]{}]*"),
    ":": re.compile(r"[^\r\n&;,'\"<>()\[\]{}]*"),
}
_OPENERS = {"{": "}", "[": "]", "(": ")"}


@dataclass(frozen=True)
class Vocabulary:
    """The spec's scrub lists, as the generated config holds them."""

    fields: tuple[str, ...] = ()
    name_contains: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    key_qualifiers: tuple[str, ...] = ()
    readable: tuple[str, ...] = ()
    route_params: tuple[str, ...] = ()


def words_of(name: str) -> list[str]:
    """The lower-case words of a name (``X-ApiKey`` -> ``["x", "api", "key"]``)."""
    return [word.lower() for word in _WORDS.findall(name[:_NAME_LIMIT])]


def _compact(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def luhn_valid(digits: str) -> bool:
    """True when a string of digits passes the Luhn checksum used by payment cards."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _looks_random(run: str) -> bool:
    """A long token that mixes cases and digits with the entropy of a random key."""
    if _HEX_ID.fullmatch(run):
        return False  # identifiers: event ids, UUIDs, hashes
    has_upper = has_lower = has_digit = False
    for char in run:
        if char.isupper():
            has_upper = True
        elif char.islower():
            has_lower = True
        elif char.isdigit():
            has_digit = True
    if not (has_upper and has_lower and has_digit):
        return False
    length = len(run)
    entropy = -sum(n / length * math.log2(n / length) for n in Counter(run).values())
    return entropy >= 0.85 * math.log2(min(length, 64))


def _basic_credentials(value: str) -> bool:
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded


class Rules:
    """Classifies names and masks secrets inside text, with one vocabulary."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._fields = frozenset(_compact(f) for f in vocabulary.fields)
        self._fragments = tuple(c for c in (_compact(f) for f in vocabulary.name_contains) if c)
        self._words = frozenset(w.lower() for w in vocabulary.words)
        self._qualifiers = frozenset(q.lower() for q in vocabulary.key_qualifiers)
        self._key_suffixes = tuple(f"{q}{k}" for q in self._qualifiers for k in ("key", "keys"))
        self._readable = frozenset(r.lower() for r in vocabulary.readable)
        self._route_params = frozenset(p.lower() for p in vocabulary.route_params)
        self._name_cache: dict[str, bool] = {}  # name -> sensitive

    # ---- names ----------------------------------------------------------------------------
    def is_sensitive_name(self, name: str) -> bool:
        """True when a value stored under ``name`` must be masked whole."""
        known = self._name_cache.get(name)
        if known is None:
            known = self._classify(name)
            if len(self._name_cache) > 4096:  # names come from requests: keep the memo bounded
                self._name_cache.clear()
            self._name_cache[name] = known
        return known

    def _classify(self, name: str) -> bool:
        words = words_of(name)
        if not words or words[-1] in self._readable:
            return False
        compact = "".join(words)
        if compact in self._fields or any(f in compact for f in self._fragments):
            return True
        for index, word in enumerate(words):
            if word in self._words:
                return True
            if word in ("key", "keys") and index and words[index - 1] in self._qualifiers:
                return True
            if word.endswith(self._key_suffixes):
                return True
        return False

    def is_secret_route_param(self, name: str) -> bool:
        """True when a route parameter's value must be masked wherever it appears."""
        return name.lower() in self._route_params or self.is_sensitive_name(name)

    # ---- text -----------------------------------------------------------------------------
    def scrub_text(self, text: str, free_text: bool = True) -> str:
        """``text`` with every credential-shaped part masked and, with ``free_text``, every
        value written after a sensitive name (``password=x``, ``"token": "y"``)."""
        size = len(text)
        has_separator = "=" in text or ":" in text
        if size < 13:  # too short for any shape but `Bearer x` and a pair
            if free_text and has_separator:
                text = self._scrub_pairs(text)
            lowered = text.lower()
            if "bearer" in lowered or "basic" in lowered:
                text = _AUTH_SCHEME.sub(_mask_scheme, text)
            return text
        # PEM first (a `key: -----BEGIN` pair would otherwise mask only the first line of it),
        # then pairs, so that the shapes below never cut into a value a pair masks whole.
        if "-----BEGIN" in text:
            text = _mask_pem(text)
        if has_separator:
            if free_text:
                text = self._scrub_pairs(text)
            if "://" in text and "@" in text:
                text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)
        lowered = text.lower()
        if "bearer" in lowered or "basic" in lowered:
            text = _AUTH_SCHEME.sub(_mask_scheme, text)
        if "eyJ" in text:
            text = _DOTTED.sub(_mask_jwts, text)
        return _mask_cards_and_tokens(text)

    def suspects(self, texts: Sequence[str], free_text: bool = True) -> list[int]:
        """Indexes of the ``texts`` that :meth:`scrub_text` could change; it returns each other one
        as it is, so only these need it.

        Each rule of ``scrub_text`` acts only where its marker is: a separator after a sensitive
        name, ``://`` with ``@``, ``-----BEGIN``, ``eyJ``, a scheme word, a run of digits, a run of
        token characters; and masking never makes a new one. Most texts of an event hold none,
        and searching all the texts joined, once per marker, costs a fraction of a dozen calls
        per text. No marker holds a newline, so each match lies within one text (see _Batch).
        """
        batch = _Batch(texts)
        joined = batch.joined
        raw = joined.encode("ascii", "replace")  # one byte per character: positions match
        if free_text and ("=" in joined or ":" in joined):
            self._pair_suspects(batch, raw)
        if "@" in joined:
            batch.found.extend(match.start() for match in _URL_CREDENTIALS.finditer(joined))
        for marker in _SHAPE_MARKERS:
            batch.locate(joined, marker)
        lowered = joined.lower()
        for scheme in _SCHEMES:
            if scheme in lowered:
                if len(lowered) == len(joined):  # one character for one: positions still match
                    batch.locate(lowered, scheme)
                else:  # "İ" lower-cases to two characters: look text by text
                    start = 0
                    for text in texts:
                        if scheme in text.lower():
                            batch.found.append(start)
                        start += len(text) + 1
        batch.locate(raw.translate(_TOKEN_CLASS), _TOKEN_GATE)
        if _CARD_GATE in raw.translate(_DIGIT_CLASS, b" -"):  # 13 digits somewhere: where?
            batch.locate(raw.translate(_CARD_RUN_CLASS), _CARD_GATE)
        return batch.indexes()

    def _pair_suspects(self, batch: _Batch, raw: bytes) -> None:
        """Add the texts where a separator follows a sensitive name, as ``_NAME_SEP`` reads it.

        Read backwards, with "=" made ":", the name before each separator is one match of
        ``_NAME_BEFORE``, found in C; the few distinct names are then judged, and only a
        sensitive one is looked for. Names are ASCII, so the bytes of ``raw`` serve.
        """
        backwards = raw.replace(b"=", b":")[::-1]
        sensitive = {
            reversed_name
            for reversed_name in set(_NAME_BEFORE.findall(backwards))
            if reversed_name[-1] in _LETTERS and self.is_sensitive_name(reversed_name[::-1].decode())
        }
        if sensitive:
            last = len(backwards) - 1
            for match in _NAME_BEFORE.finditer(backwards):
                if match.group(1) in sensitive:
                    batch.found.append(last - match.start())

    def _scrub_pairs(self, text: str) -> str:
        pieces: list[str] = []
        pos = 0
        search_from = 0
        length = len(text)
        while search_from < length:
            match = _NAME_SEP.search(text, search_from)
            if match is None:
                break
            search_from = match.end()
            if not self.is_sensitive_name(match.group(1)):
                continue
            start = match.end()
            end = _value_end(text, start, match.group(2))
            if end > start:
                pieces.append(text[pos:start])
                pieces.append(_masked_value(text, start, end))
                pos = end
            search_from = max(end, start)
        if not pieces:
            return text
        pieces.append(text[pos:])
        return "".join(pieces)

    def scrub_int(self, value: int) -> int | str:
        """An integer shaped like a card number is masked; any other is kept."""
        if -CARD_INT_FLOOR < value < CARD_INT_FLOOR:
            return value
        digits = str(abs(value))
        if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits):
            return MASK
        return value


def _value_end(text: str, start: int, separator: str) -> int:
    """Where the value that starts at ``start`` ends (exclusive)."""
    if start >= len(text):
        return start
    first = text[start]
    if text.startswith(MASK, start):
        first = ""  # already masked by a shape rule: read it as an unquoted value
    if first and first in _QUOTES:
        return _quoted_end(text, start)
    if first and first in _OPENERS:
        return _bracket_end(text, start)
    unquoted = _UNQUOTED[separator].match(text, start)
    return unquoted.end() if unquoted else start


def _quoted_end(text: str, start: int) -> int:
    """End of the quoted value opening at ``start`` (backslash escapes honoured), or of the text
    when the quote never closes."""
    quote = text[start]
    index = start + 1
    while True:
        close = text.find(quote, index)
        if close < 0:
            return len(text)  # unterminated: mask the rest
        backslashes = 0
        while close - backslashes - 1 > start and text[close - backslashes - 1] == "\\":
            backslashes += 1
        if backslashes % 2 == 0:
            return close + 1
        index = close + 1


def _bracket_end(text: str, start: int) -> int:
    """End of a bracketed value (``{...}``, ``[...]``), or of the text when it never closes."""
    stack: list[str] = []
    quote = ""
    index = start
    length = len(text)
    while index < length:
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in _OPENERS:
            stack.append(_OPENERS[char])
        elif stack and char == stack[-1]:
            stack.pop()
            if not stack:
                return index + 1
        index += 1
    return length


def _masked_value(text: str, start: int, end: int) -> str:
    first, last = text[start], text[end - 1]
    if end - start >= 2 and first in _QUOTES and last == first:
        return f"{first}{MASK}{first}"
    return MASK


def _mask_pem(text: str) -> str:
    pieces: list[str] = []
    pos = 0
    while True:
        begin = _PEM_BEGIN.search(text, pos)
        if begin is None:
            break
        pieces.append(text[pos : begin.start()])
        pieces.append(MASK)
        end_marker = text.find("-----END", begin.end())
        if end_marker < 0:
            return "".join(pieces)  # cut off: nothing after BEGIN is kept
        close = text.find("-----", end_marker + 8)
        pos = len(text) if close < 0 else close + 5
    pieces.append(text[pos:])
    return "".join(pieces)


def _mask_scheme(match: re.Match[str]) -> str:
    scheme, space, value = match.group(1), match.group(2), match.group(3)
    if scheme.lower() == "basic" and not _basic_credentials(value):
        return match.group(0)
    return f"{scheme}{space}{MASK}"


def _mask_jwts(match: re.Match[str]) -> str:
    """Mask each ``eyJ<header>.<payload>.<signature>`` inside a dotted run."""
    run = match.group(0)
    if "eyJ" not in run or run.count(".") < 2:
        return run
    segments = run.split(".")
    index = 0
    changed = False
    while index + 2 < len(segments):
        at = segments[index].find("eyJ")
        if at >= 0 and len(segments[index]) - at >= 5 and len(segments[index + 1]) >= 2:
            segments[index : index + 3] = [segments[index][:at] + MASK]
            changed = True
        index += 1
    return ".".join(segments) if changed else match.group(0)


class _Batch:
    """Texts joined by newlines, for :meth:`Rules.suspects`, and the positions where a marker was
    found in them. A newline inside a text becomes a carriage return, which plays the same part
    for every marker (white space, in no name, token or card number), so that the n-th newline
    ends the n-th text."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        joined = "\n".join(texts)
        if joined.count("\n") >= len(texts):
            joined = "\n".join([text.replace("\n", "\r") for text in texts])
        self.joined = joined
        self.found: list[int] = []  # positions in the joined text

    def locate(self, haystack: AnyStr, marker: AnyStr) -> None:
        """Note where ``marker`` is in ``haystack`` (the joined text or a copy of it with the
        same positions), once per text: the search goes on at the next text."""
        position = haystack.find(marker)
        while position >= 0:
            self.found.append(position)
            end = self.joined.find("\n", position)
            if end < 0:
                break
            position = haystack.find(marker, end + 1)

    def indexes(self) -> list[int]:
        """The indexes of the texts that hold a position found, in order."""
        indexes: list[int] = []
        index = previous = 0
        for position in sorted(self.found):
            index += self.joined.count("\n", previous, position)
            previous = position
            if not indexes or indexes[-1] != index:
                indexes.append(index)
        return indexes


def _mask_cards_and_tokens(text: str) -> str:
    """``text`` with card numbers and random tokens masked; each pattern runs only when its
    byte-class gate finds a place where it could match."""
    if len(text) < _MIN_CARD:
        return text
    raw = text.encode("ascii", "replace")
    if _CARD_GATE in raw.translate(_DIGIT_CLASS, b" -"):
        masked = _CARD.sub(_mask_card, text)
        if masked != text:
            text = masked
            raw = text.encode("ascii", "replace")
    if len(text) >= _MIN_TOKEN and _TOKEN_GATE in raw.translate(_TOKEN_CLASS):
        text = _TOKEN_RUN.sub(_mask_random, text)
    return text


def _mask_card(match: re.Match[str]) -> str:
    digits = "".join(ch for ch in match.group(0) if ch.isdigit())
    return MASK if luhn_valid(digits) else match.group(0)


def _mask_random(match: re.Match[str]) -> str:
    run = match.group(0)
    return MASK if _looks_random(run) else run


def replace_values(text: str, values: Iterable[str]) -> str:
    """Mask each of ``values`` inside ``text``: anywhere when 4 characters or longer, else only
    as a whole string or a whole path segment (a short value would blank unrelated text)."""
    for value in values:
        if len(value) >= 4:
            if value in text:
                text = text.replace(value, MASK)
        elif text == value:
            return MASK
        elif "/" in text and value in text:
            text = "/".join(MASK if part == value else part for part in text.split("/"))
    return text
