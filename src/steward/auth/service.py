"""Logins, browser sessions and API tokens. Secrets are random; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from steward.auth.models import ApiToken, LoginAttempt, LoginCounter, TrustedDevice, WebSession
from steward.config import Settings
from steward.core import audit
from steward.core.errors import NotAuthenticated, NotFound, TooManyRequests
from steward.core.principal import Principal, SignedIn
from steward.db.base import utcnow
from steward.db.stamps import stamp
from steward.users.models import Role, User
from steward.users.passwords import DUMMY_HASH, verify_password

TOKEN_PREFIX = "stw_"
# last_used_at is refreshed at most this often, so reads do not turn into writes.
_TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)
# An address the account logged in from this recently is its owner's, and keeps a few tries of
# its own when guessing from elsewhere has used up the account's hourly allowance.
KNOWN_ADDRESS_DAYS = 90
KNOWN_ADDRESS_FAILURES_PER_HOUR = 10
# Device cookies (OWASP): the cookie's name, how long a device stays trusted unused, and its
# own allowance of failures an hour.
DEVICE_COOKIE = "steward_device"
DEVICE_DAYS = 365
DEVICE_FAILURES_PER_HOUR = 10
LOGIN_WINDOW = timedelta(hours=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _known_address(session: Session, email: str, ip: str, since: datetime) -> bool:
    """Whether this e-mail has logged in successfully from this address lately."""
    statement = select(LoginAttempt.id).where(
        LoginAttempt.email == email,
        LoginAttempt.ip == ip,
        LoginAttempt.succeeded.is_(True),
        LoginAttempt.at >= since,
    )
    return session.scalar(statement.limit(1)) is not None


def trusted_device(session: Session, email: str, cookie: str | None) -> int | None:
    """The id of the device cookie's record when it belongs to this e-mail and is recent."""
    if not cookie:
        return None
    return session.scalar(
        select(TrustedDevice.id).where(
            TrustedDevice.token_hash == _digest(cookie),
            TrustedDevice.email == email,
            TrustedDevice.last_used_at >= utcnow() - timedelta(days=DEVICE_DAYS),
        )
    )


def remember_device(session: Session, email: str, cookie: str | None) -> str:
    """After a successful login: the browser's device cookie value (its own, refreshed, when
    it already is this e-mail's device; else a new one)."""
    email = email.strip().lower()
    known = trusted_device(session, email, cookie)
    if known is not None and cookie:
        session.execute(
            update(TrustedDevice).where(TrustedDevice.id == known).values(last_used_at=utcnow())
        )
        return cookie
    secret = secrets.token_urlsafe(32)
    session.add(TrustedDevice(token_hash=_digest(secret), email=email))
    return secret


SQLITE_RETRY_SECONDS = 10.0


def _count(bind: Any, key: str, now: datetime, step: int) -> tuple[int, datetime]:
    """Adds `step` to a limit's failures in the current hour, atomically (one upsert)."""
    table = cast(Table, LoginCounter.__table__)
    postgres = bind.dialect.name == "postgresql"
    insert = postgresql_insert if postgres else sqlite_insert
    larger = func.greatest if postgres else func.max  # never below zero
    expired = table.c.window_start <= now - LOGIN_WINDOW
    first = max(step, 0)
    statement = (
        insert(table)
        .values(key=key, window_start=now, failures=first)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": case((expired, first), else_=larger(table.c.failures + step, 0)),
                "window_start": case((expired, now), else_=table.c.window_start),
            },
        )
        .returning(table.c.failures, table.c.window_start)
    )
    # On SQLite, a write that finds the one write lock taken waits (busy_timeout), but one
    # whose connection's snapshot went stale meanwhile fails at once ("database is locked");
    # this upsert is its own transaction, so trying again on a fresh one is safe. Two CI runs
    # answered a login 503 this way while an import wrote.
    deadline = time.monotonic() + SQLITE_RETRY_SECONDS
    while True:
        try:
            with Session(bind) as own:
                failures, window_start = own.execute(statement).one()
                own.commit()
            return int(failures), window_start
        except OperationalError as exc:
            locked = bind.dialect.name == "sqlite" and "locked" in str(exc.orig)
            if not locked or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _limits(
    session: Session, settings: Settings, email: str, ip: str, device: int | None
) -> list[tuple[str, int]]:
    """Which limits an attempt counts against, with their hourly allowances.

    A browser that logged in as this e-mail before (device cookie) has only its own small
    allowance; so does an address this e-mail logged in from lately. Anyone else counts
    against the address's limit and the account's: guessing from elsewhere uses those up,
    never the owner's."""
    if device is not None:
        return [(f"device:{device}", DEVICE_FAILURES_PER_HOUR)]
    if _known_address(session, email, ip, utcnow() - timedelta(days=KNOWN_ADDRESS_DAYS)):
        return [(f"known:{email}|{ip}", KNOWN_ADDRESS_FAILURES_PER_HOUR)]
    return [
        (f"address:{ip}", settings.login_max_failures_per_ip_per_hour),
        (f"account:{email}", settings.login_max_failures_per_hour),
    ]


