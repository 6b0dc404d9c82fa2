"""Training, storing and scoring the workspace churn model (SPEC §5).

`train` builds monthly snapshots over the history, validates out of time, refits on every known
outcome and stores the version with its figures (the previous one is retired in the same
transaction). `score` predicts each customer's probability of not renewing at its next renewal
with today's features, with the reasons, and keeps the latest on the account for My Book.

The scientific stack (pandas, scikit-learn, the analytics store) is imported where training and
scoring need it, not at module level: the API and pages only read stored scores, and importing
it would add seconds to every server start.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, aliased

from steward.accounts import policy
from steward.accounts.models import Account, AccountAncestor
from steward.accounts.repository import (
    ACCOUNTS_TABLE,
    get_account,
    rollup_update,
)
from steward.churn import schemas
from steward.churn.models import ChurnModel, ChurnScore
from steward.config import Settings
from steward.core.cache import FigureCache
from steward.core.money import from_minor
from steward.core.principal import Principal
from steward.db.engine import Database
from steward.db.revision import table_names, tables_state
from steward.revenue.ledger import month_index, month_start
from steward.users.models import Team, User

if TYPE_CHECKING:
    import pandas as pd

    from steward.churn.features import FeatureSet
    from steward.churn.training import Call, TrainedModel

log = logging.getLogger("steward.churn")
HISTORY_MONTHS = 36
RETRAIN_DAYS = 7


def history_frame(
    db: Database,
    settings: Settings,
    today: date,
    months: int = HISTORY_MONTHS,
    features: FeatureSet | None = None,
) -> pd.DataFrame:
    """Snapshots at every month-end of the last `months` months (with the custom features
    chosen now, unless others are given)."""
    from steward.churn.features import month_ends

    first = month_start(month_index(today) - months)
    cutoffs = month_ends(first, today - timedelta(days=1))
    return _snapshots(db, settings, cutoffs, today, features)


def today_frame(
    db: Database, settings: Settings, today: date, features: FeatureSet | None = None
) -> pd.DataFrame:
    return _snapshots(db, settings, [today], today, features)


def _snapshots(
    db: Database,
    settings: Settings,
    cutoffs: list[date],
    today: date,
    features: FeatureSet | None,
) -> pd.DataFrame:
    from steward.analytics.store import event_source, open_store
    from steward.churn.features import declared_features, snapshot_frame

    if features is None:
        with db.session_factory() as session:
            features = declared_features(session)

    with event_source(settings) as source, open_store(source) as store:
        store.sync(db)
        return snapshot_frame(
            db,
            store,
            cutoffs,
            today=today,
            key_events=tuple(settings.key_features),
            currency=settings.currency,
            features=features,
        )


def _artifact(estimator: Any) -> bytes:
    import joblib

    buffer = io.BytesIO()
    joblib.dump(estimator, buffer, compress=3)
    return buffer.getvalue()


def features_of(model: ChurnModel) -> FeatureSet:
    """The features a model learned from (its own list, whatever the fields say today)."""
    from steward.churn.features import FeatureSet

    return FeatureSet.from_dict(orjson.loads(model.features) if model.features else None)


def load_estimator(model: ChurnModel) -> Any:
    import joblib

    return joblib.load(io.BytesIO(model.artifact))


def active_model(session: Any) -> ChurnModel | None:
    return session.scalar(
        select(ChurnModel).where(ChurnModel.status == "active").order_by(ChurnModel.id.desc())
    )


def features_in(db: Database, frame: pd.DataFrame) -> FeatureSet:
    """The features a model trained on `frame` learns from: the custom ones it carries."""
    from steward.churn.features import FeatureSet, declared_features

    with db.session_factory() as session:
        chosen = declared_features(session)
    return FeatureSet(tuple(f for f in chosen.custom if f.column in frame.columns))


def training_call(
    db: Database, frame: pd.DataFrame, holdout_days: int = 182, seed: int = 0
) -> Call:
    """The call `train(frame=frame)` makes to train, for `training.side_by_side`."""
    from steward.churn import training

    train_it = functools.partial(
        training.train_model, holdout_days=holdout_days, seed=seed, features=features_in(db, frame)
    )
    return (train_it, (frame,))


def train(
    db: Database,
    settings: Settings,
    today: date,
    *,
    actor_id: int | None = None,
    holdout_days: int = 182,
    seed: int = 0,
    frame: pd.DataFrame | None = None,
    trained: TrainedModel | None = None,
) -> ChurnModel:
    """Trains, validates out of time and stores a new active version (raises
    training.NotEnoughHistory, writing nothing, when the history is too thin). `trained`:
    the model `training_call(db, frame)` trained already (beside other work)."""
    import sklearn

    from steward.churn import training
    from steward.churn.features import declared_features, revenue_ratios

    if frame is not None:
        features = features_in(db, frame)
    else:
        with db.session_factory() as session:
            features = declared_features(session)
    data = frame if frame is not None else history_frame(db, settings, today, features=features)
    if trained is None:
        trained = training.train_model(
            data, holdout_days=holdout_days, seed=seed, features=features
        )
    with db.session() as session:
        session.execute(
            update(ChurnModel).where(ChurnModel.status == "active").values(status="retired")
        )
        model = ChurnModel(
            as_of=today,
            status="active",
            trained_by_id=actor_id,
            rows=trained.rows,
            positives=trained.positives,
            metrics=orjson.dumps(trained.evaluation.as_dict()).decode(),
            reference=orjson.dumps(trained.reference).decode(),
            revenue_ratios=orjson.dumps(revenue_ratios(data)).decode(),
            features=orjson.dumps(features.as_dict()).decode() if features.custom else None,
            library_version=f"scikit-learn {sklearn.__version__}",
            artifact=_artifact(trained.estimator),
        )
        session.add(model)
        session.commit()
        session.refresh(model)
        session.expunge(model)
    log.info(
        "churn model %d: %d snapshots, out-of-time AUC %.3f, Brier %.3f",
        model.id,
        trained.rows,
        trained.evaluation.auc,
        trained.evaluation.brier,
    )
    return model


@dataclass(frozen=True)
class ScoreRun:
    model_id: int
    as_of: date
    scored: int


def score(db: Database, settings: Settings, today: date) -> ScoreRun | None:
    """Scores every customer for today with the active model (None when there is none).
    Re-scoring a day replaces its scores; accounts that are no longer customers lose their
    roll-up."""
    from steward.churn import explain

    with db.session_factory() as session:
        model = active_model(session)
        if model is None:
            return None
        estimator = load_estimator(model)
        reference = orjson.loads(model.reference)
        model_id = model.id
        features = features_of(model)
    frame = today_frame(db, settings, today, features)
    scored = explain.scored(estimator, reference, frame, features=features)
    rows: list[dict[str, Any]] = [
        {
            "model_id": model_id,
            "account_id": int(account_id),
            "as_of": today,
            "probability": probability,
            "renewal_date": renewal_date,
            "arr_minor": round(float(arr) * 100),
            "reasons": orjson.dumps([r.as_dict() for r in reasons]).decode(),
        }
        for (probability, reasons), account_id, renewal_date, arr in zip(
            scored,
            frame["account_id"].tolist(),
            frame["renewal_date"].tolist(),
            frame["arr"].tolist(),
            strict=True,
        )
    ]
    with db.session() as session:
        session.execute(delete(ChurnScore).where(ChurnScore.as_of == today))
        if rows:
            session.execute(insert(ChurnScore), rows)
        # Core statements, bypassing the row version on purpose: derived data, not an edit.
        session.execute(update(ACCOUNTS_TABLE).values(churn_probability=None))
        if rows:
            session.execute(
                _UPDATE_CHURN,
                [
                    {"account_id": r["account_id"], "churn_probability": r["probability"]}
                    for r in rows
                ],
            )
        session.commit()
    return ScoreRun(model_id=model_id, as_of=today, scored=len(rows))


_UPDATE_CHURN = rollup_update("churn_probability")


def model_out(model: ChurnModel) -> schemas.ChurnModelOut:
    metrics = orjson.loads(model.metrics)
    return schemas.ChurnModelOut(
        id=model.id,
        status=model.status,
        as_of=model.as_of,
        trained_at=model.trained_at,
        rows=model.rows,
        positives=model.positives,
        library_version=model.library_version,
        custom_features=[
            schemas.CustomFeatureOut(key=f.key, label=f.label, use=f.use)
            for f in features_of(model).custom
        ],
        **{k: v for k, v in metrics.items() if k in schemas.ChurnModelOut.model_fields},
    )


def list_models(session: Session, limit: int = 20) -> list[schemas.ChurnModelOut]:
    rows = session.scalars(select(ChurnModel).order_by(ChurnModel.id.desc()).limit(limit))
    return [model_out(m) for m in rows]


def _latest_day(session: Session) -> date | None:
    """The workspace's latest scoring day (a date, not a record: read across books, which
    spares a large book's ids being read for one index look-up)."""
    return session.scalar(
        select(func.max(ChurnScore.as_of)).execution_options(**policy.ACROSS_BOOKS)
    )


