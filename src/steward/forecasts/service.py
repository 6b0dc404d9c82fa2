"""Renewal and ARR forecasts for a book (SPEC §5), kept so they can be set beside what happened.

`forecast` computes live, for the reader's book (optionally one team or owner AM), from the latest
churn scores: per quarter the renewals due with P10/P50/P90 of the ARR they bring back, the ARR of
today's customers at the quarter's end, and the weighted pipeline. `store` keeps the forecasts of
the day for the whole workspace, every team and every owner AM; `close_due` fills in what
actually happened once a period has closed; `outcomes` lists forecast beside actual.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from steward.accounts import policy
from steward.accounts.models import Account, AccountAncestor
from steward.churn.models import ChurnModel, ChurnScore
from steward.contracts.models import RENEWAL_GRACE_DAYS
from steward.core.cache import FigureCache
from steward.core.errors import InvalidField
from steward.core.money import from_minor
from steward.core.principal import SYSTEM, Principal
from steward.db.revision import table_names, tables_state
from steward.forecasts import repository, schemas
from steward.forecasts.models import Forecast
from steward.forecasts.periods import Quarter, quarter_of, quarters_from
from steward.forecasts.repository import Scope, ScoredCustomer
from steward.forecasts.simulation import (
    DEFAULT_RUNS,
    Band,
    Deal,
    Ratios,
    Renewal,
    arr_projection,
    expected_renewed,
    renewal_band,
)
from steward.opportunities.models import ForecastCategory, Opportunity, OpportunityType, Stage
from steward.users.models import Role, Team, User

MAX_QUARTERS = 8
AT_RISK_LIMIT = 25
STORE_EVERY_DAYS = 7
# Simulations run side by side when forecasts are stored (a worker job, the demo build).
SIMULATION_THREADS = min(4, os.cpu_count() or 1)
# Opportunities that add ARR on top of today's customers (renewals are the churn model's).
GROWTH_TYPES = frozenset(
    {OpportunityType.NEW_BUSINESS, OpportunityType.UPSELL, OpportunityType.CROSS_SELL}
)


def band_out(band: Band) -> schemas.Band:
    return schemas.Band(
        expected=from_minor(band.expected),
        p10=from_minor(band.p10),
        p50=from_minor(band.p50),
        p90=from_minor(band.p90),
    )


def ratios_of(session: Session, model_id: int | None) -> Ratios:
    model = session.get(ChurnModel, model_id) if model_id is not None else None
    return Ratios.from_history(orjson.loads(model.revenue_ratios) if model is not None else {})


def as_renewal(customer: ScoredCustomer) -> Renewal:
    return Renewal(
        customer.account_id,
        customer.renewal_date,
        customer.arr_minor,
        customer.probability,
        customer.segment,
    )


@dataclass(frozen=True)
class _Computed:
    """A scope's forecast in minor units, before it is shaped for the API or stored."""

    quarters: list[Quarter]
    scored_on: date | None
    model_id: int | None
    customers: list[ScoredCustomer]
    ratios: Ratios
    renewals: list[Band]
    due: list[list[ScoredCustomer]]
    arr_end: list[Band]
    arr_end_with_pipeline: list[Band]
    pipeline_weighted: list[float]
    deals: list[repository.OpenOpportunity]


@dataclass(frozen=True)
class _Inputs:
    """What a scope's forecast reads from the database: the simulation needs nothing else."""

    today: date
    quarters: list[Quarter]
    scored_on: date | None
    model_id: int | None
    customers: list[ScoredCustomer]
    ratios: Ratios
    deals: list[repository.OpenOpportunity]
    runs: int
    seed: int


def _read(
    session: Session,
    principal: Principal,
    scope: Scope,
    today: date,
    quarter_count: int,
    runs: int,
    seed: int,
) -> _Inputs:
    quarters = quarters_from(quarter_of(today), quarter_count)
    scored_on = repository.latest_score_day(session)
    model_id, customers = (
        repository.scored_customers(session, principal, scope, scored_on)
        if scored_on is not None
        else (None, [])
    )
    return _Inputs(
        today=today,
        quarters=quarters,
        scored_on=scored_on,
        model_id=model_id,
        customers=customers,
        ratios=ratios_of(session, model_id),
        deals=repository.open_opportunities(session, principal, scope, quarters[-1].end),
        runs=runs,
        seed=seed,
    )


