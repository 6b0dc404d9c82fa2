from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field


class RepRow(BaseModel):
    """One rep's figures over the accounts where they hold their role's seat
    (steward.accounts.team_scope), within the reader's book."""

    user_id: int
    name: str
    role: str
    team: str | None
    seat: str = Field(description="owner_am_id, csm_id, ae_id or strategist_id")
    accounts: int = Field(description="Live accounts where they hold the seat")
    arr: Decimal = Field(description="Those accounts' ARR today")
    nrr: float | None = Field(description="Trailing 12 months to the period's last month")
    grr: float | None
    renewal_rate: float | None = Field(description="Contracts due in the period, share renewed")
    renewals_due: int
    quota: Decimal | None = Field(description="Quota of the role's kind for the period")
    credited: Decimal | None
    attainment: float | None
    pipeline_coverage: float | None
    activities_30d: int = Field(description="Activities they logged in the last 30 days")
    activities_by_type: dict[str, int]
    customers: int = Field(description="Of the accounts, those in a customer stage")
    checkins_due: int = Field(description="Customers due a check-in by their tier's cadence")
    checkin_compliance: float | None = Field(description="Share of customers not due")
    qbrs_due: int = Field(default=0, description="Customers due a QBR by their tier's QBR cadence")
    qbr_compliance: float | None = Field(
        default=None, description="Share of customers not due a QBR"
    )
    red_accounts: int
    red_share: float | None = Field(description="Red accounts ÷ accounts with a health band")


class TeamRow(BaseModel):
    """A team's totals: each account counted once, for the team it counts for."""

    team_id: int
    name: str
    lead: str | None
    accounts: int
    arr: Decimal
    nrr: float | None
    grr: float | None


class TeamPerformance(BaseModel):
    period: str
    window: str = Field(description="The NRR/GRR window, e.g. 2025-12 → 2026-12")
    currency: str
    teams: list[TeamRow]
    rows: list[RepRow]
