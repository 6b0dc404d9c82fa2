"""The triggers not covered end to end: usage drop, SLA breach, opportunity won, and the
default that prospects and churned customers are left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from steward.capture.ingest import ingest
from steward.capture.matching import Matcher
from steward.capture.parsing import parse_message
from steward.config import Settings
from steward.contacts.models import Contact
from steward.health.models import HealthScore, HealthScorecard
from steward.playbooks.engine import evaluate
from steward.playbooks.schemas import RuleSpec
from tests.capture.conftest import holder
from tests.factories import Factory
from tests.support.mailgen import message


def _spec(trigger: dict, **extra: object) -> RuleSpec:  # type: ignore[type-arg]
    return RuleSpec.model_validate(
        {"key": "t", "name": "t", "trigger": trigger, "actions": [{"type": "notify"}], **extra}
    )


def _reasons(factory: Factory, spec: RuleSpec) -> dict[int, str]:
    now = datetime.now(UTC)
    with factory.db.session() as session:
        found = evaluate(session, spec, now.date(), now)
    return {c.account.id: c.event.reason for c in found.candidates}


def test_usage_drop_compares_the_last_30_days_with_the_30_before(factory: Factory) -> None:
    falling, steady = factory.account(), factory.account()
    today = datetime.now(UTC).date()
    with factory.db.session() as session:
        card = HealthScorecard(key="k", name="k", status="published", definition="{}")
        session.add(card)
        session.flush()
        for account, recent, before in ((falling, 6, 10), (steady, 10, 10)):
            usage = {"active_users_30d": recent, "active_users_prior_30d": before}
            session.add(
                HealthScore(
                    account_id=account.id,
                    scorecard_id=card.id,
                    as_of=today,
                    components="[]",
                    explanation="",
                    usage=orjson.dumps(usage).decode(),
                )
            )
    assert _reasons(factory, _spec({"type": "usage_drop", "percent": 40})) == {
        falling.id: "active users fell 40% in 30 days (10 → 6)"
    }
    assert _reasons(factory, _spec({"type": "usage_drop", "percent": 41})) == {}


def test_sla_breaches_and_won_opportunities(factory: Factory) -> None:
    account = factory.account()
    now = datetime.now(UTC)
    late = factory.escalation(
        account,
        severity="p1",
        title="Down",
        opened_at=now - timedelta(hours=10),
        sla_due_at=now - timedelta(hours=2),
    )
    factory.escalation(account)  # not due yet
    factory.escalation(  # breached long ago: outside the look-back
        account, opened_at=now - timedelta(days=30), sla_due_at=now - timedelta(days=29)
    )
    reasons = _reasons(factory, _spec({"type": "sla_breach"}))
    assert reasons[account.id].startswith("P1 escalation 'Down' (support) passed its SLA target")
    with factory.db.session() as session:
        found = evaluate(session, _spec({"type": "sla_breach"}), now.date(), now)
    assert [c.event.key for c in found.candidates] == [
        f"account:{account.id}:escalation:{late.id}:sla_breach"
    ]

    factory.opportunity(
        account, name="Seats", stage="closed_won", closed_at=now - timedelta(days=1)
    )
    factory.opportunity(account, name="Lost", stage="closed_lost", closed_at=now)
    won = _reasons(factory, _spec({"type": "opportunity_won", "opportunity_types": ["upsell"]}))
    assert won == {account.id: "upsell opportunity 'Seats' won ($10.0k)"}
    assert (
        _reasons(factory, _spec({"type": "opportunity_won", "opportunity_types": ["renewal"]}))
        == {}
    )


def test_prospects_and_churned_accounts_are_left_alone_unless_asked(factory: Factory) -> None:
    churned = factory.account(lifecycle_stage="churned")
    factory.account(lifecycle_stage="prospect")
    customer = factory.account()
    no_touch = {"type": "no_touch", "days": 30}
    assert set(_reasons(factory, _spec(no_touch))) == {customer.id}
    asked = _spec(no_touch, conditions={"lifecycle_stages": ["churned", "prospect"]})
    # no_touch itself only looks at customers: the condition cannot widen what it watches
    assert set(_reasons(factory, asked)) == set()
    assert churned.id not in _reasons(factory, _spec({"type": "sla_breach"}))


def test_a_champion_whose_auto_reply_says_they_left_fires_contact_departed(
    factory: Factory, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    am = factory.user("am")
    account = factory.account(domain="acme.example", owner_am_id=am.id)
    champion = factory.contact(
        account, first_name="Jane", last_name="Doe", email="jane@acme.example", deal_role="champion"
    )
    factory.contact(
        account, first_name="Joe", last_name="Doe", email="joe@acme.example", deal_role="user"
    )
    settings = Settings(data_dir=tmp_path, secret_key="test")
    now = datetime.now(UTC)
    spec = _spec({"type": "contact_departed"})
    assert _reasons(factory, spec) == {}
    for n, sender in enumerate(["jane@acme.example", "joe@acme.example"]):
        raw = message(
            message_id=f"ooo{n}@acme.example",
            sender=sender,
            to=[am.email],
            subject="Automatic reply: Renewal plan",
            body="Thank you for your e-mail. I am no longer with the company; please write"
            " to support@acme.example.\n",
            sent_at=now - timedelta(hours=1),
            headers={"Auto-Submitted": "auto-replied"},
        )
        with factory.db.session() as session:
            ingest(session, Matcher(session, settings), parse_message(raw), holder(am.id))
            session.commit()
    # Only the champion counts (joe is a user); the reason quotes what the mail said.
    assert _reasons(factory, spec) == {
        account.id: (
            "Jane Doe (champion) has left the company: their automatic reply says “no longer with”"
        )
    }
    assert _reasons(factory, _spec({"type": "contact_departed", "deal_roles": ["user"]})) == {
        account.id: (
            "Joe Doe (user) has left the company: their automatic reply says “no longer with”"
        )
    }
    with factory.db.session() as session:
        assert session.get(Contact, champion.id).departed_at is not None  # type: ignore[union-attr]
