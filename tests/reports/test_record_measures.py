"""The report builder's record measures (NPS, activities, tasks, escalations, time to value,
pipeline, quota attainment): each is its page's figure, month or quarter by month or quarter,
and an AM's report counts only the AM's book."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.factories import Factory
from tests.surveys.test_surveys import _answered

OCT = datetime(2026, 10, 15, tzinfo=UTC)
NOV = datetime(2026, 11, 10, tzinfo=UTC)
PERIOD = {"from": "2026-10", "to": "2026-11"}


def _rows(client: Any, user_headers: dict[str, str], **body: Any) -> dict[tuple[str, ...], Any]:
    answer = client.post("/api/v1/reports/run", json=body, headers=user_headers)
    assert answer.status_code == 200, answer.text
    group_by = body.get("group_by", [])
    return {tuple(r["dimensions"][g] for g in group_by): r["value"] for r in answer.json()["rows"]}


def _world(factory: Factory) -> dict[str, Any]:
    am1, am2 = factory.user("am"), factory.user("am")
    smb = factory.account(owner_am_id=am1.id, segment="smb", tier="key")
    ent = factory.account(owner_am_id=am2.id, segment="enterprise", tier="standard")
    return {"am1": am1, "am2": am2, "smb": smb, "ent": ent}


def test_nps_is_the_surveys_pages(client, factory: Factory) -> None:
    w = _world(factory)
    _answered(factory, w["smb"], "nps", [10, 9, 7, 3, 0], OCT)  # 2 promoters, 2 detractors → 0
    _answered(factory, w["ent"], "nps", [10, 9, 9, 8], NOV)  # 3 of 4 promoters → 75
    _answered(factory, w["ent"], "nps", [2], datetime(2025, 1, 1, tzinfo=UTC))  # outside
    _answered(factory, w["ent"], "csat", [5, 4, 3], NOV)  # not NPS
    vp = factory.headers(factory.user("vp"))
    page = client.get(
        "/api/v1/surveys/results?kind=nps&by=segment&start=2026-10-01&end=2026-11-30", headers=vp
    ).json()
    expected = {(row["group"],): row["nps"] for row in page["rows"]}
    got = _rows(client, vp, measure="nps", group_by=["segment"], **PERIOD)
    assert got == expected == {("smb",): 0.0, ("enterprise",): 75.0}
    by_month = _rows(client, vp, measure="nps", group_by=["month"], **PERIOD)
    assert by_month == {("2026-10",): 0.0, ("2026-11",): 75.0}
    whole = _rows(client, vp, measure="nps", **PERIOD)
    assert whole == {(): pytest.approx(100 * (5 - 2) / 9, abs=0.05)}
    am1 = factory.headers(w["am1"])
    assert _rows(client, am1, measure="nps", group_by=["segment"], **PERIOD) == {("smb",): 0.0}


def test_activities_tasks_escalations_and_pipeline_count_the_book(client, factory: Factory) -> None:
    w = _world(factory)
    for account, moments in ((w["smb"], [OCT, OCT, NOV]), (w["ent"], [NOV])):
        for moment in moments:
            factory.activity(account, occurred_at=moment)
    factory.activity(w["smb"], occurred_at=datetime(2026, 9, 30, 23, 59, tzinfo=UTC))  # before
    factory.task(w["smb"], status="open")
    factory.task(w["smb"], status="in_progress")
    factory.task(w["smb"], status="done", completed_at=NOV)
    factory.task(w["ent"], status="open")
    factory.escalation(w["ent"], opened_at=OCT)
    factory.escalation(w["ent"], opened_at=NOV, status="resolved")
    factory.opportunity(w["smb"], amount_minor=1_000_000, close_date=date(2026, 11, 20))
    factory.opportunity(w["smb"], amount_minor=500_000, close_date=date(2026, 10, 2))
    factory.opportunity(
        w["smb"], amount_minor=9_000_000, close_date=date(2026, 10, 2), stage="closed_won"
    )
    factory.opportunity(w["ent"], amount_minor=2_000_000, close_date=date(2026, 11, 1))
    vp = factory.headers(factory.user("vp"))
    assert _rows(client, vp, measure="activities", group_by=["month", "segment"], **PERIOD) == {
        ("2026-10", "smb"): 2.0,
        ("2026-11", "smb"): 1.0,
        ("2026-11", "enterprise"): 1.0,
    }
    assert _rows(client, vp, measure="activities", group_by=["quarter"], **PERIOD) == {
        ("2026-Q4",): 4.0
    }
    assert _rows(client, vp, measure="tasks_open", group_by=["tier"]) == {
        ("key",): 2.0,
        ("standard",): 1.0,
    }
    assert _rows(client, vp, measure="tasks_done", **PERIOD) == {(): 1.0}
    assert _rows(client, vp, measure="escalations", group_by=["month"], **PERIOD) == {
        ("2026-10",): 1.0,
        ("2026-11",): 1.0,
    }
    assert _rows(client, vp, measure="pipeline", group_by=["segment"], **PERIOD) == {
        ("smb",): 15_000.0,
        ("enterprise",): 20_000.0,
    }
    am1 = factory.headers(w["am1"])
    owner = w["am1"].full_name
    assert _rows(client, am1, measure="pipeline", group_by=["owner"], **PERIOD) == {
        (owner,): 15_000.0
    }
    assert _rows(client, am1, measure="escalations", **PERIOD) == {}
    assert _rows(client, am1, measure="activities", group_by=["owner"], **PERIOD) == {(owner,): 3.0}


def test_time_to_value_is_the_onboarding_pages(client, factory: Factory) -> None:
    w = _world(factory)
    for account, start, reached in (
        (w["smb"], date(2026, 10, 1), date(2026, 10, 21)),  # 20 days
        (w["smb"], date(2026, 10, 5), date(2026, 11, 4)),  # 30 days
        (w["ent"], date(2026, 11, 2), date(2026, 11, 12)),  # 10 days
        (w["ent"], date(2026, 11, 3), None),  # not yet
    ):
        contract = factory.contract(
            account, start=start, end=date(2027, 10, 1), items=[{"unit_price_minor": 100}]
        )
        factory.onboarding_project(contract, started_on=start, value_reached_on=reached)
    vp = factory.headers(factory.user("vp"))
    page = client.get(
        "/api/v1/onboarding/time-to-value?by=segment&start=2026-10-01&end=2026-12-01", headers=vp
    ).json()
    expected = {(g["group"],): g["median_days"] for g in page["groups"]}
    got = _rows(client, vp, measure="time_to_value", group_by=["segment"], **PERIOD)
    assert got == expected == {("smb",): 25.0, ("enterprise",): 10.0}


def test_quota_attainment_is_the_persons_figure(client, factory: Factory) -> None:
    lead = factory.user("team_lead")
    team = factory.team(lead=lead)
    am = factory.user("am", team=team)
    other = factory.user("am")
    vp_user = factory.user("vp")
    vp = factory.headers(vp_user)
    for person in (am, other):
        quota = {"user_id": person.id, "period": "2026-Q4", "kind": "expansion", "amount": "100000"}
        assert client.post("/api/v1/quotas", json=quota, headers=vp).status_code == 201
    account = factory.account(owner_am_id=am.id)
    factory.opportunity(
        account,
        owner_id=am.id,
        amount_minor=2_500_000,
        stage="closed_won",
        close_date=date(2026, 10, 9),
    )
    everyone = _rows(client, vp, measure="quota_attainment", group_by=["owner"], **PERIOD)
    assert everyone[(am.full_name,)] == pytest.approx(0.25)
    assert everyone[(other.full_name,)] == 0.0
    mine = _rows(
        client, factory.headers(am), measure="quota_attainment", group_by=["owner"], **PERIOD
    )
    assert mine == {(am.full_name,): pytest.approx(0.25)}
    led = _rows(
        client, factory.headers(lead), measure="quota_attainment", group_by=["owner"], **PERIOD
    )
    assert set(led) == {(am.full_name,)}
