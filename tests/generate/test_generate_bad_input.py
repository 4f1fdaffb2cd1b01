"""Every bad input to `spec generate`: a message with file and line, exit 2, nothing written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from generate_support import OUTPUTS, Project, difference, snapshot

SPEC = "specs/error-tracking/spec.md"
SAMPLE_ROW = "| `SENTRY_TRACES_SAMPLE_RATE` | `0.0` | float 0..1 |"
QUEUE = "| `SENTRY_TRANSPORT_QUEUE_SIZE` | `10000` | integer >= 100 |"
TIMEOUT = "| `SENTRY_SHUTDOWN_TIMEOUT` | `2.0` |"
DIGITS_5000 = "9" * 5000


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
    # issue 9, item 5: huge and odd numbers end in a message, never in int()'s ValueError
    SpecCase(
        "integer-default-5000-digits", QUEUE, QUEUE.replace("`10000`", f"`{DIGITS_5000}`"),
        r"SENTRY_TRANSPORT_QUEUE_SIZE: the default `9{40}\.\.\. \(5000 characters\)` is too long "
        r"for a number \(at most 64 characters\)", "| `SENTRY_TRANSPORT_QUEUE_SIZE` |",
    ),
    SpecCase(
        "integer-default-beyond-64-bit", QUEUE, QUEUE.replace("`10000`", "`9223372036854775808`"),
        r"`9223372036854775808` does not fit in a 64-bit integer", "| `SENTRY_TRANSPORT_QUEUE_SIZE` |",
    ),
    SpecCase(
        "integer-bound-5000-digits", QUEUE, QUEUE.replace(">= 100", f">= {DIGITS_5000}"),
        r"the bound 9{40}\.\.\. \(5000 characters\) is too long", "| `SENTRY_TRANSPORT_QUEUE_SIZE` |",
    ),
    SpecCase(
        "integer-bound-beyond-64-bit", QUEUE, QUEUE.replace(">= 100", ">= -9223372036854775809"),
        r"the bound -9223372036854775809 does not fit in a 64-bit integer",
        "| `SENTRY_TRANSPORT_QUEUE_SIZE` |",
    ),
    SpecCase(
        "float-bound-5000-digits", SAMPLE_ROW, SAMPLE_ROW.replace("0..1", f"0..{DIGITS_5000}"),
        r"the bound 9{40}\.\.\. \(5000 characters\) is too long", "| `SENTRY_TRACES_SAMPLE_RATE` |",
    ),
    SpecCase(
        "float-default-overflows", TIMEOUT, TIMEOUT.replace("`2.0`", "`1e999`"),
        r"SENTRY_SHUTDOWN_TIMEOUT: the default `1e999` is not a finite number",
        "| `SENTRY_SHUTDOWN_TIMEOUT` |",
    ),
    SpecCase(
        "float-default-5000-digits", TIMEOUT, TIMEOUT.replace("`2.0`", f"`{DIGITS_5000}.5`"),
        r"is too long for a number", "| `SENTRY_SHUTDOWN_TIMEOUT` |",
    ),
    SpecCase(
        "arabic-indic-digits", QUEUE, QUEUE.replace("`10000`", "`\u0661\u0660\u0660\u0660`"),
        r"`\u0661\u0660\u0660\u0660` is not an integer", "| `SENTRY_TRANSPORT_QUEUE_SIZE` |",
    ),
    SpecCase(
        "control-character-in-string-default", "| `SENTRY_ENVIRONMENT` | `development` |",
        "| `SENTRY_ENVIRONMENT` | `dev\x0bel` |",
        r"SENTRY_ENVIRONMENT: the default `dev\\x0bel` holds the invisible character U\+000B",
        "| `SENTRY_ENVIRONMENT` | `dev",
    ),
    SpecCase(
        "bidi-override-in-string-default", "| `SENTRY_ENVIRONMENT` | `development` |",
        "| `SENTRY_ENVIRONMENT` | `prod\u202enoitcudorp` |",
        r"holds the invisible character U\+202E \(RIGHT-TO-LEFT OVERRIDE\)",
        "noitcudorp",
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
    assert len(result.stderr) < 600  # a 5,000-digit value is cut short in the message
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


# --- issue 9, item 5: hostile [[tool.specledger.generate]] tables ---------------------------------

DEEP = "[" * 5000 + "]" * 5000


@dataclass(frozen=True)
class TableCase:
    id: str
    table: str  # the body of one more [[tool.specledger.generate]] table
    message: str  # expected in stderr
    # the message names pyproject.toml and the table's line (else only the file: TOML that
    # cannot be parsed at all is reported by the workspace loader)
    at_table: bool = True


TABLE_CASES = [
    TableCase("nul-in-output", 'spec = "specs/error-tracking/spec.md"\ntemplate = "env.example.j2"\n'
              'output = "docs/a\\u0000b.md"',
              "generate output 'docs/a\\x00b.md' holds the control character U+0000"),
    TableCase("nul-in-spec", 'spec = "specs/\\u0000/spec.md"\ntemplate = "env.example.j2"\n'
              'output = "x.txt"', "generate spec 'specs/\\x00/spec.md' holds the control character U+0000"),
    TableCase("nul-in-template", 'spec = "specs/error-tracking/spec.md"\ntemplate = "a\\u0000.j2"\n'
              'output = "x.txt"', "generate template 'a\\x00.j2' holds the control character U+0000"),
    TableCase("newline-in-output", 'spec = "specs/error-tracking/spec.md"\ntemplate = "env.example.j2"\n'
              'output = "docs/a\\nb.md"', "holds the control character U+000A"),
    TableCase("300-character-output", 'spec = "specs/error-tracking/spec.md"\n'
              f'template = "env.example.j2"\noutput = "docs/{"a" * 300}.md"',
              "has a name longer than 255 bytes (aaaaaaaaaaaaaaaaaaaa...)"),
    TableCase("300-character-spec", f'spec = "specs/{"b" * 300}/spec.md"\ntemplate = "env.example.j2"\n'
              'output = "x.txt"', f"generate spec 'specs/{'b' * 54}...' has a name longer than 255 bytes"),
    TableCase("300-character-template", f'spec = "specs/error-tracking/spec.md"\ntemplate = "{"c" * 300}"\n'
              'output = "x.txt"', "has a name longer than 255 bytes"),
    # six levels, not a thousand: should the check regress, the tree it leaves must stay removable
    TableCase("1200-byte-output", 'spec = "specs/error-tracking/spec.md"\ntemplate = "env.example.j2"\n'
              f'output = "{("d" * 200 + "/") * 6}x"', "is longer than 1024 bytes"),
    TableCase("deep-array-output", 'spec = "specs/error-tracking/spec.md"\ntemplate = "env.example.j2"\n'
              f"output = {DEEP}", "not usable TOML: nested too deeply", at_table=False),
    TableCase("array-output", 'spec = "specs/error-tracking/spec.md"\ntemplate = "env.example.j2"\n'
              'output = ["x.txt"]', "generate target needs a non-empty string 'output'"),
    TableCase("5000-digit-number-output", 'spec = "specs/error-tracking/spec.md"\n'
              f'template = "env.example.j2"\noutput = {DIGITS_5000}',
              "not valid TOML", at_table=False),
]  # fmt: skip

@pytest.mark.parametrize("case", TABLE_CASES, ids=lambda case: case.id)
def test_hostile_generate_table(project: Project, outside: Path, case: TableCase) -> None:
    """Exit 2 with a message at the table's line; neither the tree nor a folder outside changes."""
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8") + f"\n[[tool.specledger.generate]]\n{case.table}\n",
        encoding="utf-8",
    )
    lines = pyproject.read_text(encoding="utf-8").splitlines()
    line = max(n for n, text in enumerate(lines, start=1) if text == "[[tool.specledger.generate]]")
    before, before_outside = snapshot(project.root), snapshot(outside)
    for args in (["generate"], ["generate", "--check"]):
        result = project.run(*args)
        assert result.exit_code == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert len(result.stderr) < 600, result.stderr[:600]
        prefix = f"spec: error: pyproject.toml:{line}: " if case.at_table else "pyproject.toml: "
        assert prefix in result.stderr, result.stderr
        assert case.message in result.stderr, result.stderr
        after = snapshot(project.root)
        assert after == before, difference(before, after)
        assert snapshot(outside) == before_outside


