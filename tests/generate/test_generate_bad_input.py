"""Every bad input to `spec generate`: a message with file and line, exit 2, nothing written."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from generate_support import Project

SPEC = "specs/error-tracking/spec.md"
SAMPLE_ROW = "| `SENTRY_TRACES_SAMPLE_RATE` | `0.0` | float 0..1 |"


@dataclass(frozen=True)
class SpecCase:
    """A replacement in the spec and the error it must produce."""

    id: str
    old: str
    new: str
    message: str  # regex searched in stderr
    line_of: str | None  # the line the error must point at: the line holding this text (after edit)


SPEC_CASES = [
    SpecCase(
        "sample-rate-not-a-number", SAMPLE_ROW, SAMPLE_ROW.replace("`0.0`", "`abc`"),
        r"SENTRY_TRACES_SAMPLE_RATE: the default `abc` is not a number", "`abc`",
    ),
    SpecCase(
        "sample-rate-above-range", SAMPLE_ROW, SAMPLE_ROW.replace("`0.0`", "`1.5`"),
        r"`1\.5` is above the maximum 1", "`1.5`",
    ),
    SpecCase(
        "queue-below-minimum", "| `10000` | integer >= 100 |", "| `50` | integer >= 100 |",
        r"`50` is below the minimum 100", "| `50` |",
    ),
    SpecCase(
        "integer-not-integer", "| `10000` | integer >= 100 |", "| `1e4` | integer >= 100 |",
        r"`1e4` is not an integer", "| `1e4` |",
    ),
    SpecCase(
        "boolean-default", "| `SENTRY_ENABLED` | `true` |", "| `SENTRY_ENABLED` | `maybe` |",
        r"`maybe` is not a boolean", "`maybe`",
    ),
    SpecCase(
        "enum-default", "| `SENTRY_TEST_ROUTES` | `auto` |", "| `SENTRY_TEST_ROUTES` | `always` |",
        r"`always` is not one of: auto, on, off", "`always`",
    ),
    SpecCase(
        "bad-dsn-default", "| `SENTRY_DSN` | (empty) |", "| `SENTRY_DSN` | `not-a-dsn` |",
        r"not a valid DSN", "`not-a-dsn`",
    ),
    SpecCase(
        "unknown-type", "| `SENTRY_RELEASE` | (empty) | string |",
        "| `SENTRY_RELEASE` | (empty) | text |", r"unknown type `text`", "| text |",
    ),
    SpecCase(
        "duplicate-variable", "| `SENTRY_RELEASE` |", "| `SENTRY_ENVIRONMENT` |",
        r"variable SENTRY_ENVIRONMENT is declared twice \(first on line \d+\)",
        "| `SENTRY_ENVIRONMENT` | (empty)",
    ),
    SpecCase(
        "malformed-header", "| Variable | Default | Type | Description |",
        "| Variable | Default | Kind | Description |",
        r"table columns Variable \| Default \| Kind \| Description match neither", "| Kind |",
    ),
    SpecCase(
        "header-missing-a-column", "| Variable | Default | Type | Description |",
        "| Variable | Default | Type |",
        r"starts a table that markdown does not read as one", "| Variable | Default | Type |",
    ),
    SpecCase(
        "row-missing-a-cell", SAMPLE_ROW, "| `SENTRY_TRACES_SAMPLE_RATE` | `0.0` |",
        r"table row has 3 cells, the header has 4", "| `SENTRY_TRACES_SAMPLE_RATE` | `0.0` |",
    ),
    SpecCase(
        "missing-settings-table", "| Variable | Default | Type | Description |",
        "Variable, Default, Type, Description (no longer a table)\n\n| x |",
        r"no table with the columns Variable \| Default \| Type \| Description",
        "## Requirements",
    ),
    SpecCase(
        "empty-description", "Share of requests traced; keep 0 with Bugsink, which drops "
        "transactions.",
        " ", r"SENTRY_TRACES_SAMPLE_RATE has no description", SAMPLE_ROW,
    ),
    SpecCase(
        "missing-scrub-list", "**Name fragments**", "Name fragments",
        r"no \*\*Name fragments\*\* list", "## Requirements",
    ),
    SpecCase(
        "scrub-label-without-list",
        "**Name fragments** (a field whose name contains one of these is masked):\n",
        "**Name fragments** (a field whose name contains one of these is masked):\n\nSee below.\n",
        r"must be followed directly by a bullet list", "**Name fragments**",
    ),
    SpecCase(
        "duplicate-scrub-field", "- `passwd`", "- `Password`",
        r"`password` is listed twice", "- `Password`",
    ),
    SpecCase(
        "required-with-default", "| `POSTGRES_PASSWORD` | (none) | yes |",
        "| `POSTGRES_PASSWORD` | `pw` | yes |",
        r"POSTGRES_PASSWORD is required, so its Default must be \(none\)",
        "| `POSTGRES_PASSWORD` |",
    ),
    SpecCase(
        "required-not-yes-no", "| `RUNTIME_PORT` | `8080` | no |",
        "| `RUNTIME_PORT` | `8080` | maybe |",
        r"Required must be yes or no", "| `RUNTIME_PORT` |",
    ),
]  # fmt: skip


def _line_of(project: Project, needle: str) -> int:
    lines = project.spec.read_text(encoding="utf-8").splitlines()
    hits = [number for number, line in enumerate(lines, start=1) if needle in line]
    assert hits, f"test setup: {needle!r} not in the edited spec"
    return hits[-1] if needle.startswith("| `SENTRY_ENVIRONMENT`") else hits[0]


@pytest.mark.parametrize("case", SPEC_CASES, ids=lambda case: case.id)
@pytest.mark.parametrize("check", [False, True], ids=["generate", "check"])
def test_bad_spec(generated: Project, case: SpecCase, check: bool) -> None:
    generated.edit_spec(case.old, case.new)
    before = generated.outputs()
    result = generated.run("generate", *(["--check"] if check else []))
    assert result.exit_code == 2, result.stdout + result.stderr
    assert re.search(case.message, result.stderr), result.stderr
    assert case.line_of is not None
    assert f"{SPEC}:{_line_of(generated, case.line_of)}: " in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert generated.outputs() == before


def _write_template(project: Project, name: str, text: str) -> None:
    folder = project.root / "templates"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(
            'changes_dir = "changes"\n', 'changes_dir = "changes"\ntemplates_dir = "templates"\n', 1
        ),
        encoding="utf-8",
    )


def test_unknown_template_variable_names_template_and_line(project: Project) -> None:
    """The last target fails, so the first two (which rendered fine) must not be written either."""
    _write_template(project, "bugsink-setup.md.j2", "# {{ notice }}\n\n{{ setings | length }}\n")
    result = project.run("generate")
    assert result.exit_code == 2
    assert "templates/bugsink-setup.md.j2:3: unknown template variable: 'setings' is undefined" in (
        result.stderr
    )
    assert all(value is None for value in project.outputs().values())


def test_unknown_attribute_is_an_error_too(project: Project) -> None:
    _write_template(
        project, "env.example.j2", "{% for v in deployment %}\n{{ v.nmae }}\n{% endfor %}\n"
    )
    result = project.run("generate")
    assert result.exit_code == 2
    assert "templates/env.example.j2:2: unknown template variable:" in result.stderr
    assert "nmae" in result.stderr


def test_template_syntax_error(project: Project) -> None:
    _write_template(project, "env.example.j2", "ok\n{% for v in deployment %}\n{{ v.name }\n")
    result = project.run("generate")
    assert result.exit_code == 2
    assert "templates/env.example.j2:3: template syntax error" in result.stderr


def test_template_that_renders_invalid_toml(project: Project) -> None:
    _write_template(project, "runtime-config.toml.j2", "[settings\n")
    result = project.run("generate")
    assert result.exit_code == 2
    assert "is not valid TOML" in result.stderr
    assert all(value is None for value in project.outputs().values())


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('spec = "specs/error-tracking/spec.md"\ntemplate = "nope.j2"\noutput = "x.txt"',
         "template 'nope.j2' not found"),
        ('spec = "specs/missing/spec.md"\ntemplate = "env.example.j2"\noutput = "x.txt"',
         "specs/missing/spec.md: the spec file does not exist"),
        ('spec = "specs/error-tracking/spec.md"\ntemplate = "env.example.j2"\noutput = "../x.txt"',
         "points outside the project"),
        ('spec = "specs/error-tracking/spec.md"\ntemplate = "env.example.j2"\n'
         'output = "docs/bugsink-setup.md"',
         "output docs/bugsink-setup.md is generated twice"),
        ('spec = "specs/error-tracking/spec.md"\noutput = "x.txt"',
         "needs a non-empty string 'template'"),
        ('spec = "specs/error-tracking/spec.md"\ntemplate = "a.j2"\noutput = "x.txt"\nmode = 1',
         "unknown generate key 'mode'"),
    ],
    ids=["unknown-template", "missing-spec", "output-outside", "duplicate-output", "missing-key",
         "unknown-key"],
)  # fmt: skip
def test_bad_target(project: Project, table: str, message: str) -> None:
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8") + f"\n[[tool.specledger.generate]]\n{table}\n",
        encoding="utf-8",
    )
    result = project.run("generate")
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert all(value is None for value in project.outputs().values())


def test_check_and_dry_run_together_is_a_usage_error(project: Project) -> None:
    result = project.run("generate", "--check", "--dry-run")
    assert result.exit_code == 2
    assert "cannot be combined" in result.stderr
