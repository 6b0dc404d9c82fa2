"""Calendar capture against a real CalDAV server (Radicale on loopback) and a real ICS feed, on
SQLite and PostgreSQL: meetings become activities once they start, upcoming ones are listed,
the same event in two calendars is one meeting, unknown domains wait for review."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select, update

from steward.accounts.models import Account
from steward.activities.models import Activity
from steward.capture.calendars import (
    CalendarError,
    kind_of,
    occurrences,
    start_meetings,
    sync_calendar,
)
from steward.capture.models import (
    CalendarSource,
    CaptureLevel,
    Meeting,
    MeetingSighting,
    ReviewItem,
)
from steward.capture.preferences import set_own_level
from steward.capture.tasks import sync_calendars
from steward.config import Settings
from steward.contacts.models import Contact
from steward.core.secrets import encrypt
from steward.db.base import utcnow
from tests.capture.conftest import new_caldav_user
from tests.support.radicale import PASSWORD, event
from tests.support.servers import free_port


def _calendar(db, settings, server, login: str, user_id: int, password: str = PASSWORD) -> int:  # type: ignore[no-untyped-def]
    url = server.make_calendar(login)
    with db.session() as session:
        source = CalendarSource(
            user_id=user_id,
            kind="caldav",
            url_encrypted=encrypt(settings, url),
            label=url,
            username=login,
            secret_encrypted=encrypt(settings, password),
            meetings_seen=0,
            paused=False,
        )
        session.add(source)
        session.commit()
        return source.id


def _hour(days: float) -> datetime:
    """A whole hour `days` from now, in UTC."""
    moment = utcnow() + timedelta(days=days)
    return moment.replace(minute=0, second=0, microsecond=0)


def _counts(db) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Meeting)) or 0,
            session.scalar(select(func.count()).select_from(Activity)) or 0,
            session.scalar(select(func.count()).select_from(MeetingSighting)) or 0,
        )


def test_a_past_qbr_is_an_activity_that_moves_the_last_touch_and_upcoming_ones_are_not(
    db, factory, settings, caldav_server, caldav_user
):
    am = factory.user("am")
    account = factory.account(domain="acme.example")
    jane = factory.contact(account, email="jane@acme.example")
    held = _hour(-3)
    caldav_server.put(
        caldav_user,
        event(
            "qbr-1@test",
            held,
            title="Acme Q3 QBR",
            organizer=am.email,
            attendees=["jane@acme.example", am.email],
        ),
        "qbr-1@test",
    )
    caldav_server.put(
        caldav_user,
        event(
            "weekly@test",
            _hour(2),
            30,
            title="Weekly sync",
            organizer=am.email,
            attendees=["bob@acme.example"],
            rrule="FREQ=WEEKLY;COUNT=3",
        ),
        "weekly@test",
    )
    caldav_server.put(
        caldav_user,
        event(
            "internal@test",
            _hour(-1),
            title="Pipeline review",
            organizer=am.email,
            attendees=["boss@test.example"],
        ),
        "internal@test",
    )
    calendar_id = _calendar(db, settings, caldav_server, caldav_user, am.id)

    report = sync_calendar(db, settings, calendar_id)

    assert report.occurrences == 5  # the QBR, three weekly occurrences, the internal review
    assert report.meetings == 4 and report.activities == 1
    with db.session() as session:
        activity = session.scalars(select(Activity)).one()
        assert activity.type == "qbr" and activity.subject == "Acme Q3 QBR"
        assert activity.account_id == account.id and activity.contact_id == jane.id
        assert activity.occurred_at == held and activity.user_id == am.id
        assert "jane" in (activity.body or "")
        assert session.get(Account, account.id).last_touch_at == held  # type: ignore[union-attr]
        assert session.get(Contact, jane.id).last_touch_at == held  # type: ignore[union-attr]
        upcoming = session.scalars(
            select(Meeting).where(Meeting.starts_at > utcnow()).order_by(Meeting.starts_at)
        ).all()
        assert [m.starts_at for m in upcoming] == [_hour(2) + timedelta(weeks=w) for w in range(3)]
        assert all(m.activity_id is None and m.kind == "meeting" for m in upcoming)
        source = session.get(CalendarSource, calendar_id)
        assert source is not None and source.meetings_seen == 4 and source.last_error is None

    before = _counts(db)
    sync_calendar(db, settings, calendar_id)
    assert _counts(db) == before == (4, 1, 4)

    # The first weekly occurrence starts: the worker's next pass makes it an activity.
    with db.session() as session:
        first = session.scalars(select(Meeting).order_by(Meeting.starts_at.desc())).all()[-1]
        assert first.activity_id is not None  # the QBR
        weekly = session.scalars(
            select(Meeting).where(Meeting.activity_id.is_(None)).order_by(Meeting.starts_at)
        ).first()
        assert weekly is not None
        started = utcnow().replace(microsecond=0) - timedelta(minutes=5)
        session.execute(update(Meeting).where(Meeting.id == weekly.id).values(starts_at=started))
        session.commit()
    assert start_meetings(db) == 1
    with db.session() as session:
        assert session.get(Account, account.id).last_touch_at == started  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(Activity)) == 2


def test_the_same_event_in_the_am_and_the_csm_calendars_is_one_meeting_with_both(
    db, factory, settings, caldav_server
):
    am, csm = factory.user("am"), factory.user("csm")
    factory.account(domain="globex.example")
    ics = event(
        "ebr-7@test",
        _hour(-24),
        title="Executive Business Review",
        organizer=am.email,
        attendees=["cfo@globex.example", am.email, csm.email],
    )
    calendars = []
    logins = [new_caldav_user(), new_caldav_user()]
    for login, user in zip(logins, (am, csm), strict=True):
        caldav_server.put(login, ics, "ebr-7@test")
        calendars.append(_calendar(db, settings, caldav_server, login, user.id))
    for calendar_id in calendars:
        sync_calendar(db, settings, calendar_id)
    assert _counts(db) == (1, 1, 2)
    with db.session() as session:
        activity = session.scalars(select(Activity)).one()
        assert activity.type == "ebr"
        assert am.full_name in (activity.body or "") and csm.full_name in (activity.body or "")

    # Deleted from the AM's calendar: still in the CSM's, so it stays.
    caldav_server.remove(logins[0], "ebr-7@test")
    sync_calendar(db, settings, calendars[0])
    assert _counts(db) == (1, 1, 1)
    # Gone from both: the meeting and its activity go.
    caldav_server.remove(logins[1], "ebr-7@test")
    sync_calendar(db, settings, calendars[1])
    assert _counts(db) == (0, 0, 0)


def test_a_cancelled_meeting_loses_its_activity(db, factory, settings, caldav_server, caldav_user):
    am = factory.user("am")
    account = factory.account(domain="initech.example")
    when = _hour(-2)
    caldav_server.put(
        caldav_user,
        event("c-1@test", when, organizer=am.email, attendees=["peter@initech.example"]),
        "c-1@test",
    )
    calendar_id = _calendar(db, settings, caldav_server, caldav_user, am.id)
    sync_calendar(db, settings, calendar_id)
    assert _counts(db)[1] == 1
    caldav_server.put(
        caldav_user,
        event(
            "c-1@test",
            when,
            organizer=am.email,
            attendees=["peter@initech.example"],
            status="CANCELLED",
        ),
        "c-1@test",
    )
    sync_calendar(db, settings, calendar_id)
    assert _counts(db) == (1, 0, 1)
    with db.session() as session:
        assert session.get(Account, account.id).last_touch_at is None  # type: ignore[union-attr]


def test_an_unknown_domain_waits_for_review_and_assigning_it_writes_the_activity(
    client, db, factory, settings, caldav_server, caldav_user
):
    am = factory.user("am")
    account = factory.account(name="Hooli", owner_am_id=am.id)
    caldav_server.put(
        caldav_user,
        event(
            "u-1@test",
            _hour(-5),
            title="Intro call",
            organizer=am.email,
            attendees=["gavin@hooli.example"],
        ),
        "u-1@test",
    )
    calendar_id = _calendar(db, settings, caldav_server, caldav_user, am.id)
    sync_calendar(db, settings, calendar_id)
    headers = factory.headers(am)
    queue = client.get("/api/v1/capture/review", headers=headers).json()
    assert [(i["domain"], i["waiting_meetings"]) for i in queue] == [("hooli.example", 1)]
    assert _counts(db)[1] == 0
    decided = client.post(
        f"/api/v1/capture/review/{queue[0]['id']}",
        json={"action": "assign", "account_id": account.id},
        headers=headers,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["meetings_assigned"] == 1
    assert decided.json()["item"]["status"] == "assigned"
    with db.session() as session:
        activity = session.scalars(select(Activity)).one()
        assert activity.account_id == account.id and activity.subject == "Intro call"
        assert session.scalars(select(ReviewItem)).one().status == "assigned"
    # A re-read finds the domain on the account now: nothing waits, nothing doubles.
    sync_calendar(db, settings, calendar_id)
    assert _counts(db) == (1, 1, 1)


def test_metadata_capture_keeps_no_title_and_names_the_attendees_instead(
    db, factory, settings, caldav_server, caldav_user
):
    am = factory.user("am")
    factory.account(domain="umbrella.example")
    with db.session() as session:
        set_own_level(session, am.id, CaptureLevel.METADATA)
        session.commit()
    caldav_server.put(
        caldav_user,
        event(
            "m-1@test",
            _hour(-1),
            title="Renewal pricing (confidential)",
            organizer=am.email,
            attendees=["alice@umbrella.example"],
            description="Discount up to 20 %",
        ),
        "m-1@test",
    )
    sync_calendar(db, settings, _calendar(db, settings, caldav_server, caldav_user, am.id))
    with db.session() as session:
        meeting = session.scalars(select(Meeting)).one()
        assert meeting.title is None and meeting.description is None
        activity = session.scalars(select(Activity)).one()
        assert activity.subject == "Meeting with alice"
        assert "confidential" not in (activity.body or "") and "20 %" not in (activity.body or "")


def test_a_wrong_password_is_kept_as_the_calendars_error(
    db, factory, settings, caldav_server, caldav_user
):
    am = factory.user("am")
    calendar_id = _calendar(db, settings, caldav_server, caldav_user, am.id, password="wrong")
    with pytest.raises(CalendarError, match="refused the login"):
        sync_calendar(db, settings, calendar_id)
    # The worker's job logs it and goes on; the owner sees it on the calendar.
    sync_calendars(db, settings)
    with db.session() as session:
        source = session.get(CalendarSource, calendar_id)
        assert source is not None and "refused the login" in (source.last_error or "")


class _Feed(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/secret-feed.ics")
            self.end_headers()
            return
        self.send_response(200 if self.path == "/secret-feed.ics" else 404)
        self.send_header("Content-Type", "text/calendar")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def feed_server():  # type: ignore[no-untyped-def]
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_an_ics_feed_connects_through_the_api_and_lists_its_upcoming_meetings(
    client, db, factory, feed_server
):
    am, other = factory.user("am"), factory.user("am")
    account = factory.account(domain="wayne.example", owner_am_id=am.id)
    _Feed.body = event(
        "feed-1@test",
        _hour(3),
        title="Onboarding kickoff",
        organizer="bruce@wayne.example",
        attendees=[am.email, "alfred@wayne.example"],
    ).encode()
    url = f"http://127.0.0.1:{feed_server.server_port}/moved"
    headers = factory.headers(am)
    answer = client.post("/api/v1/calendars", json={"kind": "ics", "url": url}, headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["label"].startswith("127.0.0.1:")
    assert "/moved" in answer.json()["label"]

    sync_calendars(client.app.state.db, client.app.state.settings)

    upcoming = client.get(f"/api/v1/meetings/upcoming?account_id={account.id}", headers=headers)
    assert upcoming.status_code == 200, upcoming.text
    [meeting] = upcoming.json()
    assert meeting["title"] == "Onboarding kickoff" and meeting["account_name"] == account.name
    assert {a["address"] for a in meeting["attendees"] if not a["ours"]} == {
        "bruce@wayne.example",
        "alfred@wayne.example",
    }
    mine = client.get("/api/v1/meetings/upcoming?mine=true", headers=headers).json()
    assert [m["id"] for m in mine] == [meeting["id"]]
    # Outside the book: another AM sees neither the account's meetings nor the account.
    theirs = factory.headers(other)
    assert client.get("/api/v1/meetings/upcoming", headers=theirs).json() == []
    refused = client.get(f"/api/v1/meetings/upcoming?account_id={account.id}", headers=theirs)
    assert refused.status_code == 404
    # Someone else's calendar is not theirs to read or remove.
    calendar_id = answer.json()["id"]
    assert client.delete(f"/api/v1/calendars/{calendar_id}", headers=theirs).status_code == 404
    # Removed with its meetings.
    gone = client.delete(f"/api/v1/calendars/{calendar_id}?forget=true", headers=headers)
    assert gone.status_code == 204
    assert _counts(db) == (0, 0, 0)


def test_calendar_urls_are_checked_before_anything_is_kept(client, db, factory, feed_server):
    am = factory.user("am")
    headers = factory.headers(am)
    port = feed_server.server_port
    cases = [
        ({"kind": "ics", "url": "ftp://example.com/cal.ics"}, "url", "http"),
        ({"kind": "ics", "url": f"http://127.0.0.1:{port}/nothing.ics"}, "url", "404"),
        ({"kind": "caldav", "url": "https://dav.example.com/"}, "password", "user name"),
    ]
    _Feed.body = b"not a calendar"
    for body, field, words in cases:
        answer = client.post("/api/v1/calendars", json=body, headers=headers)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in answer.text and words in answer.text
    not_ics = client.post(
        "/api/v1/calendars",
        json={"kind": "ics", "url": f"http://127.0.0.1:{port}/secret-feed.ics"},
        headers=headers,
    )
    assert not_ics.status_code == 422 and "not an iCalendar" in not_ics.text
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CalendarSource)) == 0


def test_loopback_feeds_are_refused_unless_the_operator_allows_private_hosts(tmp_path):
    from steward.capture.calendars import check_url

    strict = Settings(data_dir=tmp_path, secret_key="test")
    with pytest.raises(CalendarError, match="STEWARD_CAPTURE_ALLOW_PRIVATE"):
        check_url(strict, "http://127.0.0.1:8080/feed.ics")
    assert check_url(
        strict.model_copy(update={"capture_allow_private": True}), "webcal://x.example/f"
    ) == ("https://x.example/f")


def test_titles_name_qbrs_and_ebrs_and_repeating_events_expand_in_the_window() -> None:
    import icalendar

    assert kind_of("Acme QBR — Q3") == "qbr" and kind_of("Quarterly Business Review") == "qbr"
    assert kind_of("EBR with the CFO") == "ebr" and kind_of("Qbrick demo") == "meeting"
    start = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    calendar = icalendar.Calendar.from_ical(
        event(
            "r@test",
            start,
            organizer="a@us.example",
            attendees=["b@them.example"],
            rrule="FREQ=DAILY;COUNT=10",
        )
    )
    found = occurrences([calendar], start + timedelta(days=2), start + timedelta(days=5))
    assert [o.starts_at.day for o in found] == [7, 8, 9]
    assert len({o.key_hash for o in found}) == 3 and all(o.recurrence for o in found)
