"""Onboarding projects: started from a template when a contract begins a customer relationship,
their milestones dated from the contract's start, and time-to-value measured when the milestone
that marks value is done."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

import orjson
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Table, exists, select
from sqlalchemy.orm import Session, aliased

from steward.accounts.models import Account, AssignRole, LifecycleStage
from steward.accounts.owned import AccountOwnedService
from steward.contracts.models import Contract
from steward.core import crud
from steward.core.errors import Conflict, InvalidField
from steward.core.principal import Principal, require_admin
from steward.db.base import utcnow
from steward.onboarding.models import OnboardingProject, OnboardingTemplate, ProjectStatus
from steward.onboarding.schemas import (
    OnboardingStep,
    ProjectDetail,
    ProjectFilters,
    ProjectOut,
    ProjectStart,
    TemplateIn,
    TemplateOut,
    TemplateUpdate,
)
from steward.plans.models import FINISHED_MILESTONE, Milestone, MilestoneStatus
from steward.plans.service import milestone_out, milestone_service

# Used while no admin has written a template: a plain, common onboarding.
STARTER_STEPS = [
    OnboardingStep(title="Kick-off call with the client's team", due_in_days=3),
    OnboardingStep(
        title="Agree the success plan: outcomes and how they are measured",
        due_in_days=10,
        assign_to=AssignRole.CSM,
    ),
    OnboardingStep(
        title="Technical set-up and data connected", due_in_days=21, assign_to=AssignRole.CSM
    ),
    OnboardingStep(title="First users trained", due_in_days=30, assign_to=AssignRole.CSM),
    OnboardingStep(
        title="First value: the agreed first outcome is live",
        due_in_days=45,
        assign_to=AssignRole.CSM,
        marks_value=True,
    ),
    OnboardingStep(title="Onboarding review and hand-over to adoption", due_in_days=60),
]
STARTER_NAME = "Standard onboarding"


# --- templates (admin) --------------------------------------------------------------------


def template_out(template: OnboardingTemplate) -> TemplateOut:
    return TemplateOut(
        id=template.id,
        name=template.name,
        segment=template.segment,
        steps=[OnboardingStep.model_validate(s) for s in orjson.loads(template.steps)],
        is_active=template.is_active,
        created_at=template.created_at,
        updated_at=template.updated_at,
        archived_at=template.archived_at,
    )


def _steps_json(steps: list[OnboardingStep]) -> str:
    return orjson.dumps([s.model_dump(mode="json") for s in steps]).decode()


def _unique_name(session: Session, name: str, own_id: int | None) -> None:
    crud.ensure_unique(session, OnboardingTemplate, "name", name, own_id, "onboarding template")


def list_templates(session: Session, include_archived: bool = False) -> list[OnboardingTemplate]:
    return crud.list_live(session, OnboardingTemplate, OnboardingTemplate.name, include_archived)


def get_template(session: Session, template_id: int) -> OnboardingTemplate:
    return crud.get_or_404(session, OnboardingTemplate, template_id, "onboarding template")


def create_template(session: Session, principal: Principal, data: TemplateIn) -> OnboardingTemplate:
    require_admin(principal, "change onboarding templates")
    _unique_name(session, data.name, None)
    template = OnboardingTemplate(
        name=data.name,
        segment=data.segment,
        steps=_steps_json(data.steps),
        is_active=data.is_active,
    )
    crud.create(session, principal.user_id, template)
    return template


def update_template(
    session: Session, principal: Principal, template_id: int, data: TemplateUpdate
) -> OnboardingTemplate:
    require_admin(principal, "change onboarding templates")
    template = get_template(session, template_id)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True, exclude={"steps"})
    for field in ("name", "is_active"):
        if field in changes and changes[field] is None:
            raise InvalidField(field, "may not be null")
    if "name" in changes:
        _unique_name(session, changes["name"], template.id)
    if data.steps is not None:
        changes["steps"] = _steps_json(data.steps)
    crud.update(session, principal.user_id, template, changes)
    return template


def archive_template(
    session: Session, principal: Principal, template_id: int
) -> OnboardingTemplate:
    require_admin(principal, "change onboarding templates")
    template = get_template(session, template_id)
    crud.archive(session, principal.user_id, template)
    return template


def template_for(session: Session, segment: str) -> OnboardingTemplate | None:
    """The newest active template for the segment, else the newest one for every segment."""
    candidates = session.scalars(
        select(OnboardingTemplate)
        .where(
            OnboardingTemplate.archived_at.is_(None),
            OnboardingTemplate.is_active,
            (OnboardingTemplate.segment == segment) | OnboardingTemplate.segment.is_(None),
        )
        .order_by(OnboardingTemplate.segment.is_(None), OnboardingTemplate.id.desc())
    )
    return candidates.first()


# --- projects ----------------------------------------------------------------------------

CATCH_UP_SLICE = 2_000  # records per query or INSERT when many are caught up at once


def starts_relationship(session: Session, contract: Contract) -> bool:
    """A new-business contract: not a renewal, and nothing else in force on the day it starts
    (a new customer, or one coming back after a lapse). Cross-sells beside a live contract and
    renewals continue an onboarded relationship."""
    return bool(relationship_starts(session, [contract]))


def relationship_starts(session: Session, contracts: list[Contract]) -> list[Contract]:
    """Those of `contracts` that start a relationship (`starts_relationship`), asked of the
    database in slices rather than one query per contract."""
    session.flush()  # a contract being created needs its id (and its row) to be asked about
    candidates = [c for c in contracts if c.renewal_of_id is None]
    other = aliased(Contract)
    beside: set[int] = set()
    for first in range(0, len(candidates), CATCH_UP_SLICE):
        ids = [c.id for c in candidates[first : first + CATCH_UP_SLICE]]
        beside.update(
            session.scalars(
                select(Contract.id).where(
                    Contract.id.in_(ids),
                    exists().where(
                        other.account_id == Contract.account_id,
                        other.id != Contract.id,
                        other.archived_at.is_(None),
                        other.start_date <= Contract.start_date,
                        other.end_date > Contract.start_date,
                    ),
                )
            )
        )
    return [c for c in candidates if c.id not in beside]


def days_to_value(project: OnboardingProject) -> int | None:
    if project.value_reached_on is None:
        return None
    return (project.value_reached_on - project.started_on).days


class OnboardingProjectService(AccountOwnedService[OnboardingProject]):
    model = OnboardingProject
    entity = "onboarding project"
    sortable = {
        "started_on": OnboardingProject.started_on,
        "target_value_on": OnboardingProject.target_value_on,
        "name": OnboardingProject.name,
    }
    default_sort = "-started_on"
    required_fields = ("name", "status")
    user_fields = ("owner_id",)

    def where_clauses(self, filters: ProjectFilters) -> list[ColumnElement[bool]]:
        clauses = super().where_clauses(filters)
        if filters.owner_id is not None:
            clauses.append(OnboardingProject.owner_id == filters.owner_id)
        if filters.status is not None:
            clauses.append(OnboardingProject.status == filters.status)
        return clauses

    def create(self, session: Session, principal: Principal, data: BaseModel) -> OnboardingProject:
        """Starts a project by hand (e.g. for a contract that predates Steward)."""
        assert isinstance(data, ProjectStart)
        self.check_reference(
            session,
            principal,
            "contract_id",
            cast(Table, Contract.__table__),
            data.contract_id,
        )
        contract = session.get(Contract, data.contract_id)
        assert contract is not None
        template = None
        if data.template_id is not None:
            template = session.get(OnboardingTemplate, data.template_id)
            if template is None or template.archived_at is not None:
                raise InvalidField("template_id", f"no onboarding template {data.template_id}")
        if session.scalar(
            select(OnboardingProject.id).where(OnboardingProject.contract_id == contract.id)
        ):
            raise Conflict(f"contract {contract.id} already has an onboarding project")
        return start_project(session, principal.user_id, contract, template)

    def validate_update(
        self,
        session: Session,
        principal: Principal,
        record: OnboardingProject,
        changes: dict[str, Any],
    ) -> None:
        status = changes.get("status", record.status)
        if status != ProjectStatus.ACTIVE and record.status == ProjectStatus.ACTIVE:
            changes["completed_at"] = utcnow()
        elif status == ProjectStatus.ACTIVE:
            changes["completed_at"] = None

    def detail(self, session: Session, principal: Principal, project_id: int) -> ProjectDetail:
        project = self.get(session, principal, project_id)
        today = date.today()
        milestones = milestone_service.of_parent(session, onboarding_project_id=project.id)
        return ProjectDetail(
            **to_out(project).model_dump(),
            milestones=[milestone_out(m, today) for m in milestones],
        )


def to_out(project: OnboardingProject) -> ProjectOut:
    values = {
        name: getattr(project, name) for name in ProjectOut.model_fields if name != "days_to_value"
    }
    return ProjectOut(**values, days_to_value=days_to_value(project))


def start_project(
    session: Session,
    actor_id: int | None,
    contract: Contract,
    template: OnboardingTemplate | None = None,
) -> OnboardingProject:
    """A project and its dated milestones, in the caller's transaction."""
    return _start_projects(session, actor_id, [(contract, template)])[0]


