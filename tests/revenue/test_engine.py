"""SPEC §3 revenue metrics: a hand-computed workspace on both databases, and random histories
against a brute-force reference (Hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.contracts.terms import ARR_SCALE
from steward.core.principal import Principal
from steward.revenue.engine import MissingExchangeRate, RevenueCube
from steward.revenue.ledger import RevenueLedger, month_index
from steward.revenue.repository import load_ledger
from tests.factories import Factory
from tests.revenue import reference


def major(scaled: int) -> Decimal:
    """Scaled ARR → currency units (2 decimals)."""
    return Decimal(scaled) / ARR_SCALE / 100


M = month_index


def cube_for(factory: Factory, principal: Principal) -> RevenueCube:
    with factory.reading_as(principal) as session:
        return RevenueCube(load_ledger(session, principal, "USD"))


def test_waterfall_of_2024_matches_the_hand_computation(factory: Factory, workspace) -> None:
    cube = cube_for(factory, workspace["admin"])
    year = cube.movements(M(date(2024, 1, 1)), M(date(2024, 12, 1)), monthly=False)["all"]
    totals = year[M(date(2024, 12, 1))]
    assert major(totals.start) == 0
    assert major(totals.new) == Decimal("37400")  # Acme, Euro (Jan), Beta (Feb), Globex (Mar)
    assert major(totals.expansion) == Decimal("7200")  # Globex Apr +1,200, Acme Jun +6,000
    assert major(totals.contraction) == Decimal("500")  # Euro's rate fell in July
    assert major(totals.churn) == Decimal("12000")  # Beta, August
    assert major(totals.reactivation) == Decimal("6000")  # Beta, November
    assert major(totals.end) == Decimal("38100")
    assert (totals.new_logos, totals.churned_logos, totals.reactivated_logos) == (4, 1, 1)

    months = cube.movements(M(date(2024, 1, 1)), M(date(2025, 1, 1)))["all"]
    assert major(months[M(date(2024, 6, 1))].expansion) == Decimal("6000")  # mid-month amendment
    assert major(months[M(date(2024, 8, 1))].churn) == Decimal("12000")
    assert major(months[M(date(2025, 1, 1))].contraction) == Decimal("3600")  # discounted renewal
    assert major(months[M(date(2025, 1, 1))].churn) == Decimal("10500")  # Euro did not renew
    for m in months.values():
        assert m.start + m.new + m.reactivation + m.expansion - m.contraction - m.churn == m.end


def test_retention_and_renewal_rates_match_the_hand_computation(
    factory: Factory, workspace
) -> None:
    cube = cube_for(factory, workspace["admin"])
    window = cube.retention(M(date(2024, 3, 1)), M(date(2025, 3, 1)))["all"][M(date(2025, 3, 1))]
    assert major(window.base_arr) == Decimal("37400")
    assert window.nrr == pytest.approx(21600 / 37400)
    assert window.grr == pytest.approx(19200 / 37400)
    assert window.logo_retention == pytest.approx(3 / 4)
    assert window.revenue_churn_rate == pytest.approx(11000 / 37400)

    renewals = cube.renewal_rate(M(date(2024, 1, 1)), M(date(2024, 12, 1)), date(2026, 1, 1))
    due = renewals["all"]
    assert (due.due, due.renewed, due.pending) == (3, 1, 0)  # Acme renewed; Beta, Euro did not
    assert due.dollar_rate == pytest.approx(18000 / (18000 + 12000 + 10500))

    by_segment = cube.movements(M(date(2024, 1, 1)), M(date(2024, 12, 1)), "segment", monthly=False)
    # Globex Labs (smb) rolls up to Globex (enterprise): its revenue counts there.
    assert major(by_segment["enterprise"][M(date(2024, 12, 1))].end) == Decimal("21600")
    assert major(by_segment["smb"][M(date(2024, 12, 1))].end) == Decimal("6000")


def test_an_am_sees_only_the_revenue_of_their_book(factory: Factory, workspace) -> None:
    cube = cube_for(factory, workspace["am"])
    arr = cube.arr_by_month(M(date(2024, 12, 1)), M(date(2024, 12, 1)))
    assert major(arr["all"][M(date(2024, 12, 1))]) == Decimal("18000")  # Acme only


def test_a_missing_exchange_rate_is_a_clear_error(factory: Factory) -> None:
    account = factory.account()
    factory.contract(account, start=date(2024, 1, 1), currency="GBP")
    admin = Principal.of(factory.user("admin"))
    with pytest.raises(MissingExchangeRate, match="no exchange rate for GBP in or before 2024-01"):
        cube_for(factory, admin)


# --- random histories against the brute-force reference ----------------------------------

FIRST_DAY = date(2023, 1, 1)

item_strategy = st.tuples(
    st.integers(0, 5),  # account
    st.sampled_from(["USD", "USD", "EUR"]),
    st.integers(0, 900),  # start offset (days)
    st.integers(1, 700),  # length (days)
    st.integers(0, 3) | st.integers(1, 5_000_000),  # scaled ARR, zero-heavy edges included
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=st.lists(item_strategy, min_size=1, max_size=25),
    parents=st.lists(st.sampled_from([None, 0, 1]), min_size=6, max_size=6),
    eur_rates=st.lists(st.integers(50_000_000, 200_000_000), min_size=1, max_size=4),
)
def test_engine_equals_brute_force_reference(items, parents, eur_rates) -> None:
    # Accounts 0..5; account k's parent is parents[k] unless that would make it its own.
    parent_of = {k: p if p is not None and p < k else None for k, p in enumerate(parents)}

    def root(k: int) -> int:
        while parent_of[k] is not None:
            k = parent_of[k]  # type: ignore[assignment]
        return k

    fx_rows = [
        {"currency": "EUR", "month": M(date(2022, 12, 1)) + 7 * i, "rate_e8": rate}
        for i, rate in enumerate(eur_rates)
    ]
    fx = {("EUR", (r["month"] // 12, r["month"] % 12 + 1)): r["rate_e8"] for r in fx_rows}
    rows, ref_items = [], []
    for n, (account, currency, offset, length, arr) in enumerate(items):
        start = FIRST_DAY + timedelta(days=offset)
        end = start + timedelta(days=length)
        rows.append(
            {
                "contract_id": n,
                "account_id": account,
                "currency": currency,
                "start_date": start,
                "end_date": end,
                "first_month": M(start),
                "last_month": M(end) - 1,
                "arr_scaled": arr,
            }
        )
        if arr > 0:
            ref_items.append(reference.RefItem(root(account), currency, start, end, arr))
    ledger = RevenueLedger.from_rows(
        "USD",
        rows,
        [],
        [{"account_id": k, "unit_id": root(k)} for k in parent_of],
        [{"unit_id": k} for k in parent_of if parent_of[k] is None],
        fx_rows,
    )
    cube = RevenueCube(ledger, threads=1)

    months = reference.months_between((2022, 12), (2026, 1))
    series = [reference.arr_at(ref_items, fx, "USD", ym) for ym in months]
    expected = reference.movements(series)
    indices = [y * 12 + m - 1 for y, m in months]
    got = cube.movements(indices[1], indices[-1])
    for k, index in enumerate(indices[1:]):
        totals = got.get("all", {}).get(index)
        flows = (
            (totals.new, totals.reactivation, totals.expansion, totals.contraction, totals.churn)
            if totals
            else (0, 0, 0, 0, 0)
        )
        want = expected[k]
        assert flows == (
            want["new"],
            want["reactivation"],
            want["expansion"],
            want["contraction"],
            want["churn"],
        ), months[k + 1]
        if totals:
            assert totals.start == sum(series[k].values())
            assert totals.end == sum(series[k + 1].values())
            assert (
                totals.start
                + totals.new
                + totals.reactivation
                + totals.expansion
                - totals.contraction
                - totals.churn
                == totals.end
            )
    # NRR/GRR/logo retention over every 12-month window.
    got_retention = cube.retention(indices[0], indices[0] + 12, every_month_until=indices[-1])
    for k in range(len(indices) - 12):
        want_r = reference.retention(series[k], series[k + 12])
        have = got_retention.get("all", {}).get(indices[k] + 12)
        if want_r[4] == 0:
            assert have is None
            continue
        assert have is not None
        assert (
            have.base_arr,
            have.net_arr,
            have.gross_arr,
            have.churned_arr,
            have.base_logos,
            have.retained_logos,
        ) == want_r
    # Each unit's ARR at a month-end, of every unit and of a chosen few (Portfolio's 300).
    for k, index in enumerate(indices):
        with_arr = {unit: arr for unit, arr in series[k].items() if arr}
        assert cube.unit_arr(index) == with_arr
        few = [0, 2, 5]
        assert cube.unit_arr(index, few) == {u: a for u, a in with_arr.items() if u in few}
