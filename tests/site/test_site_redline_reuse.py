"""Redlines rendered in one process share the unchanged requirements of a main spec, and only those."""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup, escape
from specledger.archive.plan import SpecUpdate
from specledger.markdown import parse
from specledger.site.redline import Redline, RedlineBlock, Reuse, block_html, redline


def _spec(title: str, requirements: dict[str, str]) -> str:
    blocks = "".join(f"### Requirement: {name}\n{body}\n\n#### Scenario: s\n- **WHEN** x\n- **THEN** y\n\n"
                     for name, body in requirements.items())
    return f"# {title}\n\n## Purpose\nWhat {title} is for, in a sentence or two.\n\n## Requirements\n\n{blocks}"


def _redline(spec_id: str, old: str, new: str, reuse: Reuse | None) -> Redline:
    update = SpecUpdate(spec_id, Path(f"/nowhere/{spec_id}/spec.md"), "update", old, new, new.encode(), modified=1)
    return redline(update, None, parse(old), reuse)


def _page(red: Redline, reuse: Reuse | None, *, links: bool = True) -> str:
    reuse = reuse or Reuse()
    return "".join(reuse.block_html(b, f"r-{b.name}", f"../specs/{red.spec_id}.html#r-{b.name}" if links else None)
                   for b in red.blocks)


BASE = {"Send": "The system SHALL send mail.", "Keep": "The system SHALL keep <b>every</b> message & its date."}
ONE = _spec("mail", BASE)
TWO = _spec("mail", {**BASE, "Send": "The system SHALL send mail at once."})
THREE = _spec("mail", {**BASE, "Send": "The system SHALL send mail daily."})
# another capability with a requirement of the same name and another text
OTHER = _spec("archive", {"Keep": "The system SHALL keep nothing.", "Drop": "The system SHALL drop old mail."})
OTHER_NEW = _spec("archive", {"Keep": "The system SHALL keep nothing.", "Drop": "The system SHALL drop all mail."})


def test_shared_and_unshared_redlines_are_the_same_html() -> None:
    current = parse(ONE)
    shared = Reuse()
    pages = []
    for new in (TWO, THREE):
        update = SpecUpdate("mail", Path("/nowhere/mail/spec.md"), "update", ONE, new, new.encode(), modified=1)
        alone = redline(update, None, current)
        together = redline(update, None, current, shared)
        assert _page(alone, None) == _page(together, shared)
        pages.append(together)
    # the unchanged requirement is the same object in both redlines (made once), the modified one is not
    kept = [next(b for b in red.blocks if b.name == "Keep") for red in pages]
    assert kept[0].kind == "unchanged" and kept[0].body is kept[1].body
    sent = [next(b for b in red.blocks if b.name == "Send") for red in pages]
    assert [b.kind for b in sent] == ["modified", "modified"] and sent[0].body != sent[1].body


def test_a_shared_reuse_never_gives_one_spec_the_text_of_another() -> None:
    shared = Reuse()
    mail = _redline("mail", ONE, TWO, shared)
    other = _redline("archive", OTHER, OTHER_NEW, shared)
    # (the same anchor and no link on both pages: only the text tells the two requirements apart)
    mail_html, other_html = _page(mail, shared, links=False), _page(other, shared, links=False)
    assert "keep &lt;b&gt;every&lt;/b&gt; message &amp; its date" in mail_html
    assert "keep nothing" in other_html and "every" not in other_html
    # the same requirement under another anchor or link is laid out again, not served from before
    keep = next(b for b in mail.blocks if b.name == "Keep")
    assert 'id="elsewhere"' in shared.block_html(keep, "elsewhere", None)
    assert "current" not in shared.block_html(keep, "elsewhere", None)


def test_block_html_escapes_the_name_and_keeps_the_marks() -> None:
    block = RedlineBlock("modified", 'a "<b>" & b', None, escape('### Requirement: a "<b>" & b'),
                         Markup("x <ins>y</ins>"))
    html = block_html(block, "r-a-b", "../specs/s.html#r-a-b")
    assert 'id="r-a-b" data-kind="modified"' in html
    assert "### Requirement: a &#34;&lt;b&gt;&#34; &amp; b" in html
    assert "x <ins>y</ins>" in html and '<a href="../specs/s.html#r-a-b">current text</a>' in html
    odd = block_html(block, 'r-"><script>', '../x.html#"><script>')  # (pages never pass such, but if)
    assert "<script>" not in odd and 'id="r-&#34;&gt;&lt;script&gt;"' in odd
    unchanged = block_html(block._replace(kind="unchanged"), "r-a-b", None)
    assert "<summary>a &#34;&lt;b&gt;&#34; &amp; b</summary>" in unchanged and "<a " not in unchanged

