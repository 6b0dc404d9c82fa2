"""Reading a mailbox over IMAP: new messages only, by UID, resumable and idempotent.

Per folder Steward keeps UIDVALIDITY and the next UID it has not read; STATUS (with
HIGHESTMODSEQ where the server has CONDSTORE) tells without selecting whether anything
changed. Messages are read in batches, each batch stored with the folder's new position in one
transaction: a sync killed midway resumes after the last batch it committed, and a message read
twice is stored once (its Message-ID is unique). A changed UIDVALIDITY means the server renumbered
the folder: it is read again from the start, which stores nothing twice.

Only the first 64 KB of each message is downloaded (headers and text); attachments are recorded
by name and size from BODYSTRUCTURE, never fetched.
"""

from __future__ import annotations

import contextlib
import json
import logging
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from sqlalchemy import select, update

from steward.capture import leases
from steward.capture.ingest import Holder, Ingestor, Outcome
from steward.capture.matching import Matcher
from steward.capture.models import Mailbox, MailboxAuth, MailboxFolder, Security
from steward.capture.parsing import Attachment, parse_message
from steward.capture.preferences import effective_level
from steward.config import Settings
from steward.core.network import host_problem
from steward.core.secrets import decrypt, encrypt
from steward.db.base import utcnow
from steward.db.engine import Database

log = logging.getLogger("steward.capture")
BATCH = 250
PARTIAL = 65_536
LEASE = timedelta(minutes=15)
_FETCH = [b"RFC822.SIZE", b"INTERNALDATE", b"BODYSTRUCTURE", f"BODY.PEEK[]<0.{PARTIAL}>"]
_PARTIAL_KEY = b"BODY[]<0>"


class MailboxError(Exception):
    """Why a mailbox could not be read, in a sentence for its owner."""


@dataclass
class SyncReport:
    mailbox_id: int
    folders: int = 0
    read: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    skipped: bool = False  # another worker holds the mailbox

    def count(self, outcome: Outcome) -> None:
        self.outcomes[outcome.value] = self.outcomes.get(outcome.value, 0) + 1


def check_host(settings: Settings, host: str, port: int) -> None:
    problem, _ = host_problem(
        host,
        port,
        allow_private=settings.capture_allow_private,
        setting="STEWARD_CAPTURE_ALLOW_PRIVATE",
    )
    if problem is not None:
        raise MailboxError(f"The mail server {host} {problem}.")


def _refresh_token(settings: Settings, mailbox: Mailbox) -> str:
    """A current OAuth access token: the stored one, or a new one from the token endpoint
    (RFC 6749 §6, as Google and Microsoft serve it) when it has run out."""
    now = utcnow()
    expires = mailbox.access_token_expires_at
    if (
        expires is None
        or expires > now + timedelta(minutes=2)
        or not mailbox.refresh_token_encrypted
    ):
        return decrypt(settings, mailbox.secret_encrypted)
    if not mailbox.token_url:
        raise MailboxError("The access token has expired and no token URL is set to renew it.")
    from urllib.parse import urlsplit

    parts = urlsplit(mailbox.token_url)
    check_host(settings, parts.hostname or "", parts.port or 443)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": decrypt(settings, mailbox.refresh_token_encrypted),
        "client_id": mailbox.client_id or "",
    }
    if mailbox.client_secret_encrypted:
        form["client_secret"] = decrypt(settings, mailbox.client_secret_encrypted)
    try:
        answer = httpx.post(mailbox.token_url, data=form, timeout=20)
    except httpx.HTTPError as exc:
        raise MailboxError(f"The token endpoint could not be reached: {exc}") from None
    if answer.status_code != 200:
        raise MailboxError(
            f"The token endpoint refused to renew the access token ({answer.status_code});"
            " connect the mailbox again"
        )
    token = answer.json()
    mailbox.secret_encrypted = encrypt(settings, str(token["access_token"]))
    mailbox.access_token_expires_at = now + timedelta(seconds=int(token.get("expires_in", 3600)))
    if token.get("refresh_token"):
        mailbox.refresh_token_encrypted = encrypt(settings, str(token["refresh_token"]))
    return str(token["access_token"])