def _simulate(inputs: _Inputs) -> _Computed:
    """The Monte Carlo of one scope: no database, so scopes can run side by side (numpy
    leaves the interpreter lock while it draws)."""
    quarters, customers, ratios = inputs.quarters, inputs.customers, inputs.ratios
    runs, seed, today = inputs.runs, inputs.seed, inputs.today
    horizon = quarters[-1].end
    # A customer renews once in the horizon at most: a renewal date already past (late, in
    # its grace) counts in the current quarter.
    upcoming = [c for c in customers if c.renewal_date <= horizon]

    def quarter_index(day: date) -> int:
        return next((i for i, q in enumerate(quarters) if day <= q.end), len(quarters) - 1)

    due: list[list[ScoredCustomer]] = [[] for _ in quarters]
    for customer in upcoming:
        due[quarter_index(customer.renewal_date)].append(customer)
    renewals = [
        renewal_band([as_renewal(c) for c in group], ratios, runs=runs, seed=seed + i)
        for i, group in enumerate(due)
    ]
    growth = [
        Deal(d.id, max(d.close_date, today), d.amount_minor, d.probability / 100)
        for d in inputs.deals
        if d.type in GROWTH_TYPES and d.forecast_category != ForecastCategory.OMITTED
    ]
    path = arr_projection(
        [as_renewal(c) for c in customers],
        growth,
        ratios,
        today,
        [q.end for q in quarters],
        runs=runs,
        seed=seed,
    )
    weighted = [0.0 for _ in quarters]
    for deal in growth:
        weighted[quarter_index(deal.close_date)] += deal.probability * deal.amount_minor
    return _Computed(
        quarters=quarters,
        scored_on=inputs.scored_on,
        model_id=inputs.model_id,
        customers=customers,
        ratios=ratios,
        renewals=renewals,
        due=due,
        arr_end=path.base,
        arr_end_with_pipeline=path.with_pipeline,
        pipeline_weighted=weighted,
        deals=inputs.deals,
    )


def check_quarters(quarters: int) -> int:
    if not 1 <= quarters <= MAX_QUARTERS:
        raise InvalidField("quarters", f"must be between 1 and {MAX_QUARTERS}")
    return quarters


def forecast(
    session: Session,
    principal: Principal,
    currency: str,
    today: date,
    *,
    scope: Scope | None = None,
    quarters: int = 4,
    runs: int = DEFAULT_RUNS,
    seed: int = 0,
) -> schemas.ForecastReport:
    scope = scope or Scope()
    check_quarters(quarters)
    # The Monte Carlo reads contracts, scores, the pipeline and the ratios of past renewals:
    # its result is kept until one of the tables it reads changes (a logged call does not
    # re-run it), never re-run per page load.
    key = (
        tables_state(session, READS),
        principal,
        currency,
        today,
        scope.key,
        quarters,
        runs,
        seed,
    )
    return _reports.get(
        key, lambda: _forecast(session, principal, currency, today, scope, quarters, runs, seed)
    )


_reports = FigureCache(schemas.ForecastReport, max_entries=64)
# Every table `_forecast` reads, for any reader and scope (a test holds it to what it reads):
# the book rule's, the scores (with the ARR and renewal day they were taken at), the model
# (its ratios of past renewals) and the pipeline. Not activities: a logged call keeps it.
READS = table_names([Account, AccountAncestor, User, Team, ChurnModel, ChurnScore, Opportunity])


def _forecast(
    session: Session,
    principal: Principal,
    currency: str,
    today: date,
    scope: Scope,
    quarters: int,
    runs: int,
    seed: int,
) -> schemas.ForecastReport:
    computed = _simulate(_read(session, principal, scope, today, quarters, runs, seed))
    ratios = computed.ratios
    out_quarters = []
    for i, quarter in enumerate(computed.quarters):
        group = computed.due[i]
        arr_due = sum(c.arr_minor for c in group)
        expected_back = sum(expected_renewed(as_renewal(c), ratios) for c in group)
        kept = sum((1 - c.probability) * c.arr_minor for c in group)
        out_quarters.append(
            schemas.QuarterForecast(
                quarter=quarter.label,
                start=quarter.start,
                end=quarter.end,
                renewals_due=len(group),
                arr_due=from_minor(arr_due),
                expected_arr_lost=from_minor(round(arr_due - kept)),
                expected_expansion=from_minor(round(expected_back - kept)),
                renewals=band_out(computed.renewals[i]),
                arr_end=band_out(computed.arr_end[i]),
                pipeline_weighted=from_minor(round(computed.pipeline_weighted[i])),
                arr_end_with_pipeline=band_out(computed.arr_end_with_pipeline[i]),
            )
        )
    upcoming = [c for group in computed.due for c in group]
    upcoming.sort(key=lambda c: -c.probability * c.arr_minor)
    at_risk = [
        schemas.RenewalAtRisk(
            account_id=c.account_id,
            account_name=c.name,
            owner_name=c.owner_name,
            segment=c.segment,
            renewal_date=c.renewal_date,
            arr=from_minor(c.arr_minor),
            churn_probability=round(c.probability, 4),
            expected_renewal_arr=from_minor(round(expected_renewed(as_renewal(c), ratios))),
            arr_at_risk=from_minor(round(c.probability * c.arr_minor)),
            reasons=orjson.loads(c.reasons),
        )
        for c in upcoming[:AT_RISK_LIMIT]
    ]
    return schemas.ForecastReport(
        currency=currency,
        scope=scope.key,
        made_on=today,
        scored_on=computed.scored_on,
        model_id=computed.model_id,
        runs=runs,
        customers=len(computed.customers),
        current_arr=from_minor(sum(c.arr_minor for c in computed.customers)),
        quarters=out_quarters,
        at_risk=at_risk,
        pipeline=_pipeline(computed.deals, computed.quarters[-1].end),
    )


