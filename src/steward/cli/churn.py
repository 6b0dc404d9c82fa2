"""`steward churn …`: the churn-risk pipeline. `evaluate --csv` checks it on any flat table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from steward.cli.common import DataDir, _database, _settings, fail

churn_app = typer.Typer(
    help="Churn risk: train the workspace model, evaluate the pipeline.", no_args_is_help=True
)


@churn_app.command("train")
def churn_train(
    data_dir: DataDir = None,
    holdout_days: Annotated[
        int,
        typer.Option(help="Validate on the snapshots of the last N days.", min=30, max=730),
    ] = 182,
    seed: Annotated[int, typer.Option(help="Seed for the trees.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Train the churn model on the workspace's history, validate it out of time, store the
    version and score every customer with it."""
    from datetime import date

    from steward.churn import service
    from steward.churn.training import NotEnoughHistory
    from steward.db.migrate import upgrade

    settings = _settings(data_dir)
    db = _database(settings)
    upgrade(db)
    today = date.today()
    try:
        model = service.train(db, settings, today, holdout_days=holdout_days, seed=seed)
    except NotEnoughHistory as exc:
        fail(f"cannot train a churn model yet — {exc}", 2)
    run = service.score(db, settings, today)
    figures = service.model_out(model)
    db.dispose()
    if as_json:
        typer.echo(
            json.dumps(
                {"model": figures.model_dump(mode="json"), "scored": run.scored if run else 0},
                indent=2,
            )
        )
        return
    typer.echo(
        f"churn model {figures.id}: {figures.rows} snapshots ({figures.positives} churned), "
        f"chosen: {figures.chosen}"
    )
    typer.echo(
        f"out-of-time validation from {figures.holdout_start}: {figures.test_rows} snapshots, "
        f"base rate {figures.base_rate:.1%}"
    )
    typer.echo(f"{'':<30}{'AUC':>8}{'Brier':>9}")
    typer.echo(f"{'Steward model (calibrated)':<30}{figures.auc:>8.4f}{figures.brier:>9.4f}")
    typer.echo(
        f"{'logistic regression (base)':<30}{figures.baseline_auc:>8.4f}"
        f"{figures.baseline_brier:>9.4f}"
    )
    _print_calibration(figures.calibration)
    typer.echo(f"\nscored {run.scored if run else 0} customers")


def _print_calibration(bins: list[Any]) -> None:
    typer.echo(f"\n{'predicted':<12}{'rows':>7}{'mean predicted':>16}{'observed':>10}")
    for b in bins:
        span = f"{b.low:.1f}–{b.high:.1f}"
        typer.echo(f"{span:<12}{b.count:>7}{b.mean_predicted:>16.3f}{b.observed_rate:>10.3f}")


@churn_app.command("evaluate")
def churn_evaluate(
    csv: Annotated[Path, typer.Option("--csv", help="A flat customer table, one row each.")],
    target: Annotated[str, typer.Option(help="The column that says whether they churned.")],
    folds: Annotated[
        int, typer.Option(help="Stratified cross-validation folds.", min=2, max=20)
    ] = 5,
    seed: Annotated[int, typer.Option(help="Seed for the folds and the trees.")] = 0,
    positive: Annotated[
        str | None,
        typer.Option(
            help="The target's value that means churned (needed unless it is a churn word:"
            " churned, left, cancelled, exited, yes, true, 1)."
        ),
    ] = None,
    keep: Annotated[
        list[str] | None,
        typer.Option(
            "--keep",
            help="A column to use although it alone predicts the target almost perfectly"
            " (left out as probable leakage otherwise); repeat for several.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Cross-validate the churn pipeline on a CSV: AUC, Brier score and a calibration table,
    beside plain logistic regression and plain gradient boosting on the same folds."""
    from dataclasses import asdict

    import pandas as pd

    from steward.churn.tabular import evaluate_table, read_table

    if not csv.is_file():
        fail(f"no such file: {csv}", 2)
    try:
        frame = read_table(csv)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        fail(f"{csv} is not a readable CSV file: {exc}", 2)
    if target not in frame.columns:
        fail(f"no column {target!r} in {csv}; columns: {', '.join(map(str, frame.columns))}", 2)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    # On stderr, so --json output stays clean; gone when done.
    with Progress(
        TextColumn("{task.description:<44}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        fits = progress.add_task("Reading the columns", total=3 * folds)

        def fitted(label: str) -> None:
            progress.update(fits, advance=1, description=label)

        try:
            result = evaluate_table(
                frame,
                target,
                folds=folds,
                seed=seed,
                positive=positive,
                keep=tuple(keep or ()),
                step=fitted,
            )
        except ValueError as exc:
            progress.stop()
            fail(f"cannot evaluate on {csv}: {exc}", 2)
    if as_json:
        typer.echo(json.dumps(asdict(result), indent=2))
        return
    typer.echo(
        f"{result.rows} rows, {result.positives} churned ({result.positives / result.rows:.1%})"
        f"; churned = {target} is {result.plan.positive_label!r}"
    )
    if result.plan.blank_targets:
        typer.echo(f"left out: {result.plan.blank_targets} rows without a {target} value")
    typer.echo(
        f"features: {len(result.plan.numeric)} numeric/boolean, "
        f"{len(result.plan.categorical)} categorical"
    )
    if result.warning:
        typer.echo(f"warning: {result.warning}")
    for column, why in result.plan.ignored.items():
        typer.echo(f"ignored: {column} ({why})")
    typer.echo(f"\n{folds}-fold stratified cross-validation (seed {seed})")
    typer.echo(f"{'':<28}{'AUC':>8}{'Brier':>9}")
    for name, scores in (
        ("Steward churn pipeline", result.model),
        ("logistic regression (plain)", result.baseline),
        ("gradient boosting (plain)", result.boosting),
    ):
        typer.echo(f"{name:<28}{scores.auc:>8.4f}{scores.brier:>9.4f}")
    typer.echo("AUC by fold: " + ", ".join(f"{a:.4f}" for a in result.model.auc_folds))
    typer.echo("chosen by validation in each fold: " + "; ".join(result.chosen))
    typer.echo("\nCalibration (out-of-fold predictions)")
    _print_calibration(result.calibration)
