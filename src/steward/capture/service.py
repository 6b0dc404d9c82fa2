"""Mailboxes, the capture level, the review queue, forgetting captured mail, and what mail says
about an account. Access: a mailbox is its owner's (an admin may remove it); captured mail is
read through its account (the book rule); the review queue shows each person the domains of
the mail they hold (managers and admins: every domain)."""

from __future__ import annotations

import contextlib
import json
import statistics
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, union, update
from sqlalchemy.orm import Session

from steward.accounts import policy as account_policy
from steward.accounts import repository as accounts
from steward.accounts.models import Account, AccountDomain
from steward.activities.models import Activity, ActivityType
from steward.activities.service import refresh_activity_rollups
from steward.capture import calendars, preferences
from steward.capture.imap import MailboxError, check_host, connect
from steward.capture.ingest import affected, assign_threads, write_activity
from steward.capture.models import (
    CalendarKind,
    CalendarSource,
    CaptureLevel,
    Direction,
    Mailbox,
    MailboxAuth,
    MailboxFolder,
    MailMessage,
    MailParticipant,
    MailSighting,
    MailThread,
    Meeting,
    MeetingAttendee,
    MeetingSighting,
    ReviewItem,
    ReviewStatus,
)
from steward.capture.schemas import (
    CalendarIn,
    CalendarUpdate,
    CaptureSettingsOut,
    MailboxIn,
    MailboxUpdate,
    ReviewDecision,
)
from steward.config import Settings, settings_of
from steward.contacts.models import Contact
from steward.core.errors import Conflict, InvalidField, NotFound, PermissionDenied
from steward.core.principal import ACROSS_BOOKS, Principal
from steward.core.secrets import decrypt, encrypt
from steward.db.base import utcnow

SIGNAL_DAYS = 90


# -- mailboxes --------------------------------------------------------------------------------


def mailbox_out(session: Session, mailbox: Mailbox) -> dict[str, Any]:
    folders = session.scalars(
        select(MailboxFolder)
        .where(MailboxFolder.mailbox_id == mailbox.id)
        .order_by(MailboxFolder.name)
    ).all()
    captured = session.scalar(
        select(func.count())
        .select_from(MailSighting)
        .where(MailSighting.origin == f"imap:{mailbox.id}")
    )
    return {
        "id": mailbox.id,
        "user_id": mailbox.user_id,
        "host": mailbox.host,
        "port": mailbox.port,
        "security": mailbox.security,
        "username": mailbox.username,
        "auth": mailbox.auth,
        "folders": json.loads(mailbox.folders),
        "excluded_folders": json.loads(mailbox.excluded_folders),
        "paused": mailbox.paused,
        "last_sync_at": mailbox.last_sync_at,
        "last_error": mailbox.last_error,
        "read_folders": [
            {"name": f.name, "messages": f.messages, "synced_at": f.synced_at} for f in folders
        ],
        "captured_messages": captured or 0,
    }


def mailboxes_of(session: Session, principal: Principal) -> list[Mailbox]:
    statement = select(Mailbox).order_by(Mailbox.id)
    if not principal.is_admin:
        statement = statement.where(Mailbox.user_id == principal.user_id)
    return list(session.scalars(statement))


def get_mailbox(session: Session, principal: Principal, mailbox_id: int) -> Mailbox:
    mailbox = session.get(Mailbox, mailbox_id)
    if mailbox is None or (mailbox.user_id != principal.user_id and not principal.is_admin):
        raise NotFound("mailbox", mailbox_id)
    return mailbox


def _check_login(settings: Settings, mailbox: Mailbox, field: str) -> None:
    try:
        client = connect(settings, mailbox)
    except MailboxError as exc:
        raise InvalidField(field, str(exc)) from None
    with contextlib.suppress(Exception):
        client.logout()


