"""The revenue ledger: what the engine reads, as plain columns (SPEC §3).

Every recurring line item becomes one row with its exact ARR contribution and the range of
month-ends at which it is active. Amounts are integers in ARR_SCALE-ths of a minor unit, so
normalising billing periods and applying discounts stays exact:

    ARR × 10,000 = quantity × unit price × (10,000 − discount in basis points) × 12 / months

(12 / months is 12, 4 or 1). Months are integer indices (year × 12 + month − 1). A month's
instant is its last day: an item is active at month-end m when start ≤ last_day(m) < end,
i.e. for m in [month(start), month(end) − 1], with end the earlier of its own end and the start
of the amendment that replaced it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import pyarrow as pa

from steward.contracts.models import MONTHS_PER_PERIOD

RATE_SCALE = 100_000_000  # exchange rates are stored with 8 decimals

ITEMS_SCHEMA = pa.schema(
    [
        ("contract_id", pa.int64()),
        ("account_id", pa.int64()),
        ("currency", pa.string()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),  # effective, exclusive
        ("first_month", pa.int32()),
        ("last_month", pa.int32()),
        ("arr_scaled", pa.int64()),
    ]
)
CONTRACTS_SCHEMA = pa.schema(
    [
        ("contract_id", pa.int64()),
        ("account_id", pa.int64()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
        ("renewal_of_id", pa.int64()),
    ]
)
ACCOUNTS_SCHEMA = pa.schema([("account_id", pa.int64()), ("unit_id", pa.int64())])
UNITS_SCHEMA = pa.schema(
    [
        ("unit_id", pa.int64()),
        ("name", pa.string()),
        ("owner", pa.string()),
        ("team", pa.string()),
        ("segment", pa.string()),
        ("tier", pa.string()),
        ("industry", pa.string()),
        # The unit's seats (user ids as text), for a rep's own figures (Team page).
        ("owner_am_id", pa.string()),
        ("csm_id", pa.string()),
        ("ae_id", pa.string()),
        ("strategist_id", pa.string()),
    ]
)
FX_SCHEMA = pa.schema([("currency", pa.string()), ("month", pa.int32()), ("rate_e8", pa.int64())])


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_month(text: str) -> int:
    """'YYYY-MM' → month index; ValueError with a sentence otherwise."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return month_index(date(year, month, 1))
    except (ValueError, TypeError):
        raise ValueError(f"{text!r} is not a month; use YYYY-MM") from None


_PERIOD_FACTOR = " ".join(
    f"WHEN '{period}' THEN {12 // months}"
    for period, months in MONTHS_PER_PERIOD.items()
    if months is not None
)
_PRICE_ITEMS = f"""
    WITH typed AS (
        SELECT contract_id::BIGINT AS contract_id, account_id::BIGINT AS account_id,
               currency::VARCHAR AS currency, start_date::DATE AS start_date,
               least(end_date::DATE, coalesce(replaced_from::DATE, end_date::DATE)) AS end_date,
               quantity::HUGEINT * unit_price_minor::HUGEINT
                 * (10000 - (coalesce(discount_pct, 0)::DECIMAL(7, 2) * 100)::BIGINT)
                 * CASE billing_period {_PERIOD_FACTOR} ELSE 0 END AS arr_scaled
        FROM raw
    )
    -- A month counts at its last day, except the month not yet over (as_of's): it counts at
    -- as_of, "to date", so an item ending later this month is not churned before it ends and
    -- one starting later this month is not new before it starts.
    SELECT contract_id, account_id, currency, start_date, end_date,
           ((year(start_date) * 12 + month(start_date) - 1)
             + CASE WHEN year(start_date) * 12 + month(start_date) - 1 = $current
                     AND start_date > $as_of THEN 1 ELSE 0 END)::INTEGER AS first_month,
           CASE WHEN year(end_date) * 12 + month(end_date) - 1 = $current AND end_date > $as_of
                THEN $current
                ELSE year(end_date) * 12 + month(end_date) - 2 END::INTEGER AS last_month,
           arr_scaled::BIGINT AS arr_scaled
    FROM typed WHERE arr_scaled > 0 AND end_date > start_date
"""


def priced_items(raw: pa.Table, as_of: date | None = None) -> pa.Table:
    """Line items as the database holds them (contract_id, account_id, currency, start_date,
    end_date, replaced_from, quantity, unit_price_minor, discount_pct, billing_period) →
    the ledger's items: effective end, active month-ends and exact scaled ARR (see above).
    `as_of` (today) makes its month count to date; None: every month at its last day."""
    current = month_index(as_of) if as_of is not None else -1
    with duckdb.connect() as db:
        db.register("raw", raw)
        priced = db.execute(_PRICE_ITEMS, {"current": current, "as_of": as_of or date.min})
        table: pa.Table = priced.to_arrow_table()
        return table.cast(ITEMS_SCHEMA)


@dataclass
class RevenueLedger:
    """Columns of items, contracts, the account → revenue unit map, units and exchange rates.

    A revenue unit is the top of an account hierarchy: children's revenue rolls up to it and
    it is what movements and retention count. Units carry the attributes metrics group by.
    """

    currency: str
    items: pa.Table
    contracts: pa.Table
    accounts: pa.Table
    units: pa.Table
    fx: pa.Table = field(default_factory=lambda: FX_SCHEMA.empty_table())

    @classmethod
    def from_rows(
        cls,
        currency: str,
        items: list[dict[str, object]],
        contracts: list[dict[str, object]],
        accounts: list[dict[str, object]],
        units: list[dict[str, object]],
        fx: list[dict[str, object]] | None = None,
    ) -> RevenueLedger:
        return cls(
            currency=currency,
            items=pa.Table.from_pylist(items, schema=ITEMS_SCHEMA),
            contracts=pa.Table.from_pylist(contracts, schema=CONTRACTS_SCHEMA),
            accounts=pa.Table.from_pylist(accounts, schema=ACCOUNTS_SCHEMA),
            units=pa.Table.from_pylist(units, schema=UNITS_SCHEMA),
            fx=pa.Table.from_pylist(fx or [], schema=FX_SCHEMA),
        )
