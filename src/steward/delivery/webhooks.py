"""Webhook delivery: signed POSTs to admin-configured endpoints, never to private addresses.

Signature (the scheme Stripe made familiar): `Steward-Signature: t=<unix time>,v1=<hex>` where
hex = HMAC-SHA256(endpoint secret, "<t>.<raw body>"). Receivers recompute it over the raw body,
compare in constant time and refuse old timestamps (replays); `verify_signature` does exactly
that and is what the tests use as the receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlsplit

import httpx

from steward import __version__
from steward.core.network import host_problem

SIGNATURE_HEADER = "Steward-Signature"
EVENT_ID_HEADER = "Steward-Event-Id"
EVENT_TYPE_HEADER = "Steward-Event-Type"


class DeliveryError(Exception):
    """A failed attempt; `permanent` ones are not retried."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify_signature(
    secret: str, header: str, body: bytes, *, tolerance_seconds: int = 300, now: float | None = None
) -> bool:
    """What a receiver does: the timestamp is recent and one v1 signature matches."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance_seconds:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, sent) for sent in parts.get("v1", []))


def _check(url: str, *, allow_private: bool) -> tuple[str | None, str | None]:
    """(why Steward will not call this URL or None, the address to connect to or None)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a valid URL", None
    if parts.scheme not in ("http", "https"):
        return "must start with https:// (or http://)", None
    host = parts.hostname
    if not host:
        return "has no host", None
    if parts.username or parts.password:
        return "must not carry a user name or password (the signature authenticates Steward)", None
    return host_problem(
        host, port or 443, allow_private=allow_private, setting="STEWARD_WEBHOOK_ALLOW_PRIVATE"
    )


def destination_problem(url: str, *, allow_private: bool) -> str | None:
    """Why Steward will not call this URL, or None. Private, loopback, link-local (cloud
    metadata) and other non-global addresses are refused unless allowed, so a rule cannot be
    turned into a probe of the network Steward runs in."""
    return _check(url, allow_private=allow_private)[0]


def _pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The request aimed at the address just checked, not at a second DNS answer (DNS
    rebinding): the URL names the IP, Host and TLS (SNI and certificate check) the name."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return parts._replace(netloc=netloc).geturl(), {"Host": host_header}, extensions


def post(
    url: str,
    secret: str,
    *,
    message_id: int,
    event_type: str,
    body: bytes,
    allow_private: bool,
    timeout: float,
) -> None:
    """One attempt; raises DeliveryError unless the receiver answers 2xx. The receiver's body
    is never kept: what a receiver says is not shown to Steward's users."""
    problem, address = _check(url, allow_private=allow_private)
    if problem is not None:
        raise DeliveryError(f"refused: {url} {problem}", permanent=True)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Steward/{__version__}",
        EVENT_ID_HEADER: str(message_id),
        EVENT_TYPE_HEADER: event_type,
        SIGNATURE_HEADER: signature_header(secret, body, int(time.time())),
    }
    target, extensions = url, dict[str, str]()
    if address is not None:
        target, host, extensions = _pinned(url, address)
        headers.update(host)
    try:
        # Redirects are not followed: they could lead to an address the check above refuses.
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.post(target, content=body, headers=headers, extensions=extensions)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    if not response.is_success:
        kind = "a redirect (not followed)" if response.is_redirect else response.reason_phrase
        raise DeliveryError(f"HTTP {response.status_code} {kind}".rstrip())