def connect_mailbox(session: Session, principal: Principal, data: MailboxIn) -> Mailbox:
    """Checks the host (SSRF rules) and the login, then keeps the mailbox with its
    credentials encrypted; the worker reads it within minutes."""
    settings = settings_of(session)
    try:
        check_host(settings, data.host, data.port)
    except MailboxError as exc:
        raise InvalidField("host", str(exc)) from None
    if data.token_url:
        token_host = urlsplit(data.token_url)
        try:
            check_host(settings, token_host.hostname or "", token_host.port or 443)
        except MailboxError as exc:
            raise InvalidField("token_url", str(exc)) from None
    secret = data.password if data.auth == MailboxAuth.PASSWORD else data.access_token
    assert secret is not None  # the schema requires the one its auth needs
    mailbox = Mailbox(
        user_id=principal.user_id,
        host=data.host,
        port=data.port,
        security=data.security,
        username=data.username,
        auth=data.auth,
        secret_encrypted=encrypt(settings, secret),
        token_url=data.token_url,
        client_id=data.client_id,
        client_secret_encrypted=encrypt(settings, data.client_secret)
        if data.client_secret
        else None,
        refresh_token_encrypted=encrypt(settings, data.refresh_token)
        if data.refresh_token
        else None,
        access_token_expires_at=utcnow() + timedelta(seconds=data.expires_in)
        if data.expires_in
        else None,
        folders=json.dumps(data.folders),
        excluded_folders=json.dumps(data.excluded_folders),
    )
    _check_login(
        settings, mailbox, "password" if data.auth == MailboxAuth.PASSWORD else "access_token"
    )
    session.add(mailbox)
    session.flush()
    return mailbox


def update_mailbox(
    session: Session, principal: Principal, mailbox_id: int, data: MailboxUpdate
) -> Mailbox:
    mailbox = get_mailbox(session, principal, mailbox_id)
    if mailbox.user_id != principal.user_id:
        raise PermissionDenied("only its owner can change a mailbox")
    changes = data.model_dump(exclude_unset=True)
    if changes.get("folders") is not None:
        mailbox.folders = json.dumps(changes["folders"])
    if changes.get("excluded_folders") is not None:
        mailbox.excluded_folders = json.dumps(changes["excluded_folders"])
    if changes.get("paused") is not None:
        mailbox.paused = bool(changes["paused"])
    if changes.get("password"):
        settings = settings_of(session)
        mailbox.secret_encrypted = encrypt(settings, changes["password"])
        _check_login(settings, mailbox, "password")
        mailbox.last_error = None
    return mailbox


def remove_mailbox(session: Session, principal: Principal, mailbox_id: int, forget: bool) -> None:
    mailbox = get_mailbox(session, principal, mailbox_id)
    if mailbox.lease_until is not None and mailbox.lease_until > utcnow():
        raise Conflict("the mailbox is being read right now; try again in a minute")
    if forget:
        forget_origin(session, mailbox.user_id, f"imap:{mailbox.id}")
    session.execute(delete(MailboxFolder).where(MailboxFolder.mailbox_id == mailbox.id))
    session.delete(mailbox)


