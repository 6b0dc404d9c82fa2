"""The AE's pages (issue 21 §1–3): a deal created with line items through its form, moved on the
board with the version it was opened at, and closed won through the page, which hands off."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from steward.onboarding.models import OnboardingProject
from steward.opportunities.models import Opportunity
from tests.factories import PASSWORD, Factory


def _sign_in(client: Any, email: str) -> str:
    answer = client.post(
        "/login", data={"email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    page = client.get("/book").text
    return page.split('"X-CSRF-Token": "')[1].split('"')[0]


def test_a_deal_is_created_moved_and_won_through_the_pages(client: Any, factory: Factory) -> None:
    ae, am, csm = factory.user("ae"), factory.user("am"), factory.user("csm")
    seats = factory.product(list_price_minor=50_00, billing_period="monthly")
    prospect = factory.account(lifecycle_stage="prospect", ae_id=ae.id, name="Globex")
    csrf = _sign_in(client, ae.email)
    form = {
        "csrf_token": csrf,
        "account_id": str(prospect.id),
        "name": "Globex platform",
        "type": "new_business",
        "stage": "discovery",
        "forecast_category": "pipeline",
        "close_date": (date.today() + timedelta(days=10)).isoformat(),
        "term_months": "12",
        "line_items.0.product_id": str(seats.id),
        "line_items.0.quantity": "-3",
    }
    refused = client.post("/deals/new", data=form)
    assert refused.status_code == 422
    assert 'name="line_items.0.quantity"' in refused.text and "field-error" in refused.text
    created = client.post(
        "/deals/new", data=form | {"line_items.0.quantity": "20"}, follow_redirects=False
    )
    assert created.status_code == 303, created.text
    deal_id = int(created.headers["location"].split("/")[2].split("?")[0])
    deal_page = client.get(created.headers["location"]).text
    assert "Deal created." in deal_page and "$12,000.00" in deal_page  # 20 × $50 × 12

    figures = client.get("/api/v1/pipeline", headers=factory.headers(ae)).json()
    discovery = next(c for c in figures["columns"] if c["stage"] == "discovery")
    assert [card["id"] for card in discovery["cards"]] == [deal_id]
    assert (discovery["amount"], discovery["weighted_amount"]) == ("12000.00", "4800.00")
    categories = {c["forecast_category"]: c for c in figures["categories"]}
    assert categories["pipeline"]["deals"] == 1 and categories["pipeline"]["amount"] == "12000.00"
    board = client.get("/pipeline").text
    assert f'data-testid="deal-{deal_id}"' in board and "$12.0k" in board
    moved = client.post(
        f"/pipeline/deals/{deal_id}/stage",
        data={"csrf_token": csrf, "stage": "negotiation", "version": "1"},
        headers={"Accept": "application/json"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["stage"] == "negotiation" and moved.json()["probability"] == 80
    stale = client.post(
        f"/pipeline/deals/{deal_id}/stage",
        data={"csrf_token": csrf, "stage": "proposal", "version": "1"},
        headers={"Accept": "application/json"},
    )
    assert stale.status_code == 409 and "reload" in stale.json()["errors"]["form"]
    closing = client.post(
        f"/pipeline/deals/{deal_id}/stage",
        data={"csrf_token": csrf, "stage": "closed_won", "version": "2"},
        headers={"Accept": "application/json"},
    )
    assert closing.status_code == 422 and "stage" in closing.json()["errors"]

    won = client.post(
        f"/deals/{deal_id}/close",
        data={
            "csrf_token": csrf,
            "version": "2",
            "outcome": "won",
            "owner_am_id": str(am.id),
            "csm_id": str(csm.id),
            "goals": "Cut churn by a third",
        },
        follow_redirects=False,
    )
    assert won.status_code == 303, won.text
    assert won.headers["location"].startswith(f"/accounts/{prospect.id}")
    with factory.db.session() as session:
        deal = session.get(Opportunity, deal_id)
        assert deal is not None and deal.stage == "closed_won" and deal.contract_id
        project = session.scalar(
            select(OnboardingProject).where(OnboardingProject.account_id == prospect.id)
        )
        assert project is not None
    account = client.get(f"/api/v1/accounts/{prospect.id}", headers=factory.headers(ae)).json()
    assert account["arr"] == "12000.00" and account["owner_am_id"] == am.id


def test_a_stale_deal_form_is_refused_and_others_boards_are_not_disclosed(
    client: Any, factory: Factory
) -> None:
    ae, other = factory.user("ae"), factory.user("ae")
    account = factory.account(lifecycle_stage="prospect", ae_id=ae.id)
    deal = factory.opportunity(account, owner_id=ae.id, type="new_business")
    csrf = _sign_in(client, ae.email)
    edit = client.get(f"/deals/{deal.id}/edit").text
    assert 'name="version" value="1"' in edit
    with factory.db.session() as session:
        session.get(Opportunity, deal.id).name = "Renamed elsewhere"  # type: ignore[union-attr]
    stale = client.post(
        f"/deals/{deal.id}/edit",
        data={
            "csrf_token": csrf,
            "version": "1",
            "name": "Mine",
            "stage": "proposal",
            "forecast_category": "pipeline",
            "close_date": date.today().isoformat(),
            "term_months": "12",
            "amount": "5000",
        },
    )
    assert stale.status_code == 409 and "Someone else changed this" in stale.text
    assert client.get(f"/pipeline?owner_id={other.id}").status_code == 404


def test_a_long_column_shows_its_soonest_cards_and_totals_every_deal(
    client, factory: Factory, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A stage with more deals than the board shows: the cards closing soonest, and the
    count and totals over every deal of the stage (another person's deals in none of them)."""
    from datetime import date, timedelta
    from decimal import Decimal

    from steward.pipeline import board

    monkeypatch.setattr(board, "CARDS_PER_COLUMN", 3)
    am, other = factory.user(role="am"), factory.user(role="am")
    account = factory.account(owner_am_id=am.id)
    soon = date.today() + timedelta(days=5)
    deals = [
        factory.opportunity(
            account,
            owner_id=am.id,
            stage="proposal",
            probability=55,
            amount_minor=1_000_01 * (i + 1),
            close_date=soon + timedelta(days=(7 * i) % 5),
        )
        for i in range(5)
    ]
    factory.opportunity(account, owner_id=am.id, stage="discovery", probability=20)
    factory.opportunity(factory.account(owner_am_id=other.id), owner_id=other.id)
    body = client.get("/api/v1/pipeline", headers=factory.headers(am)).json()
    proposal = next(c for c in body["columns"] if c["stage"] == "proposal")
    soonest = sorted(deals, key=lambda d: (d.close_date, d.id))[:3]
    assert [c["id"] for c in proposal["cards"]] == [d.id for d in soonest]
    assert proposal["deals"] == 5 and body["deals"] == 6
    amounts = [Decimal(d.amount_minor) / 100 for d in deals]
    assert Decimal(proposal["amount"]) == sum(amounts)
    weighted = sum((a * 55 / 100).quantize(Decimal("0.01")) for a in amounts)
    assert Decimal(proposal["weighted_amount"]) == weighted
    _sign_in(client, am.email)
    page = client.get("/pipeline")
    assert "the 3 closing soonest of 5" in page.text
