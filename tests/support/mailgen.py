"""E-mails as mail clients write them, for capture tests and benchmarks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime


def message(
    *,
    message_id: str,
    sender: str,
    to: list[str],
    subject: str = "Renewal plan",
    body: str = "Hello,\nhere is the plan we discussed.\n",
    sent_at: datetime | None = None,
    cc: list[str] | None = None,
    references: list[str] | None = None,
    attachment: tuple[str, bytes] | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    if cc:
        mail["Cc"] = ", ".join(cc)
    mail["Subject"] = subject
    mail["Date"] = format_datetime(sent_at or datetime(2026, 11, 2, 9, 30, tzinfo=UTC))
    mail["Message-ID"] = f"<{message_id}>"
    if references:
        mail["In-Reply-To"] = f"<{references[-1]}>"
        mail["References"] = " ".join(f"<{r}>" for r in references)
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    if attachment is not None:
        name, data = attachment
        mail.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return bytes(mail)


def conversation(
    count: int,
    *,
    ours: str,
    theirs: str,
    start: datetime | None = None,
    threads_of: int = 5,
    prefix: str = "m",
) -> list[bytes]:
    """`count` messages in threads of `threads_of`, alternating between us and the customer."""
    start = start or datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    out = []
    for n in range(count):
        thread, position = divmod(n, threads_of)
        root = f"{prefix}{thread}-0@mail.example"
        sender, recipient = (theirs, ours) if position % 2 == 0 else (ours, theirs)
        out.append(
            message(
                message_id=f"{prefix}{thread}-{position}@mail.example",
                sender=sender,
                to=[recipient],
                subject=("Re: " if position else "") + f"Topic {thread}",
                body=f"Message {position} of thread {thread}.\n",
                sent_at=start + timedelta(minutes=10 * n),
                references=[root] if position else None,
            )
        )
    return out
