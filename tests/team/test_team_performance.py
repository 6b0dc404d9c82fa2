"""The leader's figures (issue 21 §4): the precise team scope, quotas and attainment, the Team
page's rows against the engines the fixed pages use, and the lead's My Day signals against the
lists they open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from steward.accounts.models import Account
from steward.core.dates import quarter_of
from steward.db.base import utcnow
from steward.users.models import Team, User
from tests.factories import Factory


@dataclass
class Org:
    north: Team
    south: Team
    lead: User
    am: User
    am_south: User
    csm: User
    ae: User
    vp: User
    own: Account  # North AM's, North CSM
    shared: Account  # South AM's, covered by the North CSM
    orphan: Account  # no AM, North CSM: counts for North


def _org(factory: Factory) -> Org:
    north, south = factory.team("North"), factory.team("South")
    lead = factory.user("team_lead", north)
    factory.set_lead(north, lead)
    am, am_south = factory.user("am", north), factory.user("am", south)
    csm, ae, vp = factory.user("csm", north), factory.user("ae"), factory.user("vp")
    own = factory.account(owner_am_id=am.id, csm_id=csm.id, health_band="red")
    shared = factory.account(owner_am_id=am_south.id, csm_id=csm.id, health_band="red")
    orphan = factory.account(csm_id=csm.id, health_band="green")
    for account in (own, shared, orphan):
        start = date.today() - timedelta(days=500)
        factory.contract(account, start=start, end=start + timedelta(days=800))
    return Org(north, south, lead, am, am_south, csm, ae, vp, own, shared, orphan)


def _ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.text
    return {a["id"] for a in response.json()["items"]}


def test_an_account_counts_for_its_owners_team_though_a_leads_csm_covers_it(
    client: Any, factory: Factory
) -> None:
    org = _org(factory)
    lead = factory.headers(org.lead)
    # The lead sees the South AM's account (their CSM covers it)...
    seen = _ids(client.get("/api/v1/accounts?scope=all", headers=lead))
    assert {org.own.id, org.shared.id, org.orphan.id} <= seen
    # ...but it counts for South, so the lead's team scope leaves it out.
    team = _ids(client.get("/api/v1/accounts?scope=team", headers=lead))
    assert team == {org.own.id, org.orphan.id}
    vp = factory.headers(org.vp)
    assert _ids(client.get(f"/api/v1/accounts?team_id={org.south.id}", headers=vp)) == {
        org.shared.id
    }
    # The revenue engine's by-team grouping is the same rule, so no South AM is in North's.
    report = client.get("/api/v1/metrics/revenue?by=team", headers=vp).json()
    logos = {g["group"]: g["retention"]["base_logos"] for g in report["groups"] if g["retention"]}
    assert logos == {"North": 2, "South": 1}
    by_owner = client.get("/api/v1/metrics/revenue?by=owner", headers=lead).json()
    performance = client.get("/api/v1/team/performance", headers=lead).json()
    assert [t["name"] for t in performance["teams"]] == ["North"]
    assert performance["teams"][0]["accounts"] == 2
    assert org.am_south.id not in {r["user_id"] for r in performance["rows"]}
    assert org.am_south.full_name in {g["group"] for g in by_owner["groups"]}  # seen, not counted
    # The Team page's totals (one grouped read) equal the team filter's lists, team by team.
    for team in client.get("/api/v1/team/performance", headers=vp).json()["teams"]:
        listed = client.get(f"/api/v1/accounts?team_id={team['team_id']}", headers=vp)
        assert listed.json()["total"] == team["accounts"], team
    assert {
        t["name"]: t["accounts"]
        for t in client.get("/api/v1/team/performance", headers=vp).json()["teams"]
    } == {"North": 2, "South": 1}


def test_quotas_are_set_by_the_people_who_lead_and_credit_won_deals_of_their_kind(
    client: Any, factory: Factory
) -> None:
    org = _org(factory)
    period = quarter_of(date.today())
    lead, am = factory.headers(org.lead), factory.headers(org.am)
    body = {"user_id": org.am.id, "period": period, "kind": "expansion", "amount": "100000"}
    assert client.post("/api/v1/quotas", json=body, headers=am).status_code == 403
    refused = client.post("/api/v1/quotas", json=body | {"user_id": org.am_south.id}, headers=lead)
    assert refused.status_code == 403, refused.text
    bad = client.post("/api/v1/quotas", json=body | {"period": "2026-Q5"}, headers=lead)
    assert bad.status_code == 422 and "period" in bad.text
    created = client.post("/api/v1/quotas", json=body, headers=lead)
    assert created.status_code == 201, created.text
    assert created.json()["attainment"] == 0.0

    today = date.today()
    factory.opportunity(
        org.own,
        owner_id=org.am.id,
        type="upsell",
        stage="closed_won",
        amount_minor=2_500_000,
        close_date=today,
    )
    factory.opportunity(
        org.own,
        owner_id=org.am.id,
        type="cross_sell",
        stage="closed_won",
        amount_minor=500_000,
        close_date=today,
    )
    # Not credited: lost, a renewal, another quarter, someone else's.
    factory.opportunity(
        org.own,
        owner_id=org.am.id,
        type="upsell",
        stage="closed_lost",
        amount_minor=9_000_000,
        close_date=today,
    )
    factory.opportunity(
        org.own,
        owner_id=org.am.id,
        type="renewal",
        stage="closed_won",
        amount_minor=9_000_000,
        close_date=today,
    )
    factory.opportunity(
        org.own,
        owner_id=org.am.id,
        type="upsell",
        stage="closed_won",
        amount_minor=9_000_000,
        close_date=today - timedelta(days=200),
    )
    factory.opportunity(
        org.own,
        owner_id=org.lead.id,
        type="upsell",
        stage="closed_won",
        amount_minor=9_000_000,
        close_date=today,
    )
    # Open, closing this quarter: the pipeline that could fill the rest.
    factory.opportunity(
        org.own,
        owner_id=org.am.id,
        type="upsell",
        stage="proposal",
        probability=60,
        amount_minor=3_500_000,
        close_date=today,
    )
    mine = client.get(f"/api/v1/quotas?period={period}", headers=am).json()
    assert len(mine) == 1
    quota = mine[0]
    assert Decimal(quota["credited"]) == Decimal("30000.00")
    assert quota["attainment"] == 0.3
    assert Decimal(quota["open_pipeline"]) == Decimal("35000.00")
    assert Decimal(quota["weighted_pipeline"]) == Decimal("21000.00")
    assert quota["pipeline_coverage"] == 0.5  # 35,000 ÷ (100,000 − 30,000)
    # The Team page shows the same figures for the rep.
    rows = client.get(f"/api/v1/team/performance?period={period}", headers=lead).json()["rows"]
    row = next(r for r in rows if r["user_id"] == org.am.id)
    assert (row["attainment"], row["pipeline_coverage"]) == (0.3, 0.5)
    # Setting it again replaces the amount.
    again = client.post("/api/v1/quotas", json=body | {"amount": "60000"}, headers=lead)
    assert again.status_code == 201 and again.json()["attainment"] == 0.5
    assert len(client.get(f"/api/v1/quotas?period={period}", headers=lead).json()) == 1
    # Someone else's quotas are not disclosed.
    other = client.get(f"/api/v1/quotas?user_id={org.am.id}", headers=factory.headers(org.ae))
    assert other.status_code == 404


def test_each_reps_figures_equal_the_engines_and_open_the_accounts_they_count(
    client: Any, factory: Factory
) -> None:
    org = _org(factory)
    factory.activity(
        org.own,
        user_id=org.am.id,
        type="call",
        subject="Call",
        occurred_at=utcnow() - timedelta(days=3),
    )
    factory.activity(
        org.own,
        user_id=org.am.id,
        type="email",
        subject="Mail",
        occurred_at=utcnow() - timedelta(days=40),
    )
    lead = factory.headers(org.lead)
    performance = client.get("/api/v1/team/performance", headers=lead)
    assert performance.status_code == 200, performance.text
    rows = {r["user_id"]: r for r in performance.json()["rows"]}
    assert set(rows) == {org.lead.id, org.am.id, org.csm.id}
    by_owner = {
        g["group"]: g["retention"]
        for g in client.get("/api/v1/metrics/revenue?by=owner", headers=lead).json()["groups"]
    }
    am = rows[org.am.id]
    assert am["nrr"] == by_owner[org.am.full_name]["nrr"] == 1.0
    assert am["grr"] == by_owner[org.am.full_name]["grr"]
    assert am["activities_30d"] == 1 and am["activities_by_type"] == {"call": 1}
    csm = rows[org.csm.id]
    assert csm["accounts"] == 3 and csm["red_accounts"] == 2
    for row in rows.values():
        seat = f"{row['seat']}={row['user_id']}"
        listed = client.get(f"/api/v1/accounts?scope=all&{seat}&limit=200", headers=lead)
        assert listed.json()["total"] == row["accounts"]
        red = client.get(f"/api/v1/accounts?scope=all&{seat}&health_band=red", headers=lead)
        assert red.json()["total"] == row["red_accounts"]
        due = client.get(f"/api/v1/accounts?scope=all&{seat}&checkin_due=true", headers=lead)
        assert due.json()["total"] == row["checkins_due"]
    # An AM has no Team page.
    assert (
        client.get("/api/v1/team/performance", headers=factory.headers(org.am)).status_code == 403
    )


def test_a_leads_day_shows_the_teams_signals_with_the_counts_of_their_lists(
    client: Any, factory: Factory
) -> None:
    org = _org(factory)
    factory.escalation(org.own, severity="p1", sla_due_at=utcnow() - timedelta(hours=2))
    factory.escalation(org.shared, severity="p1", sla_due_at=utcnow() - timedelta(hours=2))
    lead = factory.headers(org.lead)
    day = client.get("/api/v1/me/day", headers=lead).json()
    # The lead holds no seat, yet their day lists the team's red accounts.
    assert [a["account_id"] for a in day["red_accounts"]] == [org.own.id]
    assert day["counts"]["red_accounts"] == 1
    team = day["team"]
    assert team["red_accounts"] == 1 and team["breached_escalations"] == 1
    assert _ids(client.get("/api/v1/accounts?scope=team&health_band=red", headers=lead)) == {
        org.own.id
    }
    north = f"account_team_ids={org.north.id}"
    listed = client.get(f"/api/v1/escalations?breached_only=true&{north}", headers=lead)
    assert listed.json()["total"] == 1
    by_rep = {(r["user_id"], r["seat"]): r["overdue"] for r in team["overdue_checkins"]}
    for (user_id, seat), overdue in by_rep.items():
        page = client.get(
            f"/api/v1/accounts?scope=team&{seat}={user_id}&checkin_due=true", headers=lead
        )
        assert page.json()["total"] == overdue
    assert by_rep[(org.csm.id, "csm_id")] == 2  # own and orphan; not South's shared account
    vp_day = client.get("/api/v1/me/day", headers=factory.headers(org.vp)).json()
    assert vp_day["counts"]["red_accounts"] == 2 and vp_day["team"]["breached_escalations"] == 2
    am_day = client.get("/api/v1/me/day", headers=factory.headers(org.am)).json()
    assert am_day["team"] is None


def test_leaders_get_a_weekly_digest_of_their_team_once(factory: Factory, tmp_path: Any) -> None:
    from sqlalchemy import select

    from steward.config import Settings
    from steward.delivery.models import OutboundMessage
    from steward.myday.tasks import daily_work

    org = _org(factory)
    settings = Settings(data_dir=tmp_path, digest_hour=0, public_url="https://steward.example")
    monday = utcnow() - timedelta(days=utcnow().weekday())
    tuesday = monday + timedelta(days=1)
    assert daily_work(factory.db, settings, tuesday).leader_digests == 0
    first = daily_work(factory.db, settings, monday)
    again = daily_work(factory.db, settings, monday)
    assert (first.leader_digests, again.leader_digests) == (2, 0)  # the lead and the VP
    with factory.db.session() as session:
        mail = session.scalars(
            select(OutboundMessage).where(
                OutboundMessage.recipient == org.lead.email,
                OutboundMessage.dedupe_key.like("leader-digest:%"),
            )
        ).one()
    assert mail.subject.startswith("Your team this week: 1 red,")
    assert "North: 2 accounts" in mail.body and "South" not in mail.body
    assert "https://steward.example/book?scope=team&health_band=red" in mail.body
