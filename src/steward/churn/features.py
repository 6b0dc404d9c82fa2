"""Point-in-time churn features from the workspace's own history (SPEC §5).

A *snapshot* is one customer (MRR > 0) at a cutoff day t, described only by what was known on t:
its revenue and contract history, the health measures of that day (product usage from the
analytics store, engagement recency, escalations, NPS — read exactly as health scoring reads
them for a past day) and its segment and tier. Its *renewal* is the latest end among the
contracts in force on t: the day by which the customer must sign again to stay one. The label
is known once that day plus the 30-day grace of the SPEC's renewal rate has passed: churned
when the account has no recurring revenue 30 days after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.accounts.models import Account, LifecycleStage
from steward.activities.models import TOUCH_TYPES, Activity
from steward.analytics.store import EventStore, accounts_inputs
from steward.contracts.models import RENEWAL_GRACE_DAYS, Contract, LineItem
from steward.contracts.terms import ItemTimeline, load_revenue_inputs
from steward.db.engine import Database
from steward.escalations.models import Escalation
from steward.fields import history
from steward.fields.models import ChurnUse, CustomField, CustomValue, Entity, FieldType
from steward.fx.rates import RateBook
from steward.health.measures import (
    day_end,
    last_touches,
    measures_of,
    open_escalations,
    usage_on,
)
from steward.products.models import Product
from steward.surveys.service import nps_by_account

GRACE_DAYS = RENEWAL_GRACE_DAYS
MAX_LEAD_DAYS = 365  # training snapshots look at renewals due within a year
USAGE_WINDOW_DAYS = 60  # the usage measures read 60 days back

# Features the model reads, grouped into the reasons a person would name.
REASON_GROUPS: dict[str, tuple[str, ...]] = {
    "usage_trend": ("usage_trend",),
    "utilisation": ("utilisation",),
    "adoption": ("adoption",),
    "engagement": ("engagement_recency", "touches_90d"),
    "escalations": ("open_escalations", "escalations_90d"),
    "nps": ("nps",),
    "revenue_change": ("arr_change_90d", "arr_change_365d"),
    "size": ("arr", "products"),
    "tenure": ("tenure_days", "renewals"),
    "renewal_timing": ("days_to_renewal", "auto_renew"),
    "segment": ("segment", "tier"),
}
# Which way each movement pushes churn risk, as a CSM would say it (+1: more of it raises risk,
# -1: more of it lowers risk). A reason may only blame a value on its risk-raising side of a
# typical customer's: whatever a model learned from noise, "active users +65 %" never raises
# risk. Features without an entry (size, tenure, renewal timing, segment) have no fixed side.
RISK_DIRECTION: dict[str, int] = {
    "usage_trend": -1,
    "utilisation": -1,
    "adoption": -1,
    "engagement_recency": 1,
    "touches_90d": -1,
    "open_escalations": 1,
    "escalations_90d": 1,
    "nps": -1,
    "arr_change_90d": -1,
    "arr_change_365d": -1,
}
NUMERIC_FEATURES = [
    "usage_trend",
    "utilisation",
    "adoption",
    "engagement_recency",
    "touches_90d",
    "open_escalations",
    "escalations_90d",
    "nps",
    "arr_change_90d",
    "arr_change_365d",
    "arr",
    "products",
    "tenure_days",
    "renewals",
    "days_to_renewal",
    "auto_renew",
]
CATEGORICAL_FEATURES = ["segment", "tier"]
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
OUTCOMES = ["churned", "arr_after"]
CUSTOM_PREFIX = "cf."
NO_VALUE = "(none)"  # a custom category's missing value, as a category of its own


@dataclass(frozen=True)
class CustomFeature:
    """An account custom field the model learns from (`custom_fields.churn_feature`): its
    column is `cf.<key>`; `use` says how past days read it (fields.models.ChurnUse)."""

    key: str
    label: str
    categorical: bool
    use: str

    @property
    def column(self) -> str:
        return CUSTOM_PREFIX + self.key


@dataclass(frozen=True)
class FeatureSet:
    """The columns a model reads: the built-in FEATURES and the custom fields chosen when it
    was trained. A model keeps its own (ChurnModel.features), so scoring reads what it learned
    from even after the fields' choices change."""

    custom: tuple[CustomFeature, ...] = ()

    @property
    def numeric(self) -> list[str]:
        return NUMERIC_FEATURES + [f.column for f in self.custom if not f.categorical]

    @property
    def categorical(self) -> list[str]:
        return CATEGORICAL_FEATURES + [f.column for f in self.custom if f.categorical]

    @property
    def columns(self) -> list[str]:
        return self.numeric + self.categorical

    def as_dict(self) -> dict[str, list[dict[str, object]]]:
        return {"custom": [asdict(f) for f in self.custom]}

    @classmethod
    def from_dict(cls, data: dict[str, list[dict[str, Any]]] | None) -> FeatureSet:
        """A stored set (None: a model trained before custom features, the built-in ones)."""
        return cls(tuple(CustomFeature(**f) for f in (data or {}).get("custom", [])))


