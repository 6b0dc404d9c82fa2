"""`steward retention`: survival curves, the sBG model, a Cox model and lifetime value."""

from __future__ import annotations

from typing import Annotated

import typer

from steward.cli.common import DataDir, _database, _principal_for, _settings, fail


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _amount(value: object) -> str:
    return "—" if value is None else f"{float(value):,.0f}"  # type: ignore[arg-type]


def retention(
    data_dir: DataDir = None,
    by: Annotated[str, typer.Option(help="Group by segment, tier or cohort (first year).")] = (
        "segment"
    ),
    discount_rate: Annotated[
        float, typer.Option(help="Yearly discount rate for lifetime value.", min=0.001, max=1)
    ] = 0.1,
    as_user: Annotated[
        str | None, typer.Option("--as", help="This user's book (e-mail); default: all.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Customer retention: Kaplan–Meier and sBG per group, a Cox model of what shortens a
    customer's life, and today's customers' lifetime value by DERL beside the simpler forms."""
    from datetime import date

    from steward.core.errors import InvalidField
    from steward.db.migrate import upgrade
    from steward.retention import service

    settings = _settings(data_dir)
    db = _database(settings)
    upgrade(db)
    with db.session() as session:
        principal = _principal_for(session, as_user)
        try:
            report = service.retention_report(
                session,
                principal,
                settings.currency,
                by=by,
                today=date.today(),
                discount_rate=discount_rate,
                gross_margin=settings.gross_margin,
            )
        except InvalidField as error:
            # the detail already starts with the field's name ("by: must be one of …")
            fail(f"--{error.detail.replace('_', '-')}", 2)
    db.dispose()
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    if not report.groups:
        fail("no customer has had ARR yet", 2)
    typer.echo(
        f"Retention by {report.by} to the end of {report.as_of_month} (discount rate "
        f"{report.discount_rate:.0%}, gross margin {report.gross_margin:.0%}, {report.currency})\n"
    )
    typer.echo(
        f"{'group':<16}{'customers':>10}{'churned':>9}{'median mo':>10}{'S(1y)':>8}{'S(2y)':>8}"
        f"{'sBG α':>9}{'sBG β':>9}{'renew y1→y5':>16}{'DERL value':>15}{'pooled rate':>15}"
        f"{'simple':>15}"
    )
    for g in report.groups:
        median = f"{g.median_lifetime_months:.0f}" if g.median_lifetime_months else "—"
        sbg = (
            f"{g.sbg.alpha:>9.3f}{g.sbg.beta:>9.3f}"
            f"{_pct(g.sbg.retention_rates[0]) + '→' + _pct(g.sbg.retention_rates[4]):>16}"
            if g.sbg
            else f"{'(' + (g.sbg_error or '')[:30] + ')':>34}"
        )
        v = g.valuation
        typer.echo(
            f"{g.group:<16}{g.customers:>10}{g.churned:>9}{median:>10}{_pct(g.survival_12):>8}"
            f"{_pct(g.survival_24):>8}{sbg}{_amount(v.derl_value):>15}"
            f"{_amount(v.constant_retention_value):>15}{_amount(v.simple_value):>15}"
        )
    if report.cox:
        cox = report.cox
        typer.echo(
            f"\nCox model ({cox.customers} customers, {cox.churned} churned, concordance "
            f"{cox.concordance:.3f}; baseline {cox.baseline}):"
        )
        for h in cox.hazard_ratios:
            typer.echo(
                f"  {h.covariate:<28} HR {h.hazard_ratio:6.2f}  ({h.low:.2f}–{h.high:.2f})  "
                f"p {h.p_value:.3f}"
            )
    else:
        typer.echo(f"\nCox model: {report.cox_error}")
