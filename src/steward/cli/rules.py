"""`steward rules …`: playbooks and rules as a YAML file under version control, and a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from steward.cli.common import DataDir, _database, _principal_for, _settings, fail

rules_app = typer.Typer(
    help="Playbooks and rules: export/import as YAML, evaluate now.", no_args_is_help=True
)


@rules_app.command("export")
def rules_export(
    file: Annotated[
        Path | None, typer.Argument(help="Write here (default: standard output).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Write every playbook and rule as one YAML file."""
    from steward.playbooks.service import export_bundle

    db = _database(_settings(data_dir))
    with db.session() as session:
        text = export_bundle(session)
    if file is None:
        typer.echo(text, nl=False)
    else:
        file.write_text(text, encoding="utf-8")


@rules_app.command("import")
def rules_import(
    file: Annotated[Path, typer.Argument(help="A YAML file written by `steward rules export`.")],
    user: Annotated[str, typer.Option(help="An admin's e-mail: audited as theirs.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and report; write nothing.")
    ] = False,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Create or update playbooks and rules by key. All or nothing: with any error, each is
    reported and nothing is written (exit 2)."""
    from steward.core.errors import StewardError
    from steward.playbooks.service import import_bundle

    if not file.is_file():
        fail(f"no such file: {file}")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text")
    db = _database(_settings(data_dir))
    try:
        with db.session() as session:
            principal = _principal_for(session, user)
            if not principal.is_admin:
                fail(f"{user} is not an admin; only admins change rules")
            result = import_bundle(session, principal, text, dry_run=dry_run)
            failed = any(item.outcome.startswith("error") for item in result.items)
            if failed or dry_run:
                session.rollback()
    except StewardError as exc:
        fail(exc.detail)
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))
    else:
        for item in result.items:
            typer.echo(f"{item.kind} {item.key}: {item.outcome}")
        if failed:
            typer.echo("nothing was imported: fix the errors above and import again")
        elif dry_run:
            typer.echo("dry run: nothing was written")
    if failed:
        raise typer.Exit(2)


@rules_app.command("run")
def rules_run(
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Evaluate the enabled rules now (the worker does this every 15 minutes)."""
    from steward.playbooks.engine import run_rules

    settings = _settings(data_dir)
    result = run_rules(_database(settings), settings)
    if as_json:
        typer.echo(
            json.dumps({"as_of": str(result.as_of), "rules": [r.__dict__ for r in result.rules]})
        )
        return
    for rule in result.rules:
        typer.echo(
            f"{rule.rule_key}: {rule.events} events, {rule.fired} fired, {rule.held_out} held out,"
            f" {rule.already_fired} already fired"
        )
