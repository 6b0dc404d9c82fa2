"""`steward forecast …`: the book's renewal and ARR forecast, and replaying past quarters."""

from __future__ import annotations

from typing import Annotated

import typer

from steward.cli.common import DataDir, _database, _principal_for, _settings, fail

forecast_app = typer.Typer(
    help="Renewal and ARR forecasts: show (and keep) today's, backtest past quarters.",
    invoke_without_command=True,
)

AsJson = Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")]


def _amount(value: object) -> str:
    return f"{float(value):>14,.0f}"  # type: ignore[arg-type]


@forecast_app.callback()
def forecast_show(
    ctx: typer.Context,
    data_dir: DataDir = None,
    quarters: Annotated[int, typer.Option(help="Quarters ahead.", min=1, max=8)] = 4,
    scope: Annotated[str, typer.Option(help="all, team:<id> or owner:<id> (a user's id).")] = "all",
    as_user: Annotated[
        str | None, typer.Option("--as", help="Forecast this user's book (e-mail).")
    ] = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Also store today's forecasts for every scope.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Today's forecast of the book per quarter: renewals due and the ARR they bring back
    (P10/P50/P90), ARR at each quarter's end, weighted pipeline."""
    if ctx.invoked_subcommand is not None:
        return
    from datetime import date

    from steward.db.migrate import upgrade
    from steward.forecasts import service
    from steward.forecasts.repository import Scope

    settings = _settings(data_dir)
    db = _database(settings)
    upgrade(db)
    try:
        chosen = Scope.parse(scope)
    except ValueError as exc:
        fail(str(exc), 2)
    with db.session() as session:
        principal = _principal_for(session, as_user)
        report = service.forecast(
            session, principal, settings.currency, date.today(), scope=chosen, quarters=quarters
        )
        stored = service.store(session, settings.currency, date.today()) if keep else 0
    db.dispose()
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    if report.scored_on is None:
        fail("no churn scores yet: run `steward churn train` first", 2)
    typer.echo(
        f"Forecast of {report.scope} on {report.made_on} ({report.customers} customers, ARR "
        f"{float(report.current_arr):,.0f} {report.currency}; churn scores of {report.scored_on}, "
        f"{report.runs} Monte Carlo runs)\n"
    )
    header = f"{'quarter':<9}{'due':>5}{'ARR due':>14}{'renewed P10':>14}{'expected':>14}"
    typer.echo(header + f"{'P90':>14}{'ARR at end':>14}{'P10–P90':>30}{'pipeline':>14}")
    for q in report.quarters:
        band = f"{float(q.arr_end.p10):,.0f}–{float(q.arr_end.p90):,.0f}"
        typer.echo(
            f"{q.quarter:<9}{q.renewals_due:>5}{_amount(q.arr_due)}{_amount(q.renewals.p10)}"
            f"{_amount(q.renewals.expected)}{_amount(q.renewals.p90)}{_amount(q.arr_end.expected)}"
            f"{band:>30}{_amount(q.pipeline_weighted)}"
        )
    if report.at_risk:
        typer.echo("\nRenewals at risk (churn probability × ARR)")
        for r in report.at_risk[:10]:
            typer.echo(
                f"  {r.account_name:<32} {r.renewal_date}  {r.churn_probability:>5.0%} of "
                f"{float(r.arr):,.0f}"
            )
    if keep:
        typer.echo(f"\nstored {stored} forecasts")


@forecast_app.command("backtest")
def forecast_backtest(
    data_dir: DataDir = None,
    quarters: Annotated[int, typer.Option(help="Closed quarters to replay.", min=1, max=12)] = 4,
    runs: Annotated[int, typer.Option(help="Monte Carlo runs.", min=100, max=100_000)] = 5000,
    store: Annotated[
        bool, typer.Option("--store", help="Keep the replayed forecasts (forecast vs actual).")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Replay past quarters: train the churn model as it could have been on the day before
    each began, forecast, and report the error against what happened."""
    from datetime import date

    from steward.churn.service import history_frame
    from steward.db.migrate import upgrade
    from steward.forecasts.backtest import backtest

    settings = _settings(data_dir)
    db = _database(settings)
    upgrade(db)
    today = date.today()
    frame = history_frame(db, settings, today)
    if frame.empty:
        fail("no history to replay: the workspace has no customers yet", 2)
    report = backtest(
        db, frame, settings.currency, today, quarters=quarters, runs=runs, store=store
    )
    db.dispose()
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    print_backtest(report)


def print_backtest(report) -> None:  # type: ignore[no-untyped-def]
    typer.echo(f"Renewals: ARR renewed with expansion ({report.currency}, {report.runs} runs)")
    typer.echo(
        f"{'quarter':<9}{'made on':>12}{'due':>5}{'P10':>14}{'expected':>14}{'P90':>14}"
        f"{'actual':>14}{'error':>8}  in band"
    )
    for q in report.quarters:
        if q.skipped:
            typer.echo(f"{q.quarter:<9}{q.made_on!s:>12}  skipped: {q.skipped}")
            continue
        typer.echo(
            f"{q.quarter:<9}{q.made_on!s:>12}{q.renewals_due:>5}{_amount(q.renewals.p10)}"
            f"{_amount(q.renewals.expected)}{_amount(q.renewals.p90)}{_amount(q.actual_renewed)}"
            f"{q.error:>+8.1%}  {'yes' if q.within_band else 'no'}"
        )
    replayed = sum(1 for q in report.quarters if not q.skipped)
    if report.renewals_mape is not None:
        typer.echo(
            f"mean absolute error {report.renewals_mape:.1%}, bias {report.renewals_bias:+.1%}, "
            f"actual inside P10–P90 in {report.renewals_within_band} of {replayed}"
        )
    typer.echo("\nARR of the forecast day's customers at each quarter's end")
    typer.echo(
        f"{'made on':<12}{'quarter':>9}{'P10':>14}{'expected':>14}{'P90':>14}{'actual':>14}"
        f"{'error':>8}  in band"
    )
    for q in report.quarters:
        for o in q.arr:
            typer.echo(
                f"{q.made_on!s:<12}{o.period:>9}{_amount(o.p10)}{_amount(o.expected)}"
                f"{_amount(o.p90)}{_amount(o.actual)}{o.error:>+8.1%}  "
                f"{'yes' if o.within_band else 'no'}"
            )
    by_horizon = ", ".join(
        f"{h} quarter{'s' if h > 1 else ''} ahead {e:.1%}"
        for h, e in report.arr_mape_by_horizon.items()
    )
    typer.echo(
        f"mean absolute error: {by_horizon}; actual inside P10–P90 in {report.arr_within_band} "
        f"of {report.arr_forecasts}"
    )
