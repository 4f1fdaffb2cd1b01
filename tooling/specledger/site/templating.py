"""The site's jinja2 templates (package data), compiled once per process, and its stylesheet.

Compiling the templates (jinja2 turning them into Python) took a tenth of a large site's
build, in the one process, before any worker could start. The package therefore also carries
them compiled, as jinja2's ``compile_templates`` writes them (``templates/site_compiled``), with
a stamp of the sources and jinja2 version they were compiled from. They are used only when the
stamp matches the templates and jinja2 at hand, so an edited template is never shown stale: it
is compiled from source (and ``tests/site/test_site_templates.py`` fails until the compiled copy
is written again with ``python -m specledger.site.templating``).
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

TEMPLATE_PACKAGE = "specledger"
TEMPLATE_DIR = "templates/site"
COMPILED_DIR = "templates/site_compiled"
STAMP = "STAMP"
TEMPLATES = ("index.html.j2", "changelog.html.j2", "spec.html.j2", "change.html.j2")
MACROS = "macros.html.j2"
SOURCES = (*TEMPLATES, MACROS, "base.html.j2")  # every template, those the others include too
STYLESHEET = "style.css"


class _Environment(jinja2.Environment):
    """Looks ``x.name`` up as a key first when ``x`` is a dict, as the page contexts all are.

    jinja2 tries the attribute first, and the ``AttributeError`` every dict raises on the way
    made up a third of the templates' time. The templates never call a dict method, so nothing else
    changes; a name neither key nor attribute is still an error (``StrictUndefined``).
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def _package_dir() -> Path:
    return Path(__file__).resolve().parent.parent


def stamp() -> str:
    """What the compiled templates must have been compiled from: jinja2's version and a digest of
    every template's source."""
    from _blake2 import blake2b  # hashlib would load OpenSSL for nothing (see specledger.cache)

    digest = blake2b(digest_size=20)
    for name in SOURCES:
        source = (_package_dir() / TEMPLATE_DIR / name).read_bytes()
        digest.update(f"{name}\0{len(source)}\0".encode())
        digest.update(source)
    return f"jinja2 {jinja2.__version__}\ntemplates {digest.hexdigest()}\n"


def _loader(compiled: bool = True) -> jinja2.BaseLoader:
    """The compiled templates when they are those of these sources, else the sources."""
    folder = _package_dir() / COMPILED_DIR
    if compiled:
        try:
            if (folder / STAMP).read_text(encoding="utf-8") == stamp():
                return jinja2.ModuleLoader(folder)
        except OSError:
            pass  # not installed from a folder, or no compiled copy: compile the sources
    return jinja2.PackageLoader(TEMPLATE_PACKAGE, TEMPLATE_DIR)


@cache
def environment(compiled: bool = True) -> jinja2.Environment:
    """The site's jinja2 environment: packaged templates, autoescape on, undefined is an error.

    ``compiled=False`` compiles the sources even when a matching compiled copy exists.
    """
    return _Environment(
        loader=_loader(compiled),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # the templates are package data: no stat of each one on every page
    )


@cache
def templates() -> dict[str, jinja2.Template]:
    """The page templates by name, and the macros they share (under ``MACROS``)."""
    env = environment()
    return {name: env.get_template(name) for name in (*TEMPLATES, MACROS)}


def render(template: str, context: dict[str, Any]) -> bytes:
    """One page: ``template`` rendered with ``context``, as UTF-8.

    A name read from a folder that is not valid UTF-8 holds lone surrogates; they are written
    backslash-escaped (``ch-\\udcff``), as the CLI writes them (see ``pages.page_stem``).
    """
    return encode_page(templates()[template].render(**context))


def encode_page(html: str) -> bytes:
    """``html`` as UTF-8, any lone surrogate in it backslash-escaped (see :func:`render`)."""
    return html.encode("utf-8", "backslashreplace")


@cache
def _macros() -> Any:
    return templates()[MACROS].module


def status_html(status: dict[str, str]) -> Markup:
    """The status badge of an item (see ``pages.status_of``), as the templates show it."""
    return Markup(_macros().status(status))


def findings_html(findings: list[dict[str, Any]]) -> Markup:
    """The list of an item's findings (see ``pages.findings_data``), as the templates show it."""
    return Markup(_macros().findings(findings))


def stylesheet() -> bytes:
    try:
        return (_package_dir() / TEMPLATE_DIR / STYLESHEET).read_bytes()
    except OSError:  # not installed as a folder: importlib.resources finds it (slower to import)
        from importlib import resources

        return resources.files(TEMPLATE_PACKAGE).joinpath(TEMPLATE_DIR, STYLESHEET).read_bytes()


def write_compiled(folder: Path) -> None:
    """Compile every template into ``folder`` (emptied first) and stamp it with its sources."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("tmpl_*.py"):
        old.unlink()
    environment(compiled=False).compile_templates(folder, filter_func=lambda name: name in SOURCES, zip=None,
                                                  ignore_errors=False)
    (folder / STAMP).write_text(stamp(), encoding="utf-8")


if __name__ == "__main__":  # python -m specledger.site.templating: write the compiled copy again
    target = _package_dir() / COMPILED_DIR
    write_compiled(target)
    sys.stdout.write(f"compiled {len(SOURCES)} templates into {target}\n")


__all__ = [
    "STYLESHEET",
    "encode_page",
    "environment",
    "findings_html",
    "render",
    "stamp",
    "status_html",
    "stylesheet",
    "templates",
    "write_compiled",
]
