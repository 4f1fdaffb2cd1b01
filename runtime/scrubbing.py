"""Remove secrets from an event before it leaves the process (a sentry-sdk ``before_send`` hook).

sentry-sdk's own ``EventScrubber`` misses what matters most for this app: emmett-sentry copies the
parsed body into ``contexts.body_params`` (never looked at), header names arrive spelled
``X-Api-Key`` while its list says ``x_api_key``, and query strings, exception messages and log
messages are kept verbatim. So this scrubber walks the *whole* event once, iteratively (no
recursion limit to hit), and applies the rules of :mod:`runtime.sensitive`: names by their words,
values by their shape, ``name=value`` inside free text, and the values of secret route parameters.
Values under sensitive names are masked during the walk; every other string is judged after it,
all together, so that the many strings no rule can touch cost one search per rule for the whole
event rather than a dozen calls each. Anything deeper than ``MAX_DEPTH`` is replaced, never kept.
The hook never raises: if walking fails all the same, it sends a skeleton of the event rather than
the unscrubbed original.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote

from emmett_core.pipeline.pipe import Pipe

from .sensitive import CARD_INT_FLOOR, MASK, Rules, Vocabulary, replace_values

__all__ = ["MASK", "MAX_DEPTH", "TOO_DEEP", "Scrubber", "SecretRouteParams"]

MAX_DEPTH = 20  # levels below the event's root; a container whose contents lie deeper is replaced
TOO_DEEP = "[Filtered: too deep]"

# Stack-frame fields that hold source code or paths, not data: checked by value shape only, so
# `password = form["password"]` stays readable in the source context.
_CODE_FIELDS = frozenset(
    {"context_line", "pre_context", "post_context", "filename", "abs_path", "module", "function"}
)
_TRACE_IDS = ("trace_id", "span_id", "parent_span_id")
_IDENTIFIER = re.compile(r"[0-9a-fA-F-]{16,36}")


def _is_identifier(value: Any) -> bool:
    """An SDK id: 16 to 36 hex digits (dashes allowed, as in a UUID); nothing else fits."""
    return isinstance(value, str) and _IDENTIFIER.fullmatch(value) is not None


_SKELETON_FIELDS = ("event_id", "level", "timestamp", "platform", "release", "environment")

# Values of the parameters a route declared secret with SecretRouteParams (set by that pipe;
# read by the hook, which sentry-sdk calls synchronously in the request's own context).
_DECLARED: ContextVar[tuple[str, ...]] = ContextVar("runtime_declared_route_secrets", default=())

RouteArgs = Callable[[], Mapping[str, Any]]
# A container queued for walking: (container, its depth, whether it holds code).
_Container = tuple[dict[Any, Any] | list[Any], int, bool]
# Strings queued for judging, with where each lies: (holder, key or index, text); free text
# first, then code.
_Pending = tuple[list[tuple[Any, Any, str]], list[tuple[Any, Any, str]]]


def _with_encoded(values: Iterable[str]) -> tuple[str, ...]:
    found: set[str] = set()
    for value in values:
        if value:
            found.add(value)
            found.add(quote(value, safe=""))
    # longest first, so a value that contains another is masked whole
    return tuple(sorted(found, key=len, reverse=True))


class Scrubber:
    """Masks secrets anywhere in an event; a ``before_send`` hook when called."""

    def __init__(self, vocabulary: Vocabulary, route_args: RouteArgs | None = None) -> None:
        """``route_args`` returns the parameters of the route that matched the request being
        handled (empty outside a request); their secret ones are masked wherever they appear."""
        self.rules = Rules(vocabulary)
        self._route_args = route_args
        # key -> (its value is masked by name, the key renamed when it holds a credential
        # shape (else None), its value is code); keys repeat from one event to the next
        self._key_facts: dict[str, tuple[bool, str | None, bool]] = {}
        # text -> scrubbed text, for free text and for code, kept for the texts a rule could
        # change (see _judge): error events repeat most of their strings (frames, source lines,
        # headers), so each is judged once. The result depends on the text alone (route values
        # are replaced before the lookup), so the caches are safe to share between threads.
        self._texts: tuple[dict[str, str], dict[str, str]] = ({}, {})

    # ---- the hook -------------------------------------------------------------------------
    def __call__(self, event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        """``before_send`` entry point: scrub ``event`` in place and return it."""
        try:
            return self.scrub_event(event, self._route_values())
        except Exception:  # a scrubber bug must not send the original
            return _skeleton(event)

    def _route_values(self) -> tuple[str, ...]:
        """Values of the current request's secret route parameters: those sensitive by name or
        listed in the spec, plus those the route declared with ``SecretRouteParams``."""
        values = list(_DECLARED.get())
        if self._route_args is not None:
            try:
                args = dict(self._route_args())
            except Exception:  # outside a request, or a router that cannot say: nothing to add
                args = {}
            values.extend(
                str(value)
                for name, value in args.items()
                if value is not None and self.rules.is_secret_route_param(str(name))
            )
        return _with_encoded(values)

    def scrub_event(self, event: dict[str, Any], route_values: Iterable[str] = ()) -> dict[str, Any]:
        """Scrub ``event`` in place; ``route_values`` are masked wherever they appear.

        The event's own identifiers (its id, the trace and span ids) are the SDK's, not the
        application's data: they are kept as they are when they have an identifier's shape
        (hex, 16 to 32 characters), since a masked id makes Bugsink refuse the whole event.
        """
        values = tuple(v for v in route_values if v)
        logentry = event.get("logentry")
        original = logentry.get("formatted") if isinstance(logentry, dict) else None
        trace = event.get("contexts", {}).get("trace") if isinstance(event.get("contexts"), dict) else None
        kept = [(holder, key, holder[key]) for holder, keys in ((event, ("event_id",)), (trace, _TRACE_IDS))
                if isinstance(holder, dict) for key in keys if _is_identifier(holder.get(key))]
        self._walk(event, values)
        for holder, key, value in kept:
            holder[key] = value
        if isinstance(logentry, dict) and isinstance(original, str):
            _mask_log_params(logentry, original)
        return event

    def scrub(self, value: Any) -> Any:
        """Scrub any value (a dict or list in place) and return it; for tests and tools."""
        holder = {"value": value}
        self._walk(holder, ())
        return holder["value"]

    # ---- walking --------------------------------------------------------------------------
    def _walk(self, root: dict[str, Any], values: tuple[str, ...]) -> None:
        """Scrub everything under ``root`` in place.

        Containers are walked first, masking values under sensitive names and queueing every
        other string with where it lies; then the queued strings are judged together (see
        ``_judge``), and only then are keys renamed, since queued places name the old keys.
        """
        seen: set[int] = set()
        stack: list[_Container] = [(root, 0, False)]
        pending: _Pending = ([], [])
        renames: list[tuple[dict[Any, Any], Any, str]] = []
        while stack:
            node, depth, code = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, dict):
                self._walk_dict(node, depth, code, values, stack, pending, renames)
            else:
                self._walk_list(node, depth, code, stack, pending)
        self._judge(pending, values)
        for node, key, new_key in renames:
            value = node.pop(key)
            while new_key in node:
                new_key += "_"
            node[new_key] = value

    def _walk_dict(
        self,
        node: dict[Any, Any],
        depth: int,
        code: bool,
        values: tuple[str, ...],
        stack: list[_Container],
        pending: _Pending,
        renames: list[tuple[dict[Any, Any], Any, str]],
    ) -> None:
        # The hot loop of the scrubber: each key is looked up once in a memo of what it implies,
        # and strings are queued, because an event has hundreds of entries.
        facts = self._key_facts
        for key, value in node.items():
            fact = facts.get(key) if type(key) is str and not values else None
            if fact is None:
                fact = self._key_fact(key, values)
            sensitive, new_key, code_key = fact
            if new_key is not None:
                renames.append((node, key, new_key))
            if sensitive and value is not None:
                node[key] = MASK  # an empty value too: the SDK empties some headers itself
            elif isinstance(value, str):
                pending[code or code_key].append((node, key, value))
            elif isinstance(value, dict | list):
                if depth + 1 >= MAX_DEPTH:
                    node[key] = TOO_DEEP  # its contents would lie past the limit
                else:
                    stack.append((value, depth + 1, code or code_key))
            elif type(value) is int:
                if not -CARD_INT_FLOOR < value < CARD_INT_FLOOR:
                    node[key] = self.rules.scrub_int(value)
            elif value is not None and not isinstance(value, bool | float):
                self._child(node, key, value, depth, code, stack, pending)

    def _walk_list(
        self,
        node: list[Any],
        depth: int,
        code: bool,
        stack: list[_Container],
        pending: _Pending,
    ) -> None:
        # Header and query lists arrive as [name, value] pairs.
        if (
            len(node) == 2
            and isinstance(node[0], str)
            and not isinstance(node[1], dict | list)
            and node[1] is not None
            and self.rules.is_sensitive_name(node[0])
        ):
            node[1] = MASK
        texts = pending[code]
        for index, item in enumerate(node):
            if isinstance(item, str):
                texts.append((node, index, item))
            elif isinstance(item, dict | list):
                if depth + 1 >= MAX_DEPTH:
                    node[index] = TOO_DEEP  # its contents would lie past the limit
                else:
                    stack.append((item, depth + 1, code))
            elif type(item) is int:
                if not -CARD_INT_FLOOR < item < CARD_INT_FLOOR:
                    node[index] = self.rules.scrub_int(item)
            elif item is not None and not isinstance(item, bool | float):
                self._child(node, index, item, depth, code, stack, pending)

    def _child(
        self,
        holder: dict[Any, Any] | list[Any],
        key: Any,
        value: Any,
        depth: int,
        code: bool,
        stack: list[_Container],
        pending: _Pending,
    ) -> None:
        """Scrub ``holder[key]``, a value other than a string, a container, None, a bool or a
        float: integers by shape, tuples as lists, anything else as the text the SDK would send."""
        if isinstance(value, int):
            holder[key] = self.rules.scrub_int(value)
            return
        if isinstance(value, tuple):
            holder[key] = value = list(value)
            if depth + 1 >= MAX_DEPTH:
                holder[key] = TOO_DEEP
            else:
                stack.append((value, depth + 1, code))
            return
        # Anything else is sent as text by the SDK; judge the text it would send.
        is_bytes = isinstance(value, bytes | bytearray)
        text = bytes(value).decode("utf-8", "replace") if is_bytes else _safe_str(value)
        holder[key] = text
        pending[code].append((holder, key, text))

    def _judge(self, pending: _Pending, values: tuple[str, ...]) -> None:
        """Scrub the queued strings and write back those that change.

        Route values are replaced first. Then :meth:`Rules.suspects` picks, in one pass over all
        the strings, the few that any rule could change; only those go through the rules (and a
        cache of their results: error events repeat most of their strings). Every other string
        is left as it is, which is what the rules would return for it.
        """
        for code, leaves in enumerate(pending):
            if not leaves:
                continue
            texts = [text for _, _, text in leaves]
            if values:
                texts = [replace_values(text, values) for text in texts]
            rewrite = [i for i, (_, _, text) in enumerate(leaves) if texts[i] is not text] if values else []
            cache = self._texts[code]
            for index in self.rules.suspects(texts, free_text=not code):
                text = texts[index]
                done = cache.get(text)
                if done is None:
                    done = self.rules.scrub_text(text, free_text=not code)
                    if len(text) <= 1024:
                        if len(cache) >= 16384:  # bounded: the texts come from requests
                            cache.clear()
                        cache[text] = done
                if done is not text:
                    texts[index] = done
                    rewrite.append(index)
            for index in rewrite:
                holder, key, _ = leaves[index]
                holder[key] = texts[index]

    def _key_fact(self, key: Any, values: tuple[str, ...]) -> tuple[bool, str | None, bool]:
        """What a dict key implies (see ``_key_facts``), memoised for plain ``str`` keys when no
        route value could be in them."""
        name = key if isinstance(key, str) else str(key)
        renamed = None
        if isinstance(key, str) and (values or len(key) >= 8):
            # A key is a name, but a body can use a secret as a key ({"eyJ...": 1}).
            shaped = replace_values(key, values) if values else key
            if len(shaped) >= 8:
                shaped = self.rules.scrub_text(shaped, free_text=False)
            renamed = shaped if shaped != key else None
        fact = (self.rules.is_sensitive_name(name), renamed, name in _CODE_FIELDS)
        if type(key) is str and not values:
            if len(self._key_facts) > 4096:  # keys come from requests: keep the memo bounded
                self._key_facts.clear()
            self._key_facts[key] = fact
        return fact


def _mask_log_params(logentry: dict[str, Any], original: str) -> None:
    """Mask a log entry's parameters that its scrubbed message no longer shows."""
    params = logentry.get("params")
    scrubbed = logentry.get("formatted")
    if not isinstance(params, list) or not isinstance(scrubbed, str) or scrubbed == original:
        return
    for index, param in enumerate(params):
        shown = param if isinstance(param, str) else _safe_str(param)
        # the SDK sends string parameters as their repr; compare the bare text too
        bare = shown[1:-1] if len(shown) >= 2 and shown[0] == shown[-1] == "'" else shown
        if bare and bare in original and bare not in scrubbed:
            params[index] = MASK


