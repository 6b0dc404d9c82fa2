"""QBR cadence (issue 24): an account is due a QBR by its tier's cadence; My Day lists it, the
Team page counts it in the rep's QBR compliance, the digest names it, and the Portfolio's next
QBR agrees; a booked QBR clears it, a drafted one (a pack made) does not."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from steward.config import Settings
from steward.db.base import utcnow
from steward.myday.digest import compose
from steward.myday.schemas import MyDay
from tests.factories import Factory
from tests.pipeline.test_pipeline_pages import _sign_in

CADENCE = Settings().qbr_cadence_days  # standard 180, key 90, strategic 90 days


def _ago(days: int) -> datetime:
    return utcnow() - timedelta(days=days)


def _book(factory: Factory) -> dict[str, Any]:
    lead = factory.user("team_lead")
    team = factory.team("East", lead=lead)
    am = factory.user("am", team=team)
    old = {"owner_am_id": am.id, "lifecycle_stage": "adopting", "created_at": _ago(400)}
    accounts = {
        # key, last QBR 120 days ago: 30 days late
        "late": factory.account(name="Late Key", tier="key", **old),
        # key, last QBR 60 days ago: within 90
        "recent": factory.account(name="Recent Key", tier="key", **old),
        # strategic, never had one, added 400 days ago: 310 days late
        "never": factory.account(name="Never Strategic", tier="strategic", **old),
        # standard, QBR 200 days ago but one booked next week: not due
        "booked": factory.account(name="Booked Standard", tier="standard", **old),
        # key, only a drafted pack 10 days ago, last QBR 100 days ago: 10 days late
        "drafted": factory.account(name="Drafted Key", tier="key", **old),
        # key, added 10 days ago, never a QBR: not due yet
        "new": factory.account(
            name="New Key", tier="key", owner_am_id=am.id, lifecycle_stage="onboarding"
        ),
    }
    for key, kind, days in (
        ("late", "qbr", 120),
        ("recent", "ebr", 60),
        ("booked", "qbr", 200),
        ("booked", "qbr", -7),
        ("drafted", "qbr", 100),
        ("drafted", "qbr_draft", 10),
    ):
        factory.activity(
            accounts[key], user_id=am.id, type=kind, subject=kind, occurred_at=_ago(days)
        )
    return {"lead": lead, "am": am, "accounts": accounts}


def test_qbrs_due_by_tier_on_my_day_the_team_page_and_the_digest(
    client: Any, factory: Factory
) -> None:
    world = _book(factory)
    day = client.get("/api/v1/me/day", headers=factory.headers(world["am"])).json()
    due = {q["account_name"]: q for q in day["qbrs"]}
    assert set(due) == {"Late Key", "Never Strategic", "Drafted Key"}
    assert day["counts"]["qbrs"] == 3
    assert [q["account_name"] for q in day["qbrs"]] == [
        "Never Strategic",
        "Late Key",
        "Drafted Key",
    ]
    assert (due["Late Key"]["days_overdue"], due["Late Key"]["cadence_days"]) == (30, 90)
    assert due["Never Strategic"]["last_qbr_at"] is None
    assert due["Never Strategic"]["days_overdue"] == 400 - 90
    assert due["Drafted Key"]["days_overdue"] == 10  # the draft is no QBR

    rows = client.get("/api/v1/team/performance", headers=factory.headers(world["lead"])).json()
    am = next(r for r in rows["rows"] if r["user_id"] == world["am"].id)
    assert am["qbrs_due"] == 3 and am["customers"] == 6
    assert am["qbr_compliance"] == 1 - 3 / 6

    digest = compose(MyDay.model_validate(day), "Ana Lopez", "http://x")
    assert digest is not None and "3 QBRs due" in digest.subject
    assert "Late Key: 30 days past the 90-day cadence, last QBR" in digest.body
    assert "Never Strategic: 310 days past the 90-day cadence, none yet" in digest.body


def test_the_portfolio_next_qbr_agrees_with_the_cadence(client: Any, factory: Factory) -> None:
    world = _book(factory)
    strategist = factory.user("strategist")
    for account in world["accounts"].values():
        with factory.db.session() as session:
            session.merge(account).strategist_id = strategist.id
    _sign_in(client, strategist.email)
    page = client.get("/portfolio").text
    today = utcnow().date()
    # Late Key: last QBR 120 days ago + 90 = 30 days ago, overdue; Recent Key: in 30 days.
    assert (today - timedelta(days=30)).strftime("%d %b %Y") in page
    assert (today + timedelta(days=30)).strftime("%d %b %Y") in page
    # Never Strategic: added 400 days ago, never a QBR: due 310 days ago.
    assert (today - timedelta(days=310)).strftime("%d %b %Y") in page
