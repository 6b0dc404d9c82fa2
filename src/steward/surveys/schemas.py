from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from steward.core.schemas import Day, InputModel, Instant, Name, OutputModel, PositiveId
from steward.surveys.models import SurveyKind


class SurveySend(InputModel):
    kind: SurveyKind
    name: Name
    question: str | None = Field(
        default=None, min_length=5, max_length=500, description="Default: the standard question"
    )
    contact_ids: list[PositiveId] = Field(min_length=1, max_length=5000)
    expires_in_days: int = Field(default=30, ge=1, le=180)


class SurveyOut(OutputModel):
    id: int
    kind: SurveyKind
    name: str
    question: str
    created_by_id: int | None
    created_at: Instant


class SkippedContact(BaseModel):
    contact_id: int
    reason: str


class SurveySendResult(BaseModel):
    survey: SurveyOut
    invited: int
    skipped: list[SkippedContact] = Field(description="Contacts not invited, each with why")


class SurveyAnswer(InputModel):
    score: int
    comment: str | None = Field(default=None, max_length=5000)


class SurveyResponseOut(OutputModel):
    id: int
    survey_id: int
    account_id: int
    contact_id: int
    kind: SurveyKind
    score: int
    category: str = Field(description="promoter/passive/detractor (NPS), satisfied/not (CSAT)")
    comment: str | None
    responded_at: Instant


class ResultsBy(StrEnum):
    ALL = "all"
    ACCOUNT = "account"
    SEGMENT = "segment"
    OWNER = "owner"
    MONTH = "month"
    QUARTER = "quarter"


class SurveyResultsQuery(BaseModel):
    kind: SurveyKind = SurveyKind.NPS
    start: Day | None = Field(default=None, description="First day (default: a year ago)")
    end: Day | None = Field(default=None, description="Last day (default: today)")
    by: ResultsBy = ResultsBy.ALL


class SurveyResultRow(BaseModel):
    group: str
    label: str
    responses: int
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None
    nps: float | None = Field(default=None, description="% promoters − % detractors, −100…100")
    satisfied: int | None = None
    csat: float | None = Field(default=None, description="Share of 4–5 answers, in %")


class SurveyResults(BaseModel):
    kind: SurveyKind
    start: Day
    end: Day
    by: ResultsBy
    rows: list[SurveyResultRow]
