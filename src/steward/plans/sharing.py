"""Shared success plans: a contact opens the plan by a personal link, with no licence and no
login, sees the outcomes, milestones and progress, marks their own milestones done, comments,
and keeps their own metrics.

A link is a random 256-bit token (unguessable); only its SHA-256 is stored; it is bound to one
plan, so it reads that plan and nothing else (every read here is scoped by the share's plan);
it expires and can be revoked, and then answers exactly like a link that never existed. Every
customer action is an activity on the account's timeline and a notification to the plan's
owner.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts.models import Account
from steward.activities.models import Activity, ActivityType
from steward.config import settings_of
from steward.contacts.models import Contact
from steward.core import crud, events
from steward.core.errors import InvalidField, NotFound
from steward.core.money import plain_decimal
from steward.core.principal import ACROSS_BOOKS, Principal
from steward.db.base import utcnow
from steward.delivery.service import notify
from steward.plans.events import MilestoneWritten
from steward.plans.models import (
    FINISHED_MILESTONE,
    Milestone,
    MilestoneStatus,
    PlanComment,
    PlanMetric,
    PlanOutcome,
    PlanShare,
    PlanStatus,
    SuccessPlan,
)
from steward.plans.schemas import PlanCommentIn, PlanMetricIn, PlanShareIn
from steward.plans.service import success_plan_service
from steward.users.models import User

SHARED_PLAN_PATH = "/p/"
UNKNOWN_LINK = "shared plan link"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- the team's side: sharing and revoking ---------------------------------------------------


def share_plan(
    session: Session, principal: Principal, plan_id: int, data: PlanShareIn
) -> tuple[PlanShare, str]:
    """A new personal link for one contact of the plan's account; the link is returned once."""
    plan = success_plan_service.get(session, principal, plan_id)
    contact = session.get(Contact, data.contact_id)  # read for the principal: their book only
    if contact is None or contact.account_id != plan.account_id or contact.archived_at:
        raise InvalidField("contact_id", f"no contact {data.contact_id} at this plan's account")
    token = secrets.token_urlsafe(32)
    share = PlanShare(
        plan_id=plan.id,
        account_id=plan.account_id,
        contact_id=contact.id,
        token_hash=token_hash(token),
        created_by_id=principal.user_id or None,
        expires_at=utcnow() + timedelta(days=data.expires_in_days),
    )
    crud.create(session, principal.user_id, share)
    session.flush()
    base_url = settings_of(session).public_url.rstrip("/")
    return share, f"{base_url}{SHARED_PLAN_PATH}{token}"


def shares_of(session: Session, principal: Principal, plan_id: int) -> list[PlanShare]:
    plan = success_plan_service.get(session, principal, plan_id)
    return list(
        session.scalars(
            select(PlanShare).where(PlanShare.plan_id == plan.id).order_by(PlanShare.id.desc())
        )
    )


def revoke_share(session: Session, principal: Principal, plan_id: int, share_id: int) -> None:
    plan = success_plan_service.get(session, principal, plan_id)
    share = session.get(PlanShare, share_id)
    if share is None or share.plan_id != plan.id:
        raise NotFound("share", share_id)
    if share.revoked_at is None:
        crud.update(session, principal.user_id, share, {"revoked_at": utcnow()})


@dataclass(frozen=True)
class CustomerSide:
    """What the customer has written into a plan, for the team's page."""

    comments: list[PlanComment]
    metrics: list[PlanMetric]


def customer_side(session: Session, principal: Principal, plan_id: int) -> CustomerSide:
    plan = success_plan_service.get(session, principal, plan_id)
    comments = select(PlanComment).where(PlanComment.plan_id == plan.id)
    metrics = select(PlanMetric).where(PlanMetric.plan_id == plan.id)
    return CustomerSide(
        comments=list(session.scalars(comments.order_by(PlanComment.id.desc()))),
        metrics=list(session.scalars(metrics.order_by(PlanMetric.id))),
    )


# --- the customer's side: the link is the permission ------------------------------------------


