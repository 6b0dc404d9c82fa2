"""Contracts through the pages (issue 21 §1): created with line items, amended from a date, and
renewed into the next term; the account's ARR follows each."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from steward.contracts.models import Contract, LineItem
from tests.factories import Factory
from tests.pipeline.test_pipeline_pages import _sign_in


def _arr(client: Any, factory: Factory, user: Any, account_id: int) -> str:
    answer = client.get(f"/api/v1/accounts/{account_id}", headers=factory.headers(user))
    return str(answer.json()["arr"])


def test_a_contract_is_created_amended_and_renewed_through_the_pages(
    client: Any, factory: Factory
) -> None:
    am = factory.user("am")
    account = factory.account(owner_am_id=am.id)
    seat = factory.product(list_price_minor=1_000_00, billing_period="annual")
    addon = factory.product(list_price_minor=500_00, billing_period="annual")
    csrf = _sign_in(client, am.email)
    start = date.today() - timedelta(days=10)
    form = {
        "csrf_token": csrf,
        "name": "First term",
        "start_date": start.isoformat(),
        "end_date": start.isoformat(),  # not after the start: refused, naming the field
        "line_items.0.product_id": str(seat.id),
        "line_items.0.quantity": "10",
    }
    refused = client.post(f"/accounts/{account.id}/contracts/new", data=form)
    assert refused.status_code == 422 and "end_date" in refused.text.replace("End date", "end_date")
    end = start + timedelta(days=365)
    created = client.post(
        f"/accounts/{account.id}/contracts/new",
        data=form | {"end_date": end.isoformat()},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    assert _arr(client, factory, am, account.id) == "10000.00"
    with factory.db.session() as session:
        contract = session.scalars(select(Contract).where(Contract.account_id == account.id)).one()
        line = session.scalars(select(LineItem).where(LineItem.contract_id == contract.id)).one()
    assert "10 × 1,000.00" in client.get(f"/contracts/{contract.id}/amend").text
    amended = client.post(
        f"/contracts/{contract.id}/amend",
        data={
            "csrf_token": csrf,
            "effective_date": date.today().isoformat(),
            "items.0.supersedes_id": str(line.id),
            "items.0.quantity": "15",
            "items.0.kind": "upsell",
            "added.0.product_id": str(addon.id),
            "added.0.quantity": "2",
        },
        follow_redirects=False,
    )
    assert amended.status_code == 303, amended.text
    assert _arr(client, factory, am, account.id) == "16000.00"  # 15 seats + 2 add-ons

    renewal_form = client.get(f"/contracts/{contract.id}/renew").text
    assert f'value="{end.isoformat()}"' in renewal_form  # starts when this one ends
    renewed = client.post(
        f"/contracts/{contract.id}/renew",
        data={
            "csrf_token": csrf,
            "name": "Second term",
            "start_date": end.isoformat(),
            "end_date": (end + timedelta(days=365)).isoformat(),
            "line_items.0.product_id": str(seat.id),
            "line_items.0.quantity": "15",
            "line_items.0.unit_price": "1000",
        },
        follow_redirects=False,
    )
    assert renewed.status_code == 303, renewed.text
    with factory.db.session() as session:
        second = session.scalars(
            select(Contract).where(Contract.renewal_of_id == contract.id)
        ).one()
        assert (second.start_date, second.name) == (end, "Second term")
