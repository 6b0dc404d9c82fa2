"""The logging address: Steward's own SMTP listener on loopback, fed by `smtplib` as a mail
server or client would, on SQLite and PostgreSQL."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from sqlalchemy import select

from steward.accounts.models import Account
from steward.activities.models import Activity
from steward.capture.inbound import listener
from steward.capture.models import MailMessage, MailSighting, ReviewItem
from steward.users.models import User
from tests.support.mailgen import message


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_port(db, settings) -> Iterator[int]:  # type: ignore[no-untyped-def]
    port = _free_port()
    controller = listener(db, settings, port)
    controller.start()
    yield port
    controller.stop()


def _send(port: int, raw: bytes, mail_from: str, to: str = "steward@steward.test") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.sendmail(mail_from, [to], raw)


def test_mail_bcced_by_a_user_to_a_contact_becomes_an_email_activity(
    db, factory, settings, smtp_port
):
    am = factory.user("am")
    account = factory.account(domain="acme.example", owner_am_id=am.id)
    jane = factory.contact(account, email="jane@acme.example")
    raw = message(
        message_id="bcc-1@steward.test",
        sender=am.email,
        to=["jane@acme.example"],
        subject="Your renewal",
        headers={"Authentication-Results": "mx.steward.test; spf=pass; dkim=pass"},
    )
    _send(smtp_port, raw, am.email)
    with db.session() as session:
        activity = session.scalars(select(Activity)).one()
        assert (activity.type, activity.account_id, activity.contact_id) == (
            "email",
            account.id,
            jane.id,
        )
        assert activity.subject == "Your renewal"
        assert session.get(Account, account.id).last_touch_at is not None
        stored = session.scalars(select(MailMessage)).one()
        assert "spf=pass" in (stored.authentication or "")
        sighting = session.scalars(select(MailSighting)).one()
        assert (sighting.user_id, sighting.origin) == (am.id, "smtp")


def test_a_sender_who_is_not_a_user_is_refused_and_nothing_is_stored(
    db, factory, settings, smtp_port
):
    account = factory.account(domain="acme.example")
    factory.contact(account, email="jane@acme.example")
    raw = message(message_id="spoof@x", sender="mallory@evil.example", to=["jane@acme.example"])
    with pytest.raises(smtplib.SMTPDataError) as refused:
        _send(smtp_port, raw, "mallory@evil.example")
    assert refused.value.smtp_code == 550
    with db.session() as session:
        assert session.scalars(select(Activity)).all() == []
        assert session.scalars(select(MailMessage)).all() == []


def test_a_deactivated_user_cannot_log_mail(db, factory, settings, smtp_port):
    gone = factory.user("am")
    with db.session() as session:
        session.get(User, gone.id).is_active = False
        session.commit()
    account = factory.account(domain="acme.example")
    factory.contact(account, email="jane@acme.example")
    raw = message(message_id="gone@x", sender=gone.email, to=["jane@acme.example"])
    with pytest.raises(smtplib.SMTPDataError) as refused:
        _send(smtp_port, raw, gone.email)
    assert refused.value.smtp_code == 550


@pytest.mark.parametrize("encoded", [False, True], ids=["7bit", "base64"])
def test_mail_forwarded_as_an_attachment_is_captured_as_the_customers_message(
    db, factory, settings, smtp_port, encoded
):
    am = factory.user("am")
    account = factory.account(domain="acme.example", owner_am_id=am.id)
    jane = factory.contact(account, email="jane@acme.example")
    original = message(
        message_id="from-jane@acme.example",
        sender="Jane <jane@acme.example>",
        to=[am.email],
        subject="Question about seats",
    )
    forward = EmailMessage()
    forward["From"] = am.email
    forward["To"] = "steward@steward.test"
    forward["Subject"] = "Fwd: Question about seats"
    forward["Message-ID"] = "<fwd-1@steward.test>"
    forward.set_content("FYI")
    if encoded:  # as Python's own `email` and some clients write it (RFC 2046 says 7bit)
        forward.add_attachment(original, maintype="message", subtype="rfc822")
    else:
        forward.add_attachment(BytesParser(policy=policy.default).parsebytes(original))
    _send(smtp_port, bytes(forward), am.email)
    # Sent twice (a client retrying): still one message, one activity.
    _send(smtp_port, bytes(forward), am.email)
    with db.session() as session:
        stored = session.scalars(select(MailMessage)).one()
        assert stored.subject == "Question about seats"
        activity = session.scalars(select(Activity)).one()
        assert (activity.account_id, activity.contact_id) == (account.id, jane.id)


def test_an_inline_forward_takes_the_forwarded_header_block(db, factory, settings, smtp_port):
    am = factory.user("am")
    account = factory.account(domain="acme.example", owner_am_id=am.id)
    factory.contact(account, email="jane@acme.example")
    body = (
        "See below.\n\n"
        "---------- Forwarded message ---------\n"
        "From: Jane Roe <jane@acme.example>\n"
        "Date: Mon, 2 Nov 2026 at 09:30\n"
        "Subject: Budget for next year\n"
        f"To: {am.email}\n\n"
        "We need to talk about the budget.\n"
    )
    raw = message(
        message_id="inline-fwd@steward.test",
        sender=am.email,
        to=["steward@steward.test"],
        subject="Fwd: Budget for next year",
        body=body,
    )
    _send(smtp_port, raw, am.email)
    with db.session() as session:
        activity = session.scalars(select(Activity)).one()
        assert activity.account_id == account.id
        assert activity.subject == "Budget for next year"


def test_an_unknown_customer_domain_waits_for_review(db, factory, settings, smtp_port):
    am = factory.user("am")
    raw = message(message_id="new-lead@x", sender=am.email, to=["ceo@newco.example"])
    _send(smtp_port, raw, am.email)
    with db.session() as session:
        assert session.scalars(select(Activity)).all() == []
        item = session.scalars(select(ReviewItem)).one()
        assert (item.domain, item.messages) == ("newco.example", 1)
