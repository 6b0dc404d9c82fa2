from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from steward.core.schemas import InputModel, Instant, Name, OutputModel, PositiveId

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


Chart = Literal["bar", "line", "table"]
TEAM: Any = Field(
    None, description="Share with this team (its members and lead); leave out to keep private"
)


class SavedReportIn(ReportRun):
    """A report to keep: the question of POST /api/v1/reports/run, named. It runs for whoever
    reads it, over the reader's book."""

    name: Name
    team_id: PositiveId | None = TEAM
    chart: Chart = Field("bar", description="How pages draw it: bar, line or table")


class SavedReportPatch(InputModel):
    """Only the fields sent change; a changed question is checked as a new one."""

    name: Name | None = None
    team_id: PositiveId | None = None
    chart: Chart | None = None
    measure: str | None = None
    group_by: list[str] | None = Field(None, max_length=2)
    segment_id: PositiveId | None = None
    from_month: str | None = Field(None, alias="from", pattern=MONTH)
    to_month: str | None = Field(None, alias="to", pattern=MONTH)


class SavedReportOut(OutputModel):
    id: int
    name: str
    owner_id: int
    team_id: int | None
    chart: str
    measure: str
    group_by: list[str]
    segment_id: int | None
    from_month: str | None = Field(None, serialization_alias="from")
    to_month: str | None = Field(None, serialization_alias="to")
    created_at: Instant
    updated_at: Instant


class DashboardIn(InputModel):
    name: Name
    team_id: PositiveId | None = TEAM


class DashboardPatch(InputModel):
    name: Name | None = None
    team_id: PositiveId | None = None


class TileIn(InputModel):
    report_id: PositiveId = Field(description="A saved report you may read")


class TileOut(OutputModel):
    id: int
    report_id: int
    position: int


class DashboardOut(OutputModel):
    id: int
    name: str
    owner_id: int
    team_id: int | None
    tiles: list[TileOut]
    created_at: Instant
    updated_at: Instant
