"""One e-mail as capture needs it, from its raw bytes (the logging address has them whole; a
mailbox sync reads the first part and BODYSTRUCTURE): who, when, which thread, what it says,
what it carries, and whether it is a bounce or an out-of-office saying someone left."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

_IDS = re.compile(r"<([^<>\s]+)>")
# Phrases of the auto-replies people leave when they leave a company.
_DEPARTED = re.compile(
    r"no longer (with|at|employed|working)|(has|have) left (the company|[A-Z])|"
    r"last day (at|with|was)|is no longer (with|at|employed)|"
    r"not with (the company|us) anymore|left the organi[sz]ation",
    re.IGNORECASE,
)
_BODY_LIMIT = 20_000
_HTML_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[ \t\r\f\v]+")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
# compat32 leaves headers as written (encoded words, folding) instead of building header
# objects for each: five times faster, and capture decodes the few headers it shows itself.
_PARSER = BytesParser(policy=policy.compat32)


@dataclass(frozen=True)
class Attachment:
    name: str
    size: int


@dataclass
class ParsedMail:
    message_id: str
    # The Message-ID the conversation started from: every reply carries it first in References.
    thread_root: str
    sent_at: datetime
    from_address: str
    to: list[str]
    cc: list[str]
    subject: str
    body: str | None
    size: int
    attachments: list[Attachment] = field(default_factory=list)
    # Automatic mail (out-of-office, bounces, lists) is no touch, but may carry a signal.
    automatic: bool = False
    bounced: list[str] = field(default_factory=list)
    departure_note: str | None = None
    authentication: str | None = None

    @property
    def participants(self) -> list[str]:
        return _unique([self.from_address, *self.to, *self.cc])


def id_hash(message_id: str) -> str:
    return hashlib.sha256(message_id.encode("utf-8", "surrogateescape")).hexdigest()


def _unique(addresses: list[str]) -> list[str]:
    return list(dict.fromkeys(a for a in addresses if a))


def normal_address(address: str) -> str:
    return address.strip().strip("<>").lower()


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower().rstrip(".")


def _header(message: Message, name: str) -> str:
    """A header's text: unfolded, encoded words (RFC 2047) decoded."""
    value = message.get(name)
    if value is None:
        return ""
    text = _FOLD.sub("", str(value))
    if "=?" in text:
        try:
            return str(make_header(decode_header(text)))
        except (HeaderParseError, UnicodeError, LookupError, ValueError):
            return text
    return text


def _addresses(message: Message, *names: str) -> list[str]:
    values: list[str] = []
    for name in names:
        values += [_FOLD.sub("", str(v)) for v in message.get_all(name, [])]
    return _unique([normal_address(a) for _, a in getaddresses(values) if "@" in a])


def _ids(value: Any) -> list[str]:
    return _IDS.findall(str(value or ""))


def _sent_at(message: Message, fallback: datetime | None) -> datetime:
    try:
        when = parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return fallback or datetime.now(UTC)
    if when is None:
        return fallback or datetime.now(UTC)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _parts(message: Message) -> Iterator[Message]:
    """The leaf parts, not looking inside attached messages (a forwarded mail's own text
    and attachments are not this message's)."""
    if message.is_multipart():
        for part in message.get_payload():
            if isinstance(part, Message):
                yield from _parts(part)
    else:
        yield message


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:  # a charset Python does not know
        return payload.decode("utf-8", "replace")


def _is_attachment(part: Message) -> bool:
    disposition = part.get_content_disposition()
    return disposition == "attachment" or (
        disposition != "inline" and part.get_filename() is not None
    )


def _text(message: Message) -> str | None:
    """The plain text of the message's body (its HTML, tags removed, when it has none)."""
    plain = html = None
    for part in _parts(message):
        if _is_attachment(part):
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = part
        elif kind == "text/html" and html is None:
            html = part
    body = plain or html
    if body is None:
        return None
    content = _decoded(body)
    if body is html:
        content = _HTML_TAG.sub(" ", content)
    lines = [_SPACE.sub(" ", line).strip() for line in content.splitlines()]
    text = "\n".join(lines).strip()
    return text[:_BODY_LIMIT] or None


def _attachments(message: Message) -> list[Attachment]:
    found: list[Attachment] = []
    if not message.is_multipart():
        return found
    for part in message.get_payload():
        if not isinstance(part, Message):
            continue
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            found += _attachments(part)
        elif _is_attachment(part) or part.get_content_maintype() == "message":
            payload = part.get_payload(decode=True)
            name = part.get_filename() or part.get_content_type()
            found.append(Attachment(str(name), len(payload) if isinstance(payload, bytes) else 0))
    return found


def _bounced(message: Message) -> list[str]:
    """The recipients a delivery-status notification (RFC 3464) reports as failed."""
    failed = _addresses(message, "X-Failed-Recipients")
    if message.get_content_type() == "multipart/report":
        for part in message.walk():
            if part.get_content_type() != "message/delivery-status":
                continue
            # Each per-recipient block is a header block of its own.
            blocks = part.get_payload()
            for block in blocks if isinstance(blocks, list) else []:
                if not isinstance(block, Message):
                    continue
                action = str(block.get("Action", "")).lower()
                recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient"))
                if action == "failed" and ";" in recipient:
                    failed.append(normal_address(recipient.split(";", 1)[1]))
    return _unique(failed)


def parse_message(
    raw: bytes, *, received_at: datetime | None = None, size: int | None = None
) -> ParsedMail:
    message = _PARSER.parsebytes(raw)
    senders = _addresses(message, "From") or _addresses(message, "Sender")
    sender = senders[0] if senders else "unknown@invalid"
    sent_at = _sent_at(message, received_at)
    subject = _header(message, "Subject").strip()
    own = _ids(message.get("Message-ID"))
    # A message without a Message-ID still has one identity wherever it is found.
    message_id = (
        own[0]
        if own
        else "synthetic-" + id_hash(f"{sender}|{sent_at.isoformat()}|{subject}")[:32] + "@steward"
    )
    references = _ids(message.get("References")) or _ids(message.get("In-Reply-To"))
    auto_submitted = str(message.get("Auto-Submitted", "no")).lower()
    content_type = message.get_content_type()
    automatic = (
        auto_submitted not in ("", "no")
        or message.get("X-Autoreply") is not None
        or message.get("X-Autorespond") is not None
        or str(message.get("Precedence", "")).lower() in ("bulk", "junk", "auto_reply")
        or content_type == "multipart/report"
        or sender.split("@")[0] in ("mailer-daemon", "postmaster")
    )
    body = _text(message)
    departure = None
    if automatic and content_type != "multipart/report":
        match = _DEPARTED.search(f"{subject}\n{body or ''}")
        if match:
            departure = match.group(0)
    return ParsedMail(
        message_id=message_id,
        thread_root=references[0] if references else message_id,
        sent_at=sent_at,
        from_address=sender,
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc", "Bcc"),
        subject=subject,
        body=body,
        size=size if size is not None else len(raw),
        attachments=_attachments(message),
        automatic=automatic,
        bounced=_bounced(message),
        departure_note=departure,
        authentication=_header(message, "Authentication-Results")[:500] or None,
    )


def formatted(address: str, name: str = "") -> str:
    return str(Address(display_name=name, addr_spec=address))
