"""Sending surveys, taking one answer per link, and NPS/CSAT exactly as SPEC §3 defines them.

A link is a random 256-bit token: unguessable, so it cannot be forged; only its SHA-256 is
stored, so the database cannot be used to answer for anyone; it is bound to one invitation, so
it reads nothing but that survey's question; and the first answer closes it (a conditional
UPDATE, so two answers racing each other still record one).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from steward.accounts import policy
from steward.accounts.models import Account
from steward.config import Settings, settings_of
from steward.contacts.models import Contact
from steward.core import crud, events
from steward.core.cache import FigureCache
from steward.core.errors import Gone, InvalidField, NotFound
from steward.core.principal import Principal
from steward.db.base import utcnow
from steward.db.engine import Database
from steward.db.revision import data_state
from steward.delivery.service import queue_email
from steward.surveys.events import SurveyAnswered
from steward.surveys.models import (
    DEFAULT_QUESTION,
    SCALE,
    Survey,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
)
from steward.surveys.schemas import (
    ResultsBy,
    SkippedContact,
    SurveyOut,
    SurveyResponseOut,
    SurveyResultRow,
    SurveyResults,
    SurveyResultsQuery,
    SurveySend,
    SurveySendResult,
)
from steward.users.models import User

log = logging.getLogger("steward.surveys")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def category(kind: str, score: int) -> str:
    if kind == SurveyKind.NPS:
        return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    return "satisfied" if score >= 4 else "not satisfied"


def response_out(response: SurveyResponse) -> SurveyResponseOut:
    return SurveyResponseOut.model_validate(
        {
            **{
                key: getattr(response, key)
                for key in SurveyResponseOut.model_fields
                if key != "category"
            },
            "category": category(response.kind, response.score),
        }
    )


# --- sending --------------------------------------------------------------------------


def _invitation_email(survey: Survey, contact: Contact, link: str, expires: datetime) -> str:
    low, high = SCALE[SurveyKind(survey.kind)]
    return (
        f"Hello {contact.first_name},\n\n"
        f"{survey.question}\n\n"
        f"Answer on a scale of {low} to {high} here (one click, no login):\n{link}\n\n"
        f"The link is yours alone, takes one answer and works until {expires:%d %B %Y}.\n"
    )


def send_survey(session: Session, principal: Principal, data: SurveySend) -> SurveySendResult:
    """Invites each listed contact of the caller's book that has an e-mail address; the others
    are reported one by one. Nothing is created when nobody can be invited."""
    settings = settings_of(session)
    query = select(Contact).where(Contact.id.in_(data.contact_ids), Contact.archived_at.is_(None))
    found = {contact.id: contact for contact in session.scalars(query)}
    invite: list[Contact] = []
    skipped: list[SkippedContact] = []
    seen: set[int] = set()
    for contact_id in data.contact_ids:
        contact = found.get(contact_id)
        reason = (
            "listed twice"
            if contact_id in seen
            else "no such contact in your book"
            if contact is None
            else "has no e-mail address"
            if not contact.email
            else None
        )
        seen.add(contact_id)
        if reason is not None:
            skipped.append(SkippedContact(contact_id=contact_id, reason=reason))
        elif contact is not None:
            invite.append(contact)
    if not invite:
        reasons = "; ".join(f"{s.contact_id}: {s.reason}" for s in skipped[:10])
        raise InvalidField("contact_ids", f"none of the contacts can be invited ({reasons})")

    survey = Survey(
        kind=data.kind,
        name=data.name,
        question=data.question or DEFAULT_QUESTION[data.kind],
        created_by_id=principal.user_id,
    )
    crud.create(session, principal.user_id, survey)
    expires = utcnow() + timedelta(days=data.expires_in_days)
    base_url = settings.public_url.rstrip("/")
    for contact in invite:
        token = secrets.token_urlsafe(32)
        invitation = SurveyInvitation(
            survey_id=survey.id,
            account_id=contact.account_id,
            contact_id=contact.id,
            token_hash=token_hash(token),
            expires_at=expires,
        )
        session.add(invitation)
        session.flush()
        queue_email(
            session,
            to=str(contact.email),
            subject=survey.name,
            body=_invitation_email(survey, contact, f"{base_url}/s/{token}", expires),
            account_id=contact.account_id,
            dedupe_key=f"survey-invitation:{invitation.id}",
        )
    return SurveySendResult(
        survey=SurveyOut.model_validate(survey), invited=len(invite), skipped=skipped
    )


# --- the public link ------------------------------------------------------------------


def open_invitation(session: Session, token: str) -> tuple[SurveyInvitation, Survey]:
    """The invitation behind a link, or 404 (unknown, forged) / 410 (answered, expired)."""
    # Read by its link, whoever opens it (no one signs in): the token is the permission.
    invitation = session.scalar(
        select(SurveyInvitation)
        .where(SurveyInvitation.token_hash == token_hash(token))
        .execution_options(**policy.ACROSS_BOOKS)
    )
    if invitation is None:
        raise NotFound("survey link")
    if invitation.responded_at is not None:
        raise Gone("this survey link has already been answered: thank you")
    if invitation.expires_at < utcnow():
        raise Gone("this survey link has expired")
    survey = session.get(Survey, invitation.survey_id)
    assert survey is not None
    return invitation, survey


def answer(session: Session, token: str, score: int, comment: str | None) -> SurveyResponse:
    invitation, survey = open_invitation(session, token)
    low, high = SCALE[SurveyKind(survey.kind)]
    if not low <= score <= high:
        raise InvalidField("score", f"must be a whole number from {low} to {high}")
    now = utcnow()
    closed = session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.id == invitation.id, SurveyInvitation.responded_at.is_(None))
        .values(responded_at=now)
    )
    if closed.rowcount != 1:  # type: ignore[attr-defined]
        raise Gone("this survey link has already been answered: thank you")
    response = SurveyResponse(
        survey_id=survey.id,
        invitation_id=invitation.id,
        account_id=invitation.account_id,
        contact_id=invitation.contact_id,
        kind=survey.kind,
        score=score,
        comment=(comment or "").strip() or None,
        responded_at=now,
    )
    session.add(response)
    session.flush()
    return response


def record_answer(
    db: Database, settings: Settings, token: str, score: int, comment: str | None
) -> SurveyResponse:
    """Stores the answer (its own transaction: it is never lost), then runs the rules for that
    account at once, so a detractor's follow-up exists before they close the page. Should that
    fail, the periodic rules job finds the same answer within its look-back and fires then."""
    with db.session() as session:
        response = answer(session, token, score, comment)
    try:
        events.publish(SurveyAnswered(db, settings, response.account_id, response.id))
    except Exception:
        log.exception(
            "rules after survey answer %d failed; the periodic run will retry", response.id
        )
    return response


# --- reading --------------------------------------------------------------------------


def list_responses(
    session: Session,
    principal: Principal,
    *,
    account_id: int | None,
    kind: SurveyKind | None,
    limit: int,
    offset: int,
) -> tuple[list[SurveyResponseOut], int]:
    query = select(SurveyResponse)
    if account_id is not None:
        query = query.where(SurveyResponse.account_id == account_id)
    if kind is not None:
        query = query.where(SurveyResponse.kind == kind)
    rows, total = crud.page(
        session, query, [SurveyResponse.responded_at.desc()], SurveyResponse.id, limit, offset
    )
    return [response_out(row[0]) for row in rows], total


def _period_key(by: ResultsBy, moment: datetime) -> tuple[str, str]:
    if by == ResultsBy.MONTH:
        return f"{moment:%Y-%m}", f"{moment:%b %Y}"
    quarter = f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"
    return quarter, quarter


def results(session: Session, principal: Principal, query: SurveyResultsQuery) -> SurveyResults:
    """NPS = % promoters (9–10) − % detractors (0–6); CSAT = share of 4–5 answers (SPEC §3),
    over the responses in the window, grouped as asked, within the caller's book.

    The database counts each group's answers per score (at most 11 rows a group), so the page
    costs the same at 100 responses as at 100,000; periods are cut from the answer's UTC
    moment in Python, from one narrow row per answer."""
    end = query.end or datetime.now(UTC).date()
    start = query.start or end - timedelta(days=364)
    if start > end:
        raise InvalidField("start", "must be on or before end")
    # Kept per workspace revision (an answer is a write): a year of answers is counted once.
    return _results.get(
        (data_state(session), principal, query.kind, query.by, start, end),
        lambda: _results_of(session, query.kind, query.by, start, end),
    )


def _results_of(
    session: Session, kind: SurveyKind, by: ResultsBy, start: date, end: date
) -> SurveyResults:
    """`results` as the session's reader sees it, uncached."""
    window_start = datetime.combine(start, datetime.min.time(), UTC)
    window_end = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC)
    keys: tuple[Any, ...]
    if by == ResultsBy.ACCOUNT:
        keys = (Account.id, Account.name)
    elif by == ResultsBy.SEGMENT:
        keys = (Account.segment,)
    elif by == ResultsBy.OWNER:
        keys = (User.id, User.full_name)
    elif by == ResultsBy.ALL:
        keys = ()
    else:
        keys = (SurveyResponse.responded_at,)
    statement: Any = (
        select(*keys, SurveyResponse.score, func.count())
        .join(Account, Account.id == SurveyResponse.account_id)
        .where(
            SurveyResponse.kind == kind,
            SurveyResponse.responded_at >= window_start,
            SurveyResponse.responded_at < window_end,
        )
        .group_by(*keys, SurveyResponse.score)
    )
    if by == ResultsBy.OWNER:
        statement = statement.outerjoin(User, User.id == Account.owner_am_id)
    groups: dict[str, tuple[str, Counter[int]]] = {}
    for *values, score, count in session.execute(statement):
        if by == ResultsBy.ALL:
            key, label = "all", "All responses"
        elif by == ResultsBy.ACCOUNT:
            key, label = str(values[0]), values[1]
        elif by == ResultsBy.SEGMENT:
            key, label = values[0], values[0]
        elif by == ResultsBy.OWNER:
            key, label = str(values[0] or ""), values[1] or "No owner"
        else:
            key, label = _period_key(by, values[0])
        groups.setdefault(key, (label, Counter()))[1][int(score)] += int(count)
    rows = [
        score_counts_row(kind, key, label, counts)
        for key, (label, counts) in sorted(groups.items())
    ]
    return SurveyResults(kind=kind, start=start, end=end, by=by, rows=rows)


