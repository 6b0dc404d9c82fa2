"""Onboarding: a new customer's contract starts a project from the segment's template; the value
milestone measures time-to-value."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from steward.onboarding.models import OnboardingProject
from tests.factories import Factory


def _contract_body(account_id: int, product_id: int, start: date, **extra: object) -> dict:
    return {
        "account_id": account_id,
        "name": "Order form",
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=365)).isoformat(),
        "line_items": [
            {
                "product_id": product_id,
                "quantity": 5,
                "unit_price": "1000",
                "billing_period": "annual",
            }
        ],
    } | extra


def test_a_new_customer_contract_starts_onboarding_from_its_segment_template(
    client, factory: Factory
) -> None:
    admin = factory.user(role="admin")
    am, csm = factory.user(role="am"), factory.user(role="csm")
    account = factory.account(owner_am_id=am.id, csm_id=csm.id, segment="enterprise")
    product = factory.product()
    template = client.post(
        "/api/v1/onboarding/templates",
        json={
            "name": "Enterprise onboarding",
            "segment": "enterprise",
            "steps": [
                {"title": "Kick-off", "due_in_days": 5},
                {"title": "SSO live", "due_in_days": 20, "assign_to": "csm"},
                {
                    "title": "First report used",
                    "due_in_days": 40,
                    "assign_to": "csm",
                    "marks_value": True,
                },
                {"title": "Review", "due_in_days": 60},
            ],
        },
        headers=factory.headers(admin),
    )
    assert template.status_code == 201, template.json()
    # Another segment's template is not used for this account.
    client.post(
        "/api/v1/onboarding/templates",
        json={"name": "SMB", "segment": "smb", "steps": [{"title": "Welcome e-mail"}]},
        headers=factory.headers(admin),
    )

    headers = factory.headers(am)
    start = date.today() - timedelta(days=30)
    contract = client.post(
        "/api/v1/contracts", json=_contract_body(account.id, product.id, start), headers=headers
    )
    assert contract.status_code == 201, contract.json()
    projects = client.get(
        "/api/v1/onboarding/projects", params={"account_id": account.id}, headers=headers
    ).json()
    assert projects["total"] == 1
    project = projects["items"][0]
    assert (project["contract_id"], project["owner_id"], project["status"]) == (
        contract.json()["id"],
        csm.id,
        "active",
    )
    assert project["target_value_on"] == (start + timedelta(days=40)).isoformat()
    detail = client.get(
        f"/api/v1/onboarding/projects/{project['id']}/detail", headers=headers
    ).json()
    steps = detail["milestones"]
    assert [(m["title"], m["owner_id"], m["due_date"]) for m in steps] == [
        ("Kick-off", am.id, (start + timedelta(days=5)).isoformat()),
        ("SSO live", csm.id, (start + timedelta(days=20)).isoformat()),
        ("First report used", csm.id, (start + timedelta(days=40)).isoformat()),
        ("Review", am.id, (start + timedelta(days=60)).isoformat()),
    ]
    assert [m["overdue"] for m in steps] == [True, True, False, False]

    # The value milestone done: time-to-value is measured (30 days after the start: today).
    value = steps[2]
    client.patch(f"/api/v1/milestones/{value['id']}", json={"status": "done"}, headers=headers)
    reached = client.get(f"/api/v1/onboarding/projects/{project['id']}", headers=headers).json()
    assert (reached["value_reached_on"], reached["days_to_value"]) == (date.today().isoformat(), 30)
    report = client.get(
        "/api/v1/onboarding/time-to-value", params={"by": "segment"}, headers=headers
    ).json()
    assert report["groups"] == [
        {
            "group": "enterprise",
            "projects": 1,
            "reached": 1,
            "median_days": 30.0,
            "p80_days": 30.0,
            "on_time_share": 1.0,
            "open_overdue": 0,
        }
    ]
    # Every step finished: the project completes; reopening one makes it active again.
    for step in steps:
        if step["id"] != value["id"]:
            client.patch(
                f"/api/v1/milestones/{step['id']}", json={"status": "skipped"}, headers=headers
            )
    finished = client.get(f"/api/v1/onboarding/projects/{project['id']}", headers=headers).json()
    assert finished["status"] == "completed" and finished["completed_at"]
    client.patch(
        f"/api/v1/milestones/{value['id']}", json={"status": "in_progress"}, headers=headers
    )
    back = client.get(f"/api/v1/onboarding/projects/{project['id']}", headers=headers).json()
    assert (back["status"], back["value_reached_on"], back["days_to_value"]) == (
        "active",
        None,
        None,
    )


def test_only_new_relationships_start_onboarding(client, factory: Factory, db) -> None:
    am = factory.user(role="am")
    account = factory.account(owner_am_id=am.id, segment="smb")
    product = factory.product()
    headers = factory.headers(am)
    start = date.today() - timedelta(days=10)
    first = client.post(
        "/api/v1/contracts", json=_contract_body(account.id, product.id, start), headers=headers
    ).json()
    # A cross-sell beside the live contract, and its renewal, continue the relationship.
    client.post(
        "/api/v1/contracts",
        json=_contract_body(account.id, product.id, start + timedelta(days=5)),
        headers=headers,
    )
    renewal = client.post(
        "/api/v1/contracts",
        json=_contract_body(
            account.id, product.id, start + timedelta(days=365), renewal_of_id=first["id"]
        ),
        headers=headers,
    )
    assert renewal.status_code == 201
    with db.session() as session:
        projects = list(session.scalars(select(OnboardingProject)))
    assert [p.contract_id for p in projects] == [first["id"]]
    # Without a template of the admin's, the starter steps are used, value marked.
    detail = client.get(
        f"/api/v1/onboarding/projects/{projects[0].id}/detail", headers=headers
    ).json()
    assert len(detail["milestones"]) == 6
    assert [m["marks_value"] for m in detail["milestones"]].count(True) == 1
    # Starting one by hand for a contract that has one is a conflict.
    again = client.post(
        "/api/v1/onboarding/projects", json={"contract_id": first["id"]}, headers=headers
    )
    assert again.status_code == 409


def test_templates_are_admin_only_and_checked(client, factory: Factory) -> None:
    am, admin = factory.user(role="am"), factory.user(role="admin")
    body = {"name": "T", "steps": [{"title": "Kick-off"}]}
    assert (
        client.post(
            "/api/v1/onboarding/templates", json=body, headers=factory.headers(am)
        ).status_code
        == 403
    )
    empty = client.post(
        "/api/v1/onboarding/templates",
        json={"name": "T", "steps": []},
        headers=factory.headers(admin),
    )
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "steps"
    bad = client.post(
        "/api/v1/onboarding/templates",
        json={"name": "T", "steps": [{"title": "x", "assign_to": "ceo"}]},
        headers=factory.headers(admin),
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "steps.0.assign_to"
    client.post("/api/v1/onboarding/templates", json=body, headers=factory.headers(admin))
    dup = client.post("/api/v1/onboarding/templates", json=body, headers=factory.headers(admin))
    assert dup.status_code == 422 and dup.json()["errors"][0]["field"] == "name"
    report = client.get(
        "/api/v1/onboarding/time-to-value", params={"by": "planet"}, headers=factory.headers(am)
    )
    assert report.status_code == 422 and report.json()["errors"][0]["field"] == "by"
