from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import Base, TimestampMixin


class ExchangeRate(TimestampMixin, Base):
    """Units of the workspace currency one unit of `currency` was worth in a month.

    Revenue of a month is converted at the latest rate at or before it, so Finance and CS
    report the same numbers (SPEC §3)."""

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("currency", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    month: Mapped[date] = mapped_column(Date)  # first day of the month
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))
