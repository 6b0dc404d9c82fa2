"""Scorecards as admins edit them: versions, drafts, publication, segments, and a draft's
dry-run against history."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from steward.health.models import HealthScore
from steward.health.service import compute_scores
from steward.usage.service import create_source
from tests.factories import Factory

TREND_ONLY = {
    "components": [{"measure": "usage_trend", "weight": 1, "poor": -0.5, "good": 0.1}],
    "bands": {"green": 70, "yellow": 40},
}


def test_editing_a_published_card_makes_a_new_version_and_old_scores_keep_theirs(
    client, factory: Factory, tmp_path: Path
) -> None:
    admin, am = factory.user("admin"), factory.user("am")
    account = factory.account(owner_am_id=am.id, last_touch_at=datetime.now(UTC))
    headers = factory.headers(admin)
    cards = client.get("/api/v1/health/scorecards", headers=factory.headers(am)).json()
    assert [(c["key"], c["version"], c["status"]) for c in cards] == [("default", 1, "published")]
    v1 = cards[0]["id"]
    compute_scores(factory.db, tmp_path / "a.duckdb", date(2026, 11, 1), ())

    # A published version never changes; editing starts a draft with the next number.
    frozen = client.patch(f"/api/v1/health/scorecards/{v1}", json={"name": "x"}, headers=headers)
    assert frozen.status_code == 409 and "never change" in frozen.json()["detail"]
    draft = client.post(f"/api/v1/health/scorecards/{v1}/versions", headers=headers)
    assert draft.status_code == 201 and draft.json()["version"] == 2
    v2 = draft.json()["id"]
    again = client.post(f"/api/v1/health/scorecards/{v1}/versions", headers=headers)
    assert again.status_code == 409  # one draft per card
    definition = {
        "components": [{"measure": "engagement_recency", "weight": 2, "poor": 30, "good": 0}],
        "bands": {"green": 80, "yellow": 50},
    }
    edited = client.patch(
        f"/api/v1/health/scorecards/{v2}", json={"definition": definition}, headers=headers
    )
    assert edited.status_code == 200 and edited.json()["definition"]["bands"]["green"] == 80
    assert (
        client.post(f"/api/v1/health/scorecards/{v2}/publish", headers=headers).status_code == 200
    )
    statuses = {
        c["version"]: c["status"]
        for c in client.get("/api/v1/health/scorecards", headers=headers).json()
    }
    assert statuses == {1: "retired", 2: "published"}

    compute_scores(factory.db, tmp_path / "a.duckdb", date(2026, 11, 8), ())
    with factory.db.session() as session:
        made_by = dict(
            session.execute(
                select(HealthScore.as_of, HealthScore.scorecard_id).where(
                    HealthScore.account_id == account.id
                )
            ).all()
        )
    assert made_by == {date(2026, 11, 1): v1, date(2026, 11, 8): v2}

    # Only admins edit; bad definitions are refused naming the field.
    assert (
        client.post(f"/api/v1/health/scorecards/{v2}/versions", headers=factory.headers(am))
    ).status_code == 403
    for bad, field in (
        ({"components": [], "bands": {}}, "definition.components"),
        (
            {"components": TREND_ONLY["components"], "bands": {"green": 40, "yellow": 60}},
            "definition.bands",
        ),
        (
            {"components": [{"measure": "moon_phase", "weight": 1, "poor": 0, "good": 1}]},
            "definition.components.0.measure",
        ),
        ({"components": TREND_ONLY["components"] * 2}, "definition.components"),
    ):
        refused = client.post(
            "/api/v1/health/scorecards",
            json={"name": "Bad", "definition": bad},
            headers=headers,
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == field, refused.json()


def test_a_segment_has_its_own_card(client, factory: Factory, tmp_path: Path) -> None:
    admin = factory.user("admin")
    big = factory.account(segment="enterprise", last_touch_at=datetime.now(UTC))
    small = factory.account(segment="smb", last_touch_at=datetime.now(UTC))
    headers = factory.headers(admin)
    body = {"name": "Enterprise health", "segment": "enterprise", "definition": TREND_ONLY}
    created = client.post("/api/v1/health/scorecards", json=body, headers=headers).json()
    assert created["status"] == "draft" and created["key"] == "enterprise-health"
    url = f"/api/v1/health/scorecards/{created['id']}/publish"
    assert client.post(url, headers=headers).status_code == 200
    second = client.post(
        "/api/v1/health/scorecards", json=dict(body, name="Another"), headers=headers
    ).json()
    clash = client.post(f"/api/v1/health/scorecards/{second['id']}/publish", headers=headers)
    assert clash.status_code == 409 and "Enterprise health" in clash.json()["detail"]
    assert (
        client.delete(f"/api/v1/health/scorecards/{second['id']}", headers=headers).status_code
        == 204
    )

    compute_scores(factory.db, tmp_path / "s.duckdb", date(2026, 11, 20), ())
    with factory.db.session() as session:
        cards = dict(
            session.execute(select(HealthScore.account_id, HealthScore.scorecard_id)).all()
        )
    assert cards[big.id] == created["id"] and cards[small.id] != created["id"]


def _ten_seats(factory: Factory, account: Any, seat_id: int, start: date, end: date) -> None:
    factory.contract(account, start=start, end=end, items=[{"product_id": seat_id, "quantity": 10}])


def _write_key(factory: Factory) -> str:
    with factory.db.session() as session:
        _, key = create_source(session, "app", actor_id=None)
    return key


def _trend_only_draft(client: Any, headers: dict[str, str]) -> dict[str, Any]:
    return client.post(
        "/api/v1/health/scorecards",
        json={"name": "Trend only", "definition": TREND_ONLY},
        headers=headers,
    ).json()


def _send(client, key: str, events: list[dict]) -> None:  # type: ignore[no-untyped-def,type-arg]
    headers = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    response = client.post("/v1/batch", json={"batch": events}, headers=headers)
    assert response.status_code == 200, response.text


def _active(group: str, users: range, day: date, tag: str) -> list[dict]:  # type: ignore[type-arg]
    return [
        {
            "type": "track",
            "event": "Login",
            "userId": f"{group}-{u}",
            "context": {"groupId": group},
            "messageId": f"{tag}-{group}-{u}-{day}",
            "timestamp": f"{day.isoformat()}T10:00:00Z",
        }
        for u in users
    ]


def test_a_draft_dry_run_shows_churned_accounts_red_before_they_left(
    client, factory: Factory
) -> None:
    admin = factory.user("admin")
    today = date.today()
    seat = factory.product(is_per_seat=True)
    left = factory.account(external_id="LEFT", lifecycle_stage="churned", name="Left Co")
    stayed = factory.account(external_id="STAYED", name="Stayed Co")
    churned_on = today - timedelta(days=60)
    _ten_seats(factory, left, seat.id, churned_on - timedelta(days=365), churned_on)
    _ten_seats(factory, stayed, seat.id, today - timedelta(days=400), today + timedelta(days=200))
    key = _write_key(factory)
    # 90 days before it left, LEFT had slid from 5 active users to 1; STAYED held at 4.
    left_seen = churned_on - timedelta(days=90)
    stayed_seen = today - timedelta(days=90)
    _send(client, key, _active("LEFT", range(5), left_seen - timedelta(days=40), "a"))
    _send(client, key, _active("LEFT", range(1), left_seen - timedelta(days=3), "b"))
    _send(client, key, _active("STAYED", range(4), stayed_seen - timedelta(days=40), "a"))
    _send(client, key, _active("STAYED", range(4), stayed_seen - timedelta(days=3), "b"))
    # Usage after the day scored must not count: STAYED's later slump is in its future.
    _send(client, key, _active("STAYED", range(1), today - timedelta(days=1), "c"))

    headers = factory.headers(admin)
    draft = _trend_only_draft(client, headers)
    run = client.post(f"/api/v1/health/scorecards/{draft['id']}/dry-run", headers=headers)
    assert run.status_code == 200, run.text
    result = run.json()
    assert result["churned"] == {"accounts": 1, "red": 1, "yellow": 0, "green": 0, "unscored": 0}
    assert result["retained"] == {"accounts": 1, "red": 0, "yellow": 0, "green": 1, "unscored": 0}
    assert result["with_usage"] == 2 and result["published_churned"]["accounts"] == 1
    by_name = {a["name"]: a for a in result["accounts"]}
    assert by_name["Left Co"]["scored_on"] == left_seen.isoformat()
    assert by_name["Left Co"]["explanation"] == "red because usage fell 80% in 30 days"
    assert by_name["Stayed Co"]["score"] == 83.3  # trend 0: 0.5/0.6 of the way to good
    bad = client.post(
        f"/api/v1/health/scorecards/{draft['id']}/dry-run?horizon_days=1000", headers=headers
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "horizon_days"
    am = factory.user("am")
    url = f"/api/v1/health/scorecards/{draft['id']}/dry-run"
    assert client.post(url, headers=factory.headers(am)).status_code == 403


def test_a_kept_dry_run_shows_late_usage_and_an_edited_draft_on_the_next_read(
    client, factory: Factory
) -> None:
    """The dry run is kept per workspace revision and per events in the store: events that
    arrive late for a past day (they do not move the revision) and an edit of the draft both
    show on the next run."""
    admin = factory.user("admin")
    today = date.today()
    seat = factory.product(is_per_seat=True)
    stayed = factory.account(external_id="KEPT", name="Kept Co")
    _ten_seats(factory, stayed, seat.id, today - timedelta(days=400), today + timedelta(days=200))
    key = _write_key(factory)
    seen = today - timedelta(days=90)
    _send(client, key, _active("KEPT", range(4), seen - timedelta(days=40), "a"))
    _send(client, key, _active("KEPT", range(4), seen - timedelta(days=3), "b"))
    headers = factory.headers(admin)
    draft = _trend_only_draft(client, headers)
    url = f"/api/v1/health/scorecards/{draft['id']}/dry-run"

    def kept_score() -> tuple[float, str]:
        run = client.post(url, headers=headers)
        assert run.status_code == 200, run.text
        (account,) = run.json()["accounts"]
        return account["score"], account["band"]

    assert kept_score() == (83.3, "green")  # trend 0
    assert kept_score() == (83.3, "green")
    # Late events for that past day: usage fell from 4 active users to 1 (a trend of -75 %).
    _send(client, key, _active("KEPT", range(8, 9), seen - timedelta(days=2), "late"))
    _send(client, key, _active("KEPT", range(20, 36), seen - timedelta(days=45), "late"))
    assert kept_score() == (0.0, "red")
    steeper = {
        "components": [{"measure": "usage_trend", "weight": 1, "poor": -1.0, "good": 0.1}],
        "bands": {"green": 70, "yellow": 20},
    }
    edited = client.patch(
        f"/api/v1/health/scorecards/{draft['id']}",
        json={"definition": steeper},
        headers=headers,
    )
    assert edited.status_code == 200, edited.text
    score, band = kept_score()
    assert band == "yellow" and 0 < score < 70
