"""Render targets with jinja2: the environment, the filters templates use, the context they get.

Templates receive pre-shaped data (see :func:`build_context`) and are rendered with
``StrictUndefined``, so a misspelt variable is an error with the template's file and line, never
an empty string in a generated file.

A project's templates are code from a repository the user may not have written, so they run in
jinja2's sandbox (no attribute starting with ``_``, no unsafe callables: the classic
``{{ cycler.__init__.__globals__.os }}`` escape fails) and are read only from inside the
workspace: a template file that is a symbolic link leaving it is refused.
"""

from __future__ import annotations

import json
import math
import tomllib
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
import jinja2.exceptions
import jinja2.sandbox

from specledger.errors import SpecledgerError
from specledger.generate.extract import SpecData
from specledger.generate.settings import env_literal, env_value_problem, shown
from specledger.generate.targets import Target
from specledger.workspace import Workspace

COMMAND = "spec generate"
PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def toml_value(value: Any) -> str:
    """``value`` as a TOML literal (bool, int, float, str, or a list of those)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be written to TOML")
        return repr(value)
    if isinstance(value, str):
        # A JSON string without ASCII escaping is a valid TOML basic string: both use \" \\ \n \t
        # and \uXXXX for control characters. TOML also forbids a raw DEL, which JSON allows.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def md_cell(text: Any) -> str:
    """Text safe inside a markdown table cell: pipes escaped, line breaks folded."""
    return " ".join(str(text).split()).replace("|", "\\|")


def md_code(text: Any, empty: str = "(empty)") -> str:
    """A value as an inline code span, or ``empty`` for the empty string."""
    value = str(text)
    if not value:
        return empty
    fence = "``" if "`" in value else "`"
    pad = " " if "`" in value else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def plain(text: Any) -> str:
    """Markdown text with code-span backticks removed (for comments in env and TOML files).

    Every run of whitespace, and every control or format character, becomes one space: a
    comment must stay on its line (TOML forbids control characters in comments, and a VT or
    U+2028 would start a new line for some readers of an env file).
    """
    visible = "".join(
        " " if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") else char
        for char in str(text).replace("`", "")
    )
    return " ".join(visible.split())


def env_value(text: Any) -> str:
    """A value for ``NAME=`` in a Compose env file: bare, or single-quoted when it needs it."""
    return env_literal(str(text))


class ConfinedLoader(jinja2.FileSystemLoader):
    """A ``FileSystemLoader`` that refuses a template file resolving outside the workspace."""

    def __init__(self, searchpath: Path, confine: Callable[[Path], Path]) -> None:
        super().__init__(searchpath, followlinks=False)
        self._confine = confine

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        self._confine(Path(filename))  # raises UnsafePathError (exit 2) for a link leaving it
        return source, filename, uptodate


def make_environment(
    workspace: Workspace, project_templates: Path | None
) -> jinja2.sandbox.SandboxedEnvironment:
    """A sandboxed jinja2 environment: the project's templates first, then the packaged ones.

    ``project_templates`` must already be confined to the workspace (see
    :func:`specledger.generate.targets.templates_dir`); each file read from it is checked again.
    """
    loaders: list[jinja2.BaseLoader] = []
    if project_templates is not None:

        def confine(path: Path) -> Path:
            return workspace.confine(path, what="template file")

        loaders.append(ConfinedLoader(project_templates, confine))
    loaders.append(jinja2.FileSystemLoader(PACKAGE_TEMPLATES))
    env = jinja2.sandbox.SandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # the outputs are TOML, env files and markdown, not HTML
    )
    env.filters.update(
        toml=toml_value, md_cell=md_cell, md_code=md_code, plain=plain, env=env_value
    )
    return env


def check_env_defaults(data: SpecData, spec_display: str) -> None:
    """Refuse a deployment default that an env file could not hold as exactly that one value.

    Checked before anything renders, so the error names the spec's line rather than the
    template's; the ``env`` filter refuses the same values again for a project's own template.
    """
    for variable in data.deployment:
        if variable.default is None:
            continue
        problem = env_value_problem(variable.default)
        if problem is not None:
            raise SpecledgerError(
                f"{variable.name}: the default `{shown(variable.default)}` {problem}; "
                "it cannot be written to an env file as one value",
                path=spec_display,
                line=variable.line,
                code="generate_bad_spec",
            )


def build_context(data: SpecData, spec_display: str, target: Target) -> dict[str, Any]:
    """The variables every template gets.

    ``spec`` (``path``, ``title``), ``command``, ``output``, ``notice`` (the one-line "generated
    by" sentence), ``settings`` (rows with ``name``, ``type.kind``/``type.label``/``type.minimum``/
    ``type.maximum``/``type.choices``, ``default``, ``default_text``, ``description``),
    ``scrubbing`` (one list per field of ``Scrubbing``: ``fields``, ``name_contains``, ...) and
    ``deployment`` (rows with ``name``, ``default``, ``required``, ``description``;
    ``required_variables``/``optional_variables``
    split them). ``settings_by_name`` and ``deployment_by_name`` index the rows by variable.
    """
    notice = f"Generated by `{COMMAND}` from {spec_display}. Do not edit by hand."
    return {
        "spec": {"path": spec_display, "title": data.title},
        "command": COMMAND,
        "output": target.output,
        "notice": notice,
        "settings": list(data.settings),
        "settings_by_name": {setting.name: setting for setting in data.settings},
        # every list the spec's scrubbing requirement declares, by its field name in ``Scrubbing``
        "scrubbing": {name: list(values) for name, values in vars(data.scrubbing).items()},
        "deployment": list(data.deployment),
        "deployment_by_name": {variable.name: variable for variable in data.deployment},
        "required_variables": [v for v in data.deployment if v.required],
        "optional_variables": [v for v in data.deployment if not v.required],
    }


def _display(filename: str | None, root: Path) -> str:
    if not filename:
        return "<template>"
    path = Path(filename)
    for base in (root, PACKAGE_TEMPLATES.parent.parent):
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return filename


def _template_line(tb: TracebackType | None, filename: str | None) -> int | None:
    """The innermost line of ``filename`` in a traceback (jinja2 maps frames to template lines)."""
    line = None
    while tb is not None:
        if filename and tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_target(
    env: jinja2.Environment, target: Target, context: Mapping[str, Any], root: Path
) -> str:
    """Render one target, turning every template problem into a ``SpecledgerError``."""
    try:
        template = env.get_template(target.template)
    except jinja2.TemplateNotFound as err:
        raise SpecledgerError(
            f"template {target.template!r} not found in the project's templates_dir "
            "or in specledger's templates",
            path="pyproject.toml",
            line=target.line,
            code="generate_no_template",
        ) from err
    except jinja2.TemplateSyntaxError as err:
        raise SpecledgerError(
            f"template syntax error: {err.message}",
            path=_display(err.filename, root),
            line=err.lineno,
            code="generate_bad_template",
        ) from err
    where = _display(template.filename, root)
    try:
        text = template.render(context)
    except jinja2.exceptions.SecurityError as err:
        raise SpecledgerError(
            f"the template did something the sandbox forbids: {err}",
            path=where,
            line=_template_line(err.__traceback__, template.filename),
            code="generate_unsafe_template",
        ) from err
    except jinja2.UndefinedError as err:
        line = _template_line(err.__traceback__, template.filename)
        raise SpecledgerError(
            f"unknown template variable: {err.message}",
            path=where,
            line=line,
            code="generate_bad_template",
        ) from err
    except (
        jinja2.TemplateError,
        TypeError,
        ValueError,
        ArithmeticError,  # {{ 1 / 0 }}, {{ 10.0 ** 400 }}
        RecursionError,  # a macro calling itself
        MemoryError,  # {{ "x" * 10 ** 12 }}
    ) as err:
        line = _template_line(err.__traceback__, template.filename)
        raise SpecledgerError(
            f"cannot render {target.output}: {err}",
            path=where,
            line=line,
            code="generate_bad_template",
        ) from err
    if not text.endswith("\n"):
        text += "\n"
    _check_output(target, text, where)
    return text


def _check_output(target: Target, text: str, where: str) -> None:
    """Re-read what is about to be written where its format allows it (TOML today)."""
    if target.output.endswith(".toml"):
        try:
            tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise SpecledgerError(
                f"the rendered {target.output} is not valid TOML: {err}",
                path=where,
                code="generate_bad_output",
            ) from err