def _start_projects(
    session: Session,
    actor_id: int | None,
    contracts: list[tuple[Contract, OnboardingTemplate | None]],
) -> list[OnboardingProject]:
    """Projects for `contracts` (each with its template, or the segment's), their milestones
    after them: one flush and one INSERT of audit events per kind, however many there are."""
    projects: list[OnboardingProject] = []
    planned: list[tuple[OnboardingProject, Account, list[OnboardingStep], OnboardingStep]] = []
    templates: dict[str, OnboardingTemplate | None] = {}
    for contract, chosen in contracts:
        account = session.get(Account, contract.account_id)
        assert account is not None
        if chosen is None and account.segment not in templates:
            templates[account.segment] = template_for(session, account.segment)
        template = chosen or templates[account.segment]
        steps = (
            [OnboardingStep.model_validate(s) for s in orjson.loads(template.steps)]
            if template is not None
            else STARTER_STEPS
        )
        value_steps = [s for s in steps if s.marks_value] or steps[-1:]
        project = OnboardingProject(
            account_id=account.id,
            contract_id=contract.id,
            template_id=template.id if template else None,
            name=f"{account.name}: {template.name if template else STARTER_NAME}",
            status=ProjectStatus.ACTIVE,
            owner_id=account.csm_id or account.owner_am_id,
            started_on=contract.start_date,
            target_value_on=contract.start_date + timedelta(days=value_steps[0].due_in_days),
        )
        projects.append(project)
        planned.append((project, account, steps, value_steps[0]))
    crud.create_many(session, actor_id, projects)
    milestones = [
        Milestone(
            account_id=account.id,
            onboarding_project_id=project.id,
            title=step.title,
            owner_id=step.assign_to.pick(account),
            due_date=project.started_on + timedelta(days=step.due_in_days),
            position=position,
            marks_value=step is value_step,
        )
        for project, account, steps, value_step in planned
        for position, step in enumerate(steps)
    ]
    crud.create_many(session, actor_id, milestones)
    for _project, account, _steps, _value in planned:
        if account.lifecycle_stage in (LifecycleStage.PROSPECT,):
            crud.update(session, actor_id, account, {"lifecycle_stage": LifecycleStage.ONBOARDING})
    return projects