def _safe_str(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # any __str__ may raise
        return f"<{type(value).__name__}>"


def _skeleton(event: Any) -> dict[str, Any]:
    """What is left of an event the scrubber could not walk: nothing that could hold a secret."""
    kept: dict[str, Any] = {}
    try:
        for field in _SKELETON_FIELDS:
            value = event.get(field)
            if isinstance(value, str | int | float):
                kept[field] = value
        types = [
            str(item.get("type"))[:200]
            for item in event.get("exception", {}).get("values", [])
            if isinstance(item, dict)
        ]
        if types:
            kept["exception"] = {"values": [{"type": t, "value": MASK} for t in types]}
    except Exception:  # the event may be of any shape
        pass
    kept["message"] = "event withheld: the scrubber could not process it"
    return kept


class SecretRouteParams(Pipe):
    """Declares route parameters secret on one route: ``pipeline=[SecretRouteParams("code")]``.

    Their values are masked wherever they appear in an event raised while handling the request
    (URL, transaction name, breadcrumbs, tags, messages, locals).
    """

    def __init__(self, *names: str) -> None:
        self._names = frozenset(names)

    async def pipe_request(self, next_pipe: Any, **kwargs: Any) -> Any:
        """Add this route's declared parameters to the request's secret values."""
        _DECLARED.set(tuple(str(kwargs[n]) for n in self._names if kwargs.get(n) not in (None, "")))
        return await next_pipe(**kwargs)