BUILT_IN = FeatureSet()


def declared_features(session: Session) -> FeatureSet:
    """The account custom fields chosen as churn features now (the next training's)."""
    chosen = session.scalars(
        select(CustomField)
        .where(
            CustomField.entity == Entity.ACCOUNT,
            CustomField.churn_feature.is_not(None),
            CustomField.archived_at.is_(None),
        )
        .order_by(CustomField.position, CustomField.key)
    )
    return FeatureSet(
        tuple(
            CustomFeature(
                key=f.key,
                label=f.label,
                categorical=f.type == FieldType.PICKLIST,
                use=str(f.churn_feature),
            )
            for f in chosen
        )
    )


def _custom_value(feature: CustomFeature, value: object) -> object:
    """A stored or audited value as the model reads it: a number (yes/no as 1/0) or a
    category."""
    if feature.categorical:
        return NO_VALUE if value is None else str(value)
    if value is None:
        return np.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return np.nan


def custom_values(
    session: Session,
    features: FeatureSet,
    cutoffs: Sequence[date],
    account_ids: Iterable[int] | None = None,
) -> dict[str, dict[date, dict[int, object]]]:
    """Each custom feature's values on each cutoff (column → day → account → value): as the
    audit trail had them that day, or today's for a field that never changes (FIXED). The
    trail is read once per field for every cutoff. A field removed since a model was trained
    reads as missing."""
    out: dict[str, dict[date, dict[int, object]]] = {}
    for feature in features.custom:
        field = session.scalar(
            select(CustomField).where(
                CustomField.entity == Entity.ACCOUNT, CustomField.key == feature.key
            )
        )
        if field is None:
            out[feature.column] = {day: {} for day in cutoffs}
        elif feature.use == ChurnUse.FIXED:
            today = _values_today(session, field)
            out[feature.column] = {day: today for day in cutoffs}
        else:
            out[feature.column] = history.values_on(session, field, cutoffs, account_ids)
    return out


def _values_today(session: Session, field: CustomField) -> dict[int, object]:
    """Every account's current value of a field (a FIXED feature)."""
    column = {
        FieldType.BOOLEAN: CustomValue.bool_value,
        FieldType.PICKLIST: CustomValue.text_value,
    }.get(FieldType(field.type), CustomValue.number_value)
    return {
        int(record): value
        for record, value in session.execute(
            select(CustomValue.record_id, column).where(
                CustomValue.field_id == field.id, CustomValue.ordinal == 0
            )
        )
    }


NO_ITEMS = ItemTimeline([])