_results = FigureCache(SurveyResults, max_entries=64)


def score_row(kind: SurveyKind, key: str, label: str, scores: list[int]) -> SurveyResultRow:
    return score_counts_row(kind, key, label, Counter(scores))


def score_counts_row(
    kind: SurveyKind, key: str, label: str, counts: Mapping[int, int]
) -> SurveyResultRow:
    """One group's NPS or CSAT from how many answers gave each score."""
    n = sum(counts.values())
    if kind == SurveyKind.NPS:
        promoters = sum(c for s, c in counts.items() if s >= 9)
        detractors = sum(c for s, c in counts.items() if s <= 6)
        return SurveyResultRow(
            group=key,
            label=label,
            responses=n,
            promoters=promoters,
            passives=n - promoters - detractors,
            detractors=detractors,
            nps=round(100 * (promoters - detractors) / n, 1) if n else None,
        )
    satisfied = sum(c for s, c in counts.items() if s >= 4)
    return SurveyResultRow(
        group=key,
        label=label,
        responses=n,
        satisfied=satisfied,
        csat=round(100 * satisfied / n, 1) if n else None,
    )


def nps_by_account(
    session: Session, as_of: date, account_ids: list[int] | None = None, days: int = 365
) -> dict[int, float]:
    """Each account's NPS over the year up to the day (for health scoring)."""
    end = datetime.combine(as_of + timedelta(days=1), datetime.min.time(), UTC)
    query = select(SurveyResponse.account_id, SurveyResponse.score).where(
        SurveyResponse.kind == SurveyKind.NPS,
        SurveyResponse.responded_at < end,
        SurveyResponse.responded_at >= end - timedelta(days=days),
    )
    if account_ids is not None:
        query = query.where(SurveyResponse.account_id.in_(account_ids))
    scores: dict[int, list[int]] = {}
    for account_id, score in session.execute(query):
        scores.setdefault(int(account_id), []).append(int(score))
    out: dict[int, float] = {}
    for account_id, values in scores.items():
        nps = score_row(SurveyKind.NPS, "", "", values).nps
        if nps is not None:
            out[account_id] = nps
    return out


def contact_names(session: Session, contact_ids: list[int]) -> dict[int, str]:
    if not contact_ids:
        return {}
    rows = session.execute(
        select(Contact.id, Contact.first_name, Contact.last_name).where(
            Contact.id.in_(set(contact_ids))
        )
    )
    return {row.id: f"{row.first_name} {row.last_name}" for row in rows}


def survey_of(session: Session, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound("survey", survey_id)
    return survey
