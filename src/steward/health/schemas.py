"""API shapes of account health."""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from steward.core.schemas import Day, InputModel, Instant
from steward.fields.schemas import KEY_PATTERN


class ComponentOut(BaseModel):
    measure: str
    value: float
    points: float
    weight: float


class ScoreOut(BaseModel):
    as_of: Day
    score: float | None
    band: str | None
    explanation: str
    change: str | None
    scorecard_id: int
    components: list[ComponentOut]


class OverrideOut(BaseModel):
    id: int
    band: str
    reason: str
    expires_on: Day
    created_by_id: int | None
    created_at: Instant


class AccountHealth(BaseModel):
    account_id: int
    current: ScoreOut | None
    override: OverrideOut | None  # shown beside the computed score until it expires
    band: str | None = Field(
        description="The override's band while one is active, else the score's"
    )
    history: list[ScoreOut]


class OverrideIn(InputModel):
    band: Literal["green", "yellow", "red"]
    reason: str = Field(min_length=3, max_length=500)
    expires_on: Day


BUILT_IN_MEASURES = (
    "usage_trend",
    "utilisation",
    "adoption",
    "engagement_recency",
    "open_escalations",
    "nps",
)
CUSTOM_KEY = r"^[a-z][a-z0-9_]{0,49}$"
# An account custom field scored as a measure (steward.health.measures.field_measures).
FIELD_PREFIX = "field:"


class ComponentIn(InputModel):
    measure: str = Field(
        description="A built-in measure (usage_trend, utilisation, adoption, "
        "engagement_recency, open_escalations, nps), custom:<key> for values sent to "
        "PUT /accounts/{id}/measures/{key}, or field:<key> for an account custom field "
        "(number, money, percent or boolean: true scores as 1)"
    )
    weight: float = Field(gt=0, le=100, description="Relative weight; weights need not sum to 1")
    poor: float = Field(description="The value that scores 0 points")
    good: float = Field(description="The value that scores 100 points (may be below poor)")

    @field_validator("measure")
    @classmethod
    def _known_measure(cls, measure: str) -> str:
        if measure in BUILT_IN_MEASURES:
            return measure
        key = measure.removeprefix("custom:")
        if measure.startswith("custom:") and re.fullmatch(CUSTOM_KEY, key):
            return measure
        if measure.startswith(FIELD_PREFIX) and re.fullmatch(
            KEY_PATTERN, measure.removeprefix(FIELD_PREFIX)
        ):
            return measure
        raise ValueError(
            f"unknown measure {measure!r}: use one of {', '.join(BUILT_IN_MEASURES)}, "
            "custom:<key> (lower-case letters, digits, _) or field:<key> (a custom field)"
        )

    @model_validator(mode="after")
    def _distinct_ends(self) -> ComponentIn:
        if self.poor == self.good:
            raise ValueError("poor and good must differ")
        return self


class BandsIn(InputModel):
    green: float = Field(default=70, ge=0, le=100, description="Scores from here are green")
    yellow: float = Field(default=40, ge=0, le=100, description="Scores from here are yellow")

    @model_validator(mode="after")
    def _ordered(self) -> BandsIn:
        if self.yellow >= self.green:
            raise ValueError("yellow must be below green")
        return self


class ScorecardDefinition(InputModel):
    components: list[ComponentIn] = Field(min_length=1, max_length=20)
    bands: BandsIn = Field(default_factory=BandsIn)

    @field_validator("components")
    @classmethod
    def _one_per_measure(cls, components: list[ComponentIn]) -> list[ComponentIn]:
        measures = [c.measure for c in components]
        if len(set(measures)) != len(measures):
            raise ValueError("each measure may appear once")
        return components


class ScorecardIn(InputModel):
    name: str = Field(min_length=1, max_length=200)
    segment: Literal["smb", "mid_market", "enterprise"] | None = Field(
        default=None, description="The segment it scores; none: every segment without its own"
    )
    definition: ScorecardDefinition


class ProposalIn(InputModel):
    name: str = Field(default="Proposed from history", min_length=1, max_length=200)
    segment: Literal["smb", "mid_market", "enterprise"] | None = Field(
        default=None, description="Learn from (and score) this segment; none: every segment"
    )
    horizon_days: int = Field(
        default=90, ge=7, le=365, description="How long before churning the card must see it"
    )
    churned_within_days: int = Field(
        default=365, ge=30, le=1095, description="Learn from accounts that churned this recently"
    )


class MeasureEvidenceOut(BaseModel):
    measure: str
    label: str
    churned_values: int
    retained_values: int
    churned_median: float | None
    retained_median: float | None
    separation: float | None = Field(
        description="AUC of the measure alone in its healthy direction: 0.5 tells churners from"
        " the others no better than chance, 1 perfectly"
    )
    kept: bool
    why: str
    weight: float
    poor: float | None
    good: float | None


class ProposalOut(BaseModel):
    scorecard: ScorecardOut = Field(description="The draft, saved: edit, dry-run, publish")
    evidence: list[MeasureEvidenceOut]
    churned: int
    retained: int
    churned_red: int = Field(description="Churned accounts the draft shows red horizon_days before")
    retained_red: int = Field(description="Retained accounts the draft shows red horizon_days ago")


class ScorecardPatch(InputModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    definition: ScorecardDefinition | None = None


class ScorecardOut(BaseModel):
    id: int
    key: str
    name: str
    segment: str | None
    version: int
    status: Literal["draft", "published", "retired"]
    definition: ScorecardDefinition
    created_by_id: int | None
    created_at: Instant
    published_at: Instant | None


class DryRunAccount(BaseModel):
    account_id: int
    name: str
    outcome: Literal["churned", "retained"]
    scored_on: Day
    score: float | None
    band: str | None
    published_band: str | None
    explanation: str


class DryRunTally(BaseModel):
    accounts: int
    red: int
    yellow: int
    green: int
    unscored: int


class DryRunOut(BaseModel):
    scorecard_id: int
    published_scorecard_id: int | None
    horizon_days: int
    churned_within_days: int
    churned: DryRunTally = Field(description="Churned accounts, scored horizon_days before")
    retained: DryRunTally = Field(description="Accounts still customers, scored horizon_days ago")
    published_churned: DryRunTally | None
    published_retained: DryRunTally | None
    with_usage: int = Field(description="Of the scored accounts, how many had usage data then")
    accounts: list[DryRunAccount]


class MeasureIn(InputModel):
    value: float
    as_of: Day | None = Field(default=None, description="The day it describes (default: today)")

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class MeasureOut(BaseModel):
    key: str
    value: float
    as_of: Day
