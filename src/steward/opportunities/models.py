from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, text
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
