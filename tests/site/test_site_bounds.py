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
from specledger.site import markup, pages
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


def _events(html: str) -> int:
    """History entries and open-change entries in ``html``."""
    return html.count('<li><span class="kind kind-') + html.count("by open change <a")


def test_a_repeated_name_lists_its_history_once(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A spec repeating one name 300 times, an archived change adding it 300 times and an open
    change modifying it 300 times: the history and the open changes are listed once, under the
    first block of the name (not 300 x 300 times); each later block links there."""
    links = 0
    href = pages.href

    def counted(page: str, target: str, anchor: str | None = None) -> str:
        nonlocal links
        links += 1
        return href(page, target, anchor)

    monkeypatch.setattr(pages, "href", counted)
    monkeypatch.setenv("SPECLEDGER_JOBS", "1")  # every page rendered in this process, where it is counted
    n = m = p = 300
    block = "### Requirement: a\nThe system SHALL a.\n\n#### Scenario: s\n- **WHEN** x\n- **THEN** y\n\n"
    proposal = "## Why\nThe same requirement, many times over, to prove the site stays small.\n\n## What Changes\n- x\n"
    _write(repo.root, "openspec/specs/dup/spec.md", PURPOSE + "## Requirements\n\n" + block * n)
    archived = "openspec/changes/archive/2026-03-01-many"
    _write(repo.root, f"{archived}/proposal.md", proposal)
    _write(repo.root, f"{archived}/specs/dup/spec.md", "## ADDED Requirements\n\n" + block * m)
    _write(repo.root, "openspec/changes/touch-many/proposal.md", proposal)
    _write(repo.root, "openspec/changes/touch-many/specs/dup/spec.md", "## MODIFIED Requirements\n\n" + block * p)
    site = repo.build()
    page = (site / "specs/dup.html").read_text(encoding="utf-8")
    articles = re.findall(r'<article class="requirement" id="([^"]+)">(.*?)</article>', page, re.S)
    assert [anchor for anchor, _ in articles] == ["r-a"] + [f"r-a-{k}" for k in range(2, n + 1)]
    first, later = articles[0][1], [body for _, body in articles[1:]]
    assert _events(first) == m + p  # m history entries, p open-change entries
    assert first.count(">2026-03-01-many</a>") == m and first.count(">touch-many</a>") == p
    for body in later:
        assert _events(body) == 0
        assert ('<p class="muted history-elsewhere">Its history and the open changes that would touch it are '
                'listed under <a href="#r-a">the first requirement of this name</a>.</p>') in body
    assert _events(page) == m + p
    assert len(page) < 1000 * (n + m + p)  # a few hundred bytes per block and entry
    # the archived change's page and the changelog list each of its entries once
    assert _events((site / "changelog.html").read_text(encoding="utf-8")) <= m + 20
    archived_page = (site / "archive/2026-03-01-many.html").read_text(encoding="utf-8")
    assert archived_page.count('data-kind="added"') == m
    assert len(archived_page) < 1000 * m
    assert broken_links(site) == []
    # nor is an entry made for each block and then dropped: every link the site made is counted
    assert links < 10 * (n + m + p), links
