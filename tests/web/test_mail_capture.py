"""Mail capture end to end on the live demo: the logging address (`steward serve` with
STEWARD_INBOUND_SMTP_PORT starts the SMTP listener), and the capture pages in Chromium."""

from __future__ import annotations

import smtplib
import time
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from tests.web.conftest import api_get

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
