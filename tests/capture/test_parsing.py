from __future__ import annotations

from datetime import UTC, datetime

from steward.capture.imap import attachments_of
from steward.capture.parsing import Attachment, parse_message
from tests.support.mailgen import message

# A delivery-status notification as Postfix writes it (RFC 3464).
BOUNCE = b"""From: MAILER-DAEMON@mx.example (Mail Delivery System)
To: am@ours.example
Subject: Undelivered Mail Returned to Sender
Date: Mon, 2 Nov 2026 10:00:00 +0000
Message-ID: <bounce-1@mx.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example

Final-Recipient: rfc822; Gone.Person@Acme.example
Action: failed
Status: 5.1.1

--B--
"""


def test_a_reply_belongs_to_the_thread_its_references_start():
    reply = parse_message(
        message(
            message_id="r2@x",
            sender="Jane Doe <Jane@Acme.example>",
            to=["am@ours.example"],
            references=["root@x", "r1@x"],
        )
    )
    assert reply.message_id == "r2@x"
    assert reply.thread_root == "root@x"
    assert reply.from_address == "jane@acme.example"
    assert reply.sent_at == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    assert not reply.automatic


def test_attachments_are_recorded_by_name_and_size():
    parsed = parse_message(
        message(
            message_id="a@x",
            sender="am@ours.example",
            to=["jane@acme.example"],
            attachment=("QBR deck.pdf", b"%PDF" + b"0" * 996),
        )
    )
    assert parsed.attachments == [Attachment("QBR deck.pdf", 1000)]


def test_a_bounce_names_the_failed_recipient_and_is_no_touch():
    parsed = parse_message(BOUNCE.replace(b"\n", b"\r\n"))
    assert parsed.automatic
    assert parsed.bounced == ["gone.person@acme.example"]


def test_an_out_of_office_saying_they_left_is_a_departure():
    parsed = parse_message(
        message(
            message_id="ooo@x",
            sender="jane@acme.example",
            to=["am@ours.example"],
            subject="Automatic reply: Renewal plan",
            body="Thank you for your message. Jane is no longer with the company; "
            "please write to ops@acme.example.",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert parsed.automatic
    assert "no longer with" in (parsed.departure_note or "")
    plain_vacation = parse_message(
        message(
            message_id="ooo2@x",
            sender="jo@acme.example",
            to=["am@ours.example"],
            body="I am out of the office until Monday.",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert plain_vacation.departure_note is None


def test_a_message_without_message_id_keeps_one_identity():
    raw = b"From: jane@acme.example\r\nTo: am@ours.example\r\nSubject: hi\r\n"
    raw += b"Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nbody\r\n"
    assert parse_message(raw).message_id == parse_message(raw).message_id
    assert parse_message(raw).message_id.startswith("synthetic-")


def test_attachments_from_bodystructure_without_fetching_them():
    # What Dovecot answered for a text part and a PDF attachment.
    structure = (
        [
            (b"text", b"plain", (b"charset", b"us-ascii"), None, None, b"7bit", 5, 0),
            (
                b"application",
                b"pdf",
                None,
                None,
                None,
                b"base64",
                4096,
                None,
                (b"attachment", (b"filename", b"q.pdf")),
                None,
                None,
            ),
        ],
        b"mixed",
        (b"boundary", b"XX"),
        None,
        None,
        None,
    )
    assert attachments_of(structure) == [Attachment("q.pdf", 4096)]
    single = (b"text", b"plain", (b"charset", b"utf-8"), None, None, b"7bit", 12, 1)
    assert attachments_of(single) == []
