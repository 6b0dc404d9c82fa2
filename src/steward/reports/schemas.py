from __future__ import annotations

from pydantic import Field

from steward.core.schemas import InputModel, OutputModel, PositiveId

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class ReportRun(InputModel):
    measure: str = Field(description="A measure of GET /api/v1/reports/measures")
    group_by: list[str] = Field(
        default_factory=list,
        max_length=2,
        description="Up to two of the measure's dimensions (a custom field as cf.<key>)",
    )
    segment_id: PositiveId | None = Field(
        None, description="Only the accounts of this saved segment (account measures)"
    )
    from_month: str | None = Field(
        None, alias="from", pattern=MONTH, description="First month, YYYY-MM (revenue measures)"
    )
    to_month: str | None = Field(
        None, alias="to", pattern=MONTH, description="Last month, YYYY-MM (default: this one)"
    )


class ReportRow(OutputModel):
    dimensions: dict[str, str] = Field(description="The row's value of each dimension")
    value: float | None = Field(description="None where the measure is undefined (no base)")


class ReportResult(OutputModel):
    measure: str
    label: str
    unit: str = Field(description="count, money, ratio")
    counts: str = Field(description="What the figure counts, in words")
    group_by: list[str]
    from_month: str | None = Field(None, serialization_alias="from")
    to_month: str | None = Field(None, serialization_alias="to")
    currency: str
    rows: list[ReportRow]


class MeasureOut(OutputModel):
    key: str
    label: str
    unit: str
    counts: str
    dimensions: list[str]
    takes_segment: bool
    takes_period: bool
    engine: str = Field(description="The module whose figures these are")