def forget_origin(session: Session, user_id: int, origin: str) -> dict[str, int]:
    """Removes what was captured from one source of a user's (a mailbox, or their logged
    mail): their sightings, the messages no one else holds, and the activities of threads
    left empty; other holders' copies stay."""
    message_ids = list(
        session.scalars(
            select(MailSighting.message_id).where(
                MailSighting.user_id == user_id, MailSighting.origin == origin
            )
        )
    )
    removed = affected(
        session.execute(
            delete(MailSighting).where(
                MailSighting.user_id == user_id, MailSighting.origin == origin
            )
        )
    )
    orphans: list[int] = []
    for start in range(0, len(message_ids), 500):
        chunk = message_ids[start : start + 500]
        held = set(
            session.scalars(
                select(MailSighting.message_id).where(MailSighting.message_id.in_(chunk))
            )
        )
        orphans += [m for m in chunk if m not in held]
    threads: set[int] = set()
    for start in range(0, len(orphans), 500):
        chunk = orphans[start : start + 500]
        threads |= set(
            session.scalars(
                select(MailMessage.thread_id)
                .where(MailMessage.id.in_(chunk))
                .execution_options(**ACROSS_BOOKS)
            )
        )
        session.execute(delete(MailParticipant).where(MailParticipant.message_id.in_(chunk)))
        session.execute(
            delete(MailMessage).where(MailMessage.id.in_(chunk)).execution_options(**ACROSS_BOOKS)
        )
    activities_removed = 0
    touched_accounts: set[int] = set()
    for thread in session.scalars(
        select(MailThread).where(MailThread.id.in_(threads)).execution_options(**ACROSS_BOOKS)
    ).all():
        remaining = session.scalar(
            select(func.count()).select_from(MailMessage).where(MailMessage.thread_id == thread.id)
        )
        if remaining:
            if thread.account_id is not None:
                write_activity(session, thread)
            continue
        if thread.activity_id is not None:
            activity = session.get(Activity, thread.activity_id)
            thread.activity_id = None
            session.flush()
            if activity is not None:
                touched_accounts.add(activity.account_id)
                session.delete(activity)
                activities_removed += 1
        session.delete(thread)
    session.flush()
    for account_id in touched_accounts:
        refresh_activity_rollups(session, account_id)
    return {
        "sightings_removed": removed,
        "messages_deleted": len(orphans),
        "activities_removed": activities_removed,
    }


# -- capture level ------------------------------------------------------------------------------


def logging_address(settings: Settings) -> str | None:
    if not settings.inbound_smtp_port:
        return None
    if settings.inbound_address:
        return settings.inbound_address
    host = urlsplit(settings.public_url).hostname or "localhost"
    return f"steward@{host}"


def capture_settings(session: Session, principal: Principal) -> CaptureSettingsOut:
    return CaptureSettingsOut(
        level=preferences.own_level(session, principal.user_id),
        team_level=preferences.team_level(session, principal.user_id),
        effective_level=preferences.effective_level(session, principal.user_id),
        logging_address=logging_address(settings_of(session)),
    )


def set_team_level(
    session: Session, principal: Principal, team_id: int, level: CaptureLevel | None
) -> None:
    from steward.users.models import Team

    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("team", team_id)
    if not (principal.is_admin or team.lead_id == principal.user_id):
        raise PermissionDenied("only the team's lead or an admin can set its capture level")
    preferences.set_team_level(session, team_id, level)


# -- review queue -------------------------------------------------------------------------------


def _waiting_threads(session: Session, domain: str) -> list[MailThread]:
    return list(
        session.scalars(
            select(MailThread)
            .where(MailThread.pending_domain == domain, MailThread.account_id.is_(None))
            .execution_options(**ACROSS_BOOKS)
        )
    )


def _holds_domain(session: Session, principal: Principal) -> Any:
    """The pending domains of the mail and the meetings this person holds."""
    mail = (
        select(MailThread.pending_domain)
        .join(MailMessage, MailMessage.thread_id == MailThread.id)
        .join(MailSighting, MailSighting.message_id == MailMessage.id)
        .where(MailSighting.user_id == principal.user_id, MailThread.account_id.is_(None))
    )
    meetings = (
        select(Meeting.pending_domain)
        .join(MeetingSighting, MeetingSighting.meeting_id == Meeting.id)
        .where(MeetingSighting.user_id == principal.user_id, Meeting.account_id.is_(None))
    )
    return union(mail, meetings)


