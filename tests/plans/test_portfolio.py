"""The Portfolio (issue 21 §5): an executive AM's key and strategic accounts with growth from
the revenue engine, sponsors on both sides, buying roles covered, whitespace and the next QBR."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from steward.db.base import utcnow
from tests.factories import Factory
from tests.pipeline.test_pipeline_pages import _sign_in


def test_the_portfolio_rolls_up_key_and_strategic_accounts(client: Any, factory: Factory) -> None:
    sam, other = factory.user("strategic_am"), factory.user("strategic_am")
    vp = factory.user("vp")
    seat = factory.product(list_price_minor=1_000_00, billing_period="annual")
    factory.product(sku="ADDON", list_price_minor=250_00, billing_period="monthly")
    key = factory.account(owner_am_id=sam.id, tier="key", name="Keystone")
    factory.account(owner_am_id=sam.id, tier="standard", name="Plain")  # not in a portfolio
    factory.account(owner_am_id=other.id, tier="strategic", name="Elsewhere")
    start = date.today() - timedelta(days=500)
    contract = factory.contract(
        key,
        start=start,
        end=start + timedelta(days=900),
        items=[{"product_id": seat.id, "quantity": 10}],
    )
    factory.line_item(
        contract,
        product_id=seat.id,
        quantity=5,
        kind="upsell",
        start_date=date.today() - timedelta(days=60),
    )
    factory.contact(key, deal_role="executive_sponsor", first_name="Eve", last_name="Exec")
    factory.contact(key, deal_role="champion")
    factory.activity(
        key,
        type="qbr",
        subject="Q3 review",
        user_id=sam.id,
        occurred_at=utcnow() - timedelta(days=100),
    )
    csrf = _sign_in(client, sam.email)
    saved = client.post(
        f"/accounts/{key.id}/plan",
        data={"csrf_token": csrf, "period": "FY2027", "executive_sponsor_id": str(vp.id)},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    page = client.get("/portfolio")
    assert page.status_code == 200
    text = page.text
    assert "Keystone" in text and "Plain" not in text and "Elsewhere" not in text
    assert "+50.0%" in text  # 10 seats a year ago, 15 now
    assert f"{vp.full_name} · Eve Exec" in text
    assert "2 of 4" in text  # executive sponsor and champion of four roles
    assert "$3,000" in text  # the add-on not owned: $250 a month
    assert "danger-text" in text  # last QBR 100 days ago, key cadence 30 days: overdue
