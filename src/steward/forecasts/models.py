"""Stored forecasts: every figure Steward predicted, kept so it can be set beside what happened."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import Base, UTCDateTime, utcnow


class Forecast(Base):
    """One forecast of one figure for one period and scope.

    kind: `renewals` (ARR renewed, with expansion, of contracts ending in the period) or `arr`
    (ARR at the period's end). scope: `all`, `team:<id>` or `owner:<id>`. Amounts in minor
    units of the workspace currency. `actual_minor` is filled once the period has closed."""

    __tablename__ = "forecasts"
    __table_args__ = (Index("ix_forecasts_kind_period", "kind", "period_start", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(40), default="all")
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # inclusive
    made_on: Mapped[date] = mapped_column(Date)
    # Made by replaying the past (`steward forecast backtest`), not on `made_on` itself.
    backtest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    currency: Mapped[str] = mapped_column(String(3))
    expected_minor: Mapped[int] = mapped_column(BigInteger)
    p10_minor: Mapped[int] = mapped_column(BigInteger)
    p50_minor: Mapped[int] = mapped_column(BigInteger)
    p90_minor: Mapped[int] = mapped_column(BigInteger)
    churn_model_id: Mapped[int | None] = mapped_column(ForeignKey("churn_models.id"))
    details: Mapped[str] = mapped_column(Text, default="{}")
    actual_minor: Mapped[int | None] = mapped_column(BigInteger)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