@dataclass
class _History:
    """What the snapshots read of every customer, loaded once."""

    # Each customer's items, asked for their MRR on many days (every cutoff, 90 and 365 days
    # before it, the renewal's outcome day).
    items: dict[int, ItemTimeline]
    contracts: dict[int, list[tuple[int, date, date, bool, int | None, str]]]
    product_of_item: dict[int, int]
    recurring_products: set[int]
    segment: dict[int, str]
    tier: dict[int, str]


def _load_history(session: Session) -> _History:
    accounts = session.execute(
        select(Account.id, Account.segment, Account.tier).where(
            Account.archived_at.is_(None), Account.lifecycle_stage != LifecycleStage.PROSPECT
        )
    ).all()
    ids = [a.id for a in accounts]
    items, _ = load_revenue_inputs(session, ids)
    contracts: dict[int, list[tuple[int, date, date, bool, int | None, str]]] = {}
    for c in session.execute(
        select(
            Contract.id,
            Contract.account_id,
            Contract.start_date,
            Contract.end_date,
            Contract.auto_renew,
            Contract.renewal_of_id,
            Contract.currency,
        ).where(Contract.archived_at.is_(None))
    ):
        contracts.setdefault(c.account_id, []).append(
            (c.id, c.start_date, c.end_date, bool(c.auto_renew), c.renewal_of_id, c.currency)
        )
    product_of_item = dict(session.execute(select(LineItem.id, LineItem.product_id)).all())
    recurring = set(session.scalars(select(Product.id).where(Product.is_recurring.is_(True))).all())
    return _History(
        items={account_id: ItemTimeline(own) for account_id, own in items.items()},
        contracts=contracts,
        product_of_item=product_of_item,
        recurring_products=recurring,
        segment={a.id: a.segment for a in accounts},
        tier={a.id: a.tier for a in accounts},
    )


def _counts_since(
    session: Session,
    column: object,
    account: object,
    start: datetime,
    end: datetime,
    *where: object,
) -> dict[int, int]:
    query = (
        select(account, func.count())  # type: ignore[call-overload]
        .where(column >= start, column <= end, *where)  # type: ignore[operator]
        .group_by(account)
    )
    return {int(a): int(n) for a, n in session.execute(query).all()}


def usage_start(store: EventStore) -> date | None:
    """The day of the first product-usage event: before it (plus the measures' window),
    usage is unknown, not zero."""
    events = store.events
    first = store.execute(events.aggregate(first=events.timestamp.min()))["first"].iloc[0]
    if first is None or pd.isna(first):
        return None
    return pd.Timestamp(first).date()


def snapshot_frame(
    db: Database,
    store: EventStore,
    cutoffs: Sequence[date],
    *,
    today: date,
    key_events: tuple[str, ...],
    currency: str,
    account_ids: Iterable[int] | None = None,
    features: FeatureSet = BUILT_IN,
) -> pd.DataFrame:
    """One row per customer and cutoff: account_id, cutoff, renewal_date, the features'
    columns, and the OUTCOMES: `churned` (1/0) and `arr_after` (ARR 30 days after the renewal,
    in the currency's units at the cutoff's rate), both NaN while not known on `today`."""
    with db.session() as session:
        history = _load_history(session)
        rates = RateBook(session, currency)
        first_usage = usage_start(store)
        wanted = set(account_ids) if account_ids is not None else None
        days = sorted(set(cutoffs))
        custom = custom_values(session, features, days, wanted)
        inputs = accounts_inputs(db, [d for d in days if _usage_known(first_usage, d)])
        frames = []
        for cutoff in days:
            rows = _snapshots_on(
                session,
                db,
                store,
                history,
                rates,
                cutoff,
                today,
                key_events,
                first_usage,
                wanted,
                inputs.get(cutoff),
            )
            if rows:
                frame = pd.DataFrame(rows)
                ids = [int(r["account_id"]) for r in rows]  # type: ignore[call-overload]
                for feature in features.custom:
                    known = custom[feature.column][cutoff]
                    frame[feature.column] = [_custom_value(feature, known.get(a)) for a in ids]
                frames.append(frame.astype({n: float for n in [*features.numeric, *OUTCOMES]}))
    if not frames:
        return pd.DataFrame(
            columns=["account_id", "cutoff", "renewal_date", *features.columns, *OUTCOMES]
        )
    return pd.concat(frames, ignore_index=True)


