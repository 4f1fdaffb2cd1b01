"""Reading untrusted YAML into plain data: PyYAML's safe loader with limits (for ``.openspec.yaml``).

Kept apart from :mod:`specledger.parse.metadata` so that importing PyYAML (and the regular
expressions it compiles) is paid only by a run that reads such a file.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.error import Mark, MarkedYAMLError
from yaml.nodes import Node

MAX_ALIASES = 16
MAX_DEPTH = 16
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Refused(MarkedYAMLError):
    """The document is beyond a limit: refused before it is built."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem=problem, problem_mark=mark)


def _timestamp_as_text(loader: yaml.SafeLoader, node: Node) -> Any:
    # An explicit !!timestamp stays text too: the `created` check reads it itself.
    return loader.construct_scalar(node)  # type: ignore[arg-type]


# The safe loader's implicit types, less the timestamp: a date stays the text it was written as.
_RESOLVERS = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class PlainDataLoader(yaml.SafeLoader):
    """A SafeLoader for untrusted metadata: no timestamps, few aliases, shallow nesting.

    Limits are checked while composing, so a document over them is refused before any object is
    built; any error while building a value (an integer of 5,000 digits, say) is a YAML error at
    that value's line, not an exception of another kind.
    """

    # a class-level table, as in the base class, and never changed
    yaml_implicit_resolvers = _RESOLVERS

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(f"more than {MAX_ALIASES} aliases (*name); refusing to expand them", event.start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"nested more than {MAX_DEPTH} levels deep", event.start_mark if event else None)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        # The scanner keeps a list per open bracket and walks it for every token: a file of
        # "[" alone is quadratic there, so the depth limit is enforced here, before the composer.
        if self.flow_level >= MAX_DEPTH:
            raise _Refused(f"nested more than {MAX_DEPTH} levels deep", self.get_mark())
        super().fetch_flow_collection_start(token_class)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError, ArithmeticError) as err:
            reason = str(err).split(";")[0][:100]
            raise ConstructorError(None, None, f"cannot read this value ({reason})", node.start_mark) from err


PlainDataLoader.add_constructor(TIMESTAMP_TAG, _timestamp_as_text)


def line_of(err: yaml.YAMLError, raw: str) -> int | None:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    if isinstance(mark, Mark):
        return mark.line + 1
    position = getattr(err, "position", None)  # a ReaderError (a character YAML does not allow)
    if isinstance(position, int):
        return raw.count("\n", 0, position) + 1
    return None


def reason(err: yaml.YAMLError) -> str:
    if isinstance(err, MarkedYAMLError):
        return " ".join(str(part) for part in (err.context, err.problem) if part) or "not valid YAML"
    return str(err).splitlines()[0] if str(err) else "not valid YAML"


def compose(raw: str) -> tuple[Node | None, Any]:
    loader = PlainDataLoader(raw)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data