def risk_list(
    session: Session,
    principal: Principal,
    currency: str,
    *,
    limit: int,
    offset: int,
    min_probability: float = 0.0,
    account_id: int | None = None,
) -> schemas.ChurnRiskList:
    """The book's customers by ARR at risk (probability × ARR), with their reasons, from the
    latest day scored."""
    day = _latest_day(session)
    empty = schemas.ChurnRiskList(
        currency=currency,
        as_of=day,
        model_id=None,
        total=0,
        expected_arr_lost=Decimal(0),
        items=[],
    )
    if day is None:
        return empty
    owner = aliased(User)
    # the ARR the score was given at (in the workspace currency); older scores lack it
    arr_minor = func.coalesce(ChurnScore.arr_minor, Account.arr_minor)
    at_risk = ChurnScore.probability * arr_minor

    def scored(*columns: Any) -> Any:
        statement = (
            select(*columns)
            .join(Account, Account.id == ChurnScore.account_id)
            .where(ChurnScore.as_of == day, ChurnScore.probability >= min_probability)
        )
        if account_id is not None:
            statement = statement.where(ChurnScore.account_id == account_id).execution_options(
                **policy.FEW
            )
        return statement

    # The totals read every score of the day; they are kept per revision of the tables they
    # read (`RISK_READS`: a logged call keeps them). The page's rows are sorted and cut in SQL.
    totals = _risk_totals.get(
        (tables_state(session, RISK_READS), principal, day, min_probability, account_id),
        lambda: _totals(
            session.execute(scored(ChurnScore.probability, arr_minor, ChurnScore.model_id))
        ),
    )
    if not totals.count:
        return empty
    page = session.execute(
        scored(
            ChurnScore.account_id,
            ChurnScore.probability,
            ChurnScore.renewal_date,
            ChurnScore.reasons,
            ChurnScore.as_of,
            ChurnScore.model_id,
            Account.name,
            Account.segment,
            arr_minor.label("arr_minor"),
            owner.full_name,
        )
        .outerjoin(owner, owner.id == Account.owner_am_id)
        .order_by(at_risk.desc(), ChurnScore.account_id)
        .limit(limit)
        .offset(offset)
    ).all()
    items = [
        schemas.AccountChurnRisk(
            account_id=row.account_id,
            account_name=row.name,
            owner_name=row.full_name,
            segment=row.segment,
            probability=round(row.probability, 4),
            renewal_date=row.renewal_date,
            arr=from_minor(row.arr_minor),
            arr_at_risk=from_minor(round(row.probability * row.arr_minor)),
            reasons=orjson.loads(row.reasons),
            as_of=row.as_of,
            model_id=row.model_id,
        )
        for row in page
    ]
    return schemas.ChurnRiskList(
        currency=currency,
        as_of=day,
        model_id=totals.top_model_id,
        total=totals.count,
        expected_arr_lost=from_minor(totals.expected_lost_minor),
        items=items,
    )