def authenticate(
    session: Session,
    settings: Settings,
    email: str,
    password: str,
    ip: str,
    device_cookie: str | None = None,
) -> User:
    """The user with these credentials, or NotAuthenticated; failures are rate-limited.

    Each attempt is first counted as a failure against its limits (one atomic upsert each, in
    its own transaction), refused past any of them, and taken back if the password is right:
    parallel attempts never get more tries than a limit allows."""
    email = email.strip().lower()
    now = utcnow()
    bind = session.get_bind()
    limits = _limits(session, settings, email, ip, trusted_device(session, email, device_cookie))
    counted: list[str] = []
    refused: datetime | None = None
    for key, allowance in limits:
        failures, window_start = _count(bind, key, now, +1)
        counted.append(key)
        if failures > allowance:
            refused = window_start
            break
    if refused is not None:
        for key in counted:
            _count(bind, key, now, -1)  # a refused attempt checks no password: no failure
        wait = int((refused.replace(tzinfo=now.tzinfo) + LOGIN_WINDOW - now).total_seconds())
        raise TooManyRequests("too many failed logins; try later", max(wait, 1))
    user = session.scalar(select(User).where(func.lower(User.email) == email))
    ok = verify_password(user.password_hash if user else DUMMY_HASH, password)
    ok = ok and user is not None and user.is_active
    session.add(LoginAttempt(email=email, ip=ip, succeeded=ok))
    if not ok or user is None:
        # Committed by the caller even though login fails: the attempt must count.
        raise NotAuthenticated("wrong e-mail or password")
    for key in counted:
        _count(bind, key, now, -1)
    return user


# --- browser sessions -------------------------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    cookie_value: str
    csrf_token: str


def start_session(session: Session, user: User) -> NewSession:
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(WebSession(session_hash=_digest(secret), user_id=user.id, csrf_token=csrf))
    return NewSession(secret, csrf)


def session_user(
    session: Session, settings: Settings, cookie_value: str
) -> tuple[User, WebSession] | None:
    web_session = session.scalar(
        select(WebSession).where(WebSession.session_hash == _digest(cookie_value))
    )
    if web_session is None or web_session.ended_at is not None:
        return None
    now = utcnow()
    idle = now - web_session.last_seen_at > timedelta(minutes=settings.session_idle_minutes)
    too_old = now - web_session.created_at > timedelta(hours=settings.session_max_hours)
    if idle or too_old:
        web_session.ended_at = now
        return None
    user = session.get(User, web_session.user_id)
    if user is None or not user.is_active:
        return None
    if now - web_session.last_seen_at > timedelta(minutes=1) and stamp(
        session,
        update(WebSession).where(WebSession.id == web_session.id).values(last_seen_at=now),
    ):
        # What the database now holds, without making this session's unit of work a write.
        set_committed_value(web_session, "last_seen_at", now)
    return user, web_session


def end_session(session: Session, cookie_value: str) -> None:
    session.execute(
        update(WebSession)
        .where(WebSession.session_hash == _digest(cookie_value), WebSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


# --- API tokens ------------------------------------------------------------------------------


def create_token(
    session: Session, user: User, name: str, *, actor_id: int | None, expires_at: datetime | None
) -> tuple[ApiToken, str]:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=_digest(secret),
        prefix=secret[:10],
        expires_at=expires_at,
    )
    session.add(token)
    audit.record(session, actor_id=actor_id, action="create", entity=token)
    return token, secret


# One joined read of plain columns: this runs on every API request, where loading two ORM
# objects into the identity map cost a third of a worker's time under load.
_TOKEN_PRINCIPAL = select(
    ApiToken.id,
    ApiToken.revoked_at,
    ApiToken.expires_at,
    ApiToken.last_used_at,
    User.id.label("user_id"),
    User.role,
    User.team_id,
    User.email,
    User.full_name,
    User.is_active,
).join(User, User.id == ApiToken.user_id)


def signed_in(session: Session, settings: Settings, cookie_value: str) -> SignedIn | None:
    """The browser session's principal and CSRF token (the kit's Authenticator)."""
    found = session_user(session, settings, cookie_value)
    if found is None:
        return None
    user, web_session = found
    return SignedIn(Principal.of(user), web_session.csrf_token)


def token_principal(session: Session, secret: str) -> Principal | None:
    """Who holds this API token; None if it is unknown, revoked, expired or its user inactive."""
    row = session.execute(
        _TOKEN_PRINCIPAL.where(ApiToken.token_hash == _digest(secret))
    ).one_or_none()
    now = utcnow()
    if row is None or row.revoked_at is not None or not row.is_active:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.last_used_at is None or now - row.last_used_at > _TOKEN_TOUCH_INTERVAL:
        stamp(session, update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
    return Principal(row.user_id, Role(row.role), row.team_id, row.email, row.full_name)


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    statement = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    return list(session.scalars(statement))


def revoke_token(session: Session, user_id: int, token_id: int, *, actor_id: int) -> ApiToken:
    token = session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
    )
    if token is None:
        raise NotFound("token", token_id)
    if token.revoked_at is None:
        before = audit.snapshot(token)
        token.revoked_at = utcnow()
        audit.record(session, actor_id=actor_id, action="revoke", entity=token, before=before)
    return token


def revoke_secret(session: Session, secret: str, *, actor_id: int) -> None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is not None:
        revoke_token(session, token.user_id, token.id, actor_id=actor_id)
