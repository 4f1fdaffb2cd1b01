"""``spec fix [ITEM] [--dry-run] [--json]``: rewrite what is mechanical and means the same."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, Literal

import click

from specledger.cli.common import EXIT_FINDINGS, EXIT_OK, handles_errors, open_workspace
from specledger.escape import printable, printable_lines

if TYPE_CHECKING:
    from specledger.fix import FileFix


@click.command("fix")
@click.argument("item", required=False)
@click.option("--type", "item_type", type=click.Choice(["change", "spec"]), help="Say what ITEM is when ambiguous.")
@click.option("--dry-run", is_flag=True, help="Print the unified diff of every fix; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout: every file, its fixes and its status.")
@handles_errors
def fix(item: str | None, item_type: Literal["change", "spec"] | None, dry_run: bool, as_json: bool) -> None:
    """Fix formatting that hides or breaks requirements, in ITEM or in every change and spec.

    \b
    Only rewrites that cannot change what a spec says, each with a code:
      delta-header-form           ##ADDED Requirements, ## added  requirements
      section-header-form         ##Purpose, ## requirements
      requirement-header-form     ###Requirement:Name, ### requirement: Name
      requirement-header-hashes   ### Requirement: Name ##
      scenario-header-level       ### Scenario: / ##### Scenario: inside a requirement
      scenario-bullet             - **Scenario:** name inside a requirement's text
      line-endings-mixed          LF and CRLF in one file (the dominant one wins)
      final-newline-missing       no line ending after the last line
    Each fixed file is re-parsed first: every word stays in order, and every requirement keeps its
    name, text and scenarios; a file that fails this check is refused and left as it is. Nothing
    is invented (no SHALL, no Purpose, no scenario).

    Exit status: 0 done (or, with --dry-run, shown), 1 a file refused, 2 usage or unreadable files.
    """
    from specledger.fix import plan_fixes, write_fixes

    workspace = open_workspace()
    plans = plan_fixes(workspace, item, item_type)
    changed = [p for p in plans if p.changes]
    refused = [p for p in plans if p.refusal is not None]
    written: list[FileFix] = [] if dry_run else write_fixes(workspace, plans)
    fix_count = sum(len(p.fixes) for p in changed)
    if as_json:
        click.echo(json.dumps(_payload(plans, dry_run, written), indent=2, ensure_ascii=False))
    elif dry_run:
        for plan in changed:
            click.echo(_printable_diff(plan), nl=False)
    for plan in changed if not as_json else ():
        out = dry_run  # the diff is the product of a dry run; the list of fixes is chatter then
        if not dry_run:
            click.echo(f"fixed {printable(plan.rel)}")
        for applied in plan.fixes:
            times = f" ({applied.lines} lines)" if applied.lines > 1 else ""
            click.echo(f"  {printable(plan.rel)}:{applied.line}: {printable(applied.before)} -> "
                       f"{printable(applied.after)}{times} [{applied.code}]", err=out)
    for plan in plans:
        if plan.refusal is not None or plan.skipped is not None:
            reason = plan.refusal or f"not fixed: its content cannot be read ({plan.skipped})"
            click.echo(f"spec: {printable(plan.rel)}: {printable(reason)}", err=True)
    verb = "would fix" if dry_run else "fixed"
    click.echo(f"spec: {verb} {fix_count} problem(s) in {len(changed)} file(s) of {len(plans)}; "
               f"{len(refused)} file(s) refused", err=True)
    sys.exit(EXIT_FINDINGS if refused else EXIT_OK)


def _printable_diff(plan: FileFix) -> str:
    """``plan``'s unified diff as the terminal may show it: the file named on one line each in the
    ``---``/``+++`` headers, and the file's own lines escaped within each line (CRLF kept, so a
    line-endings fix still shows)."""
    diff = plan.diff()
    # FileFix.diff names the file as it is (--json keeps it so); a newline or an escape sequence in
    # a folder name must not split or rewrite a header line here.
    header = f"--- a/{plan.rel}\n+++ b/{plan.rel}\n"
    if not diff.startswith(header):
        return printable_lines(diff)
    rel = printable(plan.rel)
    return f"--- a/{rel}\n+++ b/{rel}\n{printable_lines(diff[len(header):])}"


def _payload(plans: list[FileFix], dry_run: bool, written: list[FileFix]) -> dict[str, Any]:
    written_paths = {p.rel for p in written}
    files = []
    for plan in plans:
        if not plan.fixes and plan.refusal is None and plan.skipped is None:
            continue
        if plan.skipped is not None:
            status = "skipped"
        elif plan.refusal is not None:
            status = "refused"
        else:
            status = "written" if plan.rel in written_paths else "would-fix"
        entry: dict[str, Any] = {
            "path": plan.rel,
            "item": {"type": plan.item_type, "id": plan.item_id},
            "status": status,
            "fixes": [{"code": f.code, "line": f.line, "before": f.before, "after": f.after, "lines": f.lines,
                       "clears": list(f.clears)} for f in plan.fixes],
        }
        if plan.refusal or plan.skipped:
            entry["reason"] = plan.refusal or plan.skipped
        if dry_run and plan.changes:
            entry["diff"] = plan.diff()
        files.append(entry)
    return {
        "dryRun": dry_run,
        "files": files,
        "summary": {
            "files": len(plans),
            "changed": sum(1 for p in plans if p.changes),
            "fixes": sum(len(p.fixes) for p in plans if p.changes),
            "refused": sum(1 for p in plans if p.refusal is not None),
        },
    }
