"""Calendar capture end to end on the live demo: an AM connects a CalDAV account (Radicale on
loopback) in Chromium; the worker reads it; the past QBR is on the account's timeline and the
meeting ahead is on Account 360 and My Day, at desktop width and on a 390 px phone."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.support import radicale as radicale_server
from tests.web.conftest import api_get, login, shot
from tests.web.test_mail_capture import AM, _contact_in_book


@pytest.fixture(scope="module")
def dav_server(tmp_path_factory) -> Iterator[radicale_server.Radicale]:  # type: ignore[no-untyped-def]
    with radicale_server.radicale(tmp_path_factory.mktemp("dav"), ("amara",)) as server:
        yield server


def _hour(hours: float) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


def test_connect_a_calendar_and_see_its_meetings_on_the_account_and_on_my_day(
    live_server, browser, dav_server
) -> None:  # type: ignore[no-untyped-def]
    account_id, address = _contact_in_book(live_server)
    tag = uuid.uuid4().hex[:6]
    held, ahead = f"Q4 QBR {tag}", f"Rollout planning {tag}"
    for uid, title, start in ((f"qbr-{tag}", held, _hour(-26)), (f"plan-{tag}", ahead, _hour(26))):
        dav_server.put(
            "amara",
            radicale_server.event(uid, start, title=title, organizer=AM, attendees=[address]),
            uid,
        )
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    login(page, live_server, AM)
    page.goto(f"{live_server}/mail#calendars")
    form = page.locator("#connect-calendar")
    form.locator("select[name=kind]").select_option("caldav")
    form.locator("input[name=url]").fill(dav_server.calendar_url("amara"))
    form.locator("input[name=username]").fill("amara")
    form.locator("input[name=password]").fill("wrong")
    form.locator("button[type=submit]").click()
    # Refused on the form with the field named; nothing kept, the address still there.
    assert "refused the login" in page.locator("#connect-calendar .field-error").inner_text()
    assert page.locator("#calendars li[id^=calendar-]").count() == 0
    assert form.locator("input[name=url]").input_value() == dav_server.calendar_url("amara")
    form.locator("input[name=password]").fill(radicale_server.PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server}/mail?done=calendar*")
    assert "Calendar connected" in page.locator("#done").inner_text()

    # The worker reads a new calendar at its next minute.
    deadline = time.monotonic() + 150
    seen = page.locator("#calendars .meetings-seen")
    while not seen.inner_text().startswith("2 ") and time.monotonic() < deadline:
        time.sleep(3)
        page.reload()
    assert seen.inner_text().startswith("2 "), page.locator("#calendars").inner_text()
    page.locator("#calendars").scroll_into_view_if_needed()
    shot(page, "calendar-capture-settings")

    # The QBR that took place is a QBR activity; the meeting ahead is listed, not logged.
    activities = api_get(live_server, AM, f"/api/v1/activities?account_id={account_id}")["items"]
    logged = [a for a in activities if a["subject"] in (held, ahead)]
    assert [(a["subject"], a["type"]) for a in logged] == [(held, "qbr")]
    page.goto(f"{live_server}/accounts/{account_id}")
    upcoming = page.locator("#upcoming-meetings")
    assert ahead in upcoming.inner_text() and held not in upcoming.inner_text()
    assert address in upcoming.inner_text()
    upcoming.scroll_into_view_if_needed()
    shot(page, "calendar-upcoming-on-account-360")
    page.goto(f"{live_server}/today")
    day = page.locator("#day-meetings")
    assert ahead in day.inner_text()
    day.scroll_into_view_if_needed()
    shot(page, "calendar-meetings-on-my-day")
    context.close()

    phone_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = phone_context.new_page()
    login(phone, live_server, AM)
    for path, name in [
        ("/mail#calendars", "phone-calendar-capture"),
        (f"/accounts/{account_id}", None),
        ("/today", "phone-my-day-meetings"),
    ]:
        phone.goto(f"{live_server}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} lays out at {width} px on a 390 px phone"
        if name:
            shot(phone, name)
    phone_context.close()