def start_for_new_contract(session: Session, actor_id: int | None, contract: Contract) -> None:
    """Called when a contract is created: a new relationship gets its onboarding project."""
    if starts_relationship(session, contract):
        start_project(session, actor_id, contract)


def start_missing_projects(session: Session, today: date, window_days: int = 90) -> int:
    """Catches up contracts written in bulk (demo, direct loads) that started lately."""
    started = 0
    candidates = session.scalars(
        select(Contract).where(
            Contract.archived_at.is_(None),
            Contract.renewal_of_id.is_(None),
            Contract.start_date > today - timedelta(days=window_days),
            Contract.start_date <= today + timedelta(days=window_days),
            ~exists().where(OnboardingProject.contract_id == Contract.id),
        )
    )
    starting: list[tuple[Contract, OnboardingTemplate | None]] = [
        (c, None) for c in relationship_starts(session, list(candidates))
    ]
    # In slices, so a catch-up of a whole book keeps its memory and each INSERT bounded.
    for first in range(0, len(starting), CATCH_UP_SLICE):
        started += len(_start_projects(session, None, starting[first : first + CATCH_UP_SLICE]))
    return started


def refresh_progress(session: Session, project_id: int) -> None:
    """Value reached when the value milestone is done; the project completes with its last step."""
    project = session.get(OnboardingProject, project_id)
    if project is None:
        return
    milestones = milestone_service.of_parent(session, onboarding_project_id=project_id)
    changes = _progress_changes(project, milestones)
    if changes:
        crud.update(session, None, project, changes)


def refresh_progress_of(session: Session, projects: list[OnboardingProject]) -> None:
    """`refresh_progress` of many projects: their milestones in one query, one audited update."""
    milestones: dict[int, list[Milestone]] = {}
    for first in range(0, len(projects), CATCH_UP_SLICE):
        ids = [p.id for p in projects[first : first + CATCH_UP_SLICE]]
        for m in session.scalars(
            select(Milestone)
            .where(Milestone.onboarding_project_id.in_(ids))
            .order_by(Milestone.position, Milestone.id)
        ):
            milestones.setdefault(m.onboarding_project_id or 0, []).append(m)
    changes = [(p, _progress_changes(p, milestones.get(p.id, []))) for p in projects]
    crud.update_many(session, None, [(p, c) for p, c in changes if c])


def _progress_changes(project: OnboardingProject, milestones: list[Milestone]) -> dict[str, Any]:
    value = next((m for m in milestones if m.marks_value), None)
    changes: dict[str, Any] = {}
    reached = (
        value.completed_at.date()
        if value is not None and value.status == MilestoneStatus.DONE and value.completed_at
        else None
    )
    if reached != project.value_reached_on:
        changes["value_reached_on"] = reached
    all_finished = all(m.status in FINISHED_MILESTONE for m in milestones)
    if project.status == ProjectStatus.ACTIVE and all_finished:
        changes |= {"status": ProjectStatus.COMPLETED, "completed_at": utcnow()}
    elif project.status == ProjectStatus.COMPLETED and not all_finished:
        changes |= {"status": ProjectStatus.ACTIVE, "completed_at": None}
    return changes


onboarding_service = OnboardingProjectService()