def open_share(session: Session, token: str) -> PlanShare:
    """The share behind a link. Unknown, revoked, expired, or its plan archived or closed: all
    answer the same 404, so a link tells nothing about what it once opened."""
    share = session.scalar(
        select(PlanShare)
        .where(PlanShare.token_hash == token_hash(token))
        .execution_options(**ACROSS_BOOKS)
    )
    if share is None or share.revoked_at is not None or share.expires_at < utcnow():
        raise NotFound(UNKNOWN_LINK)
    plan = _plan(session, share)
    if plan.archived_at is not None or plan.status == PlanStatus.CLOSED:
        raise NotFound(UNKNOWN_LINK)
    return share


def _plan(session: Session, share: PlanShare) -> SuccessPlan:
    plan = session.get(SuccessPlan, share.plan_id, execution_options=ACROSS_BOOKS)
    assert plan is not None
    return plan


def _of_plan(session: Session, model: Any, share: PlanShare, *order: Any) -> list[Any]:
    statement = select(model).where(model.plan_id == share.plan_id).order_by(*order)
    return list(session.scalars(statement.execution_options(**ACROSS_BOOKS)))


@dataclass(frozen=True)
class SharedPlan:
    """What a contact sees through their link: one plan, and nothing else of the account."""

    share: PlanShare
    plan: SuccessPlan
    account_name: str
    contact: Contact
    outcomes: list[PlanOutcome]
    milestones: list[Milestone]
    metrics: list[PlanMetric]
    comments: list[PlanComment]
    # Names of the people on the plan: colleagues (owners, commenters) and contacts.
    users: dict[int, str]
    contacts: dict[int, str]

    @property
    def done(self) -> int:
        return sum(m.status == MilestoneStatus.DONE for m in self.milestones)

    @property
    def counted(self) -> int:
        """Milestones progress counts: skipped ones are left out."""
        return sum(m.status != MilestoneStatus.SKIPPED for m in self.milestones)

    @property
    def percent_done(self) -> int:
        return round(100 * self.done / self.counted) if self.counted else 0

    def can_complete(self, milestone: Milestone) -> bool:
        """Customers mark done the milestones their side owns."""
        return milestone.contact_owner_id is not None and milestone.status not in (
            FINISHED_MILESTONE
        )


def shared_plan(session: Session, share: PlanShare) -> SharedPlan:
    plan = _plan(session, share)
    milestones = _of_plan_milestones(session, share)
    comments = _of_plan(session, PlanComment, share, PlanComment.created_at, PlanComment.id)
    user_ids = {plan.owner_id, *(m.owner_id for m in milestones), *(c.user_id for c in comments)}
    contact_ids = {
        share.contact_id,
        *(m.contact_owner_id for m in milestones),
        *(c.contact_id for c in comments),
    }
    users = {
        u.id: u.full_name
        for u in session.scalars(select(User).where(User.id.in_(user_ids - {None})))
    }
    contacts = {
        c.id: c.full_name
        for c in session.scalars(
            select(Contact)
            .where(Contact.id.in_(contact_ids - {None}), Contact.account_id == share.account_id)
            .execution_options(**ACROSS_BOOKS)
        )
    }
    account = session.get(Account, share.account_id, execution_options=ACROSS_BOOKS)
    contact = session.get(Contact, share.contact_id, execution_options=ACROSS_BOOKS)
    assert account is not None and contact is not None
    return SharedPlan(
        share=share,
        plan=plan,
        account_name=account.name,
        contact=contact,
        outcomes=_of_plan(session, PlanOutcome, share, PlanOutcome.position, PlanOutcome.id),
        milestones=milestones,
        metrics=_of_plan(session, PlanMetric, share, PlanMetric.id),
        comments=comments,
        users=users,
        contacts=contacts,
    )


def _of_plan_milestones(session: Session, share: PlanShare) -> list[Milestone]:
    statement = (
        select(Milestone)
        .where(Milestone.success_plan_id == share.plan_id)
        .order_by(Milestone.position, Milestone.id)
    )
    return list(session.scalars(statement.execution_options(**ACROSS_BOOKS)))


def _milestone(session: Session, share: PlanShare, milestone_id: int) -> Milestone:
    milestone = session.get(Milestone, milestone_id, execution_options=ACROSS_BOOKS)
    if milestone is None or milestone.success_plan_id != share.plan_id:
        raise NotFound("milestone", milestone_id)  # another plan's reads like a missing one
    return milestone


