"""E-mail over SMTP (the standard library's client; the server is the customer's)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import parseaddr

from steward.config import Settings
from steward.delivery.webhooks import DeliveryError


def smtp_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def send(settings: Settings, *, message_id: int, to: str, subject: str, body: str) -> None:
    """One attempt; raises DeliveryError on any SMTP or network failure."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    # Stable per outbox row: a resend after a lost acknowledgement carries the same id.
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "steward.local"
    message["Message-ID"] = f"<steward-{message_id}@{domain}>"
    message.set_content(body)
    try:
        if settings.smtp_security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=30
            )
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                client.login(settings.smtp_username, settings.smtp_password)
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"recipient refused: {exc.recipients}", permanent=True) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