def _usage_known(first_usage: date | None, cutoff: date) -> bool:
    """Usage measures mean something from a full window after the first event on."""
    return first_usage is not None and cutoff >= first_usage + timedelta(days=USAGE_WINDOW_DAYS)


def _snapshots_on(
    session: Session,
    db: Database,
    store: EventStore,
    history: _History,
    rates: RateBook,
    cutoff: date,
    today: date,
    key_events: tuple[str, ...],
    first_usage: date | None,
    wanted: set[int] | None,
    accounts: pa.Table | None,
) -> list[dict[str, object]]:
    """`accounts`: the accounts input of the cutoff (`accounts_inputs`) when usage is known."""
    customers = []
    for account_id in history.contracts:
        if wanted is not None and account_id not in wanted:
            continue
        if account_id not in history.segment:
            continue
        items = history.items.get(account_id, NO_ITEMS)
        if items.mrr(cutoff) <= 0:
            continue
        customers.append(account_id)
    if not customers:
        return []
    usage_known = _usage_known(first_usage, cutoff)
    usage = (
        usage_on(store, db, cutoff, key_events, store.accounts(accounts))
        if usage_known and accounts is not None
        else {}
    )
    touches = last_touches(session, cutoff, today, customers)
    escalations = open_escalations(session, cutoff, today, customers)
    nps = nps_by_account(session, cutoff, customers)
    since = datetime.combine(cutoff - timedelta(days=90), datetime.min.time(), UTC)
    end = day_end(cutoff)
    touches_90d = _counts_since(
        session,
        Activity.occurred_at,
        Activity.account_id,
        since,
        end,
        Activity.type.in_(list(TOUCH_TYPES)),
        Activity.archived_at.is_(None),
    )
    escalations_90d = _counts_since(
        session,
        Escalation.opened_at,
        Escalation.account_id,
        since,
        end,
        Escalation.archived_at.is_(None),
    )
    rows: list[dict[str, object]] = []
    for account_id in customers:
        rows.append(
            _snapshot(
                account_id,
                history,
                rates,
                cutoff,
                today,
                measures_of(
                    usage.get(account_id) if usage_known else None,
                    touches.get(account_id),
                    escalations.get(account_id, 0),
                    cutoff,
                    key_events,
                    None,
                    nps.get(account_id),
                ),
                touches_90d.get(account_id, 0),
                escalations_90d.get(account_id, 0),
            )
        )
    return rows


