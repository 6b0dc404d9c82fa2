"""Benchmark: monthly movements and trailing-12-month NRR/GRR/logo retention over 5 years for
100,000 accounts: Steward's DuckDB engine beside two pandas implementations of the same SPEC §3
definitions, run in the same process on the same ledger: a straightforward one (long format:
explode, group, join month to month) and an expert one (numpy over a units × months matrix).
Results must be equal (exact integers); prints the times and the ratios. Targets: ≥ 10× faster
than the straightforward pandas version, under 5 s.

    python benchmarks/revenue_metrics.py [--accounts 100000] [--years 5] [--repeat 3]

The ledger is synthetic and seeded: yearly contracts renewed (88 %) with seat changes, some
quarterly and monthly billing, mid-term upsell amendments, 10 % in EUR at monthly rates,
5 % child accounts rolling up to a parent, and win-backs after churn.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa

from steward.revenue.engine import RevenueCube
from steward.revenue.ledger import (
    ACCOUNTS_SCHEMA,
    CONTRACTS_SCHEMA,
    FX_SCHEMA,
    ITEMS_SCHEMA,
    RATE_SCALE,
    UNITS_SCHEMA,
    RevenueLedger,
    month_index,
)

SEGMENTS = ("smb", "mid_market", "enterprise")


def synthetic_ledger(accounts: int, years: int, seed: int) -> RevenueLedger:
    rng = random.Random(seed)
    end_of_history = date(2026, 12, 31)
    first_day = date(end_of_history.year - years + 1, 1, 1)
    span_days = (end_of_history - first_day).days
    items: dict[str, list[object]] = {name: [] for name in ITEMS_SCHEMA.names}
    contracts: dict[str, list[object]] = {name: [] for name in CONTRACTS_SCHEMA.names}
    contract_id = 0

    def add_item(account: int, currency: str, start: date, end: date, arr: int) -> None:
        items["contract_id"].append(contract_id)
        items["account_id"].append(account)
        items["currency"].append(currency)
        items["start_date"].append(start)
        items["end_date"].append(end)
        items["first_month"].append(month_index(start))
        items["last_month"].append(month_index(end) - 1)
        items["arr_scaled"].append(arr)

    for account in range(accounts):
        currency = "EUR" if rng.random() < 0.10 else "USD"
        start = first_day + timedelta(days=rng.randrange(span_days - 60))
        seats = rng.randint(5, 200)
        price = rng.choice((60_000, 120_000, 240_000)) * 10_000  # scaled ARR per seat
        renews: int | None = None  # the contract a follow-on renews (none after a churn)
        while start < end_of_history:
            end = date(start.year + 1, start.month, min(start.day, 28))
            contract_id += 1
            contracts["contract_id"].append(contract_id)
            contracts["account_id"].append(account)
            contracts["start_date"].append(start)
            contracts["end_date"].append(end)
            contracts["renewal_of_id"].append(renews)
            periods = rng.choice((1, 1, 1, 1, 4, 12))  # annual mostly; quarterly, monthly
            if rng.random() < 0.08:  # mid-term upsell: the item is replaced from a date
                change = start + timedelta(days=rng.randrange(30, 330))
                add_item(account, currency, start, change, seats * price)
                seats = int(seats * rng.uniform(1.1, 1.5))
                add_item(account, currency, change, end, seats * price)
            else:
                add_item(account, currency, start, end, seats * price * periods // periods)
            if rng.random() < 0.3:
                add_item(account, currency, start, end, rng.randint(1, 20) * 120_000 * 10_000)
            if rng.random() < 0.12:  # churn; some come back later
                if rng.random() > 0.25:
                    break
                start = end + timedelta(days=rng.randrange(90, 400))
                renews = None
            else:
                start = end
                renews = contract_id
                seats = max(1, int(seats * rng.uniform(0.8, 1.3)))
    units = [
        account - 1 if account % 20 == 0 and account > 0 else account for account in range(accounts)
    ]
    fx_months = range(month_index(first_day) - 1, month_index(end_of_history) + 1)
    fx = {
        "currency": ["EUR"] * len(fx_months),
        "month": list(fx_months),
        "rate_e8": [int(RATE_SCALE * (1.05 + 0.08 * np.sin(m / 7))) for m in fx_months],
    }
    return RevenueLedger(
        currency="USD",
        items=pa.table(items, schema=ITEMS_SCHEMA),
        contracts=pa.table(contracts, schema=CONTRACTS_SCHEMA),
        accounts=pa.table(
            {"account_id": list(range(accounts)), "unit_id": units}, schema=ACCOUNTS_SCHEMA
        ),
        units=pa.table(
            {
                "unit_id": sorted(set(units)),
                "name": [f"A{u}" for u in sorted(set(units))],
                "owner": [None] * len(set(units)),
                "team": [None] * len(set(units)),
                "segment": [SEGMENTS[u % 3] for u in sorted(set(units))],
                "tier": [None] * len(set(units)),
                "industry": [None] * len(set(units)),
                **{
                    seat: [None] * len(set(units))
                    for seat in ("owner_am_id", "csm_id", "ae_id", "strategist_id")
                },
            },
            schema=UNITS_SCHEMA,
        ),
        fx=pa.table(fx, schema=FX_SCHEMA),
    )


# --- the two implementations ------------------------------------------------------------------


def steward_engine(ledger: RevenueLedger, first: int, last: int) -> dict[str, object]:
    cube = RevenueCube(ledger)
    movements = cube.movements(first, last)["all"]
    retention = cube.retention(first - 12, first, every_month_until=last)["all"]
    cube.close()
    return {
        "movements": {
            m: (t.start, t.new, t.reactivation, t.expansion, t.contraction, t.churn, t.end)
            for m, t in movements.items()
        },
        "retention": {
            m: (r.base_arr, r.net_arr, r.gross_arr, r.churned_arr, r.base_logos, r.retained_logos)
            for m, r in retention.items()
        },
    }


def pandas_straightforward(ledger: RevenueLedger, first: int, last: int) -> dict[str, object]:
    """The same definitions as a pandas user would first write them, in long format: explode
    items into month-ends, convert currencies, join each month to the one before for the
    movements, and join the month-ends 12 months apart for each retention window."""
    items = ledger.items.to_pandas()
    items = items[(items.arr_scaled > 0) & (items.last_month >= items.first_month)].copy()
    units = ledger.accounts.to_pandas().set_index("account_id")["unit_id"]
    items["unit_id"] = items.account_id.map(units).fillna(items.account_id).astype("int64")
    items["month"] = [
        list(range(a, b + 1)) for a, b in zip(items.first_month, items.last_month, strict=True)
    ]
    exploded = items.explode("month").astype({"month": "int64"})
    per_currency = exploded.groupby(["unit_id", "currency", "month"], as_index=False)[
        "arr_scaled"
    ].sum()
    fx = ledger.fx.to_pandas().astype({"month": "int64"}).sort_values("month")
    foreign = per_currency[per_currency.currency != ledger.currency].sort_values("month")
    foreign = pd.merge_asof(foreign, fx, on="month", by="currency")
    foreign["arr_scaled"] = [
        (int(a) * int(r) + RATE_SCALE // 2) // RATE_SCALE
        for a, r in zip(foreign.arr_scaled, foreign.rate_e8, strict=True)
    ]
    home = per_currency[per_currency.currency == ledger.currency]
    mrr = (
        pd.concat([home, foreign[home.columns]])
        .groupby(["unit_id", "month"], as_index=False)["arr_scaled"]
        .sum()
    )
    mrr = mrr[mrr.arr_scaled > 0]
    first_month = mrr.groupby("unit_id")["month"].min().rename("first_month")
    cur = mrr.rename(columns={"arr_scaled": "cur"})
    prev = mrr.assign(month=mrr.month + 1).rename(columns={"arr_scaled": "prev"})
    pairs = cur.merge(prev, on=["unit_id", "month"], how="outer").fillna(0)
    pairs = pairs.join(first_month, on="unit_id")
    c, p = pairs.cur, pairs.prev
    pairs["new"] = np.where((p == 0) & (c > 0) & (pairs.month == pairs.first_month), c, 0)
    pairs["reactivation"] = np.where((p == 0) & (c > 0) & (pairs.month > pairs.first_month), c, 0)
    pairs["expansion"] = np.where((p > 0) & (c > p), c - p, 0)
    pairs["contraction"] = np.where((c > 0) & (c < p), p - c, 0)
    pairs["churn"] = np.where((p > 0) & (c == 0), p, 0)
    kinds = ["new", "reactivation", "expansion", "contraction", "churn"]
    flows = pairs.groupby("month")[kinds].sum()
    totals = mrr.groupby("month")["arr_scaled"].sum()
    movements = {}
    for m in range(first, last + 1):
        f = flows.loc[m] if m in flows.index else None
        movements[m] = (
            int(totals.get(m - 1, 0)),
            int(f["new"]) if f is not None else 0,
            int(f["reactivation"]) if f is not None else 0,
            int(f["expansion"]) if f is not None else 0,
            int(f["contraction"]) if f is not None else 0,
            int(f["churn"]) if f is not None else 0,
            int(totals.get(m, 0)),
        )
    retention = {}
    for t1 in range(first, last + 1):
        start = mrr[mrr.month == t1 - 12][["unit_id", "arr_scaled"]]
        if start.empty:
            continue
        end = mrr[mrr.month == t1][["unit_id", "arr_scaled"]]
        window = start.merge(end, on="unit_id", how="left", suffixes=("_0", "_1")).fillna(0)
        a0, a1 = window.arr_scaled_0, window.arr_scaled_1
        retention[t1] = (
            int(a0.sum()),
            int(a1.sum()),
            int(np.minimum(a0, a1).sum()),
            int(a0[a1 == 0].sum()),
            len(window),
            int((a1 > 0).sum()),
        )
    return {"movements": movements, "retention": retention}


def pandas_reference(ledger: RevenueLedger, first: int, last: int) -> dict[str, object]:
    """The same definitions, vectorised as an expert would: explode items into month-ends with
    numpy, convert currencies per month, one units × months matrix, column arithmetic."""
    items = ledger.items.to_pandas()
    items = items[(items.arr_scaled > 0) & (items.last_month >= items.first_month)]
    units = ledger.accounts.to_pandas().set_index("account_id")["unit_id"]
    items = items.assign(unit_id=items.account_id.map(units).fillna(items.account_id))
    lengths = (items.last_month - items.first_month + 1).to_numpy()
    exploded = items.loc[items.index.repeat(lengths), ["unit_id", "currency", "arr_scaled"]]
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    exploded["month"] = np.repeat(items.first_month.to_numpy(), lengths) + offsets
    per_currency = exploded.groupby(["unit_id", "currency", "month"], as_index=False)[
        "arr_scaled"
    ].sum()
    fx = ledger.fx.to_pandas().astype({"month": "int64"}).sort_values("month")
    foreign = per_currency[per_currency.currency != ledger.currency]
    foreign = foreign.astype({"month": "int64"}).sort_values("month")
    foreign = pd.merge_asof(foreign, fx, on="month", by="currency")
    if foreign.rate_e8.isna().any():
        raise ValueError("missing exchange rate")
    # Exact integer conversion (int64 would overflow): Python ints on the foreign rows only.
    foreign["arr_scaled"] = [
        (int(a) * int(r) + RATE_SCALE // 2) // RATE_SCALE
        for a, r in zip(foreign.arr_scaled, foreign.rate_e8, strict=True)
    ]
    home = per_currency[per_currency.currency == ledger.currency]
    unit_month = (
        pd.concat([home, foreign[home.columns]]).groupby(["unit_id", "month"])["arr_scaled"].sum()
    )
    unit_month = unit_month[unit_month > 0]
    wide = unit_month.unstack(fill_value=0)
    months = np.arange(
        min(wide.columns.min() - 1, first - 13), max(wide.columns.max() + 2, last + 1)
    )
    wide = wide.reindex(columns=months, fill_value=0)
    arr = wide.to_numpy(dtype=np.int64)
    prev, cur = arr[:, :-1], arr[:, 1:]
    had_before = np.maximum.accumulate(prev > 0, axis=1)
    starts = (prev == 0) & (cur > 0)
    flows = {
        "new": np.where(starts & ~had_before, cur, 0),
        "reactivation": np.where(starts & had_before, cur, 0),
        "expansion": np.where((prev > 0) & (cur > prev), cur - prev, 0),
        "contraction": np.where((cur > 0) & (cur < prev), prev - cur, 0),
        "churn": np.where((prev > 0) & (cur == 0), prev, 0),
    }
    totals = {name: flow.sum(axis=0) for name, flow in flows.items()}
    column = {m: k for k, m in enumerate(months)}
    movements = {}
    for m in range(first, last + 1):
        k = column[m] - 1  # flows between month m-1 and m live at column k of `cur`
        movements[m] = (
            int(arr[:, column[m] - 1].sum()),
            int(totals["new"][k]),
            int(totals["reactivation"][k]),
            int(totals["expansion"][k]),
            int(totals["contraction"][k]),
            int(totals["churn"][k]),
            int(arr[:, column[m]].sum()),
        )
    retention = {}
    for t1 in range(first, last + 1):
        a0, a1 = arr[:, column[t1 - 12]], arr[:, column[t1]]
        base = a0 > 0
        if not base.any():
            continue
        retention[t1] = (
            int(a0[base].sum()),
            int(a1[base].sum()),
            int(np.minimum(a0, a1)[base].sum()),
            int(a0[base & (a1 == 0)].sum()),
            int(base.sum()),
            int((base & (a1 > 0)).sum()),
        )
    return {"movements": movements, "retention": retention}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    started = time.perf_counter()
    ledger = synthetic_ledger(args.accounts, args.years, args.seed)
    print(
        f"ledger: {args.accounts:,} accounts, {ledger.items.num_rows:,} line items, "
        f"{ledger.contracts.num_rows:,} contracts, {args.years} years "
        f"(built in {time.perf_counter() - started:.1f} s)"
    )
    last = month_index(date(2026, 12, 1))
    first = last - 12 * args.years + 1

    runs = (
        ("steward", "Steward (DuckDB engine)", steward_engine),
        ("pandas", "pandas, straightforward", pandas_straightforward),
        ("numpy", "pandas + numpy matrix", pandas_reference),
    )
    timings: dict[str, list[float]] = {name: [] for name, _, _ in runs}
    results = {}
    for _ in range(args.repeat):
        for name, _, run in runs:
            t0 = time.perf_counter()
            results[name] = run(ledger, first, last)
            timings[name].append(time.perf_counter() - t0)
    median = {name: statistics.median(times) for name, times in timings.items()}
    print(f"\n{args.years * 12} months of movements + trailing-12-month NRR/GRR/logo retention")
    print(f"{'implementation':<28}{'median s':>10}{'ratio':>8}{'equal':>7}   runs")
    for name, label, _ in runs:
        ratio = median[name] / median["steward"]
        equal = results[name] == results["steward"]
        times = ", ".join(f"{t:.2f}" for t in timings[name])
        print(
            f"{label:<28}{median[name]:>10.2f}{ratio:>7.1f}x{'yes' if equal else 'NO':>7}   {times}"
        )
    target = median["pandas"] / median["steward"] >= 10 and median["steward"] < 5
    print(
        f"\ntarget (≥ 10× the straightforward pandas version, < 5 s): "
        f"{'meets' if target else 'MISSES'}"
    )
    if any(results[name] != results["steward"] for name in results):
        for name in results:
            for key in ("movements", "retention"):
                a, b = results["steward"][key], results[name][key]  # type: ignore[index]
                diff = [m for m in set(a) | set(b) if a.get(m) != b.get(m)]
                if diff:
                    print(f"{name} {key}: {len(diff)} months differ, e.g. {sorted(diff)[:3]}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
