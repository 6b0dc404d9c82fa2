"""Request-scoped dependencies: the database session and who is asking.

Dependencies that do no I/O are `async def`: FastAPI runs plain `def` ones in its thread
pool, and a thread hop per trivial dependency costs more than the work itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from steward.api.paging import page_params
from steward.config import Settings
from steward.core.crud import PageParams
from steward.core.errors import NotAuthenticated, PermissionDenied
from steward.core.principal import NOBODY, READER, Principal, SignedIn, read_as
from steward.db.engine import Database

SESSION_COOKIE = "steward_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(
    db: Annotated[Database, Depends(get_database)],
    settings: Annotated[Settings, Depends(get_settings_dep)],
) -> Iterator[Session]:
    """Writes commit explicitly in the service call path (before the response is sent);
    what is still pending here (token last-used stamps) is committed on the way out."""
    # Reads nothing of any book until the request is authenticated (steward.accounts.policy).
    session = db.session_factory(info={"settings": settings, READER: NOBODY})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_session)]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]


class Authenticator(Protocol):
    """How credentials become a principal: the auth domain implements it, the composition root
    installs it as `app.state.authenticator` (the kit knows no domain)."""

    def token_principal(self, session: Session, secret: str) -> Principal | None: ...

    def signed_in(self, session: Session, settings: Settings, cookie: str) -> SignedIn | None: ...


def authenticator_of(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


@dataclass(frozen=True)
class AuthContext:
    principal: Principal
    via_cookie: bool
    csrf_token: str | None


def _authenticate(request: Request, session: Session, settings: Settings) -> AuthContext | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        request.app.state.rate_limits.hit("api token", header[7:].strip())
        principal = authenticator_of(request).token_principal(session, header[7:].strip())
        if principal is None:
            raise NotAuthenticated("invalid, expired or revoked token")
        return AuthContext(principal, via_cookie=False, csrf_token=None)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = authenticator_of(request).signed_in(session, settings, cookie)
        if found is not None:
            return AuthContext(found.principal, via_cookie=True, csrf_token=found.csrf_token)
    return None


def get_auth_context(
    request: Request,
    session: DbSession,
    settings: Annotated[Settings, Depends(get_settings_dep)],
) -> AuthContext:
    return resolve_auth(request, session, settings)


def resolve_auth(request: Request, session: Session, settings: Settings) -> AuthContext:
    """Who is asking, or 401; cookie writes also need the session's CSRF token (403)."""
    context = _authenticate(request, session, settings)
    if context is None:
        raise NotAuthenticated("log in, or send Authorization: Bearer <token>")
    read_as(session, context.principal)
    if context.via_cookie and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not context.csrf_token or not secrets.compare_digest(sent, context.csrf_token):
            raise PermissionDenied("missing or wrong X-CSRF-Token header for a cookie session")
    return context


async def get_principal(context: Annotated[AuthContext, Depends(get_auth_context)]) -> Principal:
    return context.principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def require_admin(principal: CurrentPrincipal) -> Principal:
    if not principal.is_admin:
        raise PermissionDenied("only an admin can do this")
    return principal


AdminPrincipal = Annotated[Principal, Depends(require_admin)]


# Lists that take no `sort`; a sortable list uses steward.api.paging.page_params(its fields).
Paging = Annotated[PageParams, Depends(page_params())]


async def raw_body(request: Request) -> bytes:
    """The request body, read on the event loop, so the endpoint can be a plain `def` whose
    database work runs in the thread pool."""
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]
