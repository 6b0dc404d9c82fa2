"""My Day: what an AM or CSM should do today, in one read."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from steward.core.schemas import Day, Instant


class DayTask(BaseModel):
    id: int
    account_id: int
    account_name: str
    title: str
    due_date: Day | None
    priority: str
    overdue: bool


class CheckIn(BaseModel):
    account_id: int
    account_name: str
    tier: str
    last_touch_at: Instant | None
    cadence_days: int
    days_overdue: int = Field(description="Days past the tier's check-in cadence")


class QbrDueOut(BaseModel):
    account_id: int
    account_name: str
    tier: str
    last_qbr_at: Instant | None = Field(description="The last QBR or EBR held; None: never")
    cadence_days: int
    days_overdue: int = Field(description="Days past the tier's QBR cadence")


class DayEscalation(BaseModel):
    id: int
    account_id: int
    account_name: str
    title: str
    severity: str
    status: str
    sla_due_at: Instant
    sla_breached: bool


class DayRenewal(BaseModel):
    contract_id: int
    account_id: int
    account_name: str
    end_date: Day
    days_left: int
    arr: Decimal
    currency: str
    auto_renew: bool


class DayMilestone(BaseModel):
    id: int
    account_id: int
    account_name: str
    title: str
    due_date: Day | None
    overdue: bool
    plan: str = Field(description="'success plan' or 'onboarding'")
    link: str


class RedAccount(BaseModel):
    account_id: int
    account_name: str
    health_score: float | None
    arr: Decimal
    red_since: Day | None


class DayNotification(BaseModel):
    id: int
    title: str
    body: str | None
    link: str | None
    created_at: Instant


class DayMeeting(BaseModel):
    """A customer meeting ahead in the user's own calendars (captured, docs/capture.md)."""

    id: int
    account_id: int
    account_name: str
    kind: str = Field(description="meeting, qbr or ebr")
    title: str | None = Field(description="None when the capture level keeps no titles")
    starts_at: Instant
    ends_at: Instant
    customer_attendees: list[str]


class Section(BaseModel):
    """Counts beside each list: the lists are capped, the counts are not."""

    tasks: int
    checkins: int
    escalations: int
    breached_escalations: int
    renewals: int
    milestones: int
    red_accounts: int
    notifications: int
    meetings: int = Field(description="Customer meetings in your calendars, next 7 days")
    qbrs: int = Field(default=0, description="Customers due a QBR by their tier's QBR cadence")


class RepCheckins(BaseModel):
    user_id: int
    name: str
    seat: str = Field(description="The seat the count is for: owner_am_id or csm_id")
    overdue: int = Field(description="Their accounts of the scope due a check-in")
    link: str


class TeamSignals(BaseModel):
    """A leader's team at a glance; each count is the length of the list its link opens."""

    scope: str = Field(description="'team' (a lead's teams) or 'all' (every team)")
    label: str
    red_accounts: int
    red_arr: Decimal
    red_link: str
    breached_escalations: int
    breached_link: str
    renewals_at_risk: int = Field(description="Red accounts renewing within 90 days")
    renewals_at_risk_arr: Decimal
    renewals_at_risk_link: str
    overdue_checkins: list[RepCheckins]


class LeaderView(BaseModel):
    """What a leader's My Day counts over their team's or the whole book."""

    team: TeamSignals
    red_accounts: list[RedAccount]
    red_count: int


class MyDay(BaseModel):
    day: Day
    user_id: int
    tasks: list[DayTask]
    checkins: list[CheckIn]
    qbrs: list[QbrDueOut] = Field(default_factory=list)
    escalations: list[DayEscalation]
    renewals: list[DayRenewal]
    milestones: list[DayMilestone]
    red_accounts: list[RedAccount]
    notifications: list[DayNotification]
    meetings: list[DayMeeting]
    counts: Section
    team: TeamSignals | None = Field(
        default=None,
        description="For a lead, director, VP or admin: their team's signals; `red_accounts` "
        "then lists the team's red accounts, not only their own",
    )

    @property
    def is_empty(self) -> bool:
        return not any(self.counts.model_dump().values())
