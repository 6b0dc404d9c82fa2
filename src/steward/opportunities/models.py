from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import ArchivableMixin, Base, TimestampMixin, UTCDateTime


class OpportunityType(StrEnum):
    NEW_BUSINESS = "new_business"
    RENEWAL = "renewal"
    UPSELL = "upsell"
    CROSS_SELL = "cross_sell"


class Stage(StrEnum):
    PROSPECTING = "prospecting"
    QUALIFICATION = "qualification"
    DISCOVERY = "discovery"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    CLOSED_WON = "closed_won"
    CLOSED_LOST = "closed_lost"


# Default win probability of each stage (%), as CRMs ship it; a rep may override it.
STAGE_PROBABILITY: dict[str, int] = {
    Stage.PROSPECTING: 10,
    Stage.QUALIFICATION: 20,
    Stage.DISCOVERY: 40,
    Stage.PROPOSAL: 60,
    Stage.NEGOTIATION: 80,
    Stage.CLOSED_WON: 100,
    Stage.CLOSED_LOST: 0,
}
CLOSED_STAGES = frozenset({Stage.CLOSED_WON, Stage.CLOSED_LOST})
OPEN_STAGES: tuple[Stage, ...] = tuple(s for s in Stage if s not in CLOSED_STAGES)


def weighted_amount(amount: Decimal, probability: int) -> Decimal:
    """A deal's amount at its win probability, to the cent (the API's `weighted_amount`, the
    pipeline board's totals)."""
    return (amount * probability / 100).quantize(Decimal("0.01"))


class ForecastCategory(StrEnum):
    PIPELINE = "pipeline"
    BEST_CASE = "best_case"
    COMMIT = "commit"
    CLOSED = "closed"
    OMITTED = "omitted"


LIVE_RENEWAL = "type = 'renewal' AND archived_at IS NULL AND contract_id IS NOT NULL"


class Opportunity(TimestampMixin, ArchivableMixin, Base):
    __tablename__ = "opportunities"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20), index=True)
    stage: Mapped[str] = mapped_column(String(20), index=True)
    probability: Mapped[int] = mapped_column(default=10)
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    close_date: Mapped[date] = mapped_column(Date, index=True)
    forecast_category: Mapped[str] = mapped_column(String(20), default=ForecastCategory.PIPELINE)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    # Months of the contract a won deal becomes (from the day it closes).
    term_months: Mapped[int] = mapped_column(default=12, server_default="12")
    close_reason: Mapped[str | None] = mapped_column(String(500))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One live renewal opportunity per contract: the renewal job relies on it, so two
        # processes running the job at once cannot open a contract's renewal twice.
        Index(
            "uq_opportunities_live_renewal_contract",
            "contract_id",
            unique=True,
            sqlite_where=text(LIVE_RENEWAL),
            postgresql_where=text(LIVE_RENEWAL),
        ),
    )


class OpportunityLineItem(Base):
    """What a deal sells, priced as a contract's line item is: a won deal's contract is made of
    these, so the deal's amount (their ARR) is the contract's ARR on its first day."""

    __tablename__ = "opportunity_line_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    billing_period: Mapped[str] = mapped_column(String(20))
    discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
