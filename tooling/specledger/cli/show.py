"""``spec show``: a change (its proposal, its parsed deltas, or its redline) or a spec (its requirements)."""

from __future__ import annotations

import json
from typing import Any

import click

from specledger.cli.common import handles_errors, open_workspace, use_color
from specledger.errors import SpecledgerError
from specledger.inventory import change_details, proposal_text, spec_details
from specledger.items import resolve
from specledger.report.jsonout import root_data
from specledger.workspace import Workspace

_DIFF_STYLES = (("+++", {"bold": True}), ("---", {"bold": True}), ("@@", {"fg": "cyan"}),
                ("+", {"fg": "green"}), ("-", {"fg": "red"}))


def _colour_diff(diff: str) -> str:
    out = []
    for line in diff.splitlines(keepends=True):
        style = next((st for prefix, st in _DIFF_STYLES if line.startswith(prefix)), None)
        body, end = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        out.append((click.style(body, **style) if style else body) + end)
    return "".join(out)


def _show_diff(workspace: Workspace, name: str, as_json: bool, color: bool) -> None:
    """The change's redline as unified diffs, from the same plan archive would carry out."""
    from specledger.archive.apply import preview
    from specledger.archive.plan import build_plan

    plan = build_plan(workspace, name)
    diffs = preview(workspace, plan)
    if as_json:
        payload = {"id": name, "skipSpecs": plan.skip_specs, "diffs": [{"spec": s, "diff": d} for s, d in diffs],
                   "root": root_data(workspace)}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if plan.skip_specs:
        click.echo(f"spec: change '{name}' declares no spec changes (skip_specs)", err=True)
    elif not diffs:
        click.echo(f"spec: archiving '{name}' would change no spec text", err=True)
    for _spec_id, diff in diffs:
        click.echo(_colour_diff(diff) if color else diff, nl=False)


def _show_history(workspace: Workspace, spec_id: str, as_json: bool) -> None:
    """Each requirement of the spec with what archived changes did to it."""
    from specledger.history import build_history
    from specledger.parse.blocks import split_requirements
    from specledger.parse.files import UnreadableFile
    from specledger.validate import Validator

    validator = Validator(workspace)
    try:
        doc = validator.main_doc(spec_id)
    except UnreadableFile as err:
        raise SpecledgerError(f"cannot read the spec: {err.reason}", path=workspace.rel(err.path),
                              code="unreadable") from err
    history = build_history(validator)
    names = [b.name for b in split_requirements(doc).blocks] if doc is not None else []
    rows: list[dict[str, Any]] = []
    for name in names:
        lineage = history.of(spec_id, name)
        events = lineage.events if lineage else []
        rows.append({"requirement": name, "history": [
            {"kind": e.kind, "date": e.date, "archive": e.archive, **({"from": e.old_name} if e.old_name else {})}
            for e in events]})
    if as_json:
        click.echo(json.dumps({"id": spec_id, "requirements": rows, "root": root_data(workspace)}, indent=2,
                              ensure_ascii=False))
        return
    for row in rows:
        click.echo(row["requirement"])
        if not row["history"]:
            click.echo("  (no archived change records it)")
        for event in row["history"]:
            extra = f" from \u201c{event['from']}\u201d" if "from" in event else ""
            click.echo(f"  {event['date'] or 'undated'}  {event['kind']:<8} {event['archive']}{extra}")


@click.command("show")
@click.argument("item")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@click.option("--type", "item_type", type=click.Choice(["change", "spec"]), help="Say what ITEM is when ambiguous.")
@click.option("--deltas-only", "--requirements-only", "deltas_only", is_flag=True,
              help="For a change: only the parsed deltas.")
@click.option("--requirements", is_flag=True, help="For a spec: requirements only (no overview).")
@click.option("--no-scenarios", is_flag=True, help="For a spec: leave scenarios out.")
@click.option("-r", "--requirement", type=int, default=None, help="For a spec: only requirement N (1-based).")
@click.option("--diff", is_flag=True,
              help="For a change: a unified diff of every spec archive would change (writes nothing).")
@click.option("--history", is_flag=True, help="For a spec: what archived changes did to each requirement.")
@click.option("--no-interactive", is_flag=True, hidden=True, help="Accepted for compatibility.")
@click.pass_context
@handles_errors
def show(ctx: click.Context, item: str, as_json: bool, item_type: str | None, deltas_only: bool,
         requirements: bool, no_scenarios: bool, requirement: int | None, diff: bool, history: bool,
         no_interactive: bool) -> None:
    """Show a change or a spec.

    \b
    Examples:
      spec show add-login                 the change's proposal
      spec show add-login --json          its parsed deltas as JSON
      spec show notifications --json -r 2
      spec show add-login --diff          what archiving it would change, as diffs
      spec show notifications --history   when each requirement was added or changed
    """
    workspace = open_workspace()
    kind = resolve(workspace, item, item_type)  # type: ignore[arg-type]
    if diff and kind != "change":
        raise SpecledgerError("--diff applies to changes, not specs", code="invalid_option")
    if history and kind != "spec":
        raise SpecledgerError("--history applies to specs, not changes", code="invalid_option")
    if kind == "change":
        if diff:
            _show_diff(workspace, item, as_json, use_color(ctx))
            return
        if requirements or no_scenarios or requirement is not None:
            raise SpecledgerError("--requirements, --no-scenarios and -r apply to specs, not changes",
                                  code="invalid_option")
        if as_json or deltas_only:
            data = change_details(workspace, item)
            if deltas_only and not as_json:
                for delta in data["deltas"]:
                    click.echo(f"{delta['operation']:<9} {delta['spec']}: {delta['description']}")
                return
            if deltas_only:
                data = {"id": data["id"], "title": data["title"], "deltaCount": data["deltaCount"],
                        "deltas": data["deltas"]}
            click.echo(json.dumps({**data, "root": root_data(workspace)}, indent=2, ensure_ascii=False))
        else:
            click.echo(proposal_text(workspace, item), nl=False)
        return
    if history:
        _show_history(workspace, item, as_json)
        return
    data = spec_details(workspace, item, scenarios=not no_scenarios, requirement=requirement)
    if requirements:
        data = {"id": data["id"], "requirementCount": data["requirementCount"], "requirements": data["requirements"]}
    if as_json:
        click.echo(json.dumps({**data, "root": root_data(workspace)}, indent=2, ensure_ascii=False))
        return
    click.echo(f"# {data.get('title', item)}\n")
    if data.get("overview"):
        click.echo(f"{data['overview']}\n")
    for number, req in enumerate(data["requirements"], start=1):
        click.echo(f"{number}. {req['text']}")
        for scenario in req["scenarios"]:
            click.echo("   - " + scenario["rawText"].replace("\n", "\n     "))