def _pipeline(deals: Sequence[repository.OpenOpportunity], until: date) -> schemas.Pipeline:
    """Open pipeline closing by `until`, amount and amount × stage probability, by forecast
    category and by stage (every type: renewal opportunities included, as a CRM shows it)."""

    def rows(key: str, order: Iterable[str]) -> list[schemas.PipelineRow]:
        sums: dict[str, list[int | float]] = defaultdict(lambda: [0, 0, 0.0])
        for deal in deals:
            cell = sums[getattr(deal, key)]
            cell[0] += 1
            cell[1] += deal.amount_minor
            cell[2] += deal.amount_minor * deal.probability / 100
        known = [g for g in order if g in sums] + sorted(set(sums) - set(order))
        return [_row(group, *sums[group]) for group in known]

    total = _row(
        "total",
        len(deals),
        sum(d.amount_minor for d in deals),
        sum(d.amount_minor * d.probability / 100 for d in deals),
    )
    return schemas.Pipeline(
        until=until,
        by_category=rows("forecast_category", [c.value for c in ForecastCategory]),
        by_stage=rows("stage", [s.value for s in Stage]),
        total=total,
    )


def _row(group: str, count: float, amount: float, weighted: float) -> schemas.PipelineRow:
    return schemas.PipelineRow(
        group=group,
        opportunities=int(count),
        amount=from_minor(int(amount)),
        weighted=from_minor(round(weighted)),
    )


# --- stored forecasts ---------------------------------------------------------------------


def stored_scopes(session: Session) -> list[Scope]:
    """The whole workspace, each team that owns accounts, each owner AM."""
    owners = session.scalars(
        select(Account.owner_am_id)
        .where(Account.owner_am_id.is_not(None), Account.archived_at.is_(None))
        .distinct()
    ).all()
    teams = session.scalars(
        select(User.team_id).where(User.id.in_(owners), User.team_id.is_not(None)).distinct()
    ).all()
    return (
        [Scope()]
        + [Scope(team_id=t) for t in sorted(t for t in teams if t is not None)]
        + [Scope(owner_id=o) for o in sorted(o for o in owners if o is not None)]
    )


def forecast_rows(
    computed: _Computed, scope: str, made_on: date, currency: str, *, backtest: bool = False
) -> list[Forecast]:
    """The forecasts of one computation as rows: per quarter, renewals and ARR at its end."""
    rows = []
    for i, quarter in enumerate(computed.quarters):
        for kind, band, accounts in (
            (
                "renewals",
                computed.renewals[i],
                [[c.account_id, c.renewal_date.isoformat()] for c in computed.due[i]],
            ),
            ("arr", computed.arr_end[i], [c.account_id for c in computed.customers]),
        ):
            rows.append(
                Forecast(
                    kind=kind,
                    scope=scope,
                    period_start=quarter.start,
                    period_end=quarter.end,
                    made_on=made_on,
                    currency=currency,
                    expected_minor=band.expected,
                    p10_minor=band.p10,
                    p50_minor=band.p50,
                    p90_minor=band.p90,
                    churn_model_id=computed.model_id,
                    backtest=backtest,
                    details=orjson.dumps({"accounts": accounts}).decode(),
                )
            )
    return rows


def store(
    session: Session, currency: str, today: date, *, quarters: int = 4, runs: int = DEFAULT_RUNS
) -> int:
    """Keeps today's forecasts for every stored scope (replacing today's if run again).

    Everything is computed before the first write: on SQLite a write transaction holds the
    whole database, and the simulations of a large book take minutes that people's own writes
    (a login, a logged call) must not wait for."""
    scopes = stored_scopes(session)
    rows: list[Forecast] = []
    # Each scope's simulation is seeded on its own: the same figures in any order, on any
    # number of threads (two take 40 % off the 80 simulations of a 100,000-account
    # workspace). A few scopes at a time are read ahead, so memory stays bounded.
    ahead = 2 * SIMULATION_THREADS
    with ThreadPoolExecutor(max_workers=SIMULATION_THREADS) as pool:
        for first in range(0, len(scopes), ahead):
            batch = scopes[first : first + ahead]
            inputs = [_read(session, SYSTEM, scope, today, quarters, runs, 0) for scope in batch]
            for scope, figures in zip(batch, pool.map(_simulate, inputs), strict=True):
                if figures.customers:
                    rows.extend(forecast_rows(figures, scope.key, today, currency))
    session.execute(delete(Forecast).where(Forecast.made_on == today, Forecast.backtest.is_(False)))
    session.add_all(rows)
    session.commit()
    return len(rows)