def _totals(rows: Iterable[Any]) -> schemas.RiskTotals:
    """How many scores, Σ probability × ARR (exact, rounded to minor units), and the model of
    the score with the most ARR at risk."""
    scores = [(float(p), int(arr), int(model_id)) for p, arr, model_id in rows]
    if not scores:
        return schemas.RiskTotals(count=0, expected_lost_minor=0, top_model_id=None)
    top = max(scores, key=lambda row: row[0] * row[1])
    return schemas.RiskTotals(
        count=len(scores),
        expected_lost_minor=round(exact_sum_of_products((p, arr) for p, arr, _ in scores)),
        top_model_id=top[2],
    )


_risk_totals = FigureCache(schemas.RiskTotals, max_entries=64)
# Every table `risk_list` reads, for any reader (a test holds it to what it reads).
RISK_READS = table_names([Account, AccountAncestor, User, Team, ChurnScore])


def risk_chart(
    session: Session, principal: Principal, currency: str, *, limit: int
) -> schemas.RiskChart:
    """The book's `limit` customers with the most ARR at risk on the latest day scored, as the
    Risk page plots them (five numbers each: no reasons, no owner)."""
    day = _latest_day(session)
    if day is None:
        return schemas.RiskChart(currency=currency, items=[])
    arr_minor = func.coalesce(ChurnScore.arr_minor, Account.arr_minor)
    rows = session.execute(
        select(ChurnScore.account_id, Account.name, ChurnScore.probability, arr_minor)
        .join(Account, Account.id == ChurnScore.account_id)
        .where(ChurnScore.as_of == day)
        .order_by((ChurnScore.probability * arr_minor).desc(), ChurnScore.account_id)
        .limit(limit)
    )
    return schemas.RiskChart(
        currency=currency,
        items=[
            schemas.RiskPoint(
                account_id=account_id,
                account_name=name,
                probability=round(probability, 4),
                arr=from_minor(arr),
                arr_at_risk=from_minor(round(probability * arr)),
            )
            for account_id, name, probability, arr in rows
        ],
    )


def exact_sum_of_products(pairs: Iterable[tuple[float, int]]) -> Fraction:
    """Σ p × n for floats p and integers n, exactly: each float is a fraction over a power of
    two, so the numerators are summed per denominator in integers (four times faster than
    Decimals, and exact where a Decimal context rounds to 28 digits)."""
    by_denominator: dict[int, int] = {}
    for probability, amount in pairs:
        numerator, denominator = float(probability).as_integer_ratio()
        by_denominator[denominator] = by_denominator.get(denominator, 0) + numerator * int(amount)
    return sum(
        (Fraction(numerator, denominator) for denominator, numerator in by_denominator.items()),
        Fraction(0),
    )


def account_risk(
    session: Session, principal: Principal, currency: str, account_id: int
) -> schemas.AccountChurnRisk | None:
    """The account's latest churn score with its reasons (404 outside the book)."""
    get_account(session, principal, account_id)
    found = risk_list(session, principal, currency, limit=1, offset=0, account_id=account_id)
    return found.items[0] if found.items else None
