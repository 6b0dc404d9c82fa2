"""Playbook and rule definitions: what the API takes, the YAML files hold and the engine reads."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, EmailStr, Field, StringConstraints, model_validator

from steward.accounts.models import AssignRole as AssignRole
from steward.accounts.models import LifecycleStage, Segment, Tier
from steward.contacts.models import DealRole
from steward.core.schemas import Amount, Day, InputModel, Instant, Name, OutputModel
from steward.opportunities.models import OpportunityType
from steward.tasks.schemas import PlaybookStep as PlaybookStep

Key = Annotated[
    str, StringConstraints(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$")
]


class PlaybookSpec(InputModel):
    key: Key
    name: Name
    description: str | None = Field(default=None, max_length=5000)
    steps: list[PlaybookStep] = Field(min_length=1, max_length=50)
    holdout_percent: int = Field(
        default=0, ge=0, le=50, description="Share of eligible accounts held out, for the report"
    )


class TriggerType(StrEnum):
    HEALTH_BAND_ENTERED = "health_band_entered"
    USAGE_DROP = "usage_drop"
    RENEWAL_DUE = "renewal_due"
    NPS_DETRACTOR = "nps_detractor"
    NO_TOUCH = "no_touch"
    SLA_BREACH = "sla_breach"
    OPPORTUNITY_WON = "opportunity_won"
    CONTACT_DEPARTED = "contact_departed"


class Trigger(InputModel):
    type: TriggerType
    band: str | None = Field(
        default=None, pattern="^(red|yellow|green)$", description="health_band_entered"
    )
    percent: float | None = Field(
        default=None, gt=0, le=100, description="usage_drop: active users fell by at least this %"
    )
    days: int | None = Field(
        default=None, ge=1, le=730, description="renewal_due: ends within; no_touch: silent for"
    )
    days_by_tier: dict[Tier, int] | None = Field(
        default=None, description="no_touch: check-in cadence per tier (days)"
    )
    max_score: int | None = Field(default=None, ge=0, le=10, description="nps_detractor (6)")
    opportunity_types: list[OpportunityType] | None = None
    deal_roles: list[DealRole] | None = Field(
        default=None,
        description="contact_departed: the roles that matter (default: champion and"
        " executive sponsor)",
    )
    lookback_days: int = Field(
        default=7, ge=1, le=365, description="Events older than this are not acted on"
    )

    @model_validator(mode="after")
    def _parameters_of_the_type(self) -> Trigger:
        needs = {
            TriggerType.HEALTH_BAND_ENTERED: ("band", self.band),
            TriggerType.USAGE_DROP: ("percent", self.percent),
            TriggerType.RENEWAL_DUE: ("days", self.days),
        }
        if self.type in needs and needs[self.type][1] is None:
            raise ValueError(f"a {self.type} trigger needs '{needs[self.type][0]}'")
        if self.type == TriggerType.NO_TOUCH and self.days is None and not self.days_by_tier:
            raise ValueError("a no_touch trigger needs 'days' or 'days_by_tier'")
        return self


class Conditions(InputModel):
    segments: list[Segment] = []
    tiers: list[Tier] = []
    lifecycle_stages: list[LifecycleStage] = Field(
        default=[], description="Default: every customer stage (not prospects or churned)"
    )
    min_arr: Amount | None = Field(default=None, description="Workspace currency")
    max_arr: Amount | None = None
    owner_ids: list[int] = Field(default=[], description="Account owners (AM user ids)")
    segment_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="Only accounts in this saved segment"
    )
    custom_fields: dict[str, str] = Field(
        default={},
        max_length=20,
        description="Account custom fields, as the accounts list filters them without 'cf.': "
        '{"region": "EMEA", "seats__gte": "100", "modules": "API", "churn_reason__isnull": "true"}',
    )


class ActionType(StrEnum):
    CREATE_TASKS = "create_tasks"
    NOTIFY = "notify"
    EMAIL = "email"
    WEBHOOK = "webhook"
    SET_STAGE = "set_stage"


class Action(InputModel):
    type: ActionType
    playbook: Key | None = Field(default=None, description="create_tasks: the playbook's key")
    role: AssignRole | None = Field(default=None, description="notify/email: who (default AM)")
    to: EmailStr | None = Field(default=None, description="email: a fixed address instead")
    subject: str | None = Field(default=None, max_length=300)
    message: str | None = Field(
        default=None, max_length=5000, description="Jinja text: {{ account.name }}, {{ reason }}"
    )
    endpoint: str | None = Field(default=None, description="webhook: the endpoint's name")
    stage: LifecycleStage | None = Field(default=None, description="set_stage")

    @model_validator(mode="after")
    def _parameters_of_the_type(self) -> Action:
        needs = {
            ActionType.CREATE_TASKS: ("playbook", self.playbook),
            ActionType.WEBHOOK: ("endpoint", self.endpoint),
            ActionType.SET_STAGE: ("stage", self.stage),
        }
        if self.type in needs and needs[self.type][1] is None:
            raise ValueError(f"a {self.type} action needs '{needs[self.type][0]}'")
        return self


class RuleSpec(InputModel):
    key: Key
    name: Name
    description: str | None = Field(default=None, max_length=5000)
    enabled: bool = False
    trigger: Trigger
    conditions: Conditions = Conditions()
    actions: list[Action] = Field(min_length=1, max_length=10)
    cooldown_days: int = Field(
        default=0, ge=0, le=365, description="Do not fire again for the same account within"
    )


class PlaybookOut(PlaybookSpec):
    id: int
    created_at: Instant
    updated_at: Instant
    archived_at: Instant | None


class RuleOut(RuleSpec):
    id: int
    created_at: Instant
    updated_at: Instant
    archived_at: Instant | None
    last_evaluated_at: Instant | None


class RuleRunOut(OutputModel):
    id: int
    rule_id: int
    rule_key: str
    account_id: int
    account_name: str
    event_key: str
    fired_at: Instant
    status: str
    reason: str
    matched: dict[str, Any]
    facts: dict[str, Any]
    results: list[str]


class WouldFire(BaseModel):
    account_id: int
    account_name: str
    event_key: str
    reason: str
    matched: dict[str, Any]
    held_out: bool
    already_fired: bool = Field(description="This event fired before: it would not fire again")


class DryRun(BaseModel):
    rule_key: str
    as_of: Day
    events: int = Field(description="Trigger events found, before conditions")
    would_fire: list[WouldFire]


class BundleItemResult(BaseModel):
    kind: str
    key: str
    outcome: str = Field(description="created, updated, unchanged, or an error")


class BundleImport(BaseModel):
    dry_run: bool
    items: list[BundleItemResult]


class ArmOutcome(BaseModel):
    accounts: int
    health_recovered: int
    health_recovered_rate: float | None
    retained: int
    retained_rate: float | None


class PlaybookReport(BaseModel):
    playbook_key: str
    holdout_percent: int
    treated: ArmOutcome
    held_out: ArmOutcome
    note: str
