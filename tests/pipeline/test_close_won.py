"""Close-won does the hand-off in one transaction (issue 21 §3): the contract from the deal's
line items with its ARR at once, onboarding, the new owners, the AE's note and their tasks."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from steward.contracts.models import Contract
from steward.core.dates import add_months
from steward.opportunities.models import Opportunity
from tests.factories import Factory


def _deal(client: Any, headers: dict[str, str], account_id: int, **extra: Any) -> Any:
    return client.post(
        "/api/v1/opportunities",
        json={
            "account_id": account_id,
            "name": "Platform, first year",
            "type": "new_business",
            "close_date": (date.today() + timedelta(days=20)).isoformat(),
            **extra,
        },
        headers=headers,
    )


def test_a_won_deal_becomes_its_contract_with_arr_onboarding_owners_and_the_aes_note(
    client: Any, factory: Factory
) -> None:
    ae, am, csm = factory.user("ae"), factory.user("am"), factory.user("csm")
    seats = factory.product(list_price_minor=1_000_00, billing_period="monthly")
    setup = factory.product(list_price_minor=5_000_00, billing_period="one_time")
    prospect = factory.account(lifecycle_stage="prospect", ae_id=ae.id)
    headers = factory.headers(ae)
    created = _deal(
        client,
        headers,
        prospect.id,
        term_months=24,
        line_items=[
            {"product_id": seats.id, "quantity": 40, "discount_pct": "12.5"},
            {"product_id": setup.id},
        ],
    )
    assert created.status_code == 201, created.text
    deal = created.json()
    # 40 seats × $1,000 a month × 12 × (1 − 12.5 %); the one-time fee is no ARR.
    assert Decimal(deal["amount"]) == Decimal("420000.00")
    assert [Decimal(line["arr"]) for line in deal["line_items"]] == [
        Decimal("420000.00"),
        Decimal("0.00"),
    ]
    assert deal["term_months"] == 24 and deal["contract_id"] is None

    closed = client.post(
        f"/api/v1/opportunities/{deal['id']}/close",
        json={
            "outcome": "won",
            "reason": "Ops champion; beat the incumbent on price",
            "handoff": {
                "owner_am_id": am.id,
                "csm_id": csm.id,
                "goals": "Close the books in 3 days instead of 10",
                "stakeholders": "Dana (CFO, signs), Lee (controller, daily user)",
                "promises": "SSO by March",
            },
        },
        headers=headers,
    )
    assert closed.status_code == 200, closed.text
    contract_id = closed.json()["contract_id"]
    assert contract_id is not None

    as_am = factory.headers(am)
    contract = client.get(f"/api/v1/contracts/{contract_id}", headers=as_am).json()
    assert contract["account_id"] == prospect.id
    assert contract["start_date"] == date.today().isoformat()
    assert contract["end_date"] == add_months(date.today(), 24).isoformat()
    assert len(contract["line_items"]) == 2
    account = client.get(f"/api/v1/accounts/{prospect.id}", headers=as_am).json()
    assert Decimal(account["arr"]) == Decimal(deal["amount"])  # the deal's amount is its ARR
    assert account["owner_am_id"] == am.id and account["csm_id"] == csm.id
    projects = client.get(
        f"/api/v1/onboarding/projects?account_id={prospect.id}", headers=as_am
    ).json()
    assert [p["contract_id"] for p in projects["items"]] == [contract_id]

    notes = client.get(
        f"/api/v1/activities?account_id={prospect.id}&type=note", headers=as_am
    ).json()["items"]
    assert len(notes) == 1 and "SSO by March" in notes[0]["body"]
    assert "Dana (CFO, signs)" in notes[0]["body"]
    tasks = client.get(f"/api/v1/tasks?account_id={prospect.id}", headers=as_am).json()["items"]
    assert sorted(t["assignee_id"] for t in tasks) == sorted([am.id, csm.id])
    assert all("Close the books in 3 days" in t["description"] for t in tasks)


def test_a_failed_hand_off_writes_nothing_not_even_the_contract(
    client: Any, factory: Factory
) -> None:
    """No Account Manager anywhere: the hand-off cannot happen, so the deal stays open and no
    contract, onboarding project or task is left behind."""
    ae = factory.user("ae")
    product = factory.product()
    prospect = factory.account(lifecycle_stage="prospect", ae_id=ae.id)
    headers = factory.headers(ae)
    deal = _deal(client, headers, prospect.id, line_items=[{"product_id": product.id}]).json()
    refused = client.post(
        f"/api/v1/opportunities/{deal['id']}/close", json={"outcome": "won"}, headers=headers
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "handoff.owner_am_id"
    with factory.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Contract)) == 0
        assert session.get_one(Opportunity, deal["id"]).stage == "prospecting"


def test_amount_is_the_line_items_arr_so_giving_both_is_refused(
    client: Any, factory: Factory
) -> None:
    ae = factory.user("ae")
    product = factory.product()
    prospect = factory.account(lifecycle_stage="prospect", ae_id=ae.id)
    headers = factory.headers(ae)
    both = _deal(
        client, headers, prospect.id, amount="1.00", line_items=[{"product_id": product.id}]
    )
    assert both.status_code == 422 and both.json()["errors"][0]["field"] == "amount"
    unknown = _deal(client, headers, prospect.id, line_items=[{"product_id": 999_999}])
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "line_items.0.product_id"
    deal = _deal(client, headers, prospect.id, line_items=[{"product_id": product.id}]).json()
    assert Decimal(deal["amount"]) == Decimal("600.00")  # the product's list price, annual
    changed = client.patch(
        f"/api/v1/opportunities/{deal['id']}",
        json={"line_items": [{"product_id": product.id, "quantity": 3}]},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert Decimal(changed.json()["amount"]) == Decimal("1800.00")
    assert [line["quantity"] for line in changed.json()["line_items"]] == [3]


def test_every_open_new_business_deal_of_the_demo_closes_into_its_contract(
    tmp_path: Any,
) -> None:
    """On data this test did not write: the demo's open new-business deals carry line items, and
    winning each one as its AE sets the account's ARR to the deal's amount and starts onboarding."""
    from steward.accounts.models import Account
    from steward.core.principal import Principal, read_as
    from steward.db import Database
    from steward.db.migrate import upgrade
    from steward.demo.generator import generate
    from steward.onboarding.models import OnboardingProject
    from steward.opportunities.schemas import OpportunityClose
    from steward.pipeline.service import close_deal
    from steward.users.models import User

    db = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    upgrade(db)
    generate(db, accounts=40, seed=5)
    with db.session_factory() as session:
        deals = session.scalars(
            select(Opportunity).where(
                Opportunity.type == "new_business",
                Opportunity.stage.not_in(["closed_won", "closed_lost"]),
            )
        ).all()
        assert deals
        for deal in deals:
            ae = session.get_one(User, deal.owner_id)
            read_as(session, Principal.of(ae))
            closed = close_deal(session, Principal.of(ae), deal.id, OpportunityClose(outcome="won"))
            session.commit()
            assert closed.contract_id is not None, deal.name
            account = session.get_one(Account, deal.account_id)
            assert account.arr_minor == deal.amount_minor > 0
            assert (
                session.scalar(
                    select(func.count()).where(OnboardingProject.contract_id == closed.contract_id)
                )
                == 1
            )
    db.dispose()
