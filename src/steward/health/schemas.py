"""API shapes of account health."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from steward.core.schemas import InputModel


class ComponentOut(BaseModel):
    measure: str
    value: float
    points: float
    weight: float


class ScoreOut(BaseModel):
    as_of: date
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
    expires_on: date
    created_by_id: int | None
    created_at: datetime


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
    expires_on: date