def due_for_storing(session: Session, today: date) -> bool:
    """A week since the last stored forecast, or a new quarter begun since."""
    last = session.scalar(
        select(Forecast.made_on)
        .where(Forecast.backtest.is_(False))
        .order_by(Forecast.made_on.desc())
        .limit(1)
    )
    return (
        last is None
        or last <= today - timedelta(days=STORE_EVERY_DAYS)
        or last < quarter_of(today).start
    )


def closes_on(kind: str, period_end: date) -> date:
    """Renewals are known 30 days after the period (the SPEC's grace); ARR the day after it."""
    return period_end + timedelta(days=RENEWAL_GRACE_DAYS + 1 if kind == "renewals" else 1)


def actual_of(session: Session, currency: str, row: Forecast) -> int:
    details = orjson.loads(row.details)
    if row.kind == "renewals":
        wanted = [
            (int(a), date.fromisoformat(day) + timedelta(days=RENEWAL_GRACE_DAYS))
            for a, day in details["accounts"]
        ]
    else:
        wanted = [(int(a), row.period_end) for a in details["accounts"]]
    return sum(repository.arr_on(session, currency, wanted).values())


def close_due(session: Session, currency: str, today: date) -> int:
    """Fills in the actual figure of every forecast whose period has closed."""
    open_rows = session.scalars(select(Forecast).where(Forecast.actual_minor.is_(None))).all()
    closed = 0
    for row in open_rows:
        if closes_on(row.kind, row.period_end) <= today:
            row.actual_minor = actual_of(session, currency, row)
            row.closed_on = today
            closed += 1
    session.commit()
    return closed


def readable_scopes(session: Session, principal: Principal) -> set[str] | None:
    """Stored scopes a principal may read (None: all): an owner's when the owner holds seats in
    the principal's book (themselves; a team lead's members), a team's when it is the
    principal's to lead; the book rule's own holders (steward.accounts.policy)."""
    holders = policy.book_holders(session, principal)
    if holders is None:
        return None
    owners, teams = holders
    return {f"owner:{u}" for u in owners} | {f"team:{t}" for t in teams}


def default_scope(principal: Principal) -> Scope:
    if principal.sees_all:
        return Scope()
    if principal.role == Role.TEAM_LEAD and principal.team_id is not None:
        return Scope(team_id=principal.team_id)
    return Scope(owner_id=principal.user_id) if principal.role == Role.AM else Scope()


def outcome_out(row: Forecast) -> schemas.ForecastOutcome:
    actual = row.actual_minor
    return schemas.ForecastOutcome(
        id=row.id,
        kind=row.kind,
        scope=row.scope,
        period=Quarter(row.period_start, row.period_end).label,
        period_start=row.period_start,
        period_end=row.period_end,
        made_on=row.made_on,
        backtest=row.backtest,
        expected=from_minor(row.expected_minor),
        p10=from_minor(row.p10_minor),
        p50=from_minor(row.p50_minor),
        p90=from_minor(row.p90_minor),
        actual=None if actual is None else from_minor(actual),
        error=(row.expected_minor - actual) / actual if actual else None,
        within_band=None if actual is None else row.p10_minor <= actual <= row.p90_minor,
    )


def outcomes(
    session: Session, principal: Principal, scope: Scope, *, kind: str | None = None
) -> list[schemas.ForecastOutcome]:
    """For each closed period of the scope, the forecast made last before it began (else the
    first made during it) beside what happened, newest period first."""
    allowed = readable_scopes(session, principal)
    if allowed is not None and scope.key not in allowed:
        return []
    statement = select(Forecast).where(
        Forecast.scope == scope.key, Forecast.actual_minor.is_not(None)
    )
    if kind is not None:
        statement = statement.where(Forecast.kind == kind)
    chosen: dict[tuple[str, date], Forecast] = {}
    for row in session.scalars(statement.order_by(Forecast.made_on, Forecast.id)):
        key = (row.kind, row.period_start)
        current = chosen.get(key)
        if current is None or (row.made_on < row.period_start and row.made_on >= current.made_on):
            chosen[key] = row
    ordered = sorted(chosen.values(), key=lambda r: (r.period_start, r.kind), reverse=True)
    return [outcome_out(r) for r in ordered]
