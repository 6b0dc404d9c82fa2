"""Reading calendars: CalDAV accounts and ICS feeds, into meetings with outside attendees.

Each read looks at a window (30 days back, 60 ahead) and expands repeating events into their
occurrences there. An occurrence is stored once by its UID and RECURRENCE-ID however many
calendars hold it (the AM's and the CSM's invitation are one meeting). Its account is found as
mail's is (an attendee's address → contact → account, else the domain); one among our own people
only is not a customer meeting; one with an unknown domain waits in the review queue. A meeting
that has started is an activity (meeting, QBR or EBR by its title) dated when it started, so the
account's and the attendees' last touch move; one still ahead is an upcoming meeting, shown on
Account 360 and My Day. An event gone from every calendar that held it, or cancelled, takes its
activity with it.

Feed URLs and CalDAV hosts obey the SSRF rule of every host a user names; a feed's redirects are
checked too, one by one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import icalendar
import recurring_ical_events
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from steward.activities.models import Activity, ActivityType
from steward.activities.service import refresh_activity_rollups
from steward.capture import leases
from steward.capture.ingest import insert_ignore, queue_for_review
from steward.capture.matching import Matcher
from steward.capture.models import (
    CalendarKind,
    CalendarSource,
    CaptureLevel,
    Meeting,
    MeetingAttendee,
    MeetingSighting,
)
from steward.capture.preferences import effective_level, stricter
from steward.config import Settings
from steward.contacts.models import Contact
from steward.core.network import host_problem
from steward.core.principal import ACROSS_BOOKS
from steward.core.secrets import decrypt
from steward.db.base import utcnow
from steward.db.engine import Database
from steward.users.models import User

log = logging.getLogger("steward.capture")
LOOK_BACK = timedelta(days=30)
LOOK_AHEAD = timedelta(days=60)
LEASE = timedelta(minutes=15)
MAX_FEED_BYTES = 20_000_000
_REDIRECTS = 3
_TIMEOUT = 30
_MEETINGS: Any = Meeting.__table__
_SIGHTINGS: Any = MeetingSighting.__table__
_QBR = re.compile(r"\bQBRs?\b|quarterly business review", re.IGNORECASE)
_EBR = re.compile(r"\bEBRs?\b|executive business review", re.IGNORECASE)


class CalendarError(Exception):
    """Why a calendar could not be read, in a sentence for its owner."""


@dataclass(frozen=True)
class Attendee:
    address: str
    name: str = ""
    status: str = ""  # PARTSTAT: ACCEPTED, DECLINED, TENTATIVE, NEEDS-ACTION


@dataclass
class Occurrence:
    uid: str
    recurrence: str  # the occurrence's RECURRENCE-ID, "" for a single event
    starts_at: datetime
    ends_at: datetime
    title: str
    description: str
    organizer: str | None
    attendees: list[Attendee]
    cancelled: bool

    @property
    def key_hash(self) -> str:
        return hashlib.sha256(f"{self.uid}\n{self.recurrence}".encode()).hexdigest()

    @property
    def addresses(self) -> list[str]:
        """Everyone on it, the organizer first, once each."""
        found = [self.organizer] if self.organizer else []
        found += [a.address for a in self.attendees]
        return list(dict.fromkeys(a for a in found if a))


@dataclass
class CalendarReport:
    calendar_id: int
    occurrences: int = 0
    meetings: int = 0  # with outside attendees, on an account or waiting for review
    new: int = 0
    removed: int = 0
    activities: int = 0
    skipped: bool = False  # another worker holds the calendar
    outcomes: dict[str, int] = field(default_factory=dict)


def kind_of(title: str) -> ActivityType:
    """A QBR or EBR when the title says so, else a meeting."""
    if _EBR.search(title):
        return ActivityType.EBR
    if _QBR.search(title):
        return ActivityType.QBR
    return ActivityType.MEETING


# -- reading ----------------------------------------------------------------------------------


def _instant(value: Any) -> datetime:
    """A DTSTART/DTEND as UTC: floating times are taken as UTC, all-day dates as midnight."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=UTC)
    raise ValueError(f"not a date or time: {value!r}")