def review_items(
    session: Session, principal: Principal, status: ReviewStatus = ReviewStatus.PENDING
) -> list[dict[str, Any]]:
    statement = select(ReviewItem).where(ReviewItem.status == status)
    if not (principal.is_manager or principal.is_admin):
        statement = statement.where(
            ReviewItem.domain.in_(select(_holds_domain(session, principal).subquery().c[0]))
        )
    items = session.scalars(
        statement.order_by(ReviewItem.last_seen_at.desc()).execution_options(**ACROSS_BOOKS)
    ).all()
    waiting = dict(
        session.execute(
            select(MailThread.pending_domain, func.count())
            .where(
                MailThread.pending_domain.in_([i.domain for i in items]),
                MailThread.account_id.is_(None),
            )
            .group_by(MailThread.pending_domain)
            .execution_options(**ACROSS_BOOKS)
        ).all()
    )
    meetings = dict(
        session.execute(
            select(Meeting.pending_domain, func.count())
            .where(
                Meeting.pending_domain.in_([i.domain for i in items]),
                Meeting.account_id.is_(None),
            )
            .group_by(Meeting.pending_domain)
            .execution_options(**ACROSS_BOOKS)
        ).all()
    )
    return [review_out(i, waiting.get(i.domain, 0), meetings.get(i.domain, 0)) for i in items]


def review_out(item: ReviewItem, waiting: int, waiting_meetings: int = 0) -> dict[str, Any]:
    return {
        "id": item.id,
        "domain": item.domain,
        "status": item.status,
        "sample_address": item.sample_address,
        "messages": item.messages,
        "waiting_threads": waiting,
        "waiting_meetings": waiting_meetings,
        "last_seen_at": item.last_seen_at,
        "assigned_account_id": item.assigned_account_id,
    }


def get_review_item(session: Session, principal: Principal, item_id: int) -> ReviewItem:
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound("review item", item_id)
    decided_by_them = item.decided_by_id == principal.user_id
    if not (principal.is_manager or principal.is_admin or decided_by_them):
        held = _holds_domain(session, principal).subquery()
        mine = (
            select(held.c[0])
            .where(held.c[0] == item.domain)
            .limit(1)
            .execution_options(**ACROSS_BOOKS)
        )
        if not session.scalar(mine):
            raise NotFound("review item", item_id)
    return item


def decide(
    session: Session, principal: Principal, item_id: int, decision: ReviewDecision
) -> dict[str, Any]:
    item = get_review_item(session, principal, item_id)
    if item.status != ReviewStatus.PENDING:
        raise Conflict(f"the domain {item.domain} was already {item.status}")
    threads = _waiting_threads(session, item.domain)
    meetings = calendars.pending_meetings(session, item.domain)
    meetings_assigned = 0
    contact_id = None
    deleted = 0
    assigned = 0
    if decision.action == "ignore":
        deleted = _delete_threads(session, threads)
        calendars.drop_meetings(session, meetings)
        item.status = ReviewStatus.IGNORED
    else:
        assert decision.account_id is not None
        try:
            accounts.ensure_readable(session, principal, decision.account_id)
        except NotFound:
            raise InvalidField("account_id", f"no account with id {decision.account_id}") from None
        if decision.action == "assign":
            taken = session.scalar(
                select(AccountDomain.account_id)
                .where(AccountDomain.domain == item.domain)
                .execution_options(**ACROSS_BOOKS)
            )
            if taken is not None and taken != decision.account_id:
                raise InvalidField(
                    "account_id", f"{item.domain} already belongs to another account"
                )
            if taken is None:
                session.add(AccountDomain(account_id=decision.account_id, domain=item.domain))
            assigned = assign_threads(session, threads, decision.account_id)
            meetings_assigned = calendars.assign_meetings(session, meetings, decision.account_id)
        else:
            contact = _contact_for(session, item.sample_address, decision)
            contact_id = contact.id
            mine = [t for t in threads if _has_address(session, t, item.sample_address)]
            for thread in mine:
                _link_contact(session, thread, item.sample_address, contact.id)
            assigned = assign_threads(session, mine, decision.account_id)
            meetings_assigned = calendars.assign_meetings(
                session, meetings, decision.account_id, item.sample_address
            )
        item.assigned_account_id = decision.account_id
        still_waiting = len(threads) - assigned + len(meetings) - meetings_assigned
        item.status = ReviewStatus.ASSIGNED if still_waiting == 0 else ReviewStatus.PENDING
    item.decided_by_id = principal.user_id
    session.flush()
    return {
        "item": review_out(
            item,
            len(_waiting_threads(session, item.domain)),
            len(calendars.pending_meetings(session, item.domain)),
        ),
        "threads_assigned": assigned,
        "meetings_assigned": meetings_assigned,
        "messages_deleted": deleted,
        "contact_id": contact_id,
    }


