"""Leads: routing, a score that says why, and conversion to account + contact + opportunity.

A lead is not an account's record (no book rule applies): the one rule for reading it is
`readable` below. Routing: the first active rule (by position) whose segment, region and
industry match (blank matches anything) gives the team; within it, the lead goes round robin to
the team's active AEs (the next after the AE this rule gave its last lead), or to the team's
lead when it has no AE. With no matching rule the lead waits unassigned, visible to managers.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session

from steward.accounts import service as accounts_service
from steward.accounts.schemas import AccountCreate
from steward.contacts.schemas import ContactCreate
from steward.contacts.service import contact_service
from steward.core import audit
from steward.core.errors import Conflict, InvalidField, NotFound, PermissionDenied
from steward.core.principal import Principal, Role
from steward.db.base import utcnow
from steward.opportunities.models import OpportunityType, Stage
from steward.opportunities.schemas import OpportunityCreate
from steward.opportunities.service import opportunity_service
from steward.pipeline.models import Lead, LeadRoutingRule, LeadSource, LeadStatus, Timeline
from steward.pipeline.schemas import (
    LeadConvert,
    LeadConverted,
    LeadIn,
    LeadOut,
    LeadUpdate,
    RoutingRuleIn,
    ScorePart,
)
from steward.users.models import Team, User

TIMELINE_POINTS = {
    Timeline.THIS_QUARTER: 20,
    Timeline.NEXT_QUARTER: 15,
    Timeline.THIS_YEAR: 8,
    Timeline.LATER: 2,
    Timeline.UNKNOWN: 0,
}
SOURCE_POINTS = {
    LeadSource.REFERRAL: 15,
    LeadSource.PARTNER: 10,
    LeadSource.EVENT: 8,
    LeadSource.WEB: 5,
    LeadSource.OUTBOUND: 0,
    LeadSource.OTHER: 0,
}
CLOSED = (LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED)


def score_parts(lead: Lead) -> list[ScorePart]:
    """The score's reasons; the score is their sum (at most 100)."""
    parts = []
    if lead.budget_confirmed:
        parts.append(ScorePart(points=25, reason="budget confirmed"))
    if lead.authority_confirmed:
        parts.append(ScorePart(points=25, reason="talking to someone who can buy"))
    if lead.need and lead.need.strip():
        parts.append(ScorePart(points=15, reason="need stated"))
    timeline = TIMELINE_POINTS[Timeline(lead.timeline)]
    if timeline:
        parts.append(ScorePart(points=timeline, reason=f"buying {lead.timeline.replace('_', ' ')}"))
    source = SOURCE_POINTS[LeadSource(lead.source)]
    if source:
        parts.append(ScorePart(points=source, reason=f"{lead.source} lead"))
    return parts


def _rescore(lead: Lead) -> None:
    lead.score = min(100, sum(p.points for p in score_parts(lead)))


def readable(principal: Principal) -> ColumnElement[bool]:
    """The leads a person reads: their own; a lead's, their teams' (and their members');
    a director's, VP's or admin's, all; anyone's, the unassigned ones routed to their team."""
    if principal.sees_all:
        return true()
    mine = Lead.owner_id == principal.user_id
    if principal.role == Role.TEAM_LEAD:
        led = select(Team.id).where(Team.lead_id == principal.user_id)
        members = select(User.id).where(User.team_id.in_(led))
        return or_(mine, Lead.team_id.in_(led), Lead.owner_id.in_(members))
    if principal.team_id is None:
        return mine
    return or_(mine, (Lead.owner_id.is_(None)) & (Lead.team_id == principal.team_id))


def _can_assign(session: Session, principal: Principal, owner_id: int) -> User:
    user = session.get(User, owner_id)
    if user is None or not user.is_active:
        raise InvalidField("owner_id", f"no active user with id {owner_id}")
    if Role(user.role) not in (Role.AE, Role.TEAM_LEAD, Role.AM, Role.STRATEGIC_AM):
        raise InvalidField("owner_id", f"user {owner_id} is a {user.role}; leads go to sellers")
    if owner_id != principal.user_id and not principal.is_manager:
        raise InvalidField("owner_id", "only a team lead, director, VP or admin assigns leads")
    return user


def route(session: Session, lead: Lead) -> None:
    """Sets the lead's team and owner by the routing rules (see the module's docstring)."""
    rules = session.scalars(
        select(LeadRoutingRule)
        .where(LeadRoutingRule.is_active.is_(True))
        .order_by(LeadRoutingRule.position)
    )
    for rule in rules:
        wanted = (
            (rule.segment, lead.segment),
            (rule.region, lead.region),
            (rule.industry, lead.industry),
        )
        if all(c is None or (v or "").casefold() == c.casefold() for c, v in wanted):
            lead.team_id = rule.team_id
            lead.routed_by_rule_id = rule.id
            lead.owner_id = _next_seller(session, rule)
            return


def _next_seller(session: Session, rule: LeadRoutingRule) -> int | None:
    aes = list(
        session.scalars(
            select(User.id)
            .where(User.team_id == rule.team_id, User.role == Role.AE, User.is_active.is_(True))
            .order_by(User.id)
        )
    )
    if not aes:
        return session.scalar(select(Team.lead_id).where(Team.id == rule.team_id))
    last = session.scalar(
        select(Lead.owner_id)
        .where(Lead.routed_by_rule_id == rule.id, Lead.owner_id.in_(aes))
        .order_by(Lead.id.desc())
        .limit(1)
    )
    return aes[(aes.index(last) + 1) % len(aes)] if last in aes else aes[0]