def connect(settings: Settings, mailbox: Mailbox) -> IMAPClient:
    check_host(settings, mailbox.host, mailbox.port)
    context = ssl.create_default_context()
    try:
        client = IMAPClient(
            mailbox.host,
            port=mailbox.port,
            ssl=mailbox.security == Security.SSL,
            ssl_context=context,
            timeout=60,
        )
        if mailbox.security == Security.STARTTLS:
            client.starttls(context)
        if mailbox.auth == MailboxAuth.XOAUTH2:
            client.oauth2_login(mailbox.username, _refresh_token(settings, mailbox))
        else:
            client.login(mailbox.username, decrypt(settings, mailbox.secret_encrypted))
    except IMAPClientError as exc:
        raise MailboxError(f"The mail server refused the login: {_said(exc)}") from None
    except (OSError, ssl.SSLError) as exc:
        raise MailboxError(
            f"Could not connect to {mailbox.host}:{mailbox.port}: {exc.strerror or exc}"
        ) from None
    return client


def _said(exc: Exception) -> str:
    text = str(exc)
    return text[2:-1] if text.startswith(("b'", 'b"')) else text


def folders_to_read(client: IMAPClient, mailbox: Mailbox) -> list[str]:
    chosen = json.loads(mailbox.folders)
    excluded = set(json.loads(mailbox.excluded_folders))
    if not chosen:
        chosen = ["INBOX"]
        sent = client.find_special_folder(b"\\Sent")
        if sent:
            chosen.append(sent)
    return [f for f in chosen if f not in excluded]


def attachments_of(structure: Any) -> list[Attachment]:
    """Attachments (name, size) from a BODYSTRUCTURE, without fetching them."""
    found: list[Attachment] = []

    def text(value: Any) -> str:
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")

    def params(value: Any) -> dict[str, str]:
        if not isinstance(value, tuple):
            return {}
        items = list(value)
        return {text(k).lower(): text(v) for k, v in zip(items[::2], items[1::2], strict=False)}

    def walk(part: Any) -> None:
        if not isinstance(part, tuple) or not part:
            return
        if isinstance(part[0], list):  # multipart: (parts, subtype, ...)
            for child in part[0]:
                walk(child)
            return
        disposition = next(
            (
                item
                for item in part[7:]
                if isinstance(item, tuple)
                and len(item) == 2
                and text(item[0]).lower() in ("attachment", "inline")
            ),
            None,
        )
        name = params(disposition[1]).get("filename") if disposition else None
        name = name or params(part[2]).get("name")
        is_attachment = disposition is not None and text(disposition[0]).lower() == "attachment"
        if name and (is_attachment or text(part[0]).lower() not in ("text", "multipart")):
            size = part[6] if len(part) > 6 and isinstance(part[6], int) else 0
            found.append(Attachment(name, size))

    walk(tuple(structure) if structure is not None else None)
    return found


def _release(db: Database, mailbox_id: int, error: str | None) -> None:
    with db.session() as session:
        session.execute(
            update(Mailbox)
            .where(Mailbox.id == mailbox_id)
            .values(lease_until=None, last_error=error, last_sync_at=utcnow())
        )
        session.commit()


