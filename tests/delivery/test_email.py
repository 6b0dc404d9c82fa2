"""E-mail goes through a real SMTP server; without one configured, messages wait."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from steward.config import Settings
from steward.delivery import service
from steward.delivery.models import MessageStatus, OutboundMessage
from steward.delivery.tasks import deliver_due
from tests.factories import Factory
from tests.support.servers import free_port, smtp_server


def test_an_email_is_delivered_to_the_smtp_server(factory: Factory, tmp_path: Path) -> None:
    with smtp_server() as mailbox:
        settings = Settings(
            data_dir=tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=mailbox.port,
            smtp_security="none",
            mail_from="Steward <steward@example.com>",
        )
        with factory.db.session() as session:
            service.queue_email(session, to="cs@example.com", subject="Hello", body="Body text")
        report = deliver_due(factory.db, settings)
    assert report.sent == 1
    [mail] = mailbox.messages
    assert (mail["To"], mail["Subject"], mail["From"]) == (
        "cs@example.com",
        "Hello",
        "Steward <steward@example.com>",
    )
    assert (
        "Body text" in mail.get_payload()
        and mail["Message-ID"].startswith("<steward-")
        and mail["Message-ID"].endswith("@example.com>")
    )


def test_without_smtp_emails_wait_and_an_unreachable_server_is_retried(
    factory: Factory, tmp_path: Path
) -> None:
    with factory.db.session() as session:
        service.queue_email(session, to="cs@example.com", subject="Hello", body="Body")
    assert deliver_due(factory.db, Settings(data_dir=tmp_path)).sent == 0
    down = Settings(
        data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none"
    )
    report = deliver_due(factory.db, down)
    assert report.retrying == 1
    with factory.db.session() as session:
        message = session.scalars(select(OutboundMessage)).one()
    assert message.status == MessageStatus.PENDING and message.attempts == 1
    assert "Connection" in str(message.last_error) or "refused" in str(message.last_error)


def test_a_dedupe_key_queues_a_message_once(factory: Factory) -> None:
    with factory.db.session() as session:
        first = service.queue_email(
            session, to="a@example.com", subject="S", body="B", dedupe_key="k"
        )
        session.flush()
        again = service.queue_email(
            session, to="a@example.com", subject="S", body="B", dedupe_key="k"
        )
        assert first is again
