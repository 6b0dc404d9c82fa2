"""Scoring the book: measures from ingested usage and the CRM, stored with components and
explanations; churned accounts stay frozen; a re-run of the day replaces it."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import select, update

from steward.accounts.models import Account
from steward.health.models import HealthScore
from steward.health.service import compute_scores
from steward.usage.service import create_source
from tests.factories import Factory

AS_OF = date(2026, 11, 20)


def test_scores_are_computed_stored_and_explained(client, factory: Factory, tmp_path: Path) -> None:
    seat = factory.product(is_per_seat=True)
    busy = factory.account(external_id="BUSY", last_touch_at=datetime(2026, 11, 18, tzinfo=UTC))
    fading = factory.account(external_id="FADING", last_touch_at=datetime(2026, 8, 1, tzinfo=UTC))
    gone = factory.account(external_id="GONE", lifecycle_stage="churned")
    for account in (busy, fading):
        factory.contract(
            account,
            start=date(2026, 1, 1),
            end=date(2027, 1, 1),
            items=[{"product_id": seat.id, "quantity": 4}],
        )
    with factory.db.session() as session:
        _, key = create_source(session, "app", actor_id=None)
    headers = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    events, n = [], 0
    for account, recent_users, prior_users in (("BUSY", 4, 3), ("FADING", 1, 4)):
        for users, days_ago in ((recent_users, 5), (prior_users, 40)):
            for u in range(users):
                n += 1
                day = AS_OF - timedelta(days=days_ago)
                events.append(
                    {
                        "type": "track",
                        "event": "Report Exported",
                        "userId": f"{account}-{u}",
                        "context": {"groupId": account},
                        "messageId": f"m{n}",
                        "timestamp": f"{day.isoformat()}T10:00:00Z",
                    }
                )
    assert client.post("/v1/batch", json={"batch": events}, headers=headers).status_code == 200
    factory.escalation(fading, severity="p1")

    run = compute_scores(factory.db, tmp_path / "a.duckdb", AS_OF, ("Report Exported",))
    assert (run.events_synced, run.frozen) == (len(events), 1)
    with factory.db.session() as session:
        scores = {s.account_id: s for s in session.scalars(select(HealthScore))}
    assert gone.id not in scores
    healthy, risky = scores[busy.id], scores[fading.id]
    assert healthy.band == "green" and risky.band == "red", (healthy.score, risky.score)
    parts = {c["measure"]: c for c in orjson.loads(risky.components)}
    assert parts["usage_trend"]["value"] == -0.75  # 1 active user now, 4 before
    assert parts["utilisation"]["value"] == 0.25  # 1 of 4 seats
    assert parts["open_escalations"]["value"] == 1.0
    assert risky.explanation.startswith("red because usage fell 75% in 30 days")

    # The same day again replaces the scores; a later day explains the change.
    compute_scores(factory.db, tmp_path / "a.duckdb", AS_OF, ("Report Exported",))
    with factory.db.session() as session:
        session.execute(
            update(Account)
            .where(Account.id == fading.id)
            .values(last_touch_at=datetime(2026, 11, 26, tzinfo=UTC))
        )
    compute_scores(
        factory.db, tmp_path / "a.duckdb", AS_OF + timedelta(days=7), ("Report Exported",)
    )
    with factory.db.session() as session:
        days = session.scalars(
            select(HealthScore.as_of).where(HealthScore.account_id == fading.id)
        ).all()
        later = session.scalar(
            select(HealthScore).where(
                HealthScore.account_id == fading.id, HealthScore.as_of == AS_OF + timedelta(days=7)
            )
        )
    assert sorted(days) == [AS_OF, AS_OF + timedelta(days=7)]
    assert later.change is not None and later.change.startswith(("up", "down"))


def test_my_book_shows_sorts_and_filters_by_health(
    client, factory: Factory, tmp_path: Path
) -> None:
    admin = factory.user("admin")
    good = factory.account(name="Good", last_touch_at=datetime(2026, 11, 19, tzinfo=UTC))
    bad = factory.account(name="Bad", last_touch_at=datetime(2026, 6, 1, tzinfo=UTC))
    factory.escalation(bad, severity="p1")
    factory.escalation(bad, severity="p2")
    factory.escalation(bad, severity="p1")
    compute_scores(factory.db, tmp_path / "s.duckdb", AS_OF, ())
    headers = factory.headers(admin)
    reds = client.get("/api/v1/accounts?health_band=red", headers=headers).json()
    assert [a["name"] for a in reds["items"]] == ["Bad"]
    assert reds["items"][0]["health_score"] == 0.0
    ranked = client.get("/api/v1/accounts?sort=-health", headers=headers).json()["items"]
    assert [a["name"] for a in ranked][:2] == ["Good", "Bad"]
    assert ranked[0]["health_band"] == "green" and ranked[0]["health_change"] is None
    assert client.get("/api/v1/accounts?health_band=blue", headers=headers).status_code == 422
    assert good.id != bad.id
