"""Replaying past quarters: what would Steward have forecast, and how far off was it?

For each closed quarter Q, on the day before it began (d): train the churn model exactly as the
worker would have on d — only snapshots taken by d, outcomes only where decided by d (features
are point-in-time, so nothing from after d leaks in) — score the customers of d, forecast the
renewals due in Q and the ARR of d's customers at the end of Q and of the quarters after it, then
compare with what happened. Pipeline is not replayed (opportunity stages are not kept as
history), so the ARR compared is that of d's customers.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import orjson
import pandas as pd
from sqlalchemy import delete

from steward.churn import training
from steward.churn.features import FEATURES, GRACE_DAYS, revenue_ratios
from steward.core.money import from_minor
from steward.db.engine import Database
from steward.forecasts import repository, schemas
from steward.forecasts.models import Forecast
from steward.forecasts.periods import Quarter, quarter_of, quarters_apart, quarters_from
from steward.forecasts.service import SIMULATION_THREADS, band_out, outcome_out
from steward.forecasts.simulation import (
    DEFAULT_RUNS,
    Band,
    Ratios,
    Renewal,
    arr_projection,
    renewal_band,
)

ARR_HORIZON = 4  # quarters ahead the ARR projection is checked


def closed_quarters(today: date, count: int) -> list[Quarter]:
    """The last `count` quarters whose renewals are all decided (end + 30 days ≤ today)."""
    last = quarter_of(today).previous()
    while last.end + timedelta(days=GRACE_DAYS) > today:
        last = last.previous()
    first = last
    for _ in range(count - 1):
        first = first.previous()
    return quarters_from(first, count)


@dataclass
class _Replay:
    quarter: Quarter
    made_on: date
    rows: list[Forecast]
    result: schemas.BacktestQuarter


def backtest(
    db: Database,
    frame: pd.DataFrame,
    currency: str,
    today: date,
    *,
    quarters: int = 4,
    runs: int = DEFAULT_RUNS,
    seed: int = 0,
    store: bool = False,
    workers: int | None = None,
    trained: Sequence[Trained] | None = None,
) -> schemas.BacktestReport:
    """`frame`: the history's snapshots (churn.service.history_frame) as known today.
    `workers`: processes that train the quarters' models side by side (default: one per core
    once the history is large enough to repay starting them). `trained`: the quarters'
    models already trained by the calls of `quarter_training` (beside other work)."""
    replayed = closed_quarters(today, quarters)
    if trained is None:
        calls = quarter_training(frame, today, quarters, seed)
        if workers is None:
            workers = len(calls) if len(frame) >= training.PARALLEL_FROM_ROWS else 1
        models = training.side_by_side(calls, workers)
    else:
        models = list(trained)
    # Each quarter's frames are cut here, its simulations and reads run on threads of their
    # own (numpy draws without the interpreter lock); every quarter asks the ARR of the same
    # customers, read once.
    eves = [q.start - timedelta(days=1) for q in replayed]
    frames = [(training.as_known_on(frame, day), _customers_on(frame, day)) for day in eves]
    with db.session() as session:
        revenue = repository.arr_inputs(
            session, {int(a) for _, customers in frames for a in customers["account_id"]}
        )
    if len(models) != len(replayed):
        raise ValueError(f"{len(models)} models for {len(replayed)} quarters")

    def replay(index: int) -> _Replay:
        known, customers = frames[index]
        return _replay(
            db, known, customers, replayed[index], models[index], currency, today, runs, seed,
            revenue,
        )  # fmt: skip

    with ThreadPoolExecutor(max_workers=SIMULATION_THREADS) as pool:
        replays = list(pool.map(replay, range(len(replayed))))
    if store:
        _store(db, replays, today)
    results = [r.result for r in replays]
    renewal_errors = [r.error for r in results if r.error is not None]
    horizons: dict[int, list[float]] = {}
    arr_checked = [o for r in results for o in r.arr]
    for result in results:
        made = quarter_of(result.made_on + timedelta(days=1))
        for outcome in result.arr:
            ahead = quarters_apart(made, quarter_of(outcome.period_start)) + 1
            if outcome.error is not None:
                horizons.setdefault(ahead, []).append(abs(outcome.error))
    return schemas.BacktestReport(
        currency=currency,
        runs=runs,
        quarters=results,
        renewals_mape=float(np.mean(np.abs(renewal_errors))) if renewal_errors else None,
        renewals_bias=float(np.mean(renewal_errors)) if renewal_errors else None,
        renewals_within_band=sum(1 for r in results if r.within_band),
        arr_mape_by_horizon={h: float(np.mean(v)) for h, v in sorted(horizons.items())},
        arr_within_band=sum(1 for o in arr_checked if o.within_band),
        arr_forecasts=len(arr_checked),
    )


Trained = training.TrainedModel | training.NotEnoughHistory | None


def _customers_on(frame: pd.DataFrame, made_on: date) -> pd.DataFrame:
    return frame[pd.to_datetime(frame["cutoff"]) == pd.Timestamp(made_on)]


def _train_as_of(frame: pd.DataFrame, made_on: date, seed: int) -> Trained:
    """The model the worker would have trained on `made_on` (None: no customers to score then;
    NotEnoughHistory: returned, not raised, so one thin quarter does not stop the others)."""
    if _customers_on(frame, made_on).empty:
        return None
    try:
        return training.train_model(training.as_known_on(frame, made_on), seed=seed)
    except training.NotEnoughHistory as exc:
        return exc


def quarter_training(
    frame: pd.DataFrame, today: date, quarters: int = 4, seed: int = 0
) -> list[training.Call]:
    """The calls that train each replayed quarter's model, for `training.side_by_side`: each
    with only the snapshots taken by its quarter's eve (what a process is sent)."""
    days = [q.start - timedelta(days=1) for q in closed_quarters(today, quarters)]
    taken = pd.to_datetime(frame["cutoff"])
    return [(_train_as_of, (frame[taken <= pd.Timestamp(day)], day, seed)) for day in days]


