from __future__ import annotations

from datetime import date, timedelta

from tests.factories import Factory


def test_winning_new_business_hands_the_account_to_an_am_and_csm(client, factory: Factory) -> None:
    ae, am, csm = factory.user("ae"), factory.user("am"), factory.user("csm")
    prospect = factory.account(lifecycle_stage="prospect", ae_id=ae.id)
    headers = factory.headers(ae)
    deal = client.post(
        "/api/v1/opportunities",
        json={
            "account_id": prospect.id,
            "name": "Initial deal",
            "type": "new_business",
            "amount": "48000.00",
            "close_date": (date.today() + timedelta(days=10)).isoformat(),
        },
        headers=headers,
    )
    assert deal.status_code == 201, deal.text
    assert deal.json()["probability"] == 10  # the stage's default
    closed = client.post(
        f"/api/v1/opportunities/{deal.json()['id']}/close",
        json={
            "outcome": "won",
            "reason": "Champion in ops",
            "handoff": {"owner_am_id": am.id, "csm_id": csm.id},
        },
        headers=headers,
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["stage"] == "closed_won" and closed.json()["forecast_category"] == "closed"
    account = client.get(f"/api/v1/accounts/{prospect.id}", headers=factory.headers(am)).json()
    assert account["owner_am_id"] == am.id and account["csm_id"] == csm.id
    assert account["lifecycle_stage"] == "onboarding"
    tasks = client.get(
        f"/api/v1/tasks?account_id={prospect.id}", headers=factory.headers(am)
    ).json()
    assert sorted(t["assignee_id"] for t in tasks["items"]) == sorted([am.id, csm.id])
    assert {t["source"] for t in tasks["items"]} == {"handoff"}
    again = client.post(
        f"/api/v1/opportunities/{deal.json()['id']}/close",
        json={"outcome": "lost", "reason": "x"},
        headers=headers,
    )
    assert again.status_code == 422


def test_losing_needs_a_reason_and_stage_edits_keep_probability_in_step(
    client, factory: Factory
) -> None:
    am = factory.user("am")
    account = factory.account(owner_am_id=am.id)
    deal = factory.opportunity(account, stage="discovery", probability=40)
    headers = factory.headers(am)
    moved = client.patch(
        f"/api/v1/opportunities/{deal.id}", json={"stage": "negotiation"}, headers=headers
    )
    assert moved.json()["probability"] == 80
    closing = client.patch(
        f"/api/v1/opportunities/{deal.id}", json={"stage": "closed_won"}, headers=headers
    )
    assert closing.status_code == 422 and closing.json()["errors"][0]["field"] == "stage"
    lost = client.post(
        f"/api/v1/opportunities/{deal.id}/close", json={"outcome": "lost"}, headers=headers
    )
    assert lost.status_code == 422 and lost.json()["errors"][0]["field"] == "reason"


def test_archive_and_restore_an_account(client, factory: Factory) -> None:
    am = factory.user("am")
    account = factory.account(owner_am_id=am.id)
    headers = factory.headers(am)
    assert client.delete(f"/api/v1/accounts/{account.id}", headers=headers).status_code == 200
    assert client.get("/api/v1/accounts", headers=headers).json()["total"] == 0
    archived = client.get("/api/v1/accounts?include_archived=true", headers=headers).json()
    assert archived["items"][0]["archived_at"] is not None
    assert client.post(f"/api/v1/accounts/{account.id}/restore", headers=headers).status_code == 200
    assert client.get("/api/v1/accounts", headers=headers).json()["total"] == 1


def test_hierarchy_cycles_are_refused(client, factory: Factory) -> None:
    admin = factory.user("admin")
    parent = factory.account()
    child = factory.account(parent_id=parent.id)
    response = client.patch(
        f"/api/v1/accounts/{parent.id}",
        json={"parent_id": child.id},
        headers=factory.headers(admin),
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "parent_id"
