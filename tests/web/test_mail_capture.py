"""Mail capture end to end on the live demo: the logging address (`steward serve` with
STEWARD_INBOUND_SMTP_PORT starts the SMTP listener), and the capture pages in Chromium."""

from __future__ import annotations

import shutil
import smtplib
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest

from tests.conftest import missing_service
from tests.support import dovecot as dovecot_server
from tests.support import mailgen
from tests.web.conftest import api_get, login, shot

AM = "am@example.com"


def _contact_in_book(base: str) -> tuple[int, str]:
    """An account of the AM's and one of its contacts' addresses."""
    accounts = api_get(base, AM, "/api/v1/accounts?limit=50")["items"]
    for account in accounts:
        contacts = api_get(base, AM, f"/api/v1/contacts?account_id={account['id']}")["items"]
        for contact in contacts:
            if contact.get("email"):
                return int(account["id"]), str(contact["email"])
    raise AssertionError("the demo gave the AM no contact with an address")


def test_mail_sent_to_the_logging_address_appears_on_the_account_within_30_seconds(
    live_server, live_smtp_port
):
    account_id, address = _contact_in_book(live_server)
    before = api_get(live_server, AM, f"/api/v1/accounts/{account_id}")["last_touch_at"]
    subject = f"Renewal next steps {uuid.uuid4().hex[:8]}"
    mail = EmailMessage()
    mail["From"] = f"Amara Mensah <{AM}>"
    mail["To"] = address
    mail["Subject"] = subject
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Message-ID"] = make_msgid(domain="example.com")
    mail.set_content("Hi,\nthe renewal quote is attached in our portal.\n")
    with smtplib.SMTP("127.0.0.1", live_smtp_port, timeout=10) as smtp:
        # BCC: the logging address is an envelope recipient, not a header.
        smtp.send_message(mail, to_addrs=["steward@127.0.0.1"])
    deadline = time.monotonic() + 30
    found: list[dict] = []  # type: ignore[type-arg]
    while time.monotonic() < deadline and not found:
        activities = api_get(live_server, AM, f"/api/v1/activities?account_id={account_id}")
        found = [a for a in activities["items"] if a["subject"] == subject]
        if not found:
            time.sleep(0.5)
    assert found, "the logged e-mail did not appear on the account within 30 s"
    assert found[0]["type"] == "email"
    after = api_get(live_server, AM, f"/api/v1/accounts/{account_id}")["last_touch_at"]
    assert after is not None and (before is None or after > before)


@pytest.fixture(scope="module")
def mail_server() -> Iterator[dovecot_server.Dovecot]:
    if not dovecot_server.available():
        missing_service("Dovecot (Debian's dovecot-imapd)")
    root = dovecot_server.mail_root()
    with dovecot_server.dovecot(root, ("amara",)) as server:
        yield server
    shutil.rmtree(root, ignore_errors=True)


def _captured(page) -> int:  # type: ignore[no-untyped-def]
    text = page.locator("#mailboxes .captured").first.inner_text()
    return int(text.split()[0])


def test_connect_a_mailbox_review_an_unknown_domain_and_read_the_mail_on_the_account(
    live_server, browser, mail_server
) -> None:  # type: ignore[no-untyped-def]
    account_id, address = _contact_in_book(live_server)
    tag = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    known = f"Onboarding check-in {tag}"
    unknown = f"Partnership enquiry {tag}"
    unknown_domain = f"newco-{tag}.io"
    mail_server.deliver(
        "amara",
        mailgen.message(
            message_id=f"known-{tag}@mail.example",
            sender=address,
            to=[AM],
            subject=known,
            body="Hi Amara,\nthe team finished the training; can we plan the rollout?\n",
            sent_at=now - timedelta(hours=2),
            attachment=("rollout.pdf", b"%PDF-1.4 rollout"),
        ),
    )
    mail_server.deliver(
        "amara",
        mailgen.message(
            message_id=f"unknown-{tag}@mail.example",
            sender=f"Dana Buyer <dana@{unknown_domain}>",
            to=[AM],
            subject=unknown,
            sent_at=now - timedelta(hours=1),
        ),
    )
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    login(page, live_server, AM)
    page.goto(f"{live_server}/mail")
    # Keep the text as well as the subject (the default keeps less).
    page.check("#capture-level input[value=body]")
    page.click("#capture-level button[type=submit]")
    page.wait_for_url(f"{live_server}/mail?done=level")
    assert page.locator("#effective-level").inner_text() == "Full text"
    # A wrong password is refused on the form, naming what failed; nothing is kept.
    page.fill("#connect input[name=host]", mail_server.host)
    page.fill("#connect input[name=port]", str(mail_server.port))
    page.select_option("#connect select[name=security]", "none")
    page.fill("#connect input[name=username]", "amara")
    page.fill("#connect input[name=password]", "not-the-password")
    page.click("#connect button[type=submit]")
    assert page.locator("#connect .field-error").count() >= 1
    assert page.locator("#mailboxes li[id^=mailbox-]").count() == 0
    assert page.locator("#connect input[name=host]").input_value() == mail_server.host
    page.fill("#connect input[name=password]", dovecot_server.PASSWORD)
    page.click("#connect button[type=submit]")
    page.wait_for_url(f"{live_server}/mail?done=connected")
    assert "Mailbox connected" in page.locator("#done").inner_text()
    assert page.locator("#mailboxes li[id^=mailbox-]").count() == 1
    # The worker reads a new mailbox at its next minute.
    deadline = time.monotonic() + 150
    while _captured(page) < 2 and time.monotonic() < deadline:
        time.sleep(3)
        page.reload()
    assert _captured(page) == 2, page.locator("#mailboxes").inner_text()
    assert "INBOX (2)" in page.locator("#mailboxes").inner_text()
    shot(page, "mail-capture-settings")

    # The unknown domain waits in the review queue; assigning it moves its mail.
    page.click("#review-link")
    item = page.locator("#review li", has_text=unknown_domain)
    assert item.count() == 1
    assert "1 thread waiting" in item.inner_text()
    shot(page, "mail-review-queue")
    item.locator("select[name=account_id]").select_option(str(account_id))
    item.locator("button[value=assign]").click()
    page.wait_for_url(f"{live_server}/mail/review?done=assign*")
    assert "1 waiting thread(s) moved" in page.locator("#done").inner_text()
    assert page.locator("#review li", has_text=unknown_domain).count() == 0

    # Both threads are on the account, with the attachment named and the text kept.
    page.goto(f"{live_server}/accounts/{account_id}")
    mail = page.locator("#account-mail")
    assert known in mail.inner_text() and unknown in mail.inner_text()
    assert "Last e-mail" in page.locator("#mail-signals").inner_text()
    mail.locator("summary", has_text=known).click()
    assert "rollout.pdf" in mail.inner_text()
    assert "finished the training" in mail.inner_text()
    mail.scroll_into_view_if_needed()
    shot(page, "mail-on-account-360")
    threads = api_get(live_server, AM, f"/api/v1/accounts/{account_id}/mail")
    subjects = {m["subject"] for t in threads for m in t["messages"]}
    assert {known, unknown} <= subjects
    context.close()

    # The same pages on a phone.
    phone_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = phone_context.new_page()
    login(phone, live_server, AM)
    for path, name in [
        ("/mail", "phone-mail-capture"),
        ("/mail/review?status=assigned", "phone-mail-review"),
        (f"/accounts/{account_id}", None),
    ]:
        phone.goto(f"{live_server}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} lays out at {width} px on a 390 px phone"
        if name:
            shot(phone, name)
    phone_context.close()
