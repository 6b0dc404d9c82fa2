"""Onboarding: a new customer's contract starts a project from the segment's template; the value
milestone measures time-to-value."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

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


def _trail(session, entity_type: str, entity_id: int) -> list[tuple[str, dict, dict]]:
    """An entity's audit events without what differs between two equal writes (ids, times)."""
    from steward.core.audit import AuditEvent

    volatile = {"id", "account_id", "contract_id", "onboarding_project_id", "created_at"}
    volatile |= {"updated_at", "completed_at", "name"}
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.id)
    )
    return [
        (
            e.action,
            {k: v for k, v in (e.before or {}).items() if k not in volatile},
            {k: v for k, v in (e.after or {}).items() if k not in volatile},
        )
        for e in events
    ]


def test_a_catch_up_of_many_contracts_writes_what_one_at_a_time_writes(
    factory: Factory, db
) -> None:
    """The bulk catch-up (demo, direct loads) and the one-contract path leave the same projects,
    milestones and audit trail; so does refreshing progress for many projects at once."""
    from steward.onboarding.service import (
        refresh_progress,
        refresh_progress_of,
        start_missing_projects,
        start_project,
    )
    from steward.plans.models import Milestone, MilestoneStatus

    csm = factory.user(role="csm")
    start = date.today() - timedelta(days=20)
    one = factory.contract(factory.account(csm_id=csm.id, segment="smb"), start=start)
    prospects = [
        factory.account(csm_id=csm.id, segment="smb", lifecycle_stage="prospect") for _ in range(3)
    ]
    many = [factory.contract(a, start=start) for a in prospects]
    # A cross-sell beside a live contract and a renewal continue a relationship: no project.
    factory.contract(prospects[0], start=start + timedelta(days=5))
    factory.contract(prospects[1], start=start + timedelta(days=3), renewal_of_id=many[1].id)
    with db.session() as session:
        single = start_project(session, None, session.get(type(one), one.id))
        assert start_missing_projects(session, date.today()) == 3
        projects = {p.contract_id: p for p in session.scalars(select(OnboardingProject))}
        assert set(projects) == {one.id, *(c.id for c in many)}
        bulk = [projects[c.id] for c in many]
        for project in [single, *bulk]:
            for step in session.scalars(
                select(Milestone).where(Milestone.onboarding_project_id == project.id)
            ):
                step.status = MilestoneStatus.DONE
                step.completed_at = datetime(2026, 1, 5, 12, tzinfo=UTC)
        session.flush()
        refresh_progress(session, single.id)
        refresh_progress_of(session, bulk)
        session.commit()
        assert [e[0] for e in _trail(session, "onboarding_projects", single.id)] == [
            "create",
            "update",
        ]
        for project in bulk:
            assert project.status == "completed"
            assert project.value_reached_on == date(2026, 1, 5)
            assert _trail(session, "onboarding_projects", project.id) == _trail(
                session, "onboarding_projects", single.id
            )
            steps = session.scalars(
                select(Milestone.id)
                .where(Milestone.onboarding_project_id == project.id)
                .order_by(Milestone.position)
            ).all()
            single_steps = session.scalars(
                select(Milestone.id)
                .where(Milestone.onboarding_project_id == single.id)
                .order_by(Milestone.position)
            ).all()
            assert len(steps) == len(single_steps) == 6
            for mine, theirs in zip(steps, single_steps, strict=True):
                assert _trail(session, "milestones", mine) == _trail(session, "milestones", theirs)
        # A prospect that starts a relationship is onboarding now, and the trail says so.
        for account in prospects:
            assert _trail(session, "accounts", account.id)[-1][2] == {
                "lifecycle_stage": "onboarding",
                "version": 2,
            }


def test_time_to_value_counts_the_readers_book_only(client, factory: Factory) -> None:
    """Figures from the projects' dates alone, still within the reader's book: another AM's
    project is in the director's figures, not the AM's."""
    am, other, director = (
        factory.user(role="am"),
        factory.user(role="am"),
        factory.user(role="director"),
    )
    started = date.today() - timedelta(days=50)
    mine = factory.contract(factory.account(owner_am_id=am.id, segment="smb"), start=started)
    theirs = factory.contract(factory.account(owner_am_id=other.id, segment="smb"), start=started)
    factory.onboarding_project(mine, value_reached_on=started + timedelta(days=10))
    late = factory.onboarding_project(
        theirs, target_value_on=started + timedelta(days=20), value_reached_on=None
    )

    def smb(user) -> dict:  # type: ignore[no-untyped-def]
        answer = client.get(
            "/api/v1/onboarding/time-to-value",
            params={"by": "segment"},
            headers=factory.headers(user),
        )
        assert answer.status_code == 200, answer.json()
        return {g["group"]: g for g in answer.json()["groups"]}["smb"]

    assert (smb(am)["projects"], smb(am)["reached"], smb(am)["open_overdue"]) == (1, 1, 0)
    assert smb(am)["median_days"] == 10.0
    both = smb(director)
    assert (both["projects"], both["reached"], both["open_overdue"]) == (2, 1, 1)
    # The figures are kept per workspace revision: a write is in the next answer.
    with factory.db.session() as session:
        project = session.get(OnboardingProject, late.id)
        assert project is not None
        project.value_reached_on = started + timedelta(days=30)
    again = smb(director)
    assert (again["reached"], again["open_overdue"], again["median_days"]) == (2, 0, 20.0)
