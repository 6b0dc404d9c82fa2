"""Success plans (outcomes, milestones, progress) and account plans (goals, stakeholders,
whitespace), within the book of business."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import update

from steward.db.base import utcnow
from steward.plans.models import AccountPlan
from tests.factories import Factory


def test_a_success_plan_tracks_outcomes_and_milestones(client, factory: Factory) -> None:
    am, csm = factory.user(role="am"), factory.user(role="csm")
    account = factory.account(owner_am_id=am.id, csm_id=csm.id)
    headers = factory.headers(am)
    created = client.post(
        "/api/v1/success-plans",
        json={
            "account_id": account.id,
            "title": "FY27 outcomes",
            "outcomes": [
                {"description": "Cut month-end close to 3 days", "success_measure": "close ≤ 3d"},
                {"description": "Self-serve reporting for finance"},
            ],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.json()
    plan = created.json()
    assert plan["owner_id"] == csm.id  # the CSM owns outcomes unless someone is named
    url = f"/api/v1/success-plans/{plan['id']}"
    outcomes = client.get(f"{url}/detail", headers=headers).json()["outcomes"]
    assert [o["position"] for o in outcomes] == [0, 1]

    yesterday = (date.today() - timedelta(days=1)).isoformat()
    late = client.post(
        f"{url}/milestones",
        json={
            "title": "Close data connected",
            "due_date": yesterday,
            "outcome_id": outcomes[0]["id"],
        },
        headers=headers,
    ).json()
    assert (late["owner_id"], late["overdue"]) == (csm.id, True)
    client.post(f"{url}/milestones", json={"title": "Train finance"}, headers=headers)

    done = client.patch(
        f"/api/v1/milestones/{late['id']}", json={"status": "done"}, headers=headers
    ).json()
    assert done["completed_at"] is not None and done["overdue"] is False
    detail = client.get(f"{url}/detail", headers=headers).json()
    assert (detail["milestones_done"], detail["milestones_overdue"]) == (1, 0)
    assert len(detail["milestones"]) == 2

    reopened = client.patch(
        f"/api/v1/milestones/{late['id']}", json={"status": "in_progress"}, headers=headers
    ).json()
    assert reopened["completed_at"] is None and reopened["overdue"] is True

    achieved = client.patch(
        f"{url}/outcomes/{outcomes[0]['id']}", json={"status": "achieved"}, headers=headers
    )
    assert achieved.status_code == 200 and achieved.json()["status"] == "achieved"


def test_success_plan_input_is_checked_and_the_book_applies(client, factory: Factory) -> None:
    am, other = factory.user(role="am"), factory.user(role="am")
    account = factory.account(owner_am_id=am.id)
    foreign = factory.account(owner_am_id=other.id)
    headers = factory.headers(am)

    bad_dates = client.post(
        "/api/v1/success-plans",
        json={
            "account_id": account.id,
            "title": "x",
            "start_date": "2027-03-01",
            "target_date": "2027-01-01",
        },
        headers=headers,
    )
    assert bad_dates.status_code == 422
    assert bad_dates.json()["errors"][0]["field"] == "target_date"
    outside = client.post(
        "/api/v1/success-plans", json={"account_id": foreign.id, "title": "x"}, headers=headers
    )
    assert outside.status_code == 422 and outside.json()["errors"][0]["field"] == "account_id"

    theirs = client.post(
        "/api/v1/success-plans",
        json={"account_id": foreign.id, "title": "Theirs"},
        headers=factory.headers(other),
    ).json()
    milestone = client.post(
        f"/api/v1/success-plans/{theirs['id']}/milestones",
        json={"title": "Secret step"},
        headers=factory.headers(other),
    ).json()
    for url in (
        f"/api/v1/success-plans/{theirs['id']}",
        f"/api/v1/success-plans/{theirs['id']}/detail",
        f"/api/v1/milestones/{milestone['id']}",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
    blocked = client.patch(
        f"/api/v1/milestones/{milestone['id']}", json={"status": "done"}, headers=headers
    )
    assert blocked.status_code == 404
    listed = client.get("/api/v1/milestones", headers=headers).json()
    assert listed["total"] == 0
    still = client.get(f"/api/v1/milestones/{milestone['id']}", headers=factory.headers(other))
    assert still.json()["status"] == "planned"

    mine = client.post(
        "/api/v1/success-plans", json={"account_id": account.id, "title": "Mine"}, headers=headers
    ).json()
    wrong_outcome = client.post(
        f"/api/v1/success-plans/{mine['id']}/milestones",
        json={"title": "x", "outcome_id": 999999},
        headers=headers,
    )
    assert wrong_outcome.status_code == 422
    assert wrong_outcome.json()["errors"][0]["field"] == "outcome_id"


def test_an_account_plan_maps_stakeholders_and_whitespace(client, factory: Factory) -> None:
    am = factory.user(role="am")
    account = factory.account(owner_am_id=am.id, tier="strategic")
    headers = factory.headers(am)
    owned = factory.product(name="Core", list_price_minor=1_000_000)
    analytics = factory.product(name="Analytics", list_price_minor=2_400_000)
    sso = factory.product(name="SSO add-on", list_price_minor=300_000)
    factory.product(name="Setup fee", list_price_minor=900_000, is_recurring=False)
    expired = factory.contract(
        account,
        start=date.today() - timedelta(days=800),
        end=date.today() - timedelta(days=400),
        items=[{"product_id": sso.id}],
    )
    assert expired.id
    factory.contract(account, items=[{"product_id": owned.id}])
    factory.contact(account, first_name="Ana", deal_role="economic_buyer", sentiment="positive")
    factory.contact(account, first_name="Ben", deal_role="detractor", sentiment="negative")

    plan = client.get(f"/api/v1/accounts/{account.id}/plan", headers=headers).json()
    assert plan["plan_id"] is None
    # Not owned today: Analytics and SSO (its contract lapsed); one-time fees are no whitespace.
    assert [p["name"] for p in plan["whitespace"]] == ["Analytics", "SSO add-on"]  # dearest first
    assert (plan["whitespace"][0]["list_price"], plan["whitespace_total"]) == (
        "24000.00",
        "27000.00",
    )
    assert [s["name"].split()[0] for s in plan["stakeholders"]] == ["Ana", "Ben"]
    assert plan["missing_roles"] == ["decision_maker", "champion"]

    saved = client.put(
        f"/api/v1/accounts/{account.id}/plan",
        json={
            "period": "FY2027",
            "strategy": "Land analytics with finance, then expand to ops.",
            "goals": [
                {
                    "title": "Analytics for finance",
                    "product_id": analytics.id,
                    "target_arr": "24000",
                },
                {"title": "Exec sponsor QBR", "due_date": "2027-03-31"},
            ],
        },
        headers=headers,
    )
    assert saved.status_code == 200, saved.json()
    body = saved.json()
    assert body["plan_id"] and body["owner_id"] == am.id
    assert [(g["title"], g["product_name"], g["target_arr"]) for g in body["goals"]] == [
        ("Analytics for finance", "Analytics", "24000.00"),
        ("Exec sponsor QBR", None, None),
    ]
    # Saving again replaces the goals as a whole; a bad product changes nothing.
    refused = client.put(
        f"/api/v1/accounts/{account.id}/plan",
        json={"goals": [{"title": "x", "product_id": 999999}]},
        headers=headers,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "goals.0.product_id"
    again = client.get(f"/api/v1/accounts/{account.id}/plan", headers=headers).json()
    assert len(again["goals"]) == 2 and again["period"] == "FY2027"


def test_account_plans_are_for_key_and_strategic_accounts(client, factory: Factory) -> None:
    am, other = factory.user(role="am"), factory.user(role="am")
    standard = factory.account(owner_am_id=am.id, tier="standard")
    foreign = factory.account(owner_am_id=other.id, tier="key")
    headers = factory.headers(am)
    refused = client.get(f"/api/v1/accounts/{standard.id}/plan", headers=headers)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "tier"
    # Whitespace is there for every account in the book, and 404 outside it.
    assert (
        client.get(f"/api/v1/accounts/{standard.id}/whitespace", headers=headers).status_code == 200
    )
    for url in (f"/api/v1/accounts/{foreign.id}/plan", f"/api/v1/accounts/{foreign.id}/whitespace"):
        assert client.get(url, headers=headers).status_code == 404
    put = client.put(f"/api/v1/accounts/{foreign.id}/plan", json={"goals": []}, headers=headers)
    assert put.status_code == 404


def test_saving_only_a_plans_goals_dates_the_plan_saved_now(client, factory: Factory) -> None:
    """The plan's "saved" date is its last save, goals included: a save that changed only the
    goals kept the old date (a plan saved just after midnight read "saved yesterday")."""
    am = factory.user(role="am")
    account = factory.account(owner_am_id=am.id, tier="strategic")
    headers = factory.headers(am)
    url = f"/api/v1/accounts/{account.id}/plan"
    plan = {"period": "FY2027", "strategy": "Expand.", "goals": [{"title": "One"}]}
    first = client.put(url, json=plan, headers=headers).json()
    with factory.db.session() as session:
        session.execute(
            update(AccountPlan)
            .where(AccountPlan.id == first["plan_id"])
            .values(updated_at=utcnow() - timedelta(days=3))
        )
    before = utcnow()
    plan["goals"] = [{"title": "One"}, {"title": "Two"}]
    saved = client.put(url, json=plan, headers=headers)
    assert saved.status_code == 200, saved.json()
    assert [g["title"] for g in saved.json()["goals"]] == ["One", "Two"]
    assert datetime.fromisoformat(saved.json()["updated_at"]) >= before
