"""`steward churn …`: the churn-risk pipeline. `evaluate --csv` checks it on any flat table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from steward.cli.common import fail

churn_app = typer.Typer(help="Churn risk: evaluate the model pipeline.", no_args_is_help=True)


@churn_app.command("evaluate")
def churn_evaluate(
    csv: Annotated[Path, typer.Option("--csv", help="A flat customer table, one row each.")],
    target: Annotated[str, typer.Option(help="The column that says whether they churned.")],
    folds: Annotated[
        int, typer.Option(help="Stratified cross-validation folds.", min=2, max=20)
    ] = 5,
    seed: Annotated[int, typer.Option(help="Seed for the folds and the trees.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Cross-validate the churn pipeline on a CSV: AUC, Brier score and a calibration table,
    beside an untuned logistic regression on the same folds."""
    from dataclasses import asdict

    import pandas as pd

    from steward.churn.tabular import evaluate_table

    if not csv.is_file():
        fail(f"no such file: {csv}", 2)
    try:
        frame = pd.read_csv(csv, low_memory=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        fail(f"{csv} is not a readable CSV file: {exc}", 2)
    if target not in frame.columns:
        fail(f"no column {target!r} in {csv}; columns: {', '.join(map(str, frame.columns))}", 2)
    try:
        result = evaluate_table(frame, target, folds=folds, seed=seed)
    except ValueError as exc:
        fail(f"cannot evaluate on {csv}: {exc}", 2)
    if as_json:
        typer.echo(json.dumps(asdict(result), indent=2))
        return
    typer.echo(
        f"{result.rows} rows, {result.positives} churned ({result.positives / result.rows:.1%})"
    )
    typer.echo(
        f"features: {len(result.plan.numeric)} numeric/boolean, "
        f"{len(result.plan.categorical)} categorical"
    )
    for column, why in result.plan.ignored.items():
        typer.echo(f"ignored: {column} ({why})")
    typer.echo(f"\n{folds}-fold stratified cross-validation (seed {seed})")
    typer.echo(f"{'':<28}{'AUC':>8}{'Brier':>9}")
    for name, scores in (
        ("Steward churn pipeline", result.model),
        ("logistic regression (base)", result.baseline),
    ):
        typer.echo(f"{name:<28}{scores.auc:>8.4f}{scores.brier:>9.4f}")
    typer.echo("AUC by fold: " + ", ".join(f"{a:.4f}" for a in result.model.auc_folds))
    typer.echo("\nCalibration (out-of-fold predictions)")
    typer.echo(f"{'predicted':<12}{'rows':>7}{'mean predicted':>16}{'observed':>10}")
    for b in result.calibration:
        span = f"{b.low:.1f}–{b.high:.1f}"
        typer.echo(f"{span:<12}{b.count:>7}{b.mean_predicted:>16.3f}{b.observed_rate:>10.3f}")
