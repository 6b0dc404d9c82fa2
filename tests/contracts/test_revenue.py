"""MRR/ARR at an instant (SPEC §3), amendments, and the account roll-ups."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from steward.contracts.terms import ContractTerm, PricedItem, mrr, next_renewal, valid_until
from tests.factories import Factory


def item(
    id: int,
    qty: int,
    price: int,
    period: str,
    start: date,
    end: date,
    *,
    discount: str = "0",
    supersedes: int | None = None,
) -> PricedItem:
    return PricedItem(id, 1, qty, price, period, Decimal(discount), start, end, supersedes)


JAN, JUL, NEXT_JAN = date(2026, 1, 1), date(2026, 7, 1), date(2027, 1, 1)


def test_mrr_normalises_periods_applies_discounts_and_skips_one_time_fees() -> None:
    items = [
        item(1, 10, 120_000, "annual", JAN, NEXT_JAN),  # 10 × 1200/yr = 1000/mo
        item(2, 1, 30_000, "quarterly", JAN, NEXT_JAN, discount="10"),  # 300/q −10% = 90/mo
        item(3, 1, 5_000, "monthly", JAN, NEXT_JAN),  # 50/mo
        item(4, 1, 999_999, "one_time", JAN, NEXT_JAN),  # excluded
    ]
    assert mrr(items, date(2026, 3, 1)) == Decimal(100_000 + 9_000 + 5_000)
    assert mrr(items, NEXT_JAN) == 0  # end is exclusive
    assert mrr(items, date(2025, 12, 31)) == 0


def test_an_amendment_replaces_its_line_item_from_the_effective_date_only() -> None:
    items = [
        item(1, 10, 120_000, "annual", JAN, NEXT_JAN),
        item(2, 15, 120_000, "annual", JUL, NEXT_JAN, supersedes=1),  # upsell to 15 seats
    ]
    assert mrr(items, date(2026, 6, 30)) == Decimal(100_000)
    assert mrr(items, JUL) == Decimal(150_000)


def test_next_renewal_skips_contracts_already_renewed() -> None:
    first = ContractTerm(1, JAN, NEXT_JAN, None)
    renewal = ContractTerm(2, NEXT_JAN, date(2028, 1, 1), 1)
    assert next_renewal([first], date(2026, 5, 1)) == NEXT_JAN
    assert next_renewal([first, renewal], date(2026, 5, 1)) is None  # renewed; not current yet
    assert next_renewal([first, renewal], NEXT_JAN) == date(2028, 1, 1)
    assert valid_until([], [first, renewal], date(2026, 5, 1)) == NEXT_JAN


def test_contract_api_rolls_up_arr_and_amendments_add_history(client, factory: Factory) -> None:
    am = factory.user("am")
    account = factory.account(owner_am_id=am.id)
    product = factory.product(list_price_minor=120_000, billing_period="annual")
    headers = factory.headers(am)
    start = date.today() - timedelta(days=60)
    end = start + timedelta(days=365)
    created = client.post(
        "/api/v1/contracts",
        json={
            "account_id": account.id,
            "name": "Main",
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "line_items": [{"product_id": product.id, "quantity": 10, "discount_pct": "10"}],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    contract = created.json()
    assert Decimal(contract["arr"]) == Decimal("10800.00")  # 10 × 1200 − 10%
    line_id = contract["line_items"][0]["id"]
    amended = client.post(
        f"/api/v1/contracts/{contract['id']}/amendments",
        json={
            "effective_date": date.today().isoformat(),
            "items": [{"supersedes_id": line_id, "quantity": 20, "kind": "upsell"}],
        },
        headers=headers,
    )
    assert amended.status_code == 201, amended.text
    body = amended.json()
    assert Decimal(body["arr"]) == Decimal("21600.00")
    assert len(body["line_items"]) == 2  # the old line is kept, not overwritten
    assert body["line_items"][0]["quantity"] == 10
    got = client.get(f"/api/v1/accounts/{account.id}", headers=headers).json()
    assert Decimal(got["arr"]) == Decimal("21600.00")
    assert got["next_renewal_date"] == end.isoformat()
    bad = client.post(
        f"/api/v1/contracts/{contract['id']}/amendments",
        json={
            "effective_date": (end + timedelta(days=5)).isoformat(),
            "items": [{"supersedes_id": line_id, "quantity": 1, "kind": "downgrade"}],
        },
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "effective_date"


def test_book_filters_by_renewal_window_and_sorts_by_arr(client, factory: Factory) -> None:
    am = factory.user("am")
    soon = factory.account(name="Soon", owner_am_id=am.id)
    later = factory.account(name="Later", owner_am_id=am.id)
    factory.contract(soon, start=date.today() - timedelta(days=300), months=12)
    factory.contract(
        later, start=date.today() - timedelta(days=10), months=12, items=[{"quantity": 50}]
    )
    headers = factory.headers(am)
    window = (date.today() + timedelta(days=90)).isoformat()
    filtered = client.get(f"/api/v1/accounts?renewal_to={window}", headers=headers).json()
    assert [a["name"] for a in filtered["items"]] == ["Soon"]
    by_arr = client.get("/api/v1/accounts?sort=-arr", headers=headers).json()
    assert [a["name"] for a in by_arr["items"]] == ["Later", "Soon"]
