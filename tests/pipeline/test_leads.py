"""Leads (issue 21 §2): routing by rule and round robin, a score with its reasons, who reads
a lead, and conversion to account + contact + opportunity in one transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from steward.accounts.models import Account
from steward.opportunities.models import Opportunity
from tests.factories import Factory

LEAD = {
    "company": "Initech",
    "first_name": "Peter",
    "last_name": "Gibbons",
    "email": "peter@initech.example",
}


def test_leads_route_by_rule_round_robin_and_score_with_reasons(
    client: Any, factory: Factory
) -> None:
    enterprise, emea = factory.team("Enterprise AEs"), factory.team("EMEA AEs")
    ae1, ae2 = factory.user("ae", enterprise), factory.user("ae", enterprise)
    ae3 = factory.user("ae", emea)
    admin = factory.headers(factory.user("admin"))
    for position, body in enumerate(
        [
            {"name": "Enterprise", "segment": "enterprise", "team_id": enterprise.id},
            {"name": "EMEA", "region": "EMEA", "team_id": emea.id},
        ],
        start=1,
    ):
        made = client.post(
            "/api/v1/lead-routing-rules", json=body | {"position": position}, headers=admin
        )
        assert made.status_code == 201, made.text
    clash = client.post(
        "/api/v1/lead-routing-rules",
        json={"name": "x", "position": 1, "team_id": emea.id},
        headers=admin,
    )
    assert clash.status_code == 422 and "position" in clash.text
    owners = []
    for _ in range(3):
        lead = client.post(
            "/api/v1/leads", json=LEAD | {"segment": "enterprise", "region": "EMEA"}, headers=admin
        )
        assert lead.status_code == 201, lead.text
        assert lead.json()["team_id"] == enterprise.id  # the first matching rule wins
        owners.append(lead.json()["owner_id"])
    assert owners == [ae1.id, ae2.id, ae1.id]
    emea_lead = client.post("/api/v1/leads", json=LEAD | {"region": "emea"}, headers=admin)
    assert emea_lead.json()["owner_id"] == ae3.id
    nowhere = client.post("/api/v1/leads", json=LEAD | {"region": "APAC"}, headers=admin).json()
    assert nowhere["owner_id"] is None and nowhere["team_id"] is None

    scored = client.post(
        "/api/v1/leads",
        json=LEAD
        | {
            "source": "referral",
            "budget_confirmed": True,
            "timeline": "this_quarter",
            "need": "Churn is eating us",
        },
        headers=admin,
    ).json()
    assert scored["score"] == 25 + 15 + 20 + 15 == sum(p["points"] for p in scored["score_parts"])
    assert "budget confirmed" in {p["reason"] for p in scored["score_parts"]}
    # Who reads which: an AE their own, not a colleague's; a stranger nothing.
    mine = client.get("/api/v1/leads", headers=factory.headers(ae3)).json()
    assert [x["id"] for x in mine["items"]] == [emea_lead.json()["id"]]
    theirs = emea_lead.json()["id"]
    for method, url, body in (
        ("GET", f"/api/v1/leads/{theirs}", None),
        ("PATCH", f"/api/v1/leads/{theirs}", {"status": "working"}),
        ("POST", f"/api/v1/leads/{theirs}/convert", {}),
    ):
        other = client.request(method, url, json=body, headers=factory.headers(ae1))
        assert other.status_code == 404, (method, other.text)
    unchanged = client.get(f"/api/v1/leads/{theirs}", headers=factory.headers(ae3)).json()
    assert unchanged["status"] == "new" and unchanged["converted_account_id"] is None
    refused = client.post(
        "/api/v1/leads", json=LEAD | {"owner_id": ae1.id}, headers=factory.headers(ae3)
    )
    assert refused.status_code == 422 and "owner_id" in refused.text


def test_converting_a_lead_makes_its_account_contact_and_deal_at_once(
    client: Any, factory: Factory
) -> None:
    ae = factory.user("ae")
    headers = factory.headers(ae)
    lead = client.post(
        "/api/v1/leads",
        json=LEAD | {"owner_id": ae.id, "segment": "mid_market", "industry": "Software"},
        headers=headers,
    )
    assert lead.status_code == 201, lead.text
    lead_id = lead.json()["id"]
    disqualify = client.patch(
        f"/api/v1/leads/{lead_id}", json={"status": "disqualified"}, headers=headers
    )
    assert disqualify.status_code == 422 and "disqualified_reason" in disqualify.text
    converted = client.post(
        f"/api/v1/leads/{lead_id}/convert",
        json={"amount": "48000", "opportunity_name": "Initech pilot"},
        headers=headers,
    )
    assert converted.status_code == 201, converted.text
    ids = converted.json()
    account = client.get(f"/api/v1/accounts/{ids['account_id']}", headers=headers).json()
    assert (account["name"], account["lifecycle_stage"], account["ae_id"]) == (
        "Initech",
        "prospect",
        ae.id,
    )
    contact = client.get(f"/api/v1/contacts/{ids['contact_id']}", headers=headers).json()
    assert contact["email"] == "peter@initech.example"
    deal = client.get(f"/api/v1/opportunities/{ids['opportunity_id']}", headers=headers).json()
    assert (deal["type"], deal["amount"], deal["owner_id"]) == ("new_business", "48000.00", ae.id)
    after = client.get(f"/api/v1/leads/{lead_id}", headers=headers).json()
    assert after["status"] == "converted" and after["converted_account_id"] == ids["account_id"]
    again = client.post(f"/api/v1/leads/{lead_id}/convert", json={}, headers=headers)
    assert again.status_code == 422
    # A conversion that fails writes nothing: no account, no deal.
    second = client.post(
        "/api/v1/leads", json=LEAD | {"owner_id": ae.id, "company": "Umbrella"}, headers=headers
    ).json()
    with factory.db.session() as session:
        before = session.scalar(select(func.count()).select_from(Account))
    failed = client.post(
        f"/api/v1/leads/{second['id']}/convert", json={"close_date": "not a day"}, headers=headers
    )
    assert failed.status_code == 422
    with factory.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == before
        assert (
            session.scalar(
                select(func.count())
                .select_from(Opportunity)
                .where(Opportunity.name.like("Umbrella%"))
            )
            == 0
        )


def test_a_lead_is_added_qualified_and_converted_through_the_pages(
    client: Any, factory: Factory
) -> None:
    from tests.pipeline.test_pipeline_pages import _sign_in

    ae = factory.user("ae")
    csrf = _sign_in(client, ae.email)
    empty = client.post("/leads/new", data={"csrf_token": csrf, "company": ""})
    assert empty.status_code == 422 and "field-error" in empty.text
    added = client.post(
        "/leads/new",
        data={
            "csrf_token": csrf,
            "company": "Hooli",
            "first_name": "Gavin",
            "last_name": "Belson",
            "source": "event",
            "timeline": "unknown",
            "owner_id": str(ae.id),
        },
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    lead_page = added.headers["location"].split("?")[0]
    qualified = client.post(
        lead_page,
        data={
            "csrf_token": csrf,
            "version": "1",
            "company": "Hooli",
            "first_name": "Gavin",
            "last_name": "Belson",
            "source": "event",
            "timeline": "this_quarter",
            "budget_confirmed": "on",
            "status": "qualified",
            "owner_id": str(ae.id),
        },
        follow_redirects=False,
    )
    assert qualified.status_code == 303, qualified.text
    shown = client.get(lead_page).text
    assert 'data-testid="lead-score">53<' in shown  # 25 budget + 20 timeline + 8 event
    stale = client.post(f"{lead_page}/convert", data={"csrf_token": csrf, "version": "1"})
    assert stale.status_code == 409
    converted = client.post(
        f"{lead_page}/convert",
        data={"csrf_token": csrf, "version": "2", "amount": "9000"},
        follow_redirects=False,
    )
    assert converted.status_code == 303, converted.text
    assert "/deals/" in converted.headers["location"]
    assert "Lead converted" in client.get(converted.headers["location"]).text
    assert "Hooli" in client.get("/leads?status=converted").text
