from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, String, false
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import ArchivableMixin, Base, TimestampMixin


class BillingPeriod(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"
    ONE_TIME = "one_time"


# Months in one billing period; one-time fees have no recurring value (SPEC §3).
MONTHS_PER_PERIOD: dict[str, int | None] = {
    BillingPeriod.MONTHLY: 1,
    BillingPeriod.QUARTERLY: 3,
    BillingPeriod.ANNUAL: 12,
    BillingPeriod.ONE_TIME: None,
}


class Product(TimestampMixin, ArchivableMixin, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    family: Mapped[str | None] = mapped_column(String(80))
    # List price per unit per billing period, in minor units of the workspace currency.
    list_price_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    billing_period: Mapped[str] = mapped_column(String(20), default="annual")
    is_recurring: Mapped[bool] = mapped_column(Boolean, default=True)
    # Sold per user seat: its quantities are the licensed seats usage is measured against.
    is_per_seat: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
