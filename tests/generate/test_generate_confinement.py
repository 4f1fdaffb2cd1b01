"""Issue 9, item 8: templates run sandboxed and are read, and outputs written, only inside the
workspace. Every refusal is exit 2 with ``pyproject.toml:<line>`` or the template's name, and
neither the workspace nor a folder outside it changes (both are hashed before and after)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import Result
from generate_support import OUTPUTS, Project, difference, snapshot

MARKER = "LEAKED-FROM-OUTSIDE"


def _line_of(project: Project, text: str, occurrence: int = 1) -> int:
    lines = (project.root / "pyproject.toml").read_text(encoding="utf-8").splitlines()
    hits = [number for number, line in enumerate(lines, start=1) if line.strip() == text]
    return hits[occurrence - 1]


def _set_templates_dir(project: Project, value: str) -> None:
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(
            'changes_dir = "changes"\n', f'changes_dir = "changes"\ntemplates_dir = "{value}"\n', 1
        ),
        encoding="utf-8",
    )


def _refused(project: Project, outside: Path, *args: str) -> Result:
    """Run `spec generate` and assert: exit 2, a message, no traceback, nothing changed."""
    before, before_outside = snapshot(project.root), snapshot(outside)
    result = project.run("generate", *args)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert result.stderr.startswith("spec: error: "), result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    after = snapshot(project.root)
    assert after == before, difference(before, after)
    assert snapshot(outside) == before_outside, difference(before_outside, snapshot(outside))
    return result


# --- templates_dir -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["/etc", "../outside", "templates/../../outside"])
def test_templates_dir_outside_the_workspace_is_refused(
    project: Project, outside: Path, value: str
) -> None:
    _set_templates_dir(project, value)
    result = _refused(project, outside)
    line = _line_of(project, f'templates_dir = "{value}"')
    assert f"pyproject.toml:{line}: templates_dir '{value}' points outside the project" in (
        result.stderr
    )


def test_templates_dir_that_is_a_link_leaving_the_workspace_is_refused(
    project: Project, outside: Path
) -> None:
    (outside / "env.example.j2").write_text(f"{MARKER}\n", encoding="utf-8")
    (project.root / "templates").symlink_to(outside, target_is_directory=True)
    _set_templates_dir(project, "templates")
    result = _refused(project, outside)
    line = _line_of(project, 'templates_dir = "templates"')
    assert f"pyproject.toml:{line}: templates_dir resolves to {outside.resolve()}" in result.stderr
    assert "outside the workspace" in result.stderr
    assert MARKER not in result.stderr


def test_template_file_that_is_a_link_leaving_the_workspace_is_refused(
    project: Project, outside: Path
) -> None:
    """The folder is real, but one template in it points at a file elsewhere (/etc/passwd)."""
    (outside / "secret.txt").write_text(f"{MARKER}\n", encoding="utf-8")
    templates = project.root / "templates"
    templates.mkdir()
    (templates / "env.example.j2").symlink_to(outside / "secret.txt")
    _set_templates_dir(project, "templates")
    result = _refused(project, outside)
    assert "templates/env.example.j2: template file resolves to" in result.stderr
    assert MARKER not in result.stderr


def test_included_template_leaving_the_workspace_is_refused(
    project: Project, outside: Path
) -> None:
    (outside / "secret.txt").write_text(f"{MARKER}\n", encoding="utf-8")
    templates = project.root / "templates"
    templates.mkdir()
    (templates / "secret.j2").symlink_to(outside / "secret.txt")
    (templates / "env.example.j2").write_text('{% include "secret.j2" %}\n', encoding="utf-8")
    _set_templates_dir(project, "templates")
    result = _refused(project, outside)
    assert "templates/secret.j2: template file resolves to" in result.stderr


def test_link_inside_the_workspace_is_just_another_name(generated: Project) -> None:
    """templates_dir may be a link to another folder of the same repository."""
    real = generated.root / "tooling-templates"
    real.mkdir()
    (real / "env.example.j2").write_text("# {{ notice }}\nPORT=1\n", encoding="utf-8")
    (generated.root / "templates").symlink_to(real, target_is_directory=True)
    _set_templates_dir(generated, "templates")
    result = generated.run("generate")
    assert result.exit_code == 0, result.stderr
    assert (generated.root / "docker/.env.example").read_text(encoding="utf-8").endswith("PORT=1\n")


# --- the sandbox -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ cycler.__init__.__globals__.os.system('touch %s') }}",
         "access to attribute '__init__' of 'type' object is unsafe"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}",
         "access to attribute '__class__' of 'str' object is unsafe"),
        ("{{ lipsum.__globals__['os'].popen('touch %s').read() }}",
         "access to attribute '__globals__' of 'function' object is unsafe"),
        ("{{ settings[0].__class__ }}",
         "access to attribute '__class__' of 'Setting' object is unsafe"),
    ],
    ids=["cycler-globals", "subclasses", "lipsum-globals", "context-object"],
)  # fmt: skip
def test_template_cannot_escape_the_sandbox(
    project: Project, outside: Path, template: str, message: str
) -> None:
    marker = outside / "pwned"
    templates = project.root / "templates"
    templates.mkdir()
    text = f"line one\n{template % marker if '%s' in template else template}\n"
    (templates / "env.example.j2").write_text(text, encoding="utf-8")
    _set_templates_dir(project, "templates")
    result = _refused(project, outside)
    assert "templates/env.example.j2:2: the template did something the sandbox forbids" in (
        result.stderr
    )
    assert message in result.stderr
    assert not marker.exists()


# --- outputs -----------------------------------------------------------------------------------


def _third_table_line(project: Project) -> int:
    return _line_of(project, "[[tool.specledger.generate]]", occurrence=3)


def test_output_folder_that_is_a_link_leaving_the_workspace_is_refused(
    project: Project, outside: Path
) -> None:
    (project.root / "docs").symlink_to(outside, target_is_directory=True)
    result = _refused(project, outside)
    line = _third_table_line(project)
    assert (
        f"pyproject.toml:{line}: generate output resolves to {outside.resolve()}/bugsink-setup.md"
        in result.stderr
    )
    assert "outside the workspace" in result.stderr
    assert all(value is None for value in project.outputs().values())


def test_output_file_that_is_a_link_leaving_the_workspace_is_refused(
    generated: Project, outside: Path
) -> None:
    """An existing output replaced by a link to someone else's file: that file is never written,
    and neither are the other outputs, even though they are stale."""
    docs = generated.root / "docs/bugsink-setup.md"
    docs.unlink()
    docs.symlink_to(outside / "keep.txt")
    generated.edit_spec(
        "| `SENTRY_SHUTDOWN_TIMEOUT` | `2.0` |", "| `SENTRY_SHUTDOWN_TIMEOUT` | `5.0` |"
    )
    result = _refused(generated, outside)
    assert f"generate output resolves to {(outside / 'keep.txt').resolve()}" in result.stderr
    _refused(generated, outside, "--check")  # --check refuses the same tree, with exit 2


def test_dangling_link_pointing_outside_is_refused(project: Project, outside: Path) -> None:
    """A write through a dangling link would create its target outside the workspace."""
    (project.root / "docs").mkdir()
    (project.root / "docs/bugsink-setup.md").symlink_to(outside / "created-by-spec.md")
    result = _refused(project, outside)
    assert "outside the workspace" in result.stderr
    assert not (outside / "created-by-spec.md").exists()


def test_output_link_inside_the_workspace_writes_its_target(project: Project) -> None:
    """A link to another place inside the workspace is followed: the link stays a link."""
    (project.root / "site-docs").mkdir()
    (project.root / "docs").symlink_to("site-docs", target_is_directory=True)
    result = project.run("generate")
    assert result.exit_code == 0, result.stderr
    assert (project.root / "docs").is_symlink()
    assert (project.root / "site-docs/bugsink-setup.md").is_file()
    assert project.run("generate", "--check").exit_code == 0


def test_two_outputs_that_are_one_file_are_refused(project: Project, outside: Path) -> None:
    os.symlink("docker", project.root / "docs")
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(
            'output = "docs/bugsink-setup.md"', 'output = "docs/.env.example"'
        ),
        encoding="utf-8",
    )
    (project.root / "docker").mkdir()
    result = _refused(project, outside)
    line = _third_table_line(project)
    assert (
        f"pyproject.toml:{line}: outputs docker/.env.example and docs/.env.example are the same "
        "file" in result.stderr
    )
    assert OUTPUTS  # the other outputs were not written either (checked by _refused)


def test_spec_that_is_a_link_leaving_the_workspace_is_refused(
    project: Project, outside: Path
) -> None:
    """The data is read only from inside the workspace too (a link to /etc/shadow, say)."""
    (outside / "spec.md").write_bytes(project.spec.read_bytes())
    project.spec.unlink()
    project.spec.symlink_to(outside / "spec.md")
    result = _refused(project, outside)
    line = _line_of(project, "[[tool.specledger.generate]]")
    assert f"pyproject.toml:{line}: generate spec resolves to {(outside / 'spec.md').resolve()}" in (
        result.stderr
    )


@pytest.mark.parametrize("output", [".git/hooks/pre-commit", "sub/.git/config", ".GIT/hooks/post-checkout"])
def test_output_inside_a_git_folder_is_refused(project: Project, outside: Path, output: str) -> None:
    """A configuration from a repository one did not write may name any output: one in a .git
    folder would put a hook there, which git runs. Nothing is written, whatever the spelling."""
    (project.root / output).parent.mkdir(parents=True)
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace(
        'output = "docs/bugsink-setup.md"', f'output = "{output}"'), encoding="utf-8")
    result = _refused(project, outside)
    assert "inside a .git folder" in result.stderr