def create_lead(session: Session, principal: Principal, body: LeadIn) -> Lead:
    values = body.model_dump(exclude={"owner_id"})
    lead = Lead(**values, status=LeadStatus.NEW)
    if body.owner_id is not None:
        owner = _can_assign(session, principal, body.owner_id)
        lead.owner_id, lead.team_id = owner.id, owner.team_id
    else:
        route(session, lead)
    _rescore(lead)
    session.add(lead)
    session.flush()
    audit.record(session, actor_id=principal.user_id, action="create", entity=lead)
    return lead


def get_lead(session: Session, principal: Principal, lead_id: int) -> Lead:
    lead = session.scalar(select(Lead).where(Lead.id == lead_id, readable(principal)))
    if lead is None:
        raise NotFound("lead", lead_id)
    return lead


def list_leads(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    owner_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Lead], int]:
    statement = select(Lead).where(readable(principal), Lead.archived_at.is_(None))
    if status is not None:
        statement = statement.where(Lead.status == status)
    if owner_id is not None:
        statement = statement.where(Lead.owner_id == owner_id)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = session.scalars(
        statement.order_by(Lead.score.desc(), Lead.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), int(total)


def update_lead(
    session: Session, principal: Principal, lead_id: int, body: LeadUpdate, opened: int | None
) -> Lead:
    lead = get_lead(session, principal, lead_id)
    if opened is not None and opened != lead.version:
        raise Conflict("someone else changed this lead since you opened it; reload to see it")
    if lead.status == LeadStatus.CONVERTED:
        raise InvalidField("status", f"lead {lead.id} is converted; edit its account instead")
    changes = body.model_dump(exclude_unset=True)
    if changes.get("owner_id") is not None:
        owner = _can_assign(session, principal, changes["owner_id"])
        changes["team_id"] = owner.team_id
    if changes.get("status") == LeadStatus.DISQUALIFIED and not (
        changes.get("disqualified_reason") or lead.disqualified_reason
    ):
        raise InvalidField("disqualified_reason", "say why the lead is disqualified")
    before = {k: getattr(lead, k) for k in changes}
    for field, value in changes.items():
        setattr(lead, field, value)
    _rescore(lead)
    session.flush()
    audit.record(
        session,
        actor_id=principal.user_id,
        action="update",
        entity=lead,
        before=before,
        after=changes,
    )
    return lead


def convert_lead(
    session: Session, principal: Principal, lead_id: int, body: LeadConvert
) -> LeadConverted:
    """In one transaction: a prospect account (its AE: the lead's owner), the person as its
    first contact, and an open new-business opportunity owned by the lead's owner."""
    lead = get_lead(session, principal, lead_id)
    if lead.status in CLOSED:
        raise InvalidField("status", f"lead {lead.id} is {lead.status}; it cannot be converted")
    owner_id = lead.owner_id or principal.user_id
    owner = session.get(User, owner_id)
    ae_id = owner_id if owner is not None and owner.role in (Role.AE, Role.TEAM_LEAD) else None
    account = accounts_service.create_account(
        session,
        principal,
        AccountCreate(
            name=lead.company,
            industry=lead.industry,
            segment=lead.segment or "smb",
            lifecycle_stage="prospect",
            ae_id=ae_id,
        ),
    )
    contact = contact_service.create(
        session,
        principal,
        ContactCreate(
            account_id=account.id,
            first_name=lead.first_name,
            last_name=lead.last_name,
            email=lead.email,
            phone=lead.phone,
            title=lead.title,
        ),
    )
    deal = opportunity_service.create(
        session,
        principal,
        OpportunityCreate(
            account_id=account.id,
            name=body.opportunity_name or f"{lead.company}, first deal",
            type=OpportunityType.NEW_BUSINESS,
            stage=Stage.QUALIFICATION,
            amount=body.amount if body.amount is not None else 0,
            close_date=body.close_date or date.today() + timedelta(days=90),
            owner_id=owner_id,
        ),
    )
    lead.status = LeadStatus.CONVERTED
    lead.converted_account_id = account.id
    lead.converted_contact_id = contact.id
    lead.converted_opportunity_id = deal.id
    lead.converted_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor_id=principal.user_id,
        action="update",
        entity=lead,
        after={"status": "converted", "converted_account_id": account.id},
    )
    return LeadConverted(
        lead_id=lead.id, account_id=account.id, contact_id=contact.id, opportunity_id=deal.id
    )


def to_out(lead: Lead) -> LeadOut:
    out = LeadOut.model_validate(lead, from_attributes=True)
    out.score_parts = score_parts(lead)
    return out


def list_rules(session: Session) -> list[LeadRoutingRule]:
    return list(session.scalars(select(LeadRoutingRule).order_by(LeadRoutingRule.position)))


def create_rule(session: Session, principal: Principal, body: RoutingRuleIn) -> LeadRoutingRule:
    if not principal.is_admin and principal.role not in (Role.DIRECTOR, Role.VP):
        raise PermissionDenied("only an admin, director or VP sets lead routing")
    if session.get(Team, body.team_id) is None:
        raise InvalidField("team_id", f"no team has id {body.team_id}")
    taken = session.scalar(
        select(LeadRoutingRule.id).where(LeadRoutingRule.position == body.position)
    )
    if taken is not None:
        raise InvalidField("position", f"rule {taken} already has position {body.position}")
    rule = LeadRoutingRule(**body.model_dump())
    session.add(rule)
    session.flush()
    return rule