def _has_address(session: Session, thread: MailThread, address: str) -> bool:
    return bool(
        session.scalar(
            select(func.count())
            .select_from(MailParticipant)
            .join(MailMessage, MailMessage.id == MailParticipant.message_id)
            .where(MailMessage.thread_id == thread.id, MailParticipant.address == address)
            .execution_options(**ACROSS_BOOKS)
        )
    )


def _link_contact(session: Session, thread: MailThread, address: str, contact_id: int) -> None:
    message_ids = select(MailMessage.id).where(MailMessage.thread_id == thread.id)
    session.execute(
        update(MailParticipant)
        .where(MailParticipant.address == address, MailParticipant.message_id.in_(message_ids))
        .values(contact_id=contact_id)
        .execution_options(synchronize_session=False)
    )


def _contact_for(session: Session, address: str, decision: ReviewDecision) -> Contact:
    local = address.split("@")[0]
    first, _, last = local.replace("_", ".").partition(".")
    contact = Contact(
        account_id=decision.account_id,
        first_name=(decision.first_name or first.capitalize() or local)[:100],
        last_name=(decision.last_name or last.capitalize() or "")[:100],
        email=address,
    )
    session.add(contact)
    session.flush()
    return contact


def _delete_threads(session: Session, threads: list[MailThread]) -> int:
    ids = [t.id for t in threads]
    if not ids:
        return 0
    messages = select(MailMessage.id).where(MailMessage.thread_id.in_(ids))
    session.execute(delete(MailParticipant).where(MailParticipant.message_id.in_(messages)))
    session.execute(delete(MailSighting).where(MailSighting.message_id.in_(messages)))
    deleted = affected(
        session.execute(
            delete(MailMessage)
            .where(MailMessage.thread_id.in_(ids))
            .execution_options(**ACROSS_BOOKS)
        )
    )
    session.execute(
        delete(MailThread).where(MailThread.id.in_(ids)).execution_options(**ACROSS_BOOKS)
    )
    return int(deleted or 0)


# -- account domains ----------------------------------------------------------------------------


def account_domains(session: Session, principal: Principal, account_id: int) -> list[AccountDomain]:
    accounts.get_account(session, principal, account_id)
    return list(
        session.scalars(
            select(AccountDomain)
            .where(AccountDomain.account_id == account_id)
            .order_by(AccountDomain.domain)
        )
    )


def add_account_domain(
    session: Session, principal: Principal, account_id: int, domain: str
) -> AccountDomain:
    account = accounts.ensure_readable(session, principal, account_id)
    taken = session.scalar(
        select(AccountDomain.account_id)
        .where(AccountDomain.domain == domain)
        .execution_options(**ACROSS_BOOKS)
    )
    if taken is not None or (account.domain or "").lower() == domain:
        raise InvalidField("domain", f"{domain} already belongs to an account")
    row = AccountDomain(account_id=account_id, domain=domain)
    session.add(row)
    session.flush()
    item = session.scalar(select(ReviewItem).where(ReviewItem.domain == domain))
    if item is not None and item.status == ReviewStatus.PENDING:
        assign_threads(session, _waiting_threads(session, domain), account_id)
        item.status = ReviewStatus.ASSIGNED
        item.assigned_account_id = account_id
        item.decided_by_id = principal.user_id
    return row


