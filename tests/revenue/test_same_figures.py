"""Figures that claim the same are the same (issue 19, defect 12): an AM's ARR today on My
Book, on the Revenue page (this month, to date) and as the sum of the Account 360 pages, on a
book with a subsidiary, a euro contract, a contract ending later this month and a prospect."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from steward.accounts.models import Account
from steward.fx.models import ExchangeRate
from tests.factories import PASSWORD, Factory


def _figure(html: str, testid: str) -> Decimal:
    found = re.search(rf'data-testid="{testid}" data-exact="([^"]+)">([^<]+)<', html)
    assert found, f"no {testid} on the page"
    return Decimal(found.group(1))


def test_my_book_revenue_and_account_pages_show_one_arr(client, factory: Factory) -> None:
    am = factory.user("am")
    today = date.today()
    month_start = today.replace(day=1)
    next_month = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    parent = factory.account(name="Parent", owner_am_id=am.id)
    child = factory.account(name="Child", parent_id=parent.id, owner_am_id=am.id)
    euro = factory.account(name="Euro", owner_am_id=am.id)
    ending = factory.account(name="Ending", owner_am_id=am.id)
    factory.account(name="Prospect", owner_am_id=am.id, lifecycle_stage="prospect")
    factory._save(ExchangeRate(currency="EUR", month=date(2000, 1, 1), rate=Decimal("1.1")))
    factory._save(ExchangeRate(currency="EUR", month=month_start, rate=Decimal("1.2")))
    year_ago = today - timedelta(days=365)
    for account, quantity in ((parent, 10), (child, 3)):
        factory.contract(
            account,
            start=year_ago,
            end=today + timedelta(days=200),
            items=[{"quantity": quantity, "unit_price_minor": 120_000}],
        )
    factory.contract(
        euro,
        start=year_ago,
        end=today + timedelta(days=300),
        currency="EUR",
        items=[{"quantity": 5, "unit_price_minor": 100_000}],
    )
    factory.contract(
        ending,
        start=year_ago,
        end=max(today + timedelta(days=1), next_month - timedelta(days=1)),
        items=[{"quantity": 2, "unit_price_minor": 120_000}],
    )
    # 10 + 3 + 2 seats at 1,200 and 5 × 1,000 EUR at 1.2 USD.
    expected = Decimal("18000") + Decimal("6000")
    with factory.db.session() as session:
        rollups = session.scalars(
            select(Account.arr_minor).where(Account.owner_am_id == am.id)
        ).all()
    assert Decimal(sum(rollups)) / 100 == expected  # the Account 360 figures add up

    login = {"email": am.email, "password": PASSWORD}
    assert client.post("/login", data=login, follow_redirects=False).status_code == 303
    book = client.get("/book")
    assert book.status_code == 200
    revenue = client.get("/revenue")
    assert revenue.status_code == 200
    assert _figure(book.text, "book-arr") == expected
    assert _figure(revenue.text, "revenue-arr") == expected
    shown = [
        re.search(rf'data-testid="{t}"[^>]*>([^<]+)<', page.text)
        for t, page in (("book-arr", book), ("revenue-arr", revenue))
    ]
    assert shown[0] and shown[1] and shown[0].group(1) == shown[1].group(1)  # shown alike
    assert "5 accounts, 4 with ARR" in book.text
