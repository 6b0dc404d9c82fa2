"""My Day lists exactly the person's work for today; the daily digest is e-mailed once a day."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from steward.config import Settings
from steward.delivery.models import OutboundMessage
from steward.delivery.service import notify
from steward.delivery.tasks import deliver_due
from steward.myday.tasks import daily_work
from steward.plans.models import Milestone
from tests.factories import Factory
from tests.support.servers import smtp_server


def _last_day_of_month(today: date) -> date:
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


def _book(factory: Factory) -> dict:
    """An AM's day: each kind of item once in, and its near miss out."""
    am, other = factory.user(role="am", email="amy@example.com"), factory.user(role="am")
    today = date.today()
    now = datetime.now(UTC)
    strategic = factory.account(
        name="Strategic Co",
        owner_am_id=am.id,
        tier="strategic",
        last_touch_at=now - timedelta(days=20),  # cadence 14: 6 days overdue
        health_band="red",
        health_score=31.0,
        arr_minor=12_000_000,
    )
    factory.account(
        name="Standard Co",
        owner_am_id=am.id,
        tier="standard",
        last_touch_at=now - timedelta(days=20),
    )
    factory.account(name="Prospect Co", owner_am_id=am.id, tier="key", lifecycle_stage="prospect")
    theirs = factory.account(name="Their Co", owner_am_id=other.id, tier="strategic")

    factory.task(
        strategic, title="Overdue call", assignee_id=am.id, due_date=today - timedelta(days=2)
    )
    factory.task(strategic, title="Today's QBR prep", assignee_id=am.id, due_date=today)
    factory.task(strategic, title="Tomorrow", assignee_id=am.id, due_date=today + timedelta(days=1))
    factory.task(strategic, title="Done", assignee_id=am.id, due_date=today, status="done")
    factory.task(theirs, title="Not mine", assignee_id=other.id, due_date=today)

    factory.escalation(
        strategic, title="Breached", severity="p1", opened_at=now - timedelta(days=2)
    )
    factory.escalation(theirs, title="Their escalation", severity="p1")

    last_day = _last_day_of_month(today)
    factory.contract(
        strategic, start=last_day - timedelta(days=364), end=last_day + timedelta(days=1)
    )
    renewed = factory.contract(
        strategic, start=last_day - timedelta(days=300), end=last_day + timedelta(days=1)
    )
    factory.contract(
        strategic, start=last_day + timedelta(days=1), months=12, renewal_of_id=renewed.id
    )
    with factory.db.session() as session:
        session.add(
            Milestone(
                account_id=strategic.id,
                title="SSO live",
                owner_id=am.id,
                due_date=today + timedelta(days=3),
            )
        )
        notify(session, am.id, "Rule fired: red band", link=f"/accounts/{strategic.id}")
    return {"am": am, "other": other, "strategic": strategic, "theirs": theirs}


def test_my_day_lists_the_persons_work_and_nothing_else(client, factory: Factory) -> None:
    data = _book(factory)
    day = client.get("/api/v1/me/day", headers=factory.headers(data["am"]))
    assert day.status_code == 200, day.json()
    body = day.json()
    assert [(t["title"], t["overdue"]) for t in body["tasks"]] == [
        ("Overdue call", True),
        ("Today's QBR prep", False),
    ]
    assert [
        (c["account_name"], c["cadence_days"], c["days_overdue"]) for c in body["checkins"]
    ] == [("Strategic Co", 14, 6)]
    assert [(e["title"], e["sla_breached"]) for e in body["escalations"]] == [("Breached", True)]
    assert [r["account_name"] for r in body["renewals"]] == [
        "Strategic Co"
    ]  # the renewed one is not
    assert [m["title"] for m in body["milestones"]] == ["SSO live"]
    assert [(a["account_name"], a["health_score"]) for a in body["red_accounts"]] == [
        ("Strategic Co", 31.0)
    ]
    assert [n["title"] for n in body["notifications"]] == ["Rule fired: red band"]
    assert body["counts"] == {
        "tasks": 2,
        "checkins": 1,
        "escalations": 1,
        "breached_escalations": 1,
        "renewals": 1,
        "milestones": 1,
        "red_accounts": 1,
        "notifications": 0 + 1,
        "meetings": 0,
        "qbrs": 0,  # its accounts were added today: no QBR due yet
    }
    # The other AM sees their own day, none of the first one's.
    theirs = client.get("/api/v1/me/day", headers=factory.headers(data["other"])).json()
    assert [t["title"] for t in theirs["tasks"]] == ["Not mine"]
    assert [e["title"] for e in theirs["escalations"]] == ["Their escalation"]
    assert theirs["red_accounts"] == [] and theirs["renewals"] == []


