"""The compiled copy of the site's templates: current, used only when current, and the same pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest
from site_support import Repo
from specledger.site import templating

REGENERATE = "run `python -m specledger.site.templating` and commit templates/site_compiled"


def _clear() -> None:
    for cached in (templating.environment, templating.templates, templating._macros):
        cached.cache_clear()


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    _clear()
    yield
    _clear()


def test_the_compiled_copy_is_that_of_the_sources(tmp_path: Path) -> None:
    shipped = templating._package_dir() / templating.COMPILED_DIR
    templating.write_compiled(tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in shipped.iterdir() if p.name != "__pycache__"), REGENERATE
    for name in written:
        assert (tmp_path / name).read_bytes() == (shipped / name).read_bytes(), f"{name}: {REGENERATE}"


def test_a_stale_compiled_copy_is_not_used(monkeypatch: pytest.MonkeyPatch, fresh_caches: None) -> None:
    assert isinstance(templating._loader(), jinja2.ModuleLoader)
    # an edited template (or another jinja2) changes the stamp: the sources are compiled instead
    monkeypatch.setattr(templating, "stamp", lambda: "jinja2 0\ntemplates edited\n")
    assert isinstance(templating._loader(), jinja2.PackageLoader)
    assert isinstance(templating.environment().loader, jinja2.PackageLoader)


def test_pages_are_the_same_from_the_compiled_copy_and_the_sources(
        repo: Repo, monkeypatch: pytest.MonkeyPatch, fresh_caches: None) -> None:
    compiled = repo.build("--out", "site-compiled")
    assert isinstance(templating.environment().loader, jinja2.ModuleLoader)
    _clear()
    monkeypatch.setattr(templating, "stamp", lambda: "jinja2 0\ntemplates edited\n")
    sources = repo.build("--out", "site-sources")
    assert isinstance(templating.environment().loader, jinja2.PackageLoader)
    pages = sorted(p.relative_to(compiled) for p in compiled.rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        assert (compiled / page).read_bytes() == (sources / page).read_bytes(), page
