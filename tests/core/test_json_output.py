"""The JSON reporter's fast writer gives exactly the bytes of ``json.dumps(..., indent=2)``."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from specledger.report.jsonout import dumps

TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12) | st.sampled_from(
    ["", '"', "\\", "\n", "\u2028", "é名", "\x00", "</script>", "specledger-items-0"])
ISSUE = st.fixed_dictionaries({"level": st.sampled_from(["ERROR", "WARNING", "INFO"]), "code": TEXT,
                               "path": TEXT, "message": TEXT},
                              optional={"line": st.integers(min_value=1, max_value=10**6), "baselined": st.booleans(),
                                        "odd": st.one_of(st.none(), st.integers(), st.floats(allow_nan=False),
                                                         st.lists(TEXT, max_size=1))})
EMPTY_ISSUE = st.just({})
ITEM = st.fixed_dictionaries({"id": TEXT, "type": st.sampled_from(["change", "spec"]), "valid": st.booleans(),
                              "issues": st.lists(ISSUE | EMPTY_ISSUE, max_size=3)})
ODD_ITEM = st.dictionaries(TEXT, st.one_of(TEXT, st.booleans(), st.none(), st.lists(TEXT, max_size=2)), max_size=4)


@settings(max_examples=1000, deadline=None)
@given(items=st.lists(st.one_of(ITEM, ITEM, ODD_ITEM), max_size=8), root=TEXT, findings=st.booleans())
def test_fast_json_is_byte_for_byte_json_dumps(items: list[dict[str, Any]], root: str, findings: bool) -> None:
    key = "itemFindings" if findings else "items"
    payload = {key: items, "summary": {"totals": {"items": len(items)}}, "version": "1.0",
               "root": {"path": root, "source": "nearest"}}
    assert dumps(payload, key) == json.dumps(payload, indent=2, ensure_ascii=False)


def test_plain_items_take_the_template() -> None:
    items = [{"id": f"change-{i}", "type": "change", "valid": i % 2 == 0, "issues": []} for i in range(3)]
    payload = {"items": items, "version": "1.0"}
    assert dumps(payload, "items") == json.dumps(payload, indent=2, ensure_ascii=False)
