from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import ArchivableMixin, Base, TimestampMixin, UTCDateTime, utcnow

# Billing vocabulary is defined with products (a product has a default billing period).
from steward.products.models import MONTHS_PER_PERIOD as MONTHS_PER_PERIOD
from steward.products.models import BillingPeriod as BillingPeriod

# A renewal signed within this many days of the end still counts as one (SPEC §3).
RENEWAL_GRACE_DAYS = 30


class LineItemKind(StrEnum):
    INITIAL = "initial"
    UPSELL = "upsell"
    CROSS_SELL = "cross_sell"
    DOWNGRADE = "downgrade"
    PRICE_CHANGE = "price_change"
    RENEWAL = "renewal"


class Contract(TimestampMixin, ArchivableMixin, Base):
    __tablename__ = "contracts"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    # Exclusive: the contract covers start_date <= day < end_date.
    end_date: Mapped[date] = mapped_column(Date, index=True)
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    # Indexed: "is this contract renewed?" is an EXISTS on it (renewals, the renewal rule).
    renewal_of_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    notes: Mapped[str | None] = mapped_column(String(2000))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class LineItem(Base):
    """One priced product on a contract for a period. Never edited: amendments add rows."""

    __tablename__ = "line_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=LineItemKind.INITIAL)
    quantity: Mapped[int] = mapped_column(default=1)
    # Price of one unit for one billing period, minor units of the contract currency.
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    billing_period: Mapped[str] = mapped_column(String(20))
    discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)  # exclusive
    # The line item this one replaced from its start date (an amendment), if any.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("line_items.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
