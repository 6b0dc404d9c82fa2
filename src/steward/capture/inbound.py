"""The logging address: an SMTP listener that takes mail users BCC or forward to Steward.

Off unless STEWARD_INBOUND_SMTP_PORT is set (`steward serve` then starts it beside the job
worker, in a process of its own). The sender, by envelope or From, must be an active Steward
user; anything else is refused at the door (550), so the address cannot be used to plant mail
on an account. A message is answered 250 only once it is stored: the sending server keeps and
retries whatever Steward did not take.

What is captured from a logged message:
- BCC: the message itself (its To and Cc are the customer);
- forwarded as an attachment (message/rfc822): the attached message, with its own Message-ID
  (so a copy in a connected mailbox stays one message);
- forwarded inline: the participants, date and subject of the forwarded header block.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import quopri
import re
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from steward.capture.ingest import Holder, Outcome, ingest
from steward.capture.matching import Matcher
from steward.capture.parsing import ParsedMail, normal_address, parse_message
from steward.capture.preferences import effective_level
from steward.config import Settings
from steward.db.engine import Database
from steward.users.models import User

log = logging.getLogger("steward.capture.inbound")
MAX_MESSAGE_BYTES = 30 * 1_048_576
_FORWARD_MARKER = re.compile(
    r"^-{2,}\s*(Forwarded message|Original Message|Weitergeleitete Nachricht|Message transféré)"
    r"\s*-{2,}\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_HEADER_LINE = re.compile(r"^(From|To|Cc|Date|Sent|Subject)\s*:\s*(.+)$", re.IGNORECASE)


def _inner_message(raw: bytes) -> bytes | None:
    """The message forwarded as an attachment, if there is one."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if not isinstance(inner, Message):
                continue
            # RFC 2046 forbids encoding a message/rfc822 part, yet Python's own `email` (and
            # some clients) base64 it: the parser then reads the encoded text as a body.
            encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
            if encoding in {"base64", "quoted-printable"}:
                text = str(inner.get_payload()).encode("ascii", "replace")
                return base64.b64decode(text) if encoding == "base64" else quopri.decodestring(text)
            return bytes(inner.as_bytes(policy=policy.SMTP))
    return None


def _inline_forward(mail: ParsedMail) -> ParsedMail:
    """An inline forward's header block (Gmail's, Outlook's and Apple Mail's) becomes the
    participants, date and subject of what is captured."""
    if not mail.body:
        return mail
    marker = _FORWARD_MARKER.search(mail.body)
    if marker is None:
        return mail
    fields: dict[str, str] = {}
    for line in mail.body[marker.end() :].lstrip("\n").splitlines()[:12]:
        found = _HEADER_LINE.match(line.strip())
        if found is None:
            if fields:
                break
            continue
        fields.setdefault(found.group(1).lower(), found.group(2).strip())
    if "from" not in fields:
        return mail
    block = "".join(
        f"{name.capitalize() if name != 'sent' else 'Date'}: {value}\r\n"
        for name, value in fields.items()
    )
    forwarded = parse_message((block + "\r\n").encode("utf-8", "replace"), received_at=mail.sent_at)
    mail.from_address = forwarded.from_address
    mail.to = forwarded.to
    mail.cc = forwarded.cc
    if fields.get("date") or fields.get("sent"):
        mail.sent_at = forwarded.sent_at
    if forwarded.subject:
        mail.subject = forwarded.subject
    return mail


class LoggingHandler:
    """aiosmtpd's handler: each message is stored in a worker thread (the database is
    synchronous) before the 250."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def _user_id(self, addresses: list[str]) -> int | None:
        wanted = [normal_address(a) for a in addresses if a and "@" in a]
        if not wanted:
            return None
        with self.db.session() as session:
            return session.scalar(
                select(User.id)
                .where(func.lower(User.email).in_(wanted), User.is_active.is_(True))
                .limit(1)
            )

    def store(self, envelope_from: str, raw: bytes) -> tuple[int, Outcome] | None:
        """(the logging user, what became of the message), or None: no user sent it."""
        outer = parse_message(raw)
        user_id = self._user_id([outer.from_address, envelope_from])
        if user_id is None:
            return None
        inner = _inner_message(raw)
        mail = parse_message(inner) if inner is not None else _inline_forward(outer)
        if outer.authentication and not mail.authentication:
            mail.authentication = outer.authentication
        with self.db.session() as session:
            holder = Holder(user_id, "smtp", effective_level(session, user_id))
            outcome = ingest(session, Matcher(session, self.settings), mail, holder)
            session.commit()
        return user_id, outcome

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            stored = await asyncio.to_thread(self.store, str(envelope.mail_from or ""), raw)
        except Exception:
            log.exception("could not store a logged message")
            return "451 4.3.0 Steward could not store the message; try again later"
        if stored is None:
            return "550 5.7.1 Only Steward users can log mail here: the sender is not one"
        user_id, outcome = stored
        log.info("logged mail from user %s: %s", user_id, outcome.value)
        return f"250 2.0.0 Logged ({outcome.value})"


def listener(db: Database, settings: Settings, port: int | None = None) -> Controller:
    return Controller(
        LoggingHandler(db, settings),
        hostname=settings.inbound_smtp_host,
        port=port or settings.inbound_smtp_port,
        data_size_limit=MAX_MESSAGE_BYTES,
        decode_data=False,
        server_hostname="steward",
        ident="Steward logging address",
    )