def remove_account_domain(
    session: Session, principal: Principal, account_id: int, domain: str
) -> None:
    accounts.ensure_readable(session, principal, account_id)
    row = session.scalar(
        select(AccountDomain).where(
            AccountDomain.account_id == account_id,
            AccountDomain.domain == domain.strip().lower().rstrip("."),
        )
    )
    if row is None:
        raise InvalidField("domain", f"{domain} is not one of the account's domains")
    session.delete(row)


# -- reading captured mail ----------------------------------------------------------------------


def threads_of_account(
    session: Session, principal: Principal, account_id: int, limit: int = 50
) -> list[dict[str, Any]]:
    accounts.get_account(session, principal, account_id)
    threads = session.scalars(
        select(MailThread)
        .where(MailThread.account_id == account_id)
        .order_by(MailThread.last_at.desc())
        .limit(limit)
    ).all()
    ids = [t.id for t in threads]
    messages: dict[int, list[MailMessage]] = {}
    for m in session.scalars(
        select(MailMessage).where(MailMessage.thread_id.in_(ids)).order_by(MailMessage.sent_at)
    ):
        messages.setdefault(m.thread_id, []).append(m)
    holders: dict[int, set[int]] = {}
    for thread_id, user_id in session.execute(
        select(MailMessage.thread_id, MailSighting.user_id)
        .join(MailSighting, MailSighting.message_id == MailMessage.id)
        .where(MailMessage.thread_id.in_(ids))
    ):
        holders.setdefault(thread_id, set()).add(user_id)
    return [
        {
            "id": t.id,
            "account_id": t.account_id,
            "activity_id": t.activity_id,
            "first_at": t.first_at,
            "last_at": t.last_at,
            "holders": sorted(holders.get(t.id, ())),
            "messages": [message_out(m) for m in messages.get(t.id, [])],
        }
        for t in threads
    ]


def message_out(m: MailMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "sent_at": m.sent_at,
        "direction": m.direction,
        "from_address": m.from_address,
        "to_addresses": json.loads(m.to_addresses),
        "cc_addresses": json.loads(m.cc_addresses),
        "subject": m.subject,
        "body": m.body,
        "size": m.size,
        "attachments": json.loads(m.attachments),
    }


def response_hours(messages: list[tuple[int, datetime, str]]) -> list[float]:
    """Hours from each customer message to our next message in the same thread; messages as
    (thread id, sent at, direction), in any order. A customer message still unanswered is
    not measured (it has no answer yet)."""
    waits: list[float] = []
    by_thread: dict[int, list[tuple[datetime, str]]] = {}
    for thread_id, sent_at, direction in messages:
        by_thread.setdefault(thread_id, []).append((sent_at, direction))
    for thread in by_thread.values():
        thread.sort()
        waiting_since: datetime | None = None
        for sent_at, direction in thread:
            if direction == Direction.INBOUND and waiting_since is None:
                waiting_since = sent_at
            elif direction == Direction.OUTBOUND and waiting_since is not None:
                waits.append((sent_at - waiting_since).total_seconds() / 3600)
                waiting_since = None
    return waits