def _snapshot(
    account_id: int,
    history: _History,
    rates: RateBook,
    cutoff: date,
    today: date,
    measures: dict[str, float | None],
    touches_90d: int,
    escalations_90d: int,
) -> dict[str, object]:
    items = history.items.get(account_id, NO_ITEMS)
    terms = history.contracts[account_id]
    currency_of = {t[0]: t[5] for t in terms}
    in_force = [t for t in terms if t[1] <= cutoff < t[2]]
    renewal = max(t[2] for t in in_force) if in_force else cutoff
    ending = [t for t in in_force if t[2] == renewal]
    now = items.mrr(cutoff)
    before_90 = items.mrr(cutoff - timedelta(days=90))
    before_365 = items.mrr(cutoff - timedelta(days=365))
    active = items.active(cutoff)
    products = {
        history.product_of_item[i.id]
        for i in active
        if history.product_of_item.get(i.id) in history.recurring_products
    }
    rate = rates.rate(currency_of.get(active[0].contract_id, "") if active else "", cutoff)
    churned: float = np.nan
    arr_after: float = np.nan
    outcome_day = renewal + timedelta(days=GRACE_DAYS)
    if outcome_day <= today:
        after = items.mrr(outcome_day)
        churned = 1.0 if after <= 0 else 0.0
        arr_after = float(12 * after * (rate if rate is not None else 1)) / 100
    return {
        "account_id": account_id,
        "cutoff": cutoff,
        "renewal_date": renewal,
        "usage_trend": measures.get("usage_trend"),
        "utilisation": measures.get("utilisation"),
        "adoption": measures.get("adoption"),
        "engagement_recency": measures.get("engagement_recency"),
        "touches_90d": float(touches_90d),
        "open_escalations": measures.get("open_escalations"),
        "escalations_90d": float(escalations_90d),
        "nps": measures.get("nps"),
        "arr_change_90d": float(now / before_90 - 1) if before_90 > 0 else np.nan,
        "arr_change_365d": float(now / before_365 - 1) if before_365 > 0 else np.nan,
        "arr": float(12 * now * rate) / 100 if rate is not None else float(12 * now) / 100,
        "products": float(len(products)),
        "tenure_days": float((cutoff - min(t[1] for t in terms)).days),
        "renewals": float(sum(1 for t in terms if t[4] is not None and t[1] <= cutoff)),
        "days_to_renewal": float((renewal - cutoff).days),
        "auto_renew": 1.0 if any(t[3] for t in ending) else 0.0,
        "segment": history.segment[account_id],
        "tier": history.tier[account_id],
        "churned": churned,
        "arr_after": arr_after,
    }


def month_ends(first: date, last: date) -> list[date]:
    """The last day of every month from first's month to last's (inclusive, ≤ last)."""
    out: list[date] = []
    year, month = first.year, first.month
    while True:
        following = date(year + month // 12, month % 12 + 1, 1)
        end = following - timedelta(days=1)
        if end > last:
            return out
        out.append(end)
        year, month = following.year, following.month


def revenue_ratios(frame: pd.DataFrame) -> dict[str, dict[str, list[float]]]:
    """What customers' ARR did, per segment, as ratios forecasts draw from:

    - `renewal`: ARR 30 days after each known renewal that went ahead over the ARR at the last
      snapshot before it (what renewing customers came back at; above 1 is expansion);
    - `in_term`: ARR three months later over ARR now, for customers with no renewal in between
      (upsells, added seats and downgrades during the term)."""
    out: dict[str, dict[str, list[float]]] = {"renewal": {}, "in_term": {}}
    if frame.empty or "arr_after" not in frame:
        return out
    cutoff = pd.to_datetime(frame["cutoff"])
    renewal = pd.to_datetime(frame["renewal_date"])
    known = frame[(frame["churned"] == 0) & (frame["arr"] > 0) & frame["arr_after"].notna()]
    known = known[cutoff[known.index] < renewal[known.index]]
    last = known.sort_values("cutoff").groupby(["account_id", "renewal_date"]).tail(1)
    out["renewal"] = _by_segment(last["arr_after"] / last["arr"], last["segment"])
    now = pd.DataFrame(
        {
            "account_id": frame["account_id"],
            "later": cutoff + pd.offsets.MonthEnd(3),
            "renewal": renewal,
            "arr": frame["arr"],
            "segment": frame["segment"],
        }
    )
    later = pd.DataFrame(
        {"account_id": frame["account_id"], "later": cutoff, "arr_later": frame["arr"]}
    )
    pairs = now.merge(later, on=["account_id", "later"])
    pairs = pairs[(pairs["renewal"] > pairs["later"]) & (pairs["arr"] > 0)]
    out["in_term"] = _by_segment(pairs["arr_later"] / pairs["arr"], pairs["segment"])
    return out


def _by_segment(ratios: pd.Series, segments: pd.Series) -> dict[str, list[float]]:
    return {
        str(segment): [round(float(v), 5) for v in values]
        for segment, values in ratios.groupby(segments)
    }
