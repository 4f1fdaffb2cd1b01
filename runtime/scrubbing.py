"""Remove sensitive values from an event before it leaves the process.

sentry-sdk's own ``EventScrubber`` misses what matters most for this app: emmett-sentry copies the
parsed form/JSON body into ``contexts.body_params`` (the scrubber never looks at contexts), header
names arrive spelled ``X-Api-Key`` while the deny list says ``x_api_key``, query strings are kept
verbatim, and nested dictionaries in frame locals are only walked when asked. So this scrubber
walks the *whole* event, masks the value of every key whose name is sensitive, and re-encodes query
strings with their sensitive parameters masked. The field lists come from the generated config.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

MASK = "[Filtered]"


def normalise(name: str) -> str:
    """Fold a key the way the spec compares them: case-insensitive, ``-`` equals ``_``."""
    return name.strip().lower().replace("-", "_")


class Scrubber:
    """Masks sensitive keys anywhere in an event; a ``before_send`` hook when called."""

    def __init__(self, fields: Iterable[str], name_contains: Iterable[str]) -> None:
        self._fields = frozenset(normalise(f) for f in fields)
        self._contains = tuple(normalise(c) for c in name_contains)

    def is_sensitive(self, key: str) -> bool:
        """True when a key names something that must not be sent."""
        norm = normalise(key)
        return norm in self._fields or any(part in norm for part in self._contains)

    def scrub_query(self, query: str) -> str:
        """Mask sensitive parameters of a query string; keep the others as they were."""
        if not query:
            return query
        pairs = parse_qsl(query, keep_blank_values=True)
        if not pairs:
            # Not key=value shaped (e.g. a bare token): nothing to match against, so mask it.
            return MASK
        return urlencode([(k, MASK if self.is_sensitive(k) else v) for k, v in pairs], safe="[]")

    def scrub(self, value: Any, depth: int = 0) -> Any:
        """Return ``value`` with sensitive keys masked at any depth (in place for dicts/lists)."""
        if depth > 50:  # events are serialised to a bounded depth; this guards against cycles
            return value
        if isinstance(value, dict):
            for key in list(value):
                if isinstance(key, str) and self.is_sensitive(key):
                    value[key] = MASK
                elif key == "query_string" and isinstance(value[key], str):
                    value[key] = self.scrub_query(value[key])
                else:
                    value[key] = self.scrub(value[key], depth + 1)
            return value
        if isinstance(value, list):
            # Header lists and query lists arrive as [name, value] pairs.
            if (
                len(value) == 2
                and isinstance(value[0], str)
                and self.is_sensitive(value[0])
                and not isinstance(value[1], dict | list)
            ):
                value[1] = MASK
                return value
            for index, item in enumerate(value):
                value[index] = self.scrub(item, depth + 1)
            return value
        return value

    def __call__(self, event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        """``before_send`` entry point: scrub the event, then move the body where it is readable."""
        request = event.get("request")
        if isinstance(request, dict):
            url = request.get("url")
            if isinstance(url, str) and "?" in url:
                base, _, query = url.partition("?")
                request["url"] = f"{base}?{self.scrub_query(query)}"
        self.scrub(event)
        return event
