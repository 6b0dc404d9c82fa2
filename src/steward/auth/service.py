"""Logins, browser sessions and API tokens. Secrets are random; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from steward.audit import service as audit
from steward.auth.models import ApiToken, LoginAttempt, WebSession
from steward.auth.passwords import DUMMY_HASH, verify_password
from steward.auth.principal import Principal
from steward.config import Settings
from steward.core.errors import NotAuthenticated, NotFound, TooManyRequests
from steward.db.base import utcnow
from steward.db.stamps import stamp
from steward.users.models import Role, User

TOKEN_PREFIX = "stw_"
# last_used_at is refreshed at most this often, so reads do not turn into writes.
_TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)
# An address the account logged in from this recently is its owner's, and keeps a few tries of
# its own when guessing from elsewhere has used up the account's hourly allowance.
KNOWN_ADDRESS_DAYS = 90
KNOWN_ADDRESS_FAILURES_PER_HOUR = 10


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _recent_failures(session: Session, since: datetime, **where: str) -> int:
    statement = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
    )
    for column, value in where.items():
        statement = statement.where(getattr(LoginAttempt, column) == value)
    return int(session.scalar(statement) or 0)


def _known_address(session: Session, email: str, ip: str, since: datetime) -> bool:
    """Whether this e-mail has logged in successfully from this address lately."""
    statement = select(LoginAttempt.id).where(
        LoginAttempt.email == email,
        LoginAttempt.ip == ip,
        LoginAttempt.succeeded.is_(True),
        LoginAttempt.at >= since,
    )
    return session.scalar(statement.limit(1)) is not None


def authenticate(session: Session, settings: Settings, email: str, password: str, ip: str) -> User:
    """The user with these credentials, or NotAuthenticated; failures are rate-limited.

    An account takes at most `login_max_failures_per_hour` failures an hour from addresses it
    has not logged in from; past that, only its known addresses (a successful login in the last
    KNOWN_ADDRESS_DAYS) may still try, each with a small allowance of its own, so guessing from
    elsewhere cannot lock the real user out."""
    email = email.strip().lower()
    now = utcnow()
    hour_ago = now - timedelta(hours=1)
    if _recent_failures(session, hour_ago, ip=ip) >= settings.login_max_failures_per_ip_per_hour:
        raise TooManyRequests("too many failed logins from this address; try later", 3600)
    if _recent_failures(session, hour_ago, email=email) >= settings.login_max_failures_per_hour:
        known = _known_address(session, email, ip, now - timedelta(days=KNOWN_ADDRESS_DAYS))
        if not known or (
            _recent_failures(session, hour_ago, email=email, ip=ip)
            >= KNOWN_ADDRESS_FAILURES_PER_HOUR
        ):
            raise TooManyRequests("too many failed logins for this account; try later", 3600)
    user = session.scalar(select(User).where(func.lower(User.email) == email))
    ok = verify_password(user.password_hash if user else DUMMY_HASH, password)
    ok = ok and user is not None and user.is_active
    session.add(LoginAttempt(email=email, ip=ip, succeeded=ok))
    if not ok or user is None:
        # Committed by the caller even though login fails: the attempt must count.
        raise NotAuthenticated("wrong e-mail or password")
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