def _replay(
    db: Database,
    known: pd.DataFrame,
    customers: pd.DataFrame,
    quarter: Quarter,
    trained: Trained,
    currency: str,
    today: date,
    runs: int,
    seed: int,
    revenue: repository.ArrInputs,
) -> _Replay:
    """`known`: the history as known on the quarter's eve; `customers`: its snapshots then."""
    made_on = quarter.start - timedelta(days=1)
    result = schemas.BacktestQuarter(quarter=quarter.label, made_on=made_on)
    if trained is None:
        result.skipped = f"no snapshot of the customers on {made_on}"
        return _Replay(quarter, made_on, [], result)
    if isinstance(trained, training.NotEnoughHistory):
        result.skipped = f"no model could be trained on {made_on}: {trained}"
        return _Replay(quarter, made_on, [], result)
    result.model_auc = round(trained.evaluation.auc, 4)
    probability = training.predict(trained.estimator, customers[FEATURES])
    ratios = Ratios.from_history(revenue_ratios(known))
    renewals = [
        Renewal(int(row.account_id), row.renewal_date, round(row.arr * 100), float(p), row.segment)
        for row, p in zip(customers.itertuples(), probability, strict=True)
    ]
    due = [r for r in renewals if quarter.contains(r.renewal_date) or r.renewal_date <= made_on]
    actual_back = {
        int(row.account_id): round(row.arr_after * 100)
        for row in customers.itertuples()
        if not pd.isna(row.arr_after)
    }
    band = renewal_band(due, ratios, runs=runs, seed=seed)
    actual = sum(actual_back.get(r.account_id, 0) for r in due)
    result.renewals_due = len(due)
    result.renewals = band_out(band)
    result.actual_renewed = from_minor(actual)
    result.error = (band.expected - actual) / actual if actual else None
    result.within_band = band.contains(actual)
    rows = [_row("renewals", quarter, made_on, currency, band, actual, due)]

    ends = [q for q in quarters_from(quarter, ARR_HORIZON) if q.end < today]
    path = arr_projection(
        renewals,
        [],
        ratios,
        made_on,
        [q.end for q in ends],
        runs=runs,
        seed=seed,
    )
    with db.session() as session:
        worth = repository.arr_on(
            session, currency, [(r.account_id, q.end) for r in renewals for q in ends], revenue
        )
    for q, projected in zip(ends, path.base, strict=True):
        actual_arr = sum(worth[(r.account_id, q.end)] for r in renewals)
        row = _row("arr", q, made_on, currency, projected, actual_arr, renewals)
        rows.append(row)
    result.arr = [outcome_out(r) for r in rows[1:]]
    return _Replay(quarter, made_on, rows, result)


def _row(
    kind: str,
    quarter: Quarter,
    made_on: date,
    currency: str,
    band: Band,
    actual: int,
    accounts: list[Renewal],
) -> Forecast:
    listed = (
        [[r.account_id, r.renewal_date.isoformat()] for r in accounts]
        if kind == "renewals"
        else [r.account_id for r in accounts]
    )
    return Forecast(
        kind=kind,
        scope="all",
        period_start=quarter.start,
        period_end=quarter.end,
        made_on=made_on,
        backtest=True,
        currency=currency,
        expected_minor=band.expected,
        p10_minor=band.p10,
        p50_minor=band.p50,
        p90_minor=band.p90,
        details=orjson.dumps({"accounts": listed}).decode(),
        actual_minor=actual,
    )


def _store(db: Database, replays: list[_Replay], today: date) -> None:
    """Keeps the replayed forecasts (marked as backtests) so forecast-vs-actual has a past."""
    with db.session() as session:
        for replay in replays:
            session.execute(
                delete(Forecast).where(
                    Forecast.backtest.is_(True), Forecast.made_on == replay.made_on
                )
            )
            for row in replay.rows:
                row.closed_on = today
                session.add(row)
        session.commit()
