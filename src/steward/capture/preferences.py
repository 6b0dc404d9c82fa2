"""How much mail a person lets Steward keep: their own level, never more than their team's.
Private by default: subjects and who wrote to whom, no text, until the user asks for more."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.capture.models import CaptureLevel, CapturePreference, TeamCaptureLevel
from steward.users.models import User

DEFAULT_LEVEL = CaptureLevel.SUBJECT
_ORDER = list(CaptureLevel)


def stricter(a: CaptureLevel, b: CaptureLevel) -> CaptureLevel:
    return a if _ORDER.index(a) <= _ORDER.index(b) else b


def own_level(session: Session, user_id: int) -> CaptureLevel:
    level = session.scalar(
        select(CapturePreference.level).where(CapturePreference.user_id == user_id)
    )
    return CaptureLevel(level) if level else DEFAULT_LEVEL


def team_level(session: Session, user_id: int) -> CaptureLevel | None:
    level = session.scalar(
        select(TeamCaptureLevel.level)
        .join(User, User.team_id == TeamCaptureLevel.team_id)
        .where(User.id == user_id)
    )
    return CaptureLevel(level) if level else None


def effective_level(session: Session, user_id: int) -> CaptureLevel:
    own = own_level(session, user_id)
    team = team_level(session, user_id)
    return own if team is None else stricter(own, team)


def set_own_level(session: Session, user_id: int, level: CaptureLevel) -> None:
    row = session.scalar(select(CapturePreference).where(CapturePreference.user_id == user_id))
    if row is None:
        session.add(CapturePreference(user_id=user_id, level=level))
    else:
        row.level = level


def set_team_level(session: Session, team_id: int, level: CaptureLevel | None) -> None:
    row = session.scalar(select(TeamCaptureLevel).where(TeamCaptureLevel.team_id == team_id))
    if level is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(TeamCaptureLevel(team_id=team_id, level=level))
    else:
        row.level = level
