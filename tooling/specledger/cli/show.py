"""``spec show``: a change (its proposal, or its parsed deltas) or a spec (its requirements)."""

from __future__ import annotations

import json

import click

from specledger.cli.common import handles_errors, open_workspace
from specledger.errors import SpecledgerError
from specledger.inventory import change_details, proposal_text, spec_details
from specledger.items import resolve
from specledger.report.jsonout import root_data


@click.command("show")
@click.argument("item")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@click.option("--type", "item_type", type=click.Choice(["change", "spec"]), help="Say what ITEM is when ambiguous.")
@click.option("--deltas-only", "--requirements-only", "deltas_only", is_flag=True,
              help="For a change: only the parsed deltas.")
@click.option("--requirements", is_flag=True, help="For a spec: requirements only (no overview).")
@click.option("--no-scenarios", is_flag=True, help="For a spec: leave scenarios out.")
@click.option("-r", "--requirement", type=int, default=None, help="For a spec: only requirement N (1-based).")
@click.option("--no-interactive", is_flag=True, hidden=True, help="Accepted for compatibility.")
@handles_errors
def show(item: str, as_json: bool, item_type: str | None, deltas_only: bool, requirements: bool,
         no_scenarios: bool, requirement: int | None, no_interactive: bool) -> None:
    """Show a change or a spec.

    \b
    Examples:
      spec show add-login                 the change's proposal
      spec show add-login --json          its parsed deltas as JSON
      spec show notifications --json -r 2
    """
    workspace = open_workspace()
    kind = resolve(workspace, item, item_type)  # type: ignore[arg-type]
    if kind == "change":
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
