"""What the auth API and the login pages share about the HTTP exchange (client address, the
device cookie)."""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.orm import Session

from steward.auth import service


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def remember_device(request: Request, response: Response, session: Session, email: str) -> None:
    """Sets (or refreshes) the browser's device cookie after a successful login."""
    value = service.remember_device(session, email, request.cookies.get(service.DEVICE_COOKIE))
    host = request.url.hostname or ""
    response.set_cookie(
        service.DEVICE_COOKIE,
        value,
        max_age=service.DEVICE_DAYS * 86400,
        httponly=True,
        samesite="lax",
        # Browsers treat loopback as a secure context, so Secure cookies work there over http.
        secure=request.url.scheme == "https" or host in {"localhost", "127.0.0.1", "::1"},
    )