def test_the_daily_digest_is_emailed_once_a_day(factory: Factory, tmp_path: Path) -> None:
    data = _book(factory)
    with smtp_server() as mailbox:
        settings = Settings(
            data_dir=tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=mailbox.port,
            smtp_security="none",
            digest_hour=0,
            public_url="https://steward.example.com",
        )
        first = daily_work(factory.db, settings)
        second = daily_work(factory.db, settings)
        deliver_due(factory.db, settings)
    # The AM with renewals, a red account, an overdue task and a breach gets one; the other AM
    # has an escalation that is not breached and nothing else due: no e-mail.
    assert (first.digests, second.digests) == (1, 0)
    [mail] = mailbox.messages
    assert mail["To"] == "amy@example.com"
    subject = " ".join(str(mail["Subject"]).split())  # long headers are folded
    assert subject.endswith(": 1 renewal, 1 red account, 1 overdue task, 1 SLA breach")
    text = mail.get_payload()
    for line in (
        "https://steward.example.com/today",
        "Renewals this month (1)",
        "Strategic Co: $6,000 ARR, ends",
        "Red accounts (1)",
        "Overdue tasks (1)",
        "Overdue call (Strategic Co",
        "Escalations past their SLA (1)",
        "P1 Breached (Strategic Co)",
    ):
        assert line in text, line
    assert "Today's QBR prep" not in text
    with factory.db.session() as session:
        keys = list(session.scalars(select(OutboundMessage.dedupe_key)))
    assert keys == [f"digest:{data['am'].id}:{datetime.now(UTC).date().isoformat()}"]


def test_no_digest_before_the_digest_hour(factory: Factory, tmp_path: Path) -> None:
    _book(factory)
    settings = Settings(data_dir=tmp_path, digest_hour=7)
    early = datetime.now(UTC).replace(hour=6, minute=59)
    assert daily_work(factory.db, settings, now=early).digests == 0
    assert daily_work(factory.db, settings, now=early.replace(hour=7, minute=0)).digests == 1


def test_a_leaders_signals_follow_every_write(client, factory: Factory) -> None:
    """The leader's counts over the whole book are kept per workspace revision: the next
    request after a write (an account turning red, one archived) counts it."""
    from steward.accounts.models import Account

    vp = factory.user(role="vp")
    am = factory.user(role="am")
    first = factory.account(owner_am_id=am.id, health_band="red", arr_minor=500_00)

    def red() -> tuple[int, list[str]]:
        body = client.get("/api/v1/me/day", headers=factory.headers(vp)).json()
        return body["counts"]["red_accounts"], [a["account_name"] for a in body["red_accounts"]]

    assert red() == (1, [first.name])
    second = factory.account(owner_am_id=am.id, health_band="red", arr_minor=900_00)
    assert red() == (2, [second.name, first.name])
    with factory.db.session() as session:
        session.get(Account, second.id).archived_at = datetime.now(UTC)  # type: ignore[union-attr]
    assert red() == (1, [first.name])


def test_my_day_keeps_to_the_book_for_work_assigned_outside_it(client, factory: Factory) -> None:
    """Work assigned to a person on an account outside their book (a task, a milestone, an
    escalation they own) stays hidden, in the lists and in the counts; an escalation someone
    else owns on the person's own account is theirs to see."""
    am, other = factory.user(role="am"), factory.user(role="am")
    mine = factory.account(name="Mine Co", owner_am_id=am.id)
    theirs = factory.account(name="Their Co", owner_am_id=other.id)
    today = date.today()
    factory.task(mine, title="Call mine", assignee_id=am.id, due_date=today)
    factory.task(theirs, title="Call theirs", assignee_id=am.id, due_date=today)
    factory.escalation(mine, title="On mine, owned by them", owner_id=other.id)
    factory.escalation(mine, title="On mine, owned by me", owner_id=am.id)
    factory.escalation(theirs, title="On theirs, owned by me", owner_id=am.id)
    with factory.db.session() as session:
        for account in (mine, theirs):
            session.add(
                Milestone(
                    account_id=account.id,
                    title=f"Milestone of {account.name}",
                    owner_id=am.id,
                    due_date=today + timedelta(days=1),
                )
            )
    body = client.get("/api/v1/me/day", headers=factory.headers(am)).json()
    assert [t["title"] for t in body["tasks"]] == ["Call mine"]
    assert [m["title"] for m in body["milestones"]] == ["Milestone of Mine Co"]
    assert sorted(e["title"] for e in body["escalations"]) == [
        "On mine, owned by me",
        "On mine, owned by them",
    ]
    counts = body["counts"]
    assert (counts["tasks"], counts["milestones"], counts["escalations"]) == (1, 1, 2)
