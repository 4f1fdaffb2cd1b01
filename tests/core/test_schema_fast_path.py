"""The compiled schema validator (the fast path) must agree with the reference implementation.

``schemas.check`` trusts ``jsonschema_rs`` when it calls a document valid and never asks the
reference then; a document the two disagree on would lose its findings. These tests compare the
two verdicts on generated documents built from the schemas' own vocabulary (with the boundary
values of every ``minimum``/``maximum``/``minLength``/``minItems``), and compare the findings of
``check`` with the fast path on and off.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from specledger import schemas

PROPERTY_NAMES = sorted({
    "id", "title", "purpose", "purposeLength", "requirements", "text", "textLength", "scenarios", "name",
    "line", "body", "added", "modified", "removed", "renamed", "from", "to", "sections", "why", "whatChanges",
    "tasks", "done", "total", "impact", "context", "decisions", "goals", "kind",
})
SCALARS = st.one_of(
    st.sampled_from(["", " ", "x", "a" * 49, "a" * 50, "\u00e9", "\U0001f600"]),
    st.text(max_size=8),
    st.sampled_from([0, 1, 49, 50, 51, 499, 500, 501, -1, 2**63, 2**64 + 1, 10**30]),
    st.integers(),
    st.sampled_from([0.0, 1.0, 49.5, 50.0, 500.0, 500.5]),
    st.booleans(),
    st.none(),
)


def _documents() -> st.SearchStrategy[Any]:
    values = st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.sampled_from(PROPERTY_NAMES), inner, max_size=6),
        ),
        max_leaves=30,
    )
    return st.dictionaries(st.sampled_from(PROPERTY_NAMES), values, max_size=8)


def _reference_valid(kind: str, data: Any) -> bool:
    return not any(True for _ in schemas.validator(kind).iter_errors(data))


@pytest.mark.parametrize("kind", schemas.KINDS)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_documents())
def test_fast_verdict_equals_reference_verdict(kind: str, data: Any) -> None:
    assert schemas.is_valid(kind, data) == _reference_valid(kind, data)


def _well_formed(kind: str) -> dict[str, Any]:
    scenario = {"name": "s", "text": "t"}
    block = {"name": "r", "body": "The system SHALL x.", "scenarios": [scenario]}
    return {
        "spec": {"id": "a", "title": "a", "purpose": "p" * 60, "purposeLength": 60,
                 "requirements": [{"title": "r", "text": "SHALL", "textLength": 5, "scenarios": [scenario]}]},
        "delta": {"id": "a", "added": [block], "modified": [], "removed": [], "renamed": []},
    }.get(kind, {})


@pytest.mark.parametrize("kind", ["spec", "delta"])
def test_each_constraint_is_seen_by_the_fast_path(kind: str) -> None:
    """Breaking any one leaf of a valid document flips both verdicts (so neither ignores a keyword)."""
    base = _well_formed(kind)
    assert schemas.is_valid(kind, base) and _reference_valid(kind, base)
    broken = 0
    for path, value in _leaves(base):
        for bad in ("", -1, 10**6, [], None):
            if bad == value:
                continue
            data = _replaced(base, path, bad)
            assert schemas.is_valid(kind, data) == _reference_valid(kind, data), (path, bad)
            broken += not _reference_valid(kind, data)
    assert broken > 5


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(node, dict):
        return [leaf for key, value in node.items() for leaf in _leaves(value, (*path, key))]
    if isinstance(node, list):
        return [leaf for index, value in enumerate(node) for leaf in _leaves(value, (*path, index))]
    return [(path, node)]


def _replaced(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    if isinstance(node, dict):
        return {k: (_replaced(v, path[1:], value) if k == path[0] else v) for k, v in node.items()}
    return [(_replaced(v, path[1:], value) if i == path[0] else v) for i, v in enumerate(node)]


@settings(max_examples=200, deadline=None)
@given(data=_documents(), kind=st.sampled_from(schemas.KINDS))
def test_findings_are_the_same_with_and_without_the_fast_path(data: Any, kind: str) -> None:
    def findings() -> list[tuple[str, str, str, tuple[Any, ...]]]:
        return [(f.level, f.code, f.message, f.path) for f in schemas.check(kind, data)]

    with_fast = findings()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schemas, "FAST_PATH", False)
        without = findings()
    assert with_fast == without
