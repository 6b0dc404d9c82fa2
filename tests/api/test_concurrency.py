"""Concurrent edits of one record (issue 7 §5): they serialise or answer 409, never lose an
update. Writers race for real: one thread and one client each, released together."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from steward.core.audit import AuditEvent
from steward.opportunities.models import Opportunity
from steward.tasks.models import Task
from tests.factories import Factory

WRITERS = 6


def _race(app: Any, calls: list[Callable[[TestClient], Any]]) -> list[Any]:
    """Runs every call at once, each on its own client and thread."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        with TestClient(app, raise_server_exceptions=False) as client:
            start.wait()
            results[index] = calls[index](client)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _updates(factory: Factory, entity_type: str, entity_id: int) -> int:
    with factory.db.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.entity_type == entity_type,
                    AuditEvent.entity_id == entity_id,
                    AuditEvent.action == "update",
                )
            )
            or 0
        )


def test_a_write_against_an_older_version_answers_409(client, factory: Factory) -> None:
    am = factory.user("am")
    account = factory.account(owner_am_id=am.id)
    deal = factory.opportunity(account)
    headers = factory.headers(am)
    for url, first, second in (
        (f"/api/v1/opportunities/{deal.id}", {"stage": "negotiation"}, {"stage": "discovery"}),
        (f"/api/v1/accounts/{account.id}", {"industry": "First"}, {"industry": "Second"}),
    ):
        read = client.get(url, headers=headers)
        tag = read.headers["ETag"]
        saved = client.patch(url, json=first, headers=headers | {"If-Match": tag})
        assert saved.status_code == 200, saved.text
        assert saved.headers["ETag"] != tag
        stale = client.patch(url, json=second, headers=headers | {"If-Match": tag})
        assert stale.status_code == 409, stale.text
        assert "reload" in stale.json()["detail"]
        assert client.get(url, headers=headers).json() == saved.json()
        fresh = client.patch(
            url, json=second, headers=headers | {"If-Match": saved.headers["ETag"]}
        )
        assert fresh.status_code == 200, fresh.text


def test_racing_stage_changes_from_the_same_version_let_exactly_one_win(
    app, factory: Factory
) -> None:
    am = factory.user("am")
    deal = factory.opportunity(factory.account(owner_am_id=am.id))
    headers = factory.headers(am) | {"If-Match": '"1"'}
    # Every writer changes the stage (the factory's is "proposal"): a no-op write issues no
    # UPDATE, so it rightly succeeds when it reads version 1 before the winner commits.
    stages = ["discovery", "qualification", "negotiation"] * 2
    responses = _race(
        app,
        [
            lambda c, s=stage: c.patch(  # type: ignore[misc]
                f"/api/v1/opportunities/{deal.id}", json={"stage": s}, headers=headers
            )
            for stage in stages[:WRITERS]
        ],
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * (WRITERS - 1), [r.text for r in responses]
    winner = next(r.json() for r in responses if r.status_code == 200)
    with factory.db.session() as session:
        stored = session.get(Opportunity, deal.id)
        assert stored is not None and (stored.stage, stored.version) == (winner["stage"], 2)
    assert _updates(factory, "opportunities", deal.id) == 1


def test_racing_edits_without_a_version_serialise_or_conflict(app, factory: Factory) -> None:
    am = factory.user("am")
    task = factory.task(factory.account(owner_am_id=am.id), assignee_id=am.id)
    headers = factory.headers(am)
    responses = _race(
        app,
        [
            lambda c, i=i: c.patch(  # type: ignore[misc]
                f"/api/v1/tasks/{task.id}", json={"title": f"Writer {i}"}, headers=headers
            )
            for i in range(WRITERS)
        ],
    )
    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 409}, [r.text for r in responses]
    won = codes.count(200)
    assert won >= 1
    with factory.db.session() as session:
        stored = session.get(Task, task.id)
        assert stored is not None
        # Every success is a version of its own: none was overwritten unseen.
        assert stored.version == 1 + won
    assert _updates(factory, "tasks", task.id) == won


def test_closing_a_deal_twice_at_once_closes_and_hands_off_once(app, factory: Factory) -> None:
    ae, am, csm = factory.user("ae"), factory.user("am"), factory.user("csm")
    account = factory.account(ae_id=ae.id, owner_am_id=am.id, csm_id=csm.id)
    deal = factory.opportunity(account, type="new_business")
    headers = factory.headers(ae)
    responses = _race(
        app,
        [
            lambda c: c.post(
                f"/api/v1/opportunities/{deal.id}/close", json={"outcome": "won"}, headers=headers
            )
            for _ in range(WRITERS)
        ],
    )
    codes = sorted(r.status_code for r in responses)
    assert codes.count(200) == 1, [r.text for r in responses]
    assert set(codes) <= {200, 409, 422}
    with factory.db.session() as session:
        handoffs = session.scalar(
            select(func.count()).select_from(Task).where(Task.account_id == account.id)
        )
    assert handoffs == 2  # one hand-off: the AM's task and the CSM's
    assert _updates(factory, "opportunities", deal.id) == 1
