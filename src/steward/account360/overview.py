"""Account 360: everything about one account that the principal may see, in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from steward.account360.timeline import TimelineEntry, system_events
from steward.accounts import repository
from steward.accounts.models import Account
from steward.activities.models import Activity
from steward.contacts.models import Contact
from steward.contracts.models import Contract
from steward.contracts.schemas import ContractOut
from steward.contracts.service import contract_service
from steward.core.audit import AuditEvent
from steward.core.money import format_money
from steward.core.principal import Principal
from steward.escalations.models import UNRESOLVED, Escalation
from steward.onboarding.models import OnboardingProject
from steward.opportunities.models import CLOSED_STAGES, Opportunity
from steward.plans.models import SuccessPlan
from steward.tasks.models import Task
from steward.tasks.service import OPEN_STATUSES
from steward.users.models import User


@dataclass
class Account360:
    account: Account
    people: dict[int, User]
    parents: list[Account]
    children: list[Account]
    contacts: list[Contact]
    contracts: list[ContractOut]
    open_opportunities: list[Opportunity]
    closed_opportunities: list[Opportunity]
    open_tasks: list[Task]
    timeline: list[TimelineEntry]
    # Customer-success work on the account: open escalations, plans, onboarding.
    escalations: list[Escalation] = field(default_factory=list)
    success_plans: list[SuccessPlan] = field(default_factory=list)
    onboarding: list[OnboardingProject] = field(default_factory=list)

    def person(self, user_id: int | None) -> str | None:
        user = self.people.get(user_id) if user_id else None
        return user.full_name if user else None


_SYSTEM_TITLES = {
    ("accounts", "create"): "Account created",
    ("accounts", "update"): "Account updated",
    ("accounts", "archive"): "Account archived",
    ("accounts", "restore"): "Account restored",
    ("contracts", "create"): "Contract added",
    ("opportunities", "create"): "Opportunity added",
    ("opportunities", "update"): "Opportunity updated",
    ("opportunities", "archive"): "Opportunity archived",
    ("contracts", "update"): "Contract updated",
    ("contacts", "create"): "Contact added",
    ("contacts", "update"): "Contact updated",
    ("tasks", "create"): "Task added",
    ("tasks", "update"): "Task updated",
}
# Fields named as a user reads them; the rest lose their underscores.
_FIELD_NAMES = {
    "owner_am_id": "account manager",
    "csm_id": "CSM",
    "ae_id": "account executive",
    "strategist_id": "strategist",
    "owner_id": "owner",
    "assignee_id": "assignee",
    "contract_id": "contract",
    "parent_id": "parent account",
    "closed_at": "closed",
    "amount_minor": "amount",
    "arr_minor": "ARR",
}
_PEOPLE_FIELDS = {"owner_am_id", "csm_id", "ae_id", "strategist_id", "owner_id", "assignee_id"}


def _plain(field: str, value: object, people: dict[int, User]) -> str:
    """A recorded value in plain words: people by name, nothing as a dash, codes as words,
    instants to the minute, money in currency."""
    if value is None or value == "":
        return "—"
    if field in _PEOPLE_FIELDS and isinstance(value, int):
        user = people.get(value)
        return user.full_name if user else f"user {value}"
    if field.endswith("_minor") and isinstance(value, int):
        return format_money(value)
    if field in ("contract_id", "parent_id"):
        return f"#{value}"
    text = str(value)
    if len(text) > 19 and text[4:5] == "-" and text[10:11] == "T":
        return text[:16].replace("T", " ")
    if "_" in text and text.replace("_", "").isalpha():
        return text.replace("_", " ")
    return text


def _system_event(event: AuditEvent, people: dict[int, User]) -> TimelineEntry:
    title = _SYSTEM_TITLES.get(
        (event.entity_type, event.action),
        f"{event.entity_type.rstrip('s').replace('_', ' ').capitalize()} {event.action}d",
    )
    detail = None
    if event.action == "update" and event.after:
        changed = [k for k in event.after if k not in {"id", "updated_at", "version"}]
        before = event.before or {}
        parts = [
            f"{_FIELD_NAMES.get(k, k.replace('_', ' '))}: "
            f"{_plain(k, before.get(k), people)} → {_plain(k, event.after[k], people)}"
            for k in changed
        ]
        detail = "; ".join(parts)[:300] or None
    actor = people.get(event.actor_id) if event.actor_id else None
    return TimelineEntry(event.at, "system", title, detail, actor.full_name if actor else None)


def account_360(session: Session, principal: Principal, account_id: int, today: date) -> Account360:
    account = repository.get_account(session, principal, account_id)
    live = Contact.archived_at.is_(None)
    contacts = list(
        session.scalars(
            select(Contact)
            .where(Contact.account_id == account.id, live)
            .order_by(Contact.last_name)
        )
    )
    contracts = [
        contract_service.to_out(session, c, today)
        for c in session.scalars(
            select(Contract)
            .where(Contract.account_id == account.id, Contract.archived_at.is_(None))
            .order_by(Contract.start_date.desc())
        )
    ]
    opportunities = list(
        session.scalars(
            select(Opportunity)
            .where(Opportunity.account_id == account.id, Opportunity.archived_at.is_(None))
            .order_by(Opportunity.close_date)
        )
    )
    tasks = list(
        session.scalars(
            select(Task)
            .where(
                Task.account_id == account.id,
                Task.archived_at.is_(None),
                Task.status.in_(OPEN_STATUSES),
            )
            .order_by(Task.due_date.nulls_last())
        )
    )
    activities = list(
        session.scalars(
            select(Activity)
            .where(Activity.account_id == account.id, Activity.archived_at.is_(None))
            .order_by(Activity.occurred_at.desc())
            .limit(100)
        )
    )
    contract_ids = [c.id for c in contracts]
    opportunity_ids = [o.id for o in opportunities]
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(
                or_(
                    (AuditEvent.entity_type == "accounts") & (AuditEvent.entity_id == account.id),
                    (AuditEvent.entity_type == "contracts")
                    & AuditEvent.entity_id.in_(contract_ids),
                    (AuditEvent.entity_type == "opportunities")
                    & AuditEvent.entity_id.in_(opportunity_ids),
                )
            )
            .order_by(AuditEvent.at.desc())
            .limit(50)
        )
    )
    user_ids: set[Any] = {
        account.owner_am_id,
        account.csm_id,
        account.ae_id,
        account.strategist_id,
        *(a.user_id for a in activities),
        *(t.assignee_id for t in tasks),
        *(o.owner_id for o in opportunities),
        *(e.actor_id for e in events),
        # People named in recorded changes (a hand-off's new AM and CSM).
        *(
            value
            for e in events
            for values in (e.before or {}, e.after or {})
            for field, value in values.items()
            if field in _PEOPLE_FIELDS
        ),
    }
    user_ids.discard(None)
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
    contact_names = {c.id: c.full_name for c in contacts}
    timeline = [
        TimelineEntry(
            a.occurred_at,
            a.type,
            a.subject,
            (f"with {contact_names[a.contact_id]}. " if a.contact_id in contact_names else "")
            + (a.body or ""),
            people[a.user_id].full_name if a.user_id in people else None,
            f"/activities/{a.id}/edit",
        )
        for a in activities
    ] + [_system_event(e, people) for e in events]

    def name_of(user_id: int | None) -> str | None:
        if user_id is None:
            return None
        user = people.get(user_id) or session.get(User, user_id)
        return user.full_name if user else None

    timeline += system_events(session, account.id, name_of)
    timeline.sort(key=lambda entry: entry.at, reverse=True)
    return Account360(
        account=account,
        people=people,
        parents=repository.ancestors(session, principal, account.id),
        children=repository.children(session, principal, account.id),
        contacts=contacts,
        contracts=contracts,
        open_opportunities=[o for o in opportunities if o.stage not in CLOSED_STAGES],
        closed_opportunities=[o for o in opportunities if o.stage in CLOSED_STAGES],
        open_tasks=tasks,
        timeline=timeline,
        escalations=list(
            session.scalars(
                select(Escalation)
                .where(
                    Escalation.account_id == account.id,
                    Escalation.archived_at.is_(None),
                    Escalation.status.in_(UNRESOLVED),
                )
                .order_by(Escalation.sla_due_at)
            )
        ),
        success_plans=list(
            session.scalars(
                select(SuccessPlan)
                .where(SuccessPlan.account_id == account.id, SuccessPlan.archived_at.is_(None))
                .order_by(SuccessPlan.created_at.desc())
            )
        ),
        onboarding=list(
            session.scalars(
                select(OnboardingProject)
                .where(
                    OnboardingProject.account_id == account.id,
                    OnboardingProject.archived_at.is_(None),
                )
                .order_by(OnboardingProject.started_on.desc())
            )
        ),
    )
