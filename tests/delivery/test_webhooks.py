"""Webhooks: signed, retried with back-off, never sent to private addresses unless allowed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select

from steward.config import Settings
from steward.db.base import utcnow
from steward.delivery import service, webhooks
from steward.delivery.models import MessageStatus, OutboundMessage, WebhookEndpoint
from steward.delivery.tasks import LEASE, _claim, deliver_due
from tests.factories import Factory
from tests.support.servers import webhook_receiver


def _endpoint(factory: Factory, url: str) -> WebhookEndpoint:
    with factory.db.session() as session:
        endpoint = WebhookEndpoint(name="crm", url=url, secret=webhooks.new_secret())
        session.add(endpoint)
    return endpoint


def _message(factory: Factory) -> OutboundMessage:
    with factory.db.session() as session:
        return session.scalars(select(OutboundMessage)).one()


def test_signatures_verify_and_tampering_does_not() -> None:
    body, secret, now = b'{"id": 1}', "whsec_test", 1_700_000_000
    header = webhooks.signature_header(secret, body, now)
    assert webhooks.verify_signature(secret, header, body, now=now + 10)
    assert not webhooks.verify_signature(secret, header, b'{"id": 2}', now=now)
    assert not webhooks.verify_signature("whsec_other", header, body, now=now)
    assert not webhooks.verify_signature(secret, header, body, now=now + 301)  # a replay
    assert not webhooks.verify_signature(secret, "v1=abc", body, now=now)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "http://localhost/hook",
        "https://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_and_loopback_destinations_are_refused(url: str) -> None:
    problem = webhooks.destination_problem(url, allow_private=False)
    assert problem is not None and "private or loopback" in problem
    assert webhooks.destination_problem(url, allow_private=True) is None


def test_other_bad_urls_are_refused_and_a_public_address_is_not() -> None:
    assert "https://" in str(
        webhooks.destination_problem("ftp://93.184.216.34/x", allow_private=False)
    )
    assert "user name" in str(
        webhooks.destination_problem("https://u:p@93.184.216.34/x", allow_private=False)
    )
    assert webhooks.destination_problem("https://93.184.216.34/hook", allow_private=False) is None


def test_a_webhook_reaches_the_receiver_signed_after_two_failed_attempts(
    factory: Factory, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, webhook_allow_private=True)
    with webhook_receiver(failures=2) as receiver:
        endpoint = _endpoint(factory, receiver.url)
        with factory.db.session() as session:
            service.queue_webhook(session, endpoint, "rule.fired", {"account": "Acme"})

        start = utcnow()
        first = deliver_due(factory.db, settings, now=start)
        assert (first.sent, first.retrying) == (0, 1)
        retry_at = _message(factory).next_attempt_at
        # Back-off: about 30 s after the first failure (±10 % jitter), nothing sent before.
        assert timedelta(seconds=26) < retry_at - start < timedelta(seconds=34)
        assert deliver_due(factory.db, settings, now=retry_at - timedelta(seconds=1)).retrying == 0

        second = deliver_due(factory.db, settings, now=retry_at)
        assert second.retrying == 1
        third_at = _message(factory).next_attempt_at
        assert timedelta(seconds=53) < third_at - retry_at < timedelta(seconds=67)  # doubled

        third = deliver_due(factory.db, settings, now=third_at)
        assert third.sent == 1

    message = _message(factory)
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 3, None)
    assert len(receiver.requests) == 3
    last = receiver.requests[-1]
    assert last.path == "/hooks/steward"
    assert webhooks.verify_signature(endpoint.secret, last.headers["Steward-Signature"], last.body)
    assert {r.headers["Steward-Event-Id"] for r in receiver.requests} == {str(message.id)}
    payload = orjson.loads(last.body)
    assert payload["type"] == "rule.fired" and payload["data"] == {"account": "Acme"}
    assert payload["id"] == message.id
    # Nothing more to send.
    assert deliver_due(factory.db, settings, now=third_at + timedelta(days=1)).sent == 0


def test_a_private_destination_is_never_called(factory: Factory, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)  # private addresses not allowed
    with webhook_receiver() as receiver:
        endpoint = _endpoint(factory, receiver.url)
        with factory.db.session() as session:
            service.queue_webhook(session, endpoint, "ping", {})
        report = deliver_due(factory.db, settings)
    assert report.dead == 1 and receiver.requests == []
    message = _message(factory)
    assert message.status == MessageStatus.DEAD and "private or loopback" in str(message.last_error)


def test_attempts_run_out_and_an_admin_can_retry(factory: Factory, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, webhook_allow_private=True, delivery_max_attempts=2)
    with webhook_receiver(failures=2) as receiver:
        endpoint = _endpoint(factory, receiver.url)
        with factory.db.session() as session:
            service.queue_webhook(session, endpoint, "ping", {})
        deliver_due(factory.db, settings)
        assert deliver_due(factory.db, settings, now=utcnow() + timedelta(hours=1)).dead == 1
        with factory.db.session() as session:
            message = session.scalars(select(OutboundMessage)).one()
            service.retry_message(session, message.id)
        assert deliver_due(factory.db, settings).sent == 1
    assert len(receiver.requests) == 3


def test_a_worker_dying_mid_send_leaves_the_message_to_the_next_tick(
    factory: Factory, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, webhook_allow_private=True)
    with webhook_receiver() as receiver:
        endpoint = _endpoint(factory, receiver.url)
        with factory.db.session() as session:
            service.queue_webhook(session, endpoint, "ping", {})
        now = utcnow()
        assert len(_claim(factory.db, settings, now, 10)) == 1  # claimed, then the worker dies
        # Another worker does not take a message under someone's lease ...
        assert deliver_due(factory.db, settings, now=now + timedelta(minutes=1)).sent == 0
        # ... and sends it once the lease has run out.
        assert deliver_due(factory.db, settings, now=now + LEASE + timedelta(seconds=1)).sent == 1
    assert len(receiver.requests) == 1


def test_endpoints_api_is_for_admins_and_names_a_bad_url(client, factory: Factory) -> None:
    admin, am = factory.user(role="admin"), factory.user(role="am")
    body = {"name": "crm", "url": "http://127.0.0.1:8080/hook"}
    assert (
        client.post("/api/v1/webhooks", json=body, headers=factory.headers(am)).status_code == 403
    )
    refused = client.post("/api/v1/webhooks", json=body, headers=factory.headers(admin))
    assert refused.status_code == 422
    assert (
        refused.json()["errors"][0]["field"] == "url"
        and "private or loopback" in refused.json()["detail"]
    )
    created = client.post(
        "/api/v1/webhooks",
        json={"name": "crm", "url": "https://93.184.216.34/hook"},
        headers=factory.headers(admin),
    )
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    endpoint_id = created.json()["id"]
    duplicate = client.post(
        "/api/v1/webhooks",
        json={"name": "crm", "url": "https://93.184.216.34/other"},
        headers=factory.headers(admin),
    )
    assert duplicate.status_code == 422 and duplicate.json()["errors"][0]["field"] == "name"
    rotated = client.post(
        f"/api/v1/webhooks/{endpoint_id}/rotate-secret", headers=factory.headers(admin)
    )
    assert rotated.json()["secret"] != created.json()["secret"]
    ping = client.post(f"/api/v1/webhooks/{endpoint_id}/ping", headers=factory.headers(admin))
    assert ping.status_code == 202 and ping.json()["status"] == "pending"
    outbox = client.get("/api/v1/outbox?status=pending", headers=factory.headers(admin)).json()
    assert outbox["total"] == 1 and outbox["items"][0]["event_type"] == "ping"