def account_signals(
    session: Session, principal: Principal, account_id: int, today: date
) -> dict[str, Any]:
    """What mail says about an account: last e-mail, volume each way, how fast we answer, and
    per contact the last e-mail and whether they have left."""
    accounts.get_account(session, principal, account_id)
    since = accounts.start_of_day(today - timedelta(days=SIGNAL_DAYS))
    rows = session.execute(
        select(MailMessage.thread_id, MailMessage.sent_at, MailMessage.direction).where(
            MailMessage.account_id == account_id, MailMessage.sent_at >= since
        )
    ).all()
    last_email = session.scalar(
        select(func.max(MailMessage.sent_at)).where(MailMessage.account_id == account_id)
    )
    waits = response_hours([(t, s, d) for t, s, d in rows])
    per_contact = dict(
        session.execute(
            select(MailParticipant.contact_id, func.max(MailParticipant.sent_at))
            .join(Contact, Contact.id == MailParticipant.contact_id)
            .where(Contact.account_id == account_id)
            .group_by(MailParticipant.contact_id)
        ).all()
    )
    meetings = dict(
        session.execute(
            select(Activity.contact_id, func.max(Activity.occurred_at))
            .where(
                Activity.account_id == account_id,
                Activity.contact_id.is_not(None),
                Activity.archived_at.is_(None),
                Activity.type.in_([ActivityType.MEETING, ActivityType.QBR, ActivityType.EBR]),
            )
            .group_by(Activity.contact_id)
        ).all()
    )
    attended = session.execute(
        select(MeetingAttendee.contact_id, func.max(MeetingAttendee.starts_at))
        .join(Meeting, Meeting.id == MeetingAttendee.meeting_id)
        .where(
            Meeting.account_id == account_id,
            Meeting.cancelled.is_(False),
            Meeting.starts_at <= utcnow(),
            MeetingAttendee.contact_id.is_not(None),
        )
        .group_by(MeetingAttendee.contact_id)
    ).all()
    for contact_id, starts_at in attended:
        meetings[contact_id] = max(meetings.get(contact_id, starts_at), starts_at)
    contacts = session.scalars(
        select(Contact)
        .where(Contact.account_id == account_id, Contact.archived_at.is_(None))
        .order_by(Contact.last_name, Contact.first_name)
    ).all()
    return {
        "account_id": account_id,
        "last_email_at": last_email,
        "messages_90d": len(rows),
        "inbound_90d": sum(1 for r in rows if r[2] == Direction.INBOUND),
        "outbound_90d": sum(1 for r in rows if r[2] == Direction.OUTBOUND),
        "median_response_hours": round(statistics.median(waits), 1) if waits else None,
        "responses_measured": len(waits),
        "contacts": [
            {
                "contact_id": c.id,
                "last_email_at": per_contact.get(c.id),
                "last_meeting_at": meetings.get(c.id),
                "departed_at": c.departed_at,
                "departed_reason": c.departed_reason,
            }
            for c in contacts
        ],
    }


def account_name(session: Session, account_id: int) -> str | None:
    return session.scalar(select(Account.name).where(Account.id == account_id))


def account_choices(session: Session, principal: Principal) -> list[tuple[int, str]]:
    """The accounts of the reader's book a review item may go to, by name."""
    account_policy.check_reader(session, principal)
    rows = session.execute(
        accounts.get_readable_statement()
        .with_only_columns(Account.id, Account.name)
        .where(Account.archived_at.is_(None))
        .order_by(Account.name)
    ).all()
    return [(int(i), str(n)) for i, n in rows]


def likely_first(choices: list[tuple[int, str]], domain: str) -> list[tuple[int, str]]:
    """The choices with the accounts whose name holds the domain's first label first
    (acme-corp.io → Acme Corp)."""
    stem = "".join(ch for ch in domain.split(".")[0] if ch.isalnum())

    def squashed(name: str) -> str:
        return "".join(ch for ch in name.lower() if ch.isalnum())

    likely = [c for c in choices if len(stem) >= 3 and stem in squashed(c[1])]
    return likely + [c for c in choices if c not in likely]


# -- calendars --------------------------------------------------------------------------------


def calendar_out(source: CalendarSource) -> dict[str, Any]:
    return {
        "id": source.id,
        "user_id": source.user_id,
        "kind": source.kind,
        "label": source.label,
        "username": source.username,
        "paused": source.paused,
        "last_sync_at": source.last_sync_at,
        "last_error": source.last_error,
        "meetings_seen": source.meetings_seen,
    }


def calendars_of(session: Session, principal: Principal) -> list[CalendarSource]:
    statement = select(CalendarSource).order_by(CalendarSource.id)
    if not principal.is_admin:
        statement = statement.where(CalendarSource.user_id == principal.user_id)
    return list(session.scalars(statement))


