"""Shared success plans (issue 24): a contact opens the plan by a personal link with no login,
marks their own milestones done, comments and keeps their metrics; the team sees every action;
a revoked, expired or unknown link answers alike; a link reads and writes its own plan only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from steward.activities.models import Activity, ActivityType
from steward.app import create_app
from steward.config import Settings
from steward.db import Database
from steward.db.base import utcnow
from steward.delivery.models import Notification
from steward.plans.models import Milestone, PlanComment, PlanMetric, PlanShare
from tests.factories import Factory


def _plan(client: TestClient, factory: Factory) -> dict[str, Any]:
    """An AM's account with a plan: one milestone owned by the customer's side, one by ours."""
    am, csm = factory.user("am"), factory.user("csm")
    account = factory.account(owner_am_id=am.id, csm_id=csm.id, name="Globex")
    contact = factory.contact(account, first_name="Dana", last_name="Reyes")
    headers = factory.headers(am)
    plan = client.post(
        "/api/v1/success-plans",
        json={
            "account_id": account.id,
            "title": "FY27 outcomes",
            "outcomes": [{"description": "Close the books in 3 days", "success_measure": "≤ 3d"}],
        },
        headers=headers,
    ).json()
    url = f"/api/v1/success-plans/{plan['id']}"
    outcome_id = client.get(f"{url}/detail", headers=headers).json()["outcomes"][0]["id"]
    theirs = client.post(
        f"{url}/milestones",
        json={"title": "Connect the ledger", "contact_owner_id": contact.id},
        headers=headers,
    )
    assert theirs.status_code == 201, theirs.json()
    ours = client.post(f"{url}/milestones", json={"title": "Train finance"}, headers=headers)
    return {
        "am": am,
        "csm": csm,
        "account": account,
        "contact": contact,
        "headers": headers,
        "plan": plan,
        "url": url,
        "outcome_id": outcome_id,
        "theirs": theirs.json(),
        "ours": ours.json(),
    }


def _share(client: TestClient, world: dict[str, Any], days: int = 30) -> tuple[int, str]:
    shared = client.post(
        f"{world['url']}/shares",
        json={"contact_id": world["contact"].id, "expires_in_days": days},
        headers=world["headers"],
    )
    assert shared.status_code == 201, shared.json()
    body = shared.json()
    assert body["url"].startswith("http") and "/p/" in body["url"]
    return body["id"], "/p/" + body["url"].split("/p/", 1)[1]


def test_a_contact_works_on_the_plan_through_their_link(client, factory: Factory) -> None:
    world = _plan(client, factory)
    _, path = _share(client, world)
    client.cookies.clear()  # the customer has no Steward login

    page = client.get(path)
    assert page.status_code == 200
    assert "FY27 outcomes" in page.text and "Connect the ledger" in page.text
    assert "Our measure: ≤ 3d" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"

    theirs = world["theirs"]["id"]
    done = client.post(f"{path}/milestones/{theirs}/done", follow_redirects=False)
    assert done.status_code == 303, done.text
    commented = client.post(
        f"{path}/comments",
        data={"body": "Ledger connected; finance starts Monday.", "milestone_id": str(theirs)},
        follow_redirects=False,
    )
    assert commented.status_code == 303
    metric = client.post(
        f"{path}/metrics",
        data={
            "name": "Days to close",
            "unit": "days",
            "outcome_id": str(world["outcome_id"]),
            "baseline": "9",
            "current": "6.5",
            "target": "3",
        },
        follow_redirects=False,
    )
    assert metric.status_code == 303
    page = client.get(path)
    assert "Your measure: Days to close 6.5 days (target 3)" in page.text
    assert "Ledger connected; finance starts Monday." in page.text

    # The team sees all of it: the milestone, the timeline, a notification, the plan's page.
    headers = world["headers"]
    milestone = client.get(f"/api/v1/milestones/{theirs}", headers=headers).json()
    assert milestone["status"] == "done" and milestone["completed_at"] is not None
    with factory.db.session() as session:
        timeline = session.scalars(
            select(Activity).where(Activity.account_id == world["account"].id)
        ).all()
        subjects = {a.subject for a in timeline if a.type == ActivityType.PLAN_UPDATE}
        notified = session.scalars(
            select(Notification.title).where(Notification.user_id == world["csm"].id)
        ).all()
        assert {a.contact_id for a in timeline} == {world["contact"].id}
    assert subjects == {
        "Dana Reyes marked “Connect the ledger” done",
        "Dana Reyes commented on the success plan on “Connect the ledger”",
        "Dana Reyes added their metric “Days to close”",
    }
    assert len(notified) == 3 and all(t.startswith("Dana Reyes (Globex)") for t in notified)


def test_the_team_milestones_stay_the_teams(client, factory: Factory) -> None:
    world = _plan(client, factory)
    _, path = _share(client, world)
    client.cookies.clear()
    ours = world["ours"]["id"]
    refused = client.post(f"{path}/milestones/{ours}/done", follow_redirects=False)
    assert refused.status_code == 422
    assert "owned by the team" in refused.text
    page = client.get(path)
    assert f'action="{path}/milestones/{ours}/done"' not in page.text
    assert f'action="{path}/milestones/{world["theirs"]["id"]}/done"' in page.text
    with factory.db.session() as session:
        milestone = session.get(Milestone, ours)
        assert milestone is not None and milestone.status == "planned"


def test_revoked_expired_and_unknown_links_answer_alike(client, factory: Factory) -> None:
    world = _plan(client, factory)
    revoked_id, revoked = _share(client, world)
    expired_id, expired = _share(client, world)
    _, live = _share(client, world)
    gone = client.delete(f"{world['url']}/shares/{revoked_id}", headers=world["headers"])
    assert gone.status_code == 204
    with factory.db.session() as session:
        share = session.get(PlanShare, expired_id)
        assert share is not None
        share.expires_at = utcnow() - timedelta(minutes=1)
    listed = client.get(f"{world['url']}/shares", headers=world["headers"]).json()
    assert {s["id"] for s in listed if s["revoked_at"]} == {revoked_id}
    assert all("token" not in key for s in listed for key in s)

    client.cookies.clear()
    unknown = "/p/" + "x" * 43
    answers = [client.get(path) for path in (revoked, expired, unknown)]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1  # nothing tells them apart
    theirs = world["theirs"]["id"]
    for path in (revoked, expired, unknown):
        posted = client.post(f"{path}/milestones/{theirs}/done", follow_redirects=False)
        assert posted.status_code == 404
        comment = client.post(f"{path}/comments", data={"body": "hi"}, follow_redirects=False)
        assert comment.status_code == 404
    assert client.get(live).status_code == 200
    with factory.db.session() as session:
        assert session.get(Milestone, theirs).status == "planned"  # type: ignore[union-attr]
        assert session.scalars(select(PlanComment)).all() == []


def test_a_link_never_reaches_another_plan_or_account(client, factory: Factory) -> None:
    world = _plan(client, factory)
    other = _plan(client, factory)  # another account, another book
    _, path = _share(client, world)
    _, other_path = _share(client, other)
    client.cookies.clear()
    client.post(
        f"{other_path}/metrics", data={"name": "Tickets", "current": "40"}, follow_redirects=False
    )
    with factory.db.session() as session:
        other_metric = session.scalars(select(PlanMetric)).one().id

    foreign = other["theirs"]["id"]
    assert client.post(f"{path}/milestones/{foreign}/done").status_code == 404
    about_foreign = {"body": "x", "milestone_id": str(foreign)}
    assert client.post(f"{path}/comments", data=about_foreign).status_code == 404
    moved = client.post(f"{path}/metrics/{other_metric}", data={"name": "Tickets", "current": "1"})
    assert moved.status_code == 404
    wrong_outcome = client.post(
        f"{path}/metrics", data={"name": "Tickets", "outcome_id": str(other["outcome_id"])}
    )
    assert wrong_outcome.status_code == 422 and "no outcome" in wrong_outcome.text
    page = client.get(path).text
    assert "Tickets" not in page and other["theirs"]["title"] not in page.split("Milestones")[0]
    with factory.db.session() as session:
        assert session.get(Milestone, foreign).status == "planned"  # type: ignore[union-attr]
        metric = session.get(PlanMetric, other_metric)
        assert metric is not None and metric.current == 40
        assert session.scalars(select(PlanComment)).all() == []


def test_sharing_checks_its_input(client, factory: Factory) -> None:
    world = _plan(client, factory)
    stranger = factory.contact(factory.account(owner_am_id=world["am"].id))
    for body, field in (
        ({"contact_id": stranger.id}, "contact_id"),  # in the book, at another account
        ({"contact_id": world["contact"].id, "expires_in_days": 0}, "expires_in_days"),
        ({"contact_id": world["contact"].id, "expires_in_days": 1000}, "expires_in_days"),
        ({}, "contact_id"),
    ):
        answer = client.post(f"{world['url']}/shares", json=body, headers=world["headers"])
        assert answer.status_code == 422, body
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in str(answer.json()), (body, answer.json())
    outsider = factory.headers(factory.user("am"))
    hidden = client.post(
        f"{world['url']}/shares", json={"contact_id": world["contact"].id}, headers=outsider
    )
    assert hidden.status_code == 404
    _, path = _share(client, world)
    client.cookies.clear()
    bad = client.post(f"{path}/metrics", data={"name": "Days", "current": "six"})
    assert bad.status_code == 422 and "current" in bad.text.lower()
    empty = client.post(f"{path}/comments", data={"body": "  "})
    assert empty.status_code == 422
    with factory.db.session() as session:
        assert session.scalars(select(PlanMetric)).all() == []
        assert session.scalars(select(PlanComment)).all() == []


def test_a_link_is_rate_limited(tmp_path: Path, db: Database, factory: Factory) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="t", shared_link_rate_limit="3/minute")
    with TestClient(create_app(settings, db), raise_server_exceptions=False) as client:
        world = _plan(client, factory)
        _, path = _share(client, world)
        client.cookies.clear()
        answers = [client.get(path).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        limited = client.post(f"{path}/comments", data={"body": "spam"})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        with factory.db.session() as session:
            assert session.scalars(select(PlanComment)).all() == []