def _chunks(values: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def sync_mailbox(
    db: Database, settings: Settings, mailbox_id: int, *, batch: int = BATCH
) -> SyncReport:
    """Reads what is new in one mailbox; raises MailboxError (kept as its last error) when it
    cannot."""
    report = SyncReport(mailbox_id)
    if not leases.claim(db, Mailbox, mailbox_id, LEASE):
        report.skipped = True
        return report
    error: str | None = None
    try:
        _sync(db, settings, mailbox_id, report, batch)
    except MailboxError as exc:
        error = str(exc)
        raise
    except (IMAPClientError, OSError) as exc:
        error = f"The mail server broke off: {_said(exc)}"
        raise MailboxError(error) from None
    finally:
        _release(db, mailbox_id, error)
    return report


def _sync(
    db: Database, settings: Settings, mailbox_id: int, report: SyncReport, batch: int
) -> None:
    with db.session() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        if mailbox is None:
            raise MailboxError("The mailbox is gone.")
        client = connect(settings, mailbox)
        session.commit()  # a renewed access token
        holder = Holder(
            mailbox.user_id, f"imap:{mailbox.id}", effective_level(session, mailbox.user_id)
        )
        names = folders_to_read(client, mailbox)
    try:
        for name in names:
            report.folders += 1
            _sync_folder(db, settings, client, mailbox_id, name, holder, report, batch)
    finally:
        with contextlib.suppress(IMAPClientError, OSError):
            client.logout()


def _folder_state(db: Database, mailbox_id: int, name: str, uidvalidity: int) -> MailboxFolder:
    with db.session() as session:
        state = session.scalar(
            select(MailboxFolder).where(
                MailboxFolder.mailbox_id == mailbox_id, MailboxFolder.name == name
            )
        )
        if state is None:
            state = MailboxFolder(mailbox_id=mailbox_id, name=name, uidvalidity=uidvalidity)
            session.add(state)
        elif state.uidvalidity != uidvalidity:
            log.info("mailbox %s folder %r renumbered: reading it again", mailbox_id, name)
            state.uidvalidity = uidvalidity
            state.next_uid = 1
            state.highest_modseq = None
        session.commit()
        session.refresh(state)
        session.expunge(state)
        return state


def _sync_folder(
    db: Database,
    settings: Settings,
    client: IMAPClient,
    mailbox_id: int,
    name: str,
    holder: Holder,
    report: SyncReport,
    batch: int,
) -> None:
    items = ["UIDVALIDITY", "UIDNEXT", "MESSAGES"]
    if b"CONDSTORE" in client.capabilities():
        items.append("HIGHESTMODSEQ")
    try:
        status = client.folder_status(name, items)
    except IMAPClientError as exc:
        raise MailboxError(f"The folder {name!r} cannot be read: {_said(exc)}") from None
    uidvalidity = int(status[b"UIDVALIDITY"])
    uidnext = int(status.get(b"UIDNEXT", 0))
    state = _folder_state(db, mailbox_id, name, uidvalidity)
    if uidnext and state.next_uid >= uidnext:
        return  # nothing new since the last read
    client.select_folder(name, readonly=True)
    # "n:*" also answers the last message when its UID is below n: keep only the new ones.
    uids = sorted(u for u in client.search(["UID", f"{state.next_uid}:*"]) if u >= state.next_uid)
    for chunk in _chunks(uids, batch):
        fetched = client.fetch(chunk, _FETCH)
        with db.session() as session:
            ingestor = Ingestor(session, Matcher(session, settings))
            for uid in chunk:
                data = fetched.get(uid)
                if data is None:
                    continue  # expunged meanwhile
                raw = data.get(_PARTIAL_KEY) or b""
                received = data.get(b"INTERNALDATE")
                mail = parse_message(
                    raw,
                    received_at=received.replace(tzinfo=UTC)
                    if isinstance(received, datetime) and received.tzinfo is None
                    else received,
                    size=int(data.get(b"RFC822.SIZE", len(raw))),
                )
                mail.attachments = attachments_of(data.get(b"BODYSTRUCTURE"))
                report.count(ingestor.add(mail, holder))
                report.read += 1
            ingestor.finish()
            session.execute(
                update(MailboxFolder)
                .where(MailboxFolder.id == state.id)
                .values(
                    next_uid=chunk[-1] + 1,
                    messages=MailboxFolder.messages + len(chunk),
                    synced_at=utcnow(),
                )
            )
            session.commit()
    with db.session() as session:
        session.execute(
            update(MailboxFolder)
            .where(MailboxFolder.id == state.id)
            .values(
                next_uid=max(uidnext, state.next_uid, (uids[-1] + 1) if uids else 0),
                highest_modseq=status.get(b"HIGHESTMODSEQ"),
                synced_at=utcnow(),
            )
        )
        session.commit()
