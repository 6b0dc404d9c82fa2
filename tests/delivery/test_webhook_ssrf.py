"""Webhooks cannot be turned against the network Steward runs in (SSRF): private and loopback
destinations are refused at save and at send, names are resolved once and the connection goes
to the address that was checked, redirects are not followed, and what a receiver answers is
never shown to users."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from steward.config import Settings
from steward.core import network
from steward.db.base import utcnow
from steward.delivery import service, webhooks
from steward.delivery.models import MessageStatus, OutboundMessage, WebhookEndpoint
from steward.delivery.tasks import deliver_due
from tests.factories import Factory
from tests.support.servers import FAILURE_BODY, webhook_receiver

PUBLIC = "93.184.216.34"


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolver(answers: dict[str, list[str]], calls: list[str]) -> Any:
    """getaddrinfo for made-up names; a list of answers is served one per call (rebinding)."""

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        calls.append(host)
        if _is_address(host):
            address = host
        elif host in answers:
            pending = answers[host]
            address = pending.pop(0) if len(pending) > 1 else pending[0]
        else:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port or 443))]

    return getaddrinfo


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/hook", "private or loopback"),
        ("http://10.20.30.40/hook", "private or loopback"),
        ("http://169.254.169.254/latest/meta-data/", "private or loopback"),
        ("http://[::1]:8080/hook", "private or loopback"),
        ("http://[fd00::1]/hook", "private or loopback"),
        ("http://metadata.internal.example/hook", "private or loopback"),
        ("http://db.internal.example/hook", "private or loopback"),
        ("file:///etc/passwd", "https://"),
        ("gopher://93.184.216.34/_", "https://"),
        ("ftp://93.184.216.34/x", "https://"),
        ("javascript:alert(1)", "https://"),
        ("http://nowhere.invalid/hook", "does not resolve"),
    ],
)
def test_refused_at_save_with_the_reason(
    client, factory: Factory, monkeypatch: pytest.MonkeyPatch, url: str, why: str
) -> None:
    monkeypatch.setattr(
        network.socket,
        "getaddrinfo",
        _resolver(
            {"metadata.internal.example": ["169.254.169.254"], "db.internal.example": ["10.0.0.5"]},
            [],
        ),
    )
    admin = factory.user("admin")
    response = client.post(
        "/api/v1/webhooks", json={"name": "x", "url": url}, headers=factory.headers(admin)
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "url"
    assert why in response.json()["detail"]
    with factory.db.session() as session:
        assert session.scalars(select(WebhookEndpoint)).all() == []


def _queued(factory: Factory, url: str, name: str = "crm") -> None:
    with factory.db.session() as session:
        endpoint = WebhookEndpoint(name=name, url=url, secret=webhooks.new_secret())
        session.add(endpoint)
        session.flush()
        service.queue_webhook(session, endpoint, "ping", {})


def _message(factory: Factory) -> OutboundMessage:
    with factory.db.session() as session:
        return session.scalars(select(OutboundMessage)).one()


def test_a_name_that_turns_private_after_saving_is_refused_at_send(
    factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(
        network.socket, "getaddrinfo", _resolver({"hooks.example.com": ["10.0.0.7"]}, calls)
    )
    _queued(factory, "https://hooks.example.com/steward")  # saved when it was public
    report = deliver_due(factory.db, Settings(data_dir=tmp_path))
    assert report.dead == 1
    message = _message(factory)
    assert message.status == MessageStatus.DEAD
    assert "10.0.0.7, a private or loopback address" in str(message.last_error)


def test_the_connection_goes_to_the_address_that_was_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # DNS rebinding: the first answer is public, every later one private. Steward resolves
    # once, checks, and connects to that address; the name only travels as Host and SNI.
    calls: list[str] = []
    monkeypatch.setattr(
        network.socket,
        "getaddrinfo",
        _resolver({"hooks.example.com": [PUBLIC, "127.0.0.1"]}, calls),
    )
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    real_client = httpx.Client
    monkeypatch.setattr(
        webhooks.httpx,
        "Client",
        lambda **kwargs: real_client(transport=httpx.MockTransport(answer), **kwargs),
    )
    webhooks.post(
        "https://hooks.example.com:8443/steward?x=1",
        "whsec_test",
        message_id=1,
        event_type="ping",
        body=b"{}",
        allow_private=False,
        timeout=5,
    )
    assert calls == ["hooks.example.com"]
    (request,) = sent
    assert str(request.url) == f"https://{PUBLIC}:8443/steward?x=1"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"


def test_redirects_are_not_followed_and_receiver_bodies_never_reach_users(
    client, factory: Factory, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, webhook_allow_private=True)
    with webhook_receiver(redirect_to="http://169.254.169.254/latest/meta-data/") as receiver:
        _queued(factory, receiver.url)
        report = deliver_due(factory.db, settings, now=utcnow())
    assert report.retrying == 1 and len(receiver.requests) == 1  # the redirect was not taken
    error = str(_message(factory).last_error)
    assert "302" in error and "redirect (not followed)" in error
    with webhook_receiver(failures=5) as failing:
        _queued(factory, failing.url, name="erp")
        deliver_due(factory.db, settings, now=utcnow())
    admin = factory.user("admin")
    outbox = client.get("/api/v1/outbox", headers=factory.headers(admin))
    assert outbox.status_code == 200 and "HTTP 500" in outbox.text
    assert FAILURE_BODY.decode() not in outbox.text
    assert "hunter2" not in outbox.text
