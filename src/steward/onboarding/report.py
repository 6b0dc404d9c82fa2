"""Time-to-value: days from a contract's start to the milestone that marks first value."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import NamedTuple, Protocol

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts.models import Account
from steward.core.cache import FigureCache
from steward.core.errors import InvalidField
from steward.core.principal import Principal
from steward.db.revision import data_state
from steward.onboarding.models import OnboardingProject, OnboardingTemplate, ProjectStatus
from steward.onboarding.schemas import TimeToValueGroup, TimeToValueReport
from steward.onboarding.service import STARTER_NAME
from steward.users.models import User

GROUPINGS = ("all", "segment", "template", "owner", "month", "quarter")


class ProjectDates(NamedTuple):
    """What time-to-value reads of a project."""

    status: str
    started_on: date
    value_reached_on: date | None
    target_value_on: date | None


class _Dated(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def started_on(self) -> date: ...
    @property
    def value_reached_on(self) -> date | None: ...
    @property
    def target_value_on(self) -> date | None: ...


def _group(by: str, project: _Dated, segment: str, template: str | None, owner: str | None) -> str:
    if by == "segment":
        return segment
    if by == "template":
        return template or STARTER_NAME
    if by == "owner":
        return owner or "Unassigned"
    if by == "month":
        return project.started_on.strftime("%Y-%m")
    if by == "quarter":
        return f"{project.started_on.year}-Q{(project.started_on.month - 1) // 3 + 1}"
    return "all"


def figures(name: str, projects: Sequence[_Dated], today: date) -> TimeToValueGroup:
    """A group's time-to-value figures (the Onboarding page's, and the report builder's)."""
    live = [p for p in projects if p.status != ProjectStatus.CANCELLED]
    reached = [p for p in live if p.value_reached_on is not None]
    # value_reached_on is set on every project in `reached`.
    days = np.array(
        [(p.value_reached_on - p.started_on).days for p in reached if p.value_reached_on]
    )
    on_time = [
        p
        for p in reached
        if p.target_value_on is None
        or (p.value_reached_on is not None and p.value_reached_on <= p.target_value_on)
    ]
    overdue = [
        p
        for p in live
        if p.status == ProjectStatus.ACTIVE
        and p.value_reached_on is None
        and p.target_value_on is not None
        and p.target_value_on < today
    ]
    return TimeToValueGroup(
        group=name,
        projects=len(live),
        reached=len(reached),
        median_days=float(np.median(days)) if len(days) else None,
        p80_days=float(np.percentile(days, 80)) if len(days) else None,
        on_time_share=len(on_time) / len(reached) if reached else None,
        open_overdue=len(overdue),
    )


def time_to_value(
    session: Session,
    principal: Principal,
    *,
    by: str,
    start: date,
    end: date,
    today: date | None = None,
) -> TimeToValueReport:
    """Projects started in [start, end), within the caller's book, grouped. Kept per
    workspace revision: the figures read every project of the year (30,000 at 100,000
    accounts), and any write to a project starts a new revision."""
    if by not in GROUPINGS:
        raise InvalidField("by", f"one of {', '.join(GROUPINGS)}")
    if end <= start:
        raise InvalidField("end", "must be after start")
    day = today or date.today()
    return _reports.get(
        (data_state(session), principal, by, start, end, day),
        lambda: _time_to_value(session, by=by, start=start, end=end, today=day),
    )


def _time_to_value(
    session: Session, *, by: str, start: date, end: date, today: date
) -> TimeToValueReport:
    """`time_to_value` as the session's reader sees it, uncached."""
    # The four dates and the status a group's figures need, not whole projects: loading
    # 20,000 ORM objects was most of the Onboarding page at 100,000 accounts.
    rows = session.execute(
        select(
            OnboardingProject.status,
            OnboardingProject.started_on,
            OnboardingProject.value_reached_on,
            OnboardingProject.target_value_on,
            Account.segment,
            OnboardingTemplate.name,
            User.full_name,
        )
        .select_from(OnboardingProject)
        .join(Account, Account.id == OnboardingProject.account_id)
        .outerjoin(OnboardingTemplate, OnboardingTemplate.id == OnboardingProject.template_id)
        .outerjoin(User, User.id == OnboardingProject.owner_id)
        .where(
            OnboardingProject.archived_at.is_(None),
            OnboardingProject.started_on >= start,
            OnboardingProject.started_on < end,
        )
    ).all()
    groups: dict[str, list[ProjectDates]] = defaultdict(list)
    everything: list[ProjectDates] = []
    for status, started, reached, target, segment, template, owner in rows:
        project = ProjectDates(status, started, reached, target)
        groups[_group(by, project, segment, template, owner)].append(project)
        everything.append(project)
    return TimeToValueReport(
        by=by,
        start=start,
        end=end,
        groups=[figures(name, groups[name], today) for name in sorted(groups)],
        total=figures("total", everything, today),
    )


_reports = FigureCache(TimeToValueReport, max_entries=64)
