"""Repositories built to be slow: the site's work grows with their size, never with its square.

No test here times anything: each counts the work done (or what was written) at a size where
the quadratic way of doing it would be hundreds of times over the bound.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from site_support import Repo, broken_links, read_page
from specledger.site import markup
from specledger.site.markup import Anchors

PURPOSE = "# cap Specification\n\n## Purpose\nThis capability exists to exercise the parser.\n\n"


def _spec(names: list[str]) -> str:
    return PURPOSE + "## Requirements\n\n" + "".join(f"### Requirement: {name}\n" for name in names)


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _reference_ids(wanted: list[str]) -> list[str]:
    """What ``Anchors`` has always given: ``x``, then ``x-2``, ``x-3``... skipping any id taken."""
    used: set[str] = set()
    out = []
    for name in wanted:
        candidate, number = name, 1
        while candidate in used:
            number += 1
            candidate = f"{name}-{number}"
        used.add(candidate)
        out.append(candidate)
    return out


@given(st.lists(st.sampled_from(["a", "a-2", "a-3", "a-2-2", "a-1", "b", "a-10", "b-2", "a-"]), max_size=40))
def test_anchors_are_the_ids_they_always_were(wanted: list[str]) -> None:
    taken = Anchors()
    assert [taken.take(name) for name in wanted] == _reference_ids(wanted)


class _CountingSet(set[str]):
    probes = 0

    def __contains__(self, item: object) -> bool:
        _CountingSet.probes += 1
        return super().__contains__(item)


def test_many_requirements_of_one_name_cost_linear_work(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """2,000 requirements that slug alike (``a``, ``a !!``, ``a !?``...) get the ids ``r-a``,
    ``r-a-2``...; finding each id once may not count up from 2 again (2 million look-ups)."""
    count = 2000
    punctuation = ("".join(p) for p in itertools.product("!?.,;:", repeat=5))
    names = ["a", "a 2", "a"] + [f"a {next(punctuation)}" if i % 2 else "a" for i in range(count - 3)]
    _write(repo.root, "openspec/specs/dup/spec.md", _spec(names))
    made = Anchors.__init__

    def counted(self: Anchors) -> None:
        made(self)
        self._used = _CountingSet()

    monkeypatch.setattr(markup.Anchors, "__init__", counted)
    monkeypatch.setenv("SPECLEDGER_JOBS", "1")  # every page rendered in this process, where it is counted
    _CountingSet.probes = 0
    site = repo.build()
    assert _CountingSet.probes < 10 * count, _CountingSet.probes
    page = (site / "specs/dup.html").read_text(encoding="utf-8")
    ids = re.findall(r'<article class="requirement" id="([^"]+)">', page)
    # the literal "a 2" took r-a-2 first, so the second "a" is r-a-3, and so on
    assert ids == ["r-a", "r-a-2"] + [f"r-a-{n}" for n in range(3, count + 1)]
    assert broken_links(site) == []
    assert len(read_page(site / "specs/dup.html").ids) >= count
