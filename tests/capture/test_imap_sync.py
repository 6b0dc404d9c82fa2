"""Mailbox sync against a real IMAP server (Dovecot on loopback), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from steward.accounts.models import Account
from steward.activities.models import Activity
from steward.capture.imap import MailboxError, sync_mailbox
from steward.capture.models import Mailbox, MailboxFolder, MailMessage, MailSighting, ReviewItem
from steward.capture.tasks import sync_mailboxes
from steward.core.secrets import encrypt
from tests.support.dovecot import PASSWORD
from tests.support.mailgen import conversation, message

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _mailbox(db, settings, server, login: str, user_id: int, password: str = PASSWORD) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        mailbox = Mailbox(
            user_id=user_id,
            host=server.host,
            port=server.port,
            security="none",
            username=login,
            secret_encrypted=encrypt(settings, password),
            folders="[]",
            excluded_folders="[]",
        )
        session.add(mailbox)
        session.commit()
        return mailbox.id


def _counts(db) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(MailMessage)) or 0,
            session.scalar(select(func.count()).select_from(Activity)) or 0,
            session.scalar(select(func.count()).select_from(MailSighting)) or 0,
        )


def test_inbox_and_sent_folder_sync_and_a_second_sync_changes_nothing(
    db, factory, settings, imap_server, imap_user
):
    am = factory.user("am")
    account = factory.account(domain="acme.example")
    start = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    mails = conversation(5_000, ours=am.email, theirs="jane@acme.example", start=start)
    # What the customer wrote sits in the inbox, what we wrote in the sent folder.
    for n, raw in enumerate(mails):
        imap_server.deliver(imap_user, raw, "INBOX" if n % 5 % 2 == 0 else "Sent")
    mailbox_id = _mailbox(db, settings, imap_server, imap_user, am.id)
    report = sync_mailbox(db, settings, mailbox_id)
    assert (report.folders, report.read) == (2, 5_000)
    assert _counts(db) == (5_000, 1_000, 5_000)  # threads of five: 1,000 activities
    with db.session() as session:
        last = start + timedelta(minutes=10 * 4_999)
        assert session.get(Account, account.id).last_touch_at == last
        folders = {f.name: f.messages for f in session.scalars(select(MailboxFolder))}
        assert folders == {"INBOX": 3_000, "Sent": 2_000}
    again = sync_mailbox(db, settings, mailbox_id)
    assert again.read == 0
    assert _counts(db) == (5_000, 1_000, 5_000)
    # New mail is read on the next sync, and only it.
    imap_server.deliver(
        imap_user,
        message(
            message_id="late@x",
            sender="jane@acme.example",
            to=[am.email],
            sent_at=last + timedelta(days=1),
        ),
    )
    assert sync_mailbox(db, settings, mailbox_id).read == 1
    assert _counts(db) == (5_001, 1_001, 5_001)


def test_a_sync_killed_midway_resumes_with_nothing_lost_or_doubled(
    db, factory, settings, imap_server, imap_user
):
    am = factory.user("am")
    factory.account(domain="acme.example")
    imap_server.deliver_many(
        imap_user,
        iter(conversation(5_000, ours=am.email, theirs="jane@acme.example", prefix="k")),
    )
    mailbox_id = _mailbox(db, settings, imap_server, imap_user, am.id)
    runner = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.capture.sync_runner",
            db.url,
            str(settings.data_dir),
            str(mailbox_id),
            "100",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # Kill it once some batches are committed, while others are not.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _counts(db)[0] < 1_000:
        assert runner.poll() is None, runner.stderr.read() if runner.stderr else ""
        time.sleep(0.05)
    runner.send_signal(signal.SIGKILL)
    runner.wait(timeout=10)
    stored = _counts(db)[0]
    assert 1_000 <= stored < 5_000
    # The dead worker's lease runs out; the next sync picks up after the last commit.
    with db.session() as session:
        session.get(Mailbox, mailbox_id).lease_until = None  # type: ignore[union-attr]
        session.commit()
    report = sync_mailbox(db, settings, mailbox_id)
    assert report.read == 5_000 - stored
    assert _counts(db) == (5_000, 1_000, 5_000)


def test_the_same_thread_in_two_mailboxes_is_one_activity_with_both(
    db, factory, settings, imap_server, imap_user
):
    am, csm = factory.user("am"), factory.user("csm")
    factory.account(domain="acme.example")
    second_login = imap_user.replace("user", "user2")
    thread = [
        message(message_id="q1@acme", sender="jane@acme.example", to=[am.email, csm.email]),
        message(
            message_id="q2@ours",
            sender=am.email,
            to=["jane@acme.example"],
            cc=[csm.email],
            subject="Re: Renewal plan",
            references=["q1@acme"],
            sent_at=datetime(2026, 11, 2, 11, 0, tzinfo=UTC),
        ),
    ]
    for raw in thread:
        imap_server.deliver(imap_user, raw)
        imap_server.deliver(second_login, raw)
    for user, login in ((am, imap_user), (csm, second_login)):
        sync_mailbox(db, settings, _mailbox(db, settings, imap_server, login, user.id))
    assert _counts(db) == (2, 1, 4)
    with db.session() as session:
        body = session.scalars(select(Activity.body)).one() or ""
        assert am.full_name in body and csm.full_name in body


def test_an_unknown_domain_lands_in_the_review_queue(db, factory, settings, imap_server, imap_user):
    am = factory.user("am")
    imap_server.deliver(
        imap_user, message(message_id="n1@newco", sender="cto@newco.example", to=[am.email])
    )
    sync_mailbox(db, settings, _mailbox(db, settings, imap_server, imap_user, am.id))
    with db.session() as session:
        item = session.scalars(select(ReviewItem)).one()
        assert (item.domain, item.messages, item.status) == ("newco.example", 1, "pending")


def test_folders_opted_out_are_not_read(db, factory, settings, imap_server, imap_user):
    am = factory.user("am")
    factory.account(domain="acme.example")
    imap_server.deliver(
        imap_user, message(message_id="s1@x", sender=am.email, to=["a@acme.example"]), "Sent"
    )
    imap_server.deliver(
        imap_user, message(message_id="i1@x", sender="a@acme.example", to=[am.email])
    )
    mailbox_id = _mailbox(db, settings, imap_server, imap_user, am.id)
    with db.session() as session:
        session.get(Mailbox, mailbox_id).excluded_folders = json.dumps(["Sent"])  # type: ignore[union-attr]
        session.commit()
    assert sync_mailbox(db, settings, mailbox_id).read == 1


def test_a_wrong_password_is_kept_as_the_mailboxs_error(
    db, factory, settings, imap_server, imap_user
):
    am = factory.user("am")
    mailbox_id = _mailbox(db, settings, imap_server, imap_user, am.id, password="wrong")
    with pytest.raises(MailboxError, match="refused the login"):
        sync_mailbox(db, settings, mailbox_id)
    # The scheduled job records it and goes on.
    assert sync_mailboxes(db, settings) == []
    with db.session() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        assert mailbox is not None and "refused the login" in (mailbox.last_error or "")
        assert mailbox.lease_until is None
