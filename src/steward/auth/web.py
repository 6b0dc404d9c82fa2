"""Login and logout pages."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from steward.api.deps import SESSION_COOKIE, DbSession, get_settings_dep
from steward.auth import service
from steward.auth.http import client_ip, remember_device
from steward.config import Settings
from steward.core.errors import NotAuthenticated, TooManyRequests
from steward.web.app import redirect, render, safe_next

router = APIRouter()


def _safe_next(target: str | None) -> str:
    return safe_next(target, "/book")


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return True  # browsers omit it on some same-origin form posts
    return urlparse(origin).netloc == request.headers.get("host", "")


def secure_cookie(request: Request) -> bool:
    # Browsers treat loopback as a secure context, so Secure cookies work there over http.
    host = request.url.hostname or ""
    return request.url.scheme == "https" or host in {"localhost", "127.0.0.1", "::1"}


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "auth/login.html", None, next=_safe_next(next), error=None, email="")


@router.post("/login")
def login(
    request: Request,
    session: DbSession,
    settings: Annotated[Settings, Depends(get_settings_dep)],
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=4096)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/book",
) -> Response:
    if not _same_origin(request):
        return render(
            request,
            "auth/login.html",
            None,
            403,
            next="/book",
            error="Cross-site login refused.",
            email="",
        )
    try:
        user = service.authenticate(
            session,
            settings,
            email,
            password,
            client_ip(request),
            request.cookies.get(service.DEVICE_COOKIE),
        )
    except NotAuthenticated:
        session.commit()
        return render(
            request,
            "auth/login.html",
            None,
            401,
            next=_safe_next(next),
            error="Wrong e-mail or password.",
            email=email,
        )
    except TooManyRequests as exc:
        return render(
            request,
            "auth/login.html",
            None,
            429,
            next=_safe_next(next),
            error=exc.detail,
            email=email,
        )
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        service.end_session(session, old)  # a new id at every login (no session fixation)
    new = service.start_session(session, user)
    response = redirect(_safe_next(next))
    remember_device(request, response, session, user.email)
    session.commit()
    response.set_cookie(
        SESSION_COOKIE,
        new.cookie_value,
        httponly=True,
        samesite="lax",
        secure=secure_cookie(request),
        max_age=settings.session_max_hours * 3600,
    )
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        service.end_session(session, cookie)
        session.commit()
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def home() -> Response:
    return redirect("/book")


page_routers = [router]