@pytest.mark.parametrize("which", ["output", "spec"])
def test_a_pipe_is_refused_not_read(project: Project, outside: Path, which: str) -> None:
    """Reading a FIFO blocks until someone writes to it: `spec` must refuse it, not hang.

    Run as a subprocess with a timeout, so that a regression fails the test instead of hanging it.
    """
    rel = OUTPUTS[2] if which == "output" else SPEC
    path = project.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    before, before_outside = snapshot(project.root), snapshot(outside)
    result = subprocess.run(
        [str(Path(sys.executable).with_name("spec")), "generate"],
        cwd=project.root, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == (
        f"spec: error: {rel}: the {which} is not a regular file (a pipe, socket or device); "
        "nothing was written\n"
    )
    after = snapshot(project.root)
    assert after == before, difference(before, after)
    assert snapshot(outside) == before_outside


def test_line_numbers_count_only_line_feeds(project: Project) -> None:
    """TOML allows U+2028 and U+0085 in a comment; they must not shift the line a message names."""
    pyproject = project.root / "pyproject.toml"
    text = "# a comment\u2028with a line separator\x85and a next-line\n" + pyproject.read_text(
        encoding="utf-8"
    )
    text += '\n[[tool.specledger.generate]]\nspec = "specs/error-tracking/spec.md"\n'
    text += 'template = "env.example.j2"\noutput = "a\\u0000b"\n'
    pyproject.write_text(text, encoding="utf-8")
    line = text.split("\n").index('output = "a\\u0000b"') - 2  # the table's header line, 1-based
    result = project.run("generate")
    assert result.exit_code == 2
    assert f"spec: error: pyproject.toml:{line}: generate output 'a\\x00b' holds" in result.stderr