def _outcome(session: Session, share: PlanShare, outcome_id: int | None) -> None:
    if outcome_id is None:
        return
    outcome = session.get(PlanOutcome, outcome_id)
    if outcome is None or outcome.plan_id != share.plan_id:
        raise InvalidField("outcome_id", f"no outcome {outcome_id} in this plan")


def _tell_the_team(session: Session, share: PlanShare, subject: str, body: str | None) -> None:
    """A customer action: an activity on the account's timeline, and the plan's owner told."""
    plan = _plan(session, share)
    contact = session.get(Contact, share.contact_id, execution_options=ACROSS_BOOKS)
    account = session.get(Account, share.account_id, execution_options=ACROSS_BOOKS)
    assert contact is not None and account is not None
    who = contact.full_name
    activity = Activity(
        account_id=share.account_id,
        contact_id=share.contact_id,
        user_id=None,
        type=ActivityType.PLAN_UPDATE,
        subject=f"{who} {subject}"[:300],
        body=body,
        occurred_at=utcnow(),
    )
    crud.create(session, None, activity)
    owner_id = plan.owner_id or account.csm_id or account.owner_am_id
    if owner_id is not None:
        notify(
            session,
            owner_id,
            f"{who} ({account.name}) {subject}",
            body=body,
            link=f"/success-plans/{plan.id}",
            account_id=account.id,
            account_name=account.name,
        )


def complete_milestone(session: Session, share: PlanShare, milestone_id: int) -> Milestone:
    milestone = _milestone(session, share, milestone_id)
    if milestone.contact_owner_id is None:
        raise InvalidField("milestone_id", "this milestone is owned by the team, not by you")
    if milestone.status == MilestoneStatus.DONE:
        return milestone  # a second click, or a second tab: done is done
    crud.update(
        session,
        None,
        milestone,
        {"status": MilestoneStatus.DONE, "completed_at": utcnow()},
    )
    events.publish(MilestoneWritten(session, milestone))
    plan = _plan(session, share)
    _tell_the_team(
        session, share, f"marked “{milestone.title}” done", f"Success plan: {plan.title}"
    )
    return milestone


def add_comment(session: Session, share: PlanShare, data: PlanCommentIn) -> PlanComment:
    title = None
    if data.milestone_id is not None:
        title = _milestone(session, share, data.milestone_id).title
    comment = PlanComment(
        plan_id=share.plan_id,
        account_id=share.account_id,
        milestone_id=data.milestone_id,
        contact_id=share.contact_id,
        body=data.body.strip(),
    )
    crud.create(session, None, comment)
    about = f" on “{title}”" if title else ""
    _tell_the_team(session, share, f"commented on the success plan{about}", comment.body)
    session.flush()
    return comment


def save_metric(
    session: Session, share: PlanShare, data: PlanMetricIn, metric_id: int | None = None
) -> PlanMetric:
    """A new figure of the customer's, or a new value of one (the same name may be kept
    against several outcomes, so figures are edited by id)."""
    _outcome(session, share, data.outcome_id)
    values = data.model_dump() | {"updated_by_contact_id": share.contact_id}
    if metric_id is None:
        metric = PlanMetric(plan_id=share.plan_id, account_id=share.account_id, **values)
        crud.create(session, None, metric)
        verb = "added"
    else:
        found = session.get(PlanMetric, metric_id, execution_options=ACROSS_BOOKS)
        if found is None or found.plan_id != share.plan_id:
            raise NotFound("metric", metric_id)
        metric = found
        crud.update(session, None, metric, values)
        verb = "updated"
    figures = ", ".join(
        f"{label} {plain_decimal(value, grouped=True)}{(' ' + data.unit) if data.unit else ''}"
        for label, value in (
            ("baseline", data.baseline),
            ("now", data.current),
            ("target", data.target),
        )
        if value is not None
    )
    _tell_the_team(session, share, f"{verb} their metric “{data.name}”", figures or None)
    session.flush()
    return metric


def touch(session: Session, share: PlanShare) -> None:
    """When the link was last opened, for the team's list of shares."""
    share.last_opened_at = utcnow()
