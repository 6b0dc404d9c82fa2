"""Usage measures in segments and My Book (issue 25 §2): active users, licence utilisation,
key-feature adoption and the usage trend are the values the latest health score scored, kept
on the account, and filtered on like ARR or health."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

from steward.accounts.models import Account
from steward.health.models import HealthScore
from steward.health.service import compute_scores
from steward.usage.service import create_source
from tests.factories import Factory
from tests.pipeline.test_pipeline_pages import _sign_in

TODAY = date.today()
KEY_EVENT = "Report Exported"


def _used(client: Any, factory: Factory, users: dict[str, tuple[int, int]]) -> None:
    """Per account external id: (users active 5 days ago, users active 40 days ago)."""
    with factory.db.session() as session:
        _, key = create_source(session, "app", actor_id=None)
    headers = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    events = []
    for account, (recent, prior) in users.items():
        for count, days_ago in ((recent, 5), (prior, 40)):
            day = TODAY - timedelta(days=days_ago)
            for u in range(count):
                events.append(
                    {
                        "type": "track",
                        "event": KEY_EVENT,
                        "userId": f"{account}-{u}",
                        "context": {"groupId": account},
                        "messageId": f"{account}-{days_ago}-{u}",
                        "timestamp": f"{day.isoformat()}T10:00:00Z",
                    }
                )
    answer = client.post("/v1/batch", json={"batch": events}, headers=headers)
    assert answer.status_code == 200, answer.text


def _book(client: Any, factory: Factory, tmp_path: Path) -> dict[str, Account]:
    seat = factory.product(is_per_seat=True)
    touched = datetime.now(UTC) - timedelta(days=3)
    am = factory.user("am")
    accounts = {}
    for external_id in ("BUSY", "FADING", "QUIET"):
        account = factory.account(
            external_id=external_id,
            name=external_id.title(),
            owner_am_id=am.id,
            last_touch_at=touched,
        )
        factory.contract(
            account,
            start=TODAY - timedelta(days=200),
            end=TODAY + timedelta(days=165),
            items=[{"product_id": seat.id, "quantity": 4}],
        )
        accounts[external_id] = account
    # BUSY: 4 of 4 seats active, up from 3; FADING: 1 of 4, down from 4; QUIET: no usage.
    _used(client, factory, {"BUSY": (4, 3), "FADING": (1, 4)})
    compute_scores(factory.db, tmp_path / "u.duckdb", TODAY, (KEY_EVENT,))
    return accounts


def test_the_accounts_usage_is_what_its_health_score_scored(
    client, factory: Factory, tmp_path: Path
) -> None:
    accounts = _book(client, factory, tmp_path)
    with factory.db.session() as session:
        for account in accounts.values():
            kept = session.get(Account, account.id)
            score = session.scalar(select(HealthScore).where(HealthScore.account_id == account.id))
            scored = {c["measure"]: c["value"] for c in orjson.loads(score.components)}
            used = orjson.loads(score.usage) if score.usage else {}
            assert (kept.utilisation, kept.adoption, kept.usage_trend) == (
                scored.get("utilisation"),
                scored.get("adoption"),
                scored.get("usage_trend"),
            ), account.external_id
            assert kept.active_users_30d == used.get("active_users_30d")
        fading = session.get(Account, accounts["FADING"].id)
        assert (fading.active_users_30d, fading.utilisation, fading.usage_trend) == (1, 0.25, -0.75)


def test_segments_and_my_book_filter_on_usage(client, factory: Factory, tmp_path: Path) -> None:
    _book(client, factory, tmp_path)
    admin = factory.user("admin")
    headers = factory.headers(admin)

    def names(query: str) -> list[str]:
        answer = client.get(f"/api/v1/accounts?sort=name&{query}", headers=headers)
        assert answer.status_code == 200, answer.text
        return [a["name"] for a in answer.json()["items"]]

    # Percent in the query, as people write it. QUIET uses none of its 4 seats; its trend
    # (nothing now, nothing before) is no number, so no trend range holds it.
    assert names("utilisation_max=50") == ["Fading", "Quiet"]
    assert names("utilisation_min=50") == ["Busy"]
    assert names("usage_trend_max=-20") == ["Fading"]
    assert names("active_users_min=2&adoption_min=100") == ["Busy"]
    assert names("active_users_max=10") == ["Busy", "Fading", "Quiet"]

    made = client.post(
        "/api/v1/segments",
        json={
            "name": "Seats going unused",
            "filters": {"utilisation_max": 50, "usage_trend_max": 0},
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    segment = made.json()
    listed = client.get(f"/api/v1/segments/{segment['id']}/accounts", headers=headers).json()
    assert [a["name"] for a in listed["items"]] == ["Fading"]
    # The segment as a CSV export, and as a report's filter.
    exported = client.get(f"/api/v1/exports/accounts?segment_id={segment['id']}", headers=headers)
    assert exported.status_code == 200, exported.text
    assert [r["external_id"] for r in csv.DictReader(io.StringIO(exported.text))] == ["FADING"]
    report = client.post(
        "/api/v1/reports/run",
        json={"measure": "accounts", "group_by": [], "segment_id": segment["id"]},
        headers=headers,
    )
    assert report.status_code == 200, report.text
    assert [row["value"] for row in report.json()["rows"]] == [1]

    refused = client.post(
        "/api/v1/segments",
        json={"name": "Bad", "filters": {"utilisation_max": -5}},
        headers=headers,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "filters.utilisation_max"
    bad = client.get("/api/v1/accounts?adoption_min=lots", headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "adoption_min"

    # My Book's Usage filters: the page, and "Save as segment" keeping them.
    csrf = _sign_in(client, admin.email)
    page = client.get("/book?scope=all&utilisation_max=50")
    assert page.status_code == 200
    assert "Fading" in page.text and "Busy" not in page.text
    assert 'name="utilisation_max" value="50' in page.text
    saved = client.post(
        "/book/segments",
        data={"csrf_token": csrf, "name": "Unused seats", "utilisation_max": "50"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert "utilisation_max=50" in saved.headers["location"]
