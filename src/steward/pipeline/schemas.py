from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints

from steward.core.dates import QUARTER_PATTERN
from steward.core.schemas import Amount, InputModel, OutputModel, PositiveId
from steward.opportunities.models import ForecastCategory, Stage
from steward.pipeline.models import QuotaKind

Quarter = Annotated[str, StringConstraints(pattern=QUARTER_PATTERN), Field(examples=["2026-Q4"])]


class QuotaIn(InputModel):
    """Sets a person's target for a quarter (again: replaces the amount)."""

    user_id: PositiveId
    period: Quarter = Field(description="Calendar quarter, YYYY-Qn")
    kind: QuotaKind = Field(
        description="new_business: first-year ARR of won new deals (AEs); expansion: ARR added "
        "by won upsell and cross-sell deals (AMs)"
    )
    amount: Amount


class Attainment(OutputModel):
    """A quota against what has been credited, and the pipeline that could fill the rest."""

    quota: Decimal | None = Field(description="The target; null when none is set")
    credited: Decimal = Field(description="Won deals of the kind closed in the quarter")
    attainment: float | None = Field(description="credited ÷ quota (null without a quota)")
    open_pipeline: Decimal = Field(description="Open deals of the kind closing in the quarter")
    weighted_pipeline: Decimal = Field(description="The same, each at its win probability")
    pipeline_coverage: float | None = Field(
        description="open pipeline ÷ (quota − credited) (SPEC §3); null when nothing remains"
    )


class QuotaOut(Attainment):
    id: int
    user_id: int
    user_name: str
    period: str
    kind: QuotaKind


class BoardCard(OutputModel):
    id: int
    account_id: int
    account_name: str
    name: str
    type: str
    amount: Decimal
    weighted_amount: Decimal
    probability: int
    close_date: str
    forecast_category: ForecastCategory
    version: int


class BoardColumn(OutputModel):
    stage: Stage
    label: str
    cards: list[BoardCard]
    amount: Decimal
    weighted_amount: Decimal


class CategoryTotal(OutputModel):
    forecast_category: ForecastCategory
    deals: int
    amount: Decimal
    weighted_amount: Decimal


class PipelineBoard(OutputModel):
    owner_id: int
    period: str
    columns: list[BoardColumn]
    categories: list[CategoryTotal]
    amount: Decimal
    weighted_amount: Decimal
    attainment: dict[str, Attainment]