def _address(value: Any) -> str:
    text = str(value or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower() if "@" in text else ""


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _text(component: Any, name: str) -> str:
    value = component.get(name)
    return str(value).strip() if value is not None else ""


def occurrences(calendars: Iterable[Any], start: datetime, end: datetime) -> list[Occurrence]:
    """Every event occurrence between start and end, repeating events expanded."""
    found: list[Occurrence] = []
    for calendar in calendars:
        try:
            expanded = recurring_ical_events.of(calendar, skip_bad_series=True).between(start, end)
        except (ValueError, TypeError) as exc:
            raise CalendarError(f"The calendar could not be read: {exc}") from None
        for event in expanded:
            if event.name != "VEVENT" or event.get("DTSTART") is None:
                continue
            starts = _instant(event.decoded("DTSTART"))
            if event.get("DTEND") is not None:
                ends = _instant(event.decoded("DTEND"))
            elif event.get("DURATION") is not None:
                ends = starts + event.decoded("DURATION")
            else:
                ends = starts
            recurrence = event.get("RECURRENCE-ID")
            uid = (
                _text(event, "UID")
                or hashlib.sha256(
                    f"{_text(event, 'SUMMARY')}\n{starts.isoformat()}".encode()
                ).hexdigest()
            )
            attendees = [
                Attendee(
                    _address(a),
                    str(getattr(a, "params", {}).get("CN", "")),
                    str(getattr(a, "params", {}).get("PARTSTAT", "")).upper(),
                )
                for a in _listed(event.get("ATTENDEE"))
                if _address(a)
            ]
            found.append(
                Occurrence(
                    uid=uid,
                    recurrence=_instant(recurrence.dt).isoformat() if recurrence else "",
                    starts_at=starts,
                    ends_at=max(ends, starts),
                    title=_text(event, "SUMMARY")[:300],
                    description=_text(event, "DESCRIPTION")[:20_000],
                    organizer=_address(event.get("ORGANIZER")) or None,
                    attendees=attendees,
                    cancelled=_text(event, "STATUS").upper() == "CANCELLED",
                )
            )
    return found


def check_url(settings: Settings, url: str, field_name: str = "url") -> str:
    """The URL to read (webcal:// is https://), or CalendarError saying why not."""
    if url.lower().startswith("webcal://"):
        url = "https://" + url[9:]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CalendarError(f"{field_name} must be an http:// or https:// address")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    problem, _ = host_problem(
        parts.hostname,
        port,
        allow_private=settings.capture_allow_private,
        setting="STEWARD_CAPTURE_ALLOW_PRIVATE",
    )
    if problem is not None:
        raise CalendarError(f"The calendar host {parts.hostname} {problem}.")
    return url


def label_of(url: str) -> str:
    """What the owner sees of a URL: host and the start of the path (a feed's path is often
    its secret)."""
    parts = urlsplit(url)
    path = parts.path if len(parts.path) <= 24 else parts.path[:20] + "…"
    return f"{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{path}"[:300]


def fetch_feed(settings: Settings, url: str) -> list[Any]:
    """An ICS feed's calendar; every redirect is checked against the SSRF rule again."""
    url = check_url(settings, url)
    with httpx.Client(timeout=_TIMEOUT, follow_redirects=False) as client:
        for _ in range(_REDIRECTS + 1):
            try:
                with client.stream("GET", url, headers={"Accept": "text/calendar"}) as answer:
                    if answer.is_redirect:
                        target = answer.headers.get("location", "")
                        url = check_url(settings, urljoin(url, target))
                        continue
                    if answer.status_code != 200:
                        raise CalendarError(
                            f"The feed answered {answer.status_code} {answer.reason_phrase}"
                        )
                    body = bytearray()
                    for chunk in answer.iter_bytes():
                        body += chunk
                        if len(body) > MAX_FEED_BYTES:
                            raise CalendarError("The feed is larger than 20 MB.")
            except httpx.HTTPError as exc:
                raise CalendarError(f"The feed could not be read: {exc}") from None
            return _parse(bytes(body))
    raise CalendarError(f"The feed redirected more than {_REDIRECTS} times.")


def _parse(data: bytes) -> list[Any]:
    try:
        return list(icalendar.Calendar.from_ical(data, multiple=True))
    except ValueError as exc:
        raise CalendarError(f"The feed is not an iCalendar file: {exc}") from None


def fetch_caldav(
    settings: Settings, url: str, username: str, password: str, start: datetime, end: datetime
) -> list[Any]:
    """The events between start and end of every calendar of a CalDAV account (or of the one
    calendar the URL names)."""
    # caldav brings requests, lxml and vobject: loaded only when a CalDAV account is read.
    from caldav.davclient import DAVClient
    from caldav.lib import error as dav_error

    url = check_url(settings, url)
    try:
        client = DAVClient(
            url=url,
            username=username,
            password=password,
            timeout=_TIMEOUT,
        )
        try:
            collections = client.principal().calendars()
        except dav_error.DAVError:
            collections = [client.calendar(url=url)]
        found: list[Any] = []
        for collection in collections:
            for event in collection.search(start=start, end=end, event=True, expand=False):
                found.append(event.icalendar_instance)
        return found
    except dav_error.AuthorizationError:
        raise CalendarError("The CalDAV server refused the login.") from None
    except dav_error.DAVError as exc:
        raise CalendarError(f"The CalDAV server answered an error: {exc}") from None
    except OSError as exc:  # requests' errors are OSErrors
        raise CalendarError(f"Could not reach the CalDAV server: {exc}") from None


def read_source(
    settings: Settings, source: CalendarSource, start: datetime, end: datetime
) -> list[Occurrence]:
    url = decrypt(settings, source.url_encrypted)
    if source.kind == CalendarKind.ICS:
        calendars = fetch_feed(settings, url)
    else:
        password = decrypt(settings, source.secret_encrypted) if source.secret_encrypted else ""
        calendars = fetch_caldav(settings, url, source.username or "", password, start, end)
    return occurrences(calendars, start, end)


# -- storing ----------------------------------------------------------------------------------


class MeetingStore:
    """Stores the occurrences one calendar holds; `finish` writes the started meetings'
    activities and moves each touched account's last touch once."""

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.matcher = Matcher(session, settings)
        self.levels: dict[int, CaptureLevel] = {}
        self.meetings: set[int] = set()
        self.accounts: set[int] = set()

    def level(self, user_id: int) -> CaptureLevel:
        if user_id not in self.levels:
            self.levels[user_id] = effective_level(self.session, user_id)
        return self.levels[user_id]

    def add(self, occurrence: Occurrence, calendar_id: int, user_id: int) -> int | None:
        """The meeting's id, or None when it is not a customer meeting (ours only, or every
        outside domain ignored)."""
        session = self.session
        everyone = occurrence.addresses
        if not any(not self.matcher.is_internal(a) for a in everyone):
            return None
        match = self.matcher.match(everyone)
        if match.account_id is None and match.pending_domain is None:
            return None
        now = utcnow()
        meeting_id = session.scalar(
            select(_MEETINGS.c.id).where(_MEETINGS.c.key_hash == occurrence.key_hash)
        )
        new = False
        if meeting_id is None:
            meeting_id = insert_ignore(
                session,
                _MEETINGS,
                {
                    "key_hash": occurrence.key_hash,
                    "uid": occurrence.uid,
                    "account_id": match.account_id,
                    "pending_domain": None if match.account_id else match.pending_domain,
                    "kind": kind_of(occurrence.title),
                    "starts_at": occurrence.starts_at,
                    "ends_at": occurrence.ends_at,
                    "attendees": "[]",
                    "cancelled": occurrence.cancelled,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            new = meeting_id is not None
            if meeting_id is None:  # a concurrent worker stored it a moment ago
                meeting_id = session.scalar(
                    select(_MEETINGS.c.id).where(_MEETINGS.c.key_hash == occurrence.key_hash)
                )
        assert meeting_id is not None
        insert_ignore(
            session,
            _SIGHTINGS,
            {"meeting_id": meeting_id, "calendar_id": calendar_id, "user_id": user_id},
        )
        holders = session.scalars(
            select(_SIGHTINGS.c.user_id).where(_SIGHTINGS.c.meeting_id == meeting_id).distinct()
        ).all()
        level = CaptureLevel.BODY
        for holder in holders:
            level = stricter(level, self.level(holder))
        external = [a for a in everyone if not self.matcher.is_internal(a)]
        ours = set(everyone) - set(external)
        statuses = {a.address: a for a in occurrence.attendees}
        values: dict[str, Any] = {
            "kind": kind_of(occurrence.title),
            "title": occurrence.title or None if level != CaptureLevel.METADATA else None,
            "description": occurrence.description or None if level == CaptureLevel.BODY else None,
            "starts_at": occurrence.starts_at,
            "ends_at": occurrence.ends_at,
            "organizer": occurrence.organizer,
            "attendees": json.dumps(
                [
                    {
                        "address": a,
                        "name": statuses[a].name if a in statuses else "",
                        "status": statuses[a].status if a in statuses else "",
                        "ours": a in ours,
                    }
                    for a in everyone
                ]
            ),
            "cancelled": occurrence.cancelled,
            "updated_at": now,
        }
        account_id = session.scalar(
            select(_MEETINGS.c.account_id).where(_MEETINGS.c.id == meeting_id)
        )
        if account_id is None and match.account_id is not None:
            values |= {"account_id": match.account_id, "pending_domain": None}
            account_id = match.account_id
        session.execute(update(_MEETINGS).where(_MEETINGS.c.id == meeting_id).values(**values))
        self._attendees(meeting_id, external, occurrence.starts_at)
        if new and account_id is None and match.pending_domain:
            queue_for_review(
                session, match.pending_domain, occurrence.starts_at, external, message=False
            )
        self.meetings.add(meeting_id)
        return meeting_id

    def _attendees(self, meeting_id: int, external: list[str], starts_at: datetime) -> None:
        contacts = self.matcher.contacts(external)
        self.session.execute(
            delete(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting_id)
        )
        self.session.add_all(
            MeetingAttendee(
                meeting_id=meeting_id,
                address=a[:320],
                contact_id=contacts[a][0] if a in contacts else None,
                starts_at=starts_at,
            )
            for a in external
        )

    def finish(self) -> int:
        """Writes the activities of the touched meetings; how many exist for them now."""
        written = 0
        for meeting_id in sorted(self.meetings):
            meeting = self.session.execute(
                select(Meeting).where(Meeting.id == meeting_id).execution_options(**ACROSS_BOOKS)
            ).scalar_one()
            self.accounts |= write_meeting_activity(self.session, meeting, refresh=False)
            written += meeting.activity_id is not None
        for account_id in sorted(self.accounts):
            refresh_activity_rollups(self.session, account_id)
        self.meetings.clear()
        self.accounts.clear()
        return written


def _names(session: Session, meeting: Meeting) -> str:
    outside = [a for a in json.loads(meeting.attendees) if not a["ours"]]
    shown = [a["name"] or a["address"] for a in outside[:3]]
    more = len(outside) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def write_meeting_activity(session: Session, meeting: Meeting, *, refresh: bool = True) -> set[int]:
    """The meeting's activity once it has started (made or brought up to date), none while it
    is ahead, cancelled or unassigned; the accounts whose last touch may have moved."""
    session.flush()
    activity = session.get(Activity, meeting.activity_id) if meeting.activity_id else None
    touched: set[int] = {activity.account_id} if activity is not None else set()
    wanted = (
        meeting.account_id is not None and not meeting.cancelled and meeting.starts_at <= utcnow()
    )
    if not wanted:
        if activity is not None:
            meeting.activity_id = None
            session.flush()
            session.delete(activity)
    else:
        assert meeting.account_id is not None
        attendees = json.loads(meeting.attendees)
        contact_id = session.scalar(
            select(MeetingAttendee.contact_id)
            .join(Contact, Contact.id == MeetingAttendee.contact_id)
            .where(
                MeetingAttendee.meeting_id == meeting.id,
                Contact.account_id == meeting.account_id,
            )
            .order_by(MeetingAttendee.id)
            .limit(1)
        )
        holders = session.scalars(
            select(User.full_name)
            .join(MeetingSighting, MeetingSighting.user_id == User.id)
            .where(MeetingSighting.meeting_id == meeting.id)
            .group_by(User.full_name)
            .order_by(User.full_name)
        ).all()
        minutes = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
        lines = [
            f"Captured from calendar: {meeting.starts_at:%Y-%m-%d %H:%M} UTC, {minutes} min"
            + (f", in the calendars of {', '.join(holders)}" if holders else "")
            + ".",
            "Attendees: "
            + ", ".join(
                (a["name"] or a["address"]) + (f" ({a['status'].lower()})" if a["status"] else "")
                for a in attendees
            ),
        ]
        if meeting.description:
            lines.append(meeting.description[:1_500])
        user_id = session.scalar(
            select(MeetingSighting.user_id)
            .where(MeetingSighting.meeting_id == meeting.id)
            .order_by(MeetingSighting.id)
            .limit(1)
        )
        if activity is None:
            activity = Activity(type=meeting.kind)
            session.add(activity)
        activity.type = meeting.kind
        activity.account_id = meeting.account_id
        activity.contact_id = contact_id
        activity.user_id = user_id
        activity.subject = (meeting.title or f"Meeting with {_names(session, meeting)}")[:300]
        activity.body = "\n".join(lines)[:20_000]
        activity.occurred_at = meeting.starts_at
        activity.archived_at = None
        session.flush()
        meeting.activity_id = activity.id
        touched.add(meeting.account_id)
    if refresh:
        for account_id in touched:
            refresh_activity_rollups(session, account_id)
    return touched


def remove_meetings(session: Session, meeting_ids: list[int]) -> tuple[int, set[int]]:
    """Deletes meetings no calendar holds any more, with their activities: (how many, the
    accounts whose last touch must be refreshed)."""
    touched: set[int] = set()
    removed = 0
    for start in range(0, len(meeting_ids), 500):
        chunk = meeting_ids[start : start + 500]
        held = set(
            session.scalars(
                select(MeetingSighting.meeting_id).where(MeetingSighting.meeting_id.in_(chunk))
            )
        )
        orphans = [m for m in chunk if m not in held]
        for meeting in session.scalars(
            select(Meeting).where(Meeting.id.in_(orphans)).execution_options(**ACROSS_BOOKS)
        ).all():
            activity = session.get(Activity, meeting.activity_id) if meeting.activity_id else None
            meeting.activity_id = None
            session.flush()
            if activity is not None:
                touched.add(activity.account_id)
                session.delete(activity)
            session.execute(delete(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id))
            session.delete(meeting)
            removed += 1
    session.flush()
    return removed, touched


def forget_calendar(session: Session, calendar_id: int, *, forget: bool) -> int:
    """Drops a calendar's sightings; with `forget`, the meetings only it held go too."""
    meeting_ids = list(
        session.scalars(
            select(MeetingSighting.meeting_id).where(MeetingSighting.calendar_id == calendar_id)
        )
    )
    session.execute(delete(MeetingSighting).where(MeetingSighting.calendar_id == calendar_id))
    if not forget:
        return 0
    removed, touched = remove_meetings(session, meeting_ids)
    for account_id in touched:
        refresh_activity_rollups(session, account_id)
    return removed


# -- the sync ---------------------------------------------------------------------------------


def sync_calendar(db: Database, settings: Settings, calendar_id: int) -> CalendarReport:
    """Reads one calendar's window and brings its meetings up to date; raises CalendarError
    (kept as its last error) when it cannot."""
    report = CalendarReport(calendar_id)
    if not leases.claim(db, CalendarSource, calendar_id, LEASE):
        report.skipped = True
        return report
    error: str | None = None
    seen = 0
    try:
        seen = _sync(db, settings, calendar_id, report)
    except CalendarError as exc:
        error = str(exc)
        raise
    finally:
        with db.session() as session:
            values: dict[str, Any] = {
                "lease_until": None,
                "last_error": error,
                "last_sync_at": utcnow(),
            }
            if error is None:
                values["meetings_seen"] = seen
            session.execute(
                update(CalendarSource).where(CalendarSource.id == calendar_id).values(**values)
            )
            session.commit()
    return report


def _sync(db: Database, settings: Settings, calendar_id: int, report: CalendarReport) -> int:
    now = utcnow()
    start, end = now - LOOK_BACK, now + LOOK_AHEAD
    with db.session() as session:
        source = session.get(CalendarSource, calendar_id)
        if source is None:
            raise CalendarError("The calendar is gone.")
        user_id = source.user_id
        found = read_source(settings, source, start, end)
    report.occurrences = len(found)
    with db.session() as session:
        store = MeetingStore(session, settings)
        before = set(
            session.scalars(
                select(MeetingSighting.meeting_id)
                .join(Meeting, Meeting.id == MeetingSighting.meeting_id)
                .where(
                    MeetingSighting.calendar_id == calendar_id,
                    Meeting.starts_at >= start,
                    Meeting.starts_at < end,
                )
                .execution_options(**ACROSS_BOOKS)
            )
        )
        current: set[int] = set()
        for occurrence in found:
            meeting_id = store.add(occurrence, calendar_id, user_id)
            if meeting_id is not None:
                current.add(meeting_id)
        report.new = len(current - before)
        gone = sorted(before - current)
        if gone:
            session.execute(
                delete(MeetingSighting).where(
                    MeetingSighting.calendar_id == calendar_id,
                    MeetingSighting.meeting_id.in_(gone),
                )
            )
            # Still held by another calendar: brought up to date by its own read.
            report.removed, touched = remove_meetings(session, gone)
            store.accounts |= touched
        report.meetings = len(current)
        report.activities = store.finish()
        session.commit()
    return len(current)


def start_meetings(db: Database) -> int:
    """Meetings that have started since the last read become activities (a meeting ahead has
    none, so that the last touch never runs ahead of time)."""
    with db.session() as session:
        due = session.scalars(
            select(Meeting)
            .where(
                Meeting.account_id.is_not(None),
                Meeting.activity_id.is_(None),
                Meeting.cancelled.is_(False),
                Meeting.starts_at <= utcnow(),
            )
            .order_by(Meeting.id)
            .limit(5_000)
            .execution_options(**ACROSS_BOOKS)
        ).all()
        touched: set[int] = set()
        for meeting in due:
            touched |= write_meeting_activity(session, meeting, refresh=False)
        for account_id in touched:
            refresh_activity_rollups(session, account_id)
        session.commit()
        return len(due)


def due_calendars(db: Database, settings: Settings) -> list[int]:
    return leases.due(db, settings, CalendarSource)


def pending_meetings(session: Session, domain: str) -> list[Meeting]:
    return list(
        session.scalars(
            select(Meeting)
            .where(Meeting.pending_domain == domain, Meeting.account_id.is_(None))
            .execution_options(**ACROSS_BOOKS)
        )
    )


def assign_meetings(
    session: Session, meetings: list[Meeting], account_id: int, address: str | None = None
) -> int:
    """Puts waiting meetings on an account (those with `address` among their attendees, when
    given) and writes the activities of those that have started."""
    if address is not None:
        meetings = [
            m
            for m in meetings
            if any(a["address"] == address.lower() for a in json.loads(m.attendees))
        ]
        contact_id = session.scalar(
            select(Contact.id).where(
                func.lower(Contact.email) == address.lower(), Contact.account_id == account_id
            )
        )
        session.execute(
            update(MeetingAttendee)
            .where(
                MeetingAttendee.address == address.lower(),
                MeetingAttendee.meeting_id.in_([m.id for m in meetings]),
            )
            .values(contact_id=contact_id)
        )
    touched: set[int] = set()
    for meeting in meetings:
        meeting.account_id = account_id
        meeting.pending_domain = None
        touched |= write_meeting_activity(session, meeting, refresh=False)
    for touched_account in touched:
        refresh_activity_rollups(session, touched_account)
    return len(meetings)


def drop_meetings(session: Session, meetings: list[Meeting]) -> int:
    ids = [m.id for m in meetings]
    if not ids:
        return 0
    session.execute(delete(MeetingSighting).where(MeetingSighting.meeting_id.in_(ids)))
    removed, _ = remove_meetings(session, ids)
    return removed