def get_calendar(session: Session, principal: Principal, calendar_id: int) -> CalendarSource:
    source = session.get(CalendarSource, calendar_id)
    if source is None or (source.user_id != principal.user_id and not principal.is_admin):
        raise NotFound("calendar", calendar_id)
    return source


def _check_calendar(settings: Settings, source: CalendarSource) -> None:
    """Reads a day of the calendar: a wrong URL or login is the form's error, not the
    worker's."""
    now = utcnow()
    try:
        calendars.read_source(settings, source, now, now + timedelta(days=1))
    except calendars.CalendarError as exc:
        text = str(exc)
        refused = "refused the login" in text or " 401 " in text or " 403 " in text
        raise InvalidField("password" if refused else "url", text) from None


def connect_calendar(session: Session, principal: Principal, data: CalendarIn) -> CalendarSource:
    """Checks the URL (SSRF rules) and reads it once, then keeps it encrypted; the worker
    reads it within minutes and again every few minutes."""
    settings = settings_of(session)
    try:
        url = calendars.check_url(settings, data.url)
    except calendars.CalendarError as exc:
        raise InvalidField("url", str(exc)) from None
    source = CalendarSource(
        user_id=principal.user_id,
        kind=data.kind,
        url_encrypted=encrypt(settings, url),
        label=calendars.label_of(url),
        username=data.username if data.kind == CalendarKind.CALDAV else None,
        secret_encrypted=encrypt(settings, data.password) if data.password else None,
        meetings_seen=0,
        paused=False,
    )
    _check_calendar(settings, source)
    session.add(source)
    session.flush()
    return source


def update_calendar(
    session: Session, principal: Principal, calendar_id: int, data: CalendarUpdate
) -> CalendarSource:
    source = get_calendar(session, principal, calendar_id)
    if data.paused is not None:
        source.paused = data.paused
    if data.password is not None:
        settings = settings_of(session)
        source.secret_encrypted = encrypt(settings, data.password)
        _check_calendar(settings, source)
        source.last_error = None
    session.flush()
    return source


def remove_calendar(session: Session, principal: Principal, calendar_id: int, forget: bool) -> int:
    """Disconnects a calendar; with `forget`, the meetings only it held (and their
    activities) are deleted. How many meetings were deleted."""
    source = get_calendar(session, principal, calendar_id)
    if source.lease_until is not None and source.lease_until > utcnow():
        raise Conflict("the calendar is being read right now; try again in a minute")
    removed = calendars.forget_calendar(session, source.id, forget=forget)
    session.delete(source)
    session.flush()
    return removed


def calendar_url(session: Session, source: CalendarSource) -> str:
    return decrypt(settings_of(session), source.url_encrypted)


def upcoming_meetings(
    session: Session,
    principal: Principal,
    *,
    account_id: int | None = None,
    mine: bool = False,
    days: int = 14,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Meetings ahead (and those under way), soonest first: of one account, or of the
    reader's own calendars, or every one the reader's book holds."""
    now = utcnow()
    if account_id is not None:
        accounts.get_account(session, principal, account_id)
    statement = (
        select(Meeting, Account.name)
        .join(Account, Account.id == Meeting.account_id)
        .where(
            Meeting.cancelled.is_(False),
            Meeting.ends_at > now,
            Meeting.starts_at < now + timedelta(days=days),
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
    )
    if account_id is not None:
        statement = statement.where(Meeting.account_id == account_id)
    if mine:
        statement = statement.where(
            Meeting.id.in_(
                select(MeetingSighting.meeting_id).where(
                    MeetingSighting.user_id == principal.user_id
                )
            )
        )
    return [meeting_out(m, name) for m, name in session.execute(statement).all()]


def meeting_out(meeting: Meeting, account_name: str) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "account_id": meeting.account_id,
        "account_name": account_name,
        "kind": meeting.kind,
        "title": meeting.title,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "organizer": meeting.organizer,
        "attendees": json.loads(meeting.attendees),
        "activity_id": meeting.activity_id,
    }
