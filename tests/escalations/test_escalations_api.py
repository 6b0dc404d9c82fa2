"""Escalations: SLA target by severity, status history, resolution, breaches, the book rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import Factory


def test_an_escalation_is_opened_worked_and_resolved(client, factory: Factory) -> None:
    am = factory.user(role="am")
    account = factory.account(owner_am_id=am.id)
    contact = factory.contact(account)
    headers = factory.headers(am)
    created = client.post(
        "/api/v1/escalations",
        json={
            "account_id": account.id,
            "contact_id": contact.id,
            "title": "Exports fail for EU tenants",
            "severity": "p1",
            "team": "engineering",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    opened = datetime.fromisoformat(body["opened_at"])
    assert datetime.fromisoformat(body["sla_due_at"]) - opened == timedelta(hours=8)
    assert (body["status"], body["owner_id"], body["sla_breached"]) == ("open", am.id, False)
    url = f"/api/v1/escalations/{body['id']}"

    working = client.patch(
        url, json={"status": "in_progress", "note": "Eng on it"}, headers=headers
    )
    assert working.status_code == 200
    # Resolving needs a resolution, and says which field is missing.
    refused = client.patch(url, json={"status": "resolved"}, headers=headers)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "resolution"
    resolved = client.patch(
        url, json={"status": "resolved", "resolution": "Hotfix 4.2.1 deployed"}, headers=headers
    ).json()
    assert resolved["resolved_at"] is not None and resolved["sla_breached"] is False

    history = client.get(f"{url}/history", headers=headers).json()
    assert [(h["from_status"], h["to_status"], h["note"]) for h in history] == [
        (None, "open", None),
        ("open", "in_progress", "Eng on it"),
        ("in_progress", "resolved", None),
    ]
    # Raising the severity moves the target from the time it was opened.
    reopened = client.patch(url, json={"status": "open", "severity": "p2"}, headers=headers).json()
    assert reopened["resolved_at"] is None
    due = datetime.fromisoformat(reopened["sla_due_at"])
    assert due - datetime.fromisoformat(reopened["opened_at"]) == timedelta(hours=48)


def test_breaches_are_flagged_and_filtered(client, factory: Factory) -> None:
    am = factory.user(role="am")
    account = factory.account(owner_am_id=am.id)
    long_ago = datetime.now(UTC) - timedelta(days=3)
    late = factory.escalation(account, opened_at=long_ago, sla_due_at=long_ago + timedelta(hours=8))
    factory.escalation(account)  # within its target
    factory.escalation(  # resolved after its target: breached too
        account,
        opened_at=long_ago,
        sla_due_at=long_ago + timedelta(hours=8),
        status="resolved",
        resolved_at=long_ago + timedelta(days=1),
        resolution="done",
    )
    listed = client.get(
        "/api/v1/escalations?breached_only=true&unresolved_only=true",
        headers=factory.headers(am),
    ).json()
    assert [e["id"] for e in listed["items"]] == [late.id]
    assert listed["items"][0]["sla_breached"] is True
    every = client.get("/api/v1/escalations?breached_only=true", headers=factory.headers(am))
    assert every.json()["total"] == 2


def test_escalations_outside_the_book_are_not_found(client, factory: Factory) -> None:
    mine, other = factory.user(role="am"), factory.user(role="am")
    theirs = factory.account(owner_am_id=other.id)
    escalation = factory.escalation(theirs)
    headers = factory.headers(mine)
    assert client.get(f"/api/v1/escalations/{escalation.id}", headers=headers).status_code == 404
    assert (
        client.get(f"/api/v1/escalations/{escalation.id}/history", headers=headers).status_code
        == 404
    )
    refused = client.post(
        "/api/v1/escalations",
        json={"account_id": theirs.id, "title": "x", "severity": "p3", "team": "support"},
        headers=headers,
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "account_id"
    bad = client.post(
        "/api/v1/escalations",
        json={"account_id": theirs.id, "title": "x", "severity": "p9", "team": "support"},
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "severity"


def test_an_escalation_opened_for_someone_else_tells_its_owner(client, factory):  # type: ignore[no-untyped-def]
    am, csm = factory.user("am"), factory.user("csm")
    account = factory.account(name="Initech", owner_am_id=am.id, csm_id=csm.id)
    opened = client.post(
        "/api/v1/escalations",
        json={"account_id": account.id, "title": "SSO broken", "severity": "p1", "team": "support"},
        headers=factory.headers(csm),
    )
    assert opened.status_code == 201, opened.text
    bell = client.get("/api/v1/notifications", headers=factory.headers(am)).json()
    items = bell["items"] if isinstance(bell, dict) else bell
    assert [n["title"] for n in items] == ["P1 escalation on Initech: SSO broken"]
    assert items[0]["link"] == f"/escalations/{opened.json()['id']}"
    # Whoever opens their own escalation is not told about it.
    mine = client.post(
        "/api/v1/escalations",
        json={
            "account_id": account.id,
            "title": "x",
            "severity": "p3",
            "team": "support",
            "owner_id": csm.id,
        },
        headers=factory.headers(csm),
    )
    assert mine.status_code == 201
    theirs = client.get("/api/v1/notifications", headers=factory.headers(csm)).json()
    assert (theirs["items"] if isinstance(theirs, dict) else theirs) == []
