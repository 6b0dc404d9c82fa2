"""Matching and storing captured mail (the part every source shares), on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from steward.accounts.models import Account, AccountDomain
from steward.activities.models import Activity
from steward.capture.ingest import Outcome, ingest
from steward.capture.matching import Matcher
from steward.capture.models import CaptureLevel, MailMessage, MailThread, ReviewItem
from steward.capture.parsing import parse_message
from steward.contacts.models import Contact
from tests.capture.conftest import holder
from tests.support.mailgen import message

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _ingest(db, settings, raw: bytes, user_id: int, **kw) -> Outcome:  # type: ignore[no-untyped-def]
    with db.session() as session:
        outcome = ingest(
            session, Matcher(session, settings), parse_message(raw), holder(user_id, **kw)
        )
        session.commit()
    return outcome


def test_a_contacts_address_puts_the_mail_on_the_contacts_account(db, factory, settings):
    am = factory.user("am")
    account = factory.account(domain="acme.example", owner_am_id=am.id)
    other = factory.account(domain="other.example")
    # The contact's address is at another company's domain: the contact decides, not the domain.
    jane = factory.contact(account, email="Jane@Other.example")
    raw = message(message_id="c1@x", sender=am.email, to=["jane@other.example"])
    assert _ingest(db, settings, raw, am.id) == Outcome.CAPTURED
    with db.session() as session:
        activity = session.scalars(select(Activity)).one()
        assert (activity.account_id, activity.contact_id, activity.type) == (
            account.id,
            jane.id,
            "email",
        )
        assert activity.subject == "Renewal plan"
        assert session.get(Account, account.id).last_touch_at == T0
        assert session.get(Contact, jane.id).last_touch_at == T0
        assert session.get(Account, other.id).last_touch_at is None


def test_subdomains_and_further_domains_belong_to_the_account(db, factory, settings):
    am = factory.user("am")
    account = factory.account(domain="acme.example")
    with db.session() as session:
        session.add(AccountDomain(account_id=account.id, domain="acme-corp.example"))
        session.commit()
    for n, sender in enumerate(["ops@eu.sales.acme.example", "cfo@acme-corp.example"]):
        raw = message(message_id=f"d{n}@x", sender=sender, to=[am.email])
        assert _ingest(db, settings, raw, am.id) == Outcome.CAPTURED
    with db.session() as session:
        assert set(session.scalars(select(Activity.account_id))) == {account.id}
        assert session.scalar(select(func.count()).select_from(Activity)) == 2


def test_internal_mail_is_not_captured_and_unknown_domains_wait_for_review(db, factory, settings):
    am = factory.user("am")
    colleague = factory.user("csm")
    internal = message(message_id="i@x", sender=am.email, to=[colleague.email])
    assert _ingest(db, settings, internal, am.id) == Outcome.INTERNAL
    unknown = message(message_id="u@x", sender="buyer@newco.example", to=[am.email])
    assert _ingest(db, settings, unknown, am.id) == Outcome.PENDING
    with db.session() as session:
        item = session.scalars(select(ReviewItem)).one()
        assert (item.domain, item.sample_address, item.messages) == (
            "newco.example",
            "buyer@newco.example",
            1,
        )
        thread = session.scalars(select(MailThread)).one()
        assert thread.account_id is None and thread.activity_id is None
        assert session.scalar(select(func.count()).select_from(Activity)) == 0


def test_two_accounts_holding_one_domain_send_the_mail_to_review(db, factory, settings):
    am = factory.user("am")
    factory.account(domain="twin.example")
    factory.account(domain="twin.example")
    raw = message(message_id="t@x", sender="a@twin.example", to=[am.email])
    assert _ingest(db, settings, raw, am.id) == Outcome.PENDING


def test_one_thread_is_one_activity_and_a_message_one_row_whoever_holds_it(db, factory, settings):
    am, csm = factory.user("am"), factory.user("csm")
    account = factory.account(domain="acme.example")
    first = message(message_id="root@x", sender="jane@acme.example", to=[am.email, csm.email])
    reply = message(
        message_id="reply@x",
        sender=am.email,
        to=["jane@acme.example"],
        cc=[csm.email],
        subject="Re: Renewal plan",
        sent_at=T0 + timedelta(hours=3),
        references=["root@x"],
    )
    # Both mailboxes hold both messages.
    for raw in (first, reply):
        assert _ingest(db, settings, raw, am.id, origin="imap:1") == Outcome.CAPTURED
        assert _ingest(db, settings, raw, csm.id, origin="imap:2") == Outcome.SEEN_AGAIN
    with db.session() as session:
        activities = session.scalars(select(Activity)).all()
        assert len(activities) == 1
        assert activities[0].occurred_at == T0 + timedelta(hours=3)
        assert "2 messages" in (activities[0].body or "")
        assert am.full_name in (activities[0].body or "")
        assert csm.full_name in (activities[0].body or "")
        assert session.scalar(select(func.count()).select_from(MailMessage)) == 2
        assert session.get(Account, account.id).last_touch_at == T0 + timedelta(hours=3)


def test_a_message_keeps_the_least_its_holders_allow(db, factory, settings):
    am, csm = factory.user("am"), factory.user("csm")
    factory.account(domain="acme.example")
    raw = message(message_id="p@x", sender="jane@acme.example", to=[am.email, csm.email])
    _ingest(db, settings, raw, am.id, level=CaptureLevel.BODY)
    with db.session() as session:
        stored = session.scalars(select(MailMessage)).one()
        assert stored.body and stored.subject
    _ingest(db, settings, raw, csm.id, level=CaptureLevel.METADATA, origin="imap:9")
    with db.session() as session:
        stored = session.scalars(select(MailMessage)).one()
        assert stored.body is None and stored.subject is None
        activity = session.scalars(select(Activity)).one()
        assert activity.subject == "E-mail with jane@acme.example"
        assert "here is the plan" not in (activity.body or "")


def test_bounces_and_leaving_notes_flag_the_contact_as_departed(db, factory, settings):
    am = factory.user("am")
    account = factory.account(domain="acme.example")
    gone = factory.contact(account, email="gone@acme.example")
    left = factory.contact(account, email="left@acme.example")
    stays = factory.contact(account, email="stays@acme.example")
    bounce = (
        f"From: MAILER-DAEMON@mx.acme.example\r\nTo: {am.email}\r\nSubject: Undelivered\r\n"
        "Message-ID: <b@mx>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n"
        "X-Failed-Recipients: gone@acme.example\r\n\r\nfailed\r\n"
    )
    assert _ingest(db, settings, bounce.encode(), am.id) == Outcome.AUTOMATIC
    ooo = message(
        message_id="o@x",
        sender="left@acme.example",
        to=[am.email],
        subject="Out of office",
        body="I have left the company. Please contact stays@acme.example.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    assert _ingest(db, settings, ooo, am.id) == Outcome.AUTOMATIC
    with db.session() as session:
        assert session.get(Contact, gone.id).departed_at is not None
        assert "bounced" in (session.get(Contact, gone.id).departed_reason or "")
        assert session.get(Contact, left.id).departed_at is not None
        assert session.get(Contact, stays.id).departed_at is None
        # Automatic mail is no touch.
        assert session.get(Account, account.id).last_touch_at is None
