"""Connecting Slack on the notifications page in Chromium, at desktop width and on a phone."""

from __future__ import annotations

from tests.web.conftest import api_get, login, shot
from tests.web.test_mail_capture import AM


def test_connect_slack_on_the_notifications_page(live_server, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    login(page, live_server, AM)
    page.goto(f"{live_server}/notifications#chat")
    form = page.locator("#connect-chat")
    form.locator("select[name=kind]").select_option("slack_bot")
    form.locator("input[name=token]").fill("xoxb-1234-5678-browser-test")
    form.locator("button[type=submit]").click()
    # No channel: the form again, the field named, the token not sent back.
    assert page.locator("#connect-chat .field-error").inner_text()
    assert "channel" in page.locator("#connect-chat").inner_text().lower()
    assert form.locator("input[name=token]").input_value() == ""
    form.locator("input[name=token]").fill("xoxb-1234-5678-browser-test")
    form.locator("input[name=channel]").fill("C0BROWSER")
    form.locator("input[name=slack_user_id]").fill("U0AMARA")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server}/notifications?chat=added*")
    listed = page.locator("#chat-destinations")
    assert "Slack bot → C0BROWSER" in listed.inner_text()
    assert "U0AMARA" in listed.inner_text()
    assert "browser-test" not in page.content()
    page.locator("#chat").scroll_into_view_if_needed()
    shot(page, "chat-settings")
    mine = api_get(live_server, AM, "/api/v1/me/chat")
    assert [d["label"] for d in mine] == ["Slack bot → C0BROWSER"]
    context.close()

    phone_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = phone_context.new_page()
    login(phone, live_server, AM)
    phone.goto(f"{live_server}/notifications#chat")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"/notifications lays out at {width} px on a 390 px phone"
    shot(phone, "phone-chat-settings")
    phone_context.close()
