from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import ArchivableMixin, Base, TimestampMixin, UTCDateTime
from steward.db.revision import derived_column


class Segment(StrEnum):
    SMB = "smb"
    MID_MARKET = "mid_market"
    ENTERPRISE = "enterprise"


class Tier(StrEnum):
    STANDARD = "standard"
    KEY = "key"
    STRATEGIC = "strategic"


class LifecycleStage(StrEnum):
    PROSPECT = "prospect"
    ONBOARDING = "onboarding"
    ADOPTING = "adopting"
    MATURE = "mature"
    AT_RISK = "at_risk"
    CHURNED = "churned"


# Stages of a paying customer: the ones check-ins, rules and digests look at.
CUSTOMER_STAGES = tuple(
    s for s in LifecycleStage if s not in (LifecycleStage.PROSPECT, LifecycleStage.CHURNED)
)


class Account(TimestampMixin, ArchivableMixin, Base):
    __tablename__ = "accounts"
    # In the book of whoever holds a seat on it or on an ancestor (steward.accounts.policy).
    __book__ = "id"
    __table_args__ = (
        Index("ix_accounts_owner_am_name", "owner_am_id", "name"),
        Index("ix_accounts_next_renewal", "next_renewal_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    industry: Mapped[str | None] = mapped_column(String(80), index=True)
    segment: Mapped[str] = mapped_column(String(20), index=True)
    tier: Mapped[str] = mapped_column(String(20), index=True)
    lifecycle_stage: Mapped[str] = mapped_column(String(20), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    owner_am_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    csm_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    ae_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    strategist_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Roll-ups kept current by the contracts and activities services (never written by clients):
    # listing a book of thousands must not aggregate line items on every request.
    arr_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    next_renewal_date: Mapped[date | None] = mapped_column(Date)
    # The first day on which arr_minor/next_renewal_date may change without a write
    # (a line item starts or ends); the daily refresh recomputes only those accounts.
    revenue_valid_until: Mapped[date | None] = mapped_column(Date, index=True)
    last_touch_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=derived_column("activities")
    )
    # The latest QBR or EBR on the account, held or booked, kept with last_touch_at
    # (steward.activities.service): before now it is the last one held, from now on one is
    # booked, so whether a QBR is due reads one column (steward.activities.cadence).
    latest_qbr_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=derived_column("activities")
    )
    # The latest health score (kept by `steward score`), its band and the change since the
    # score before: My Book sorts and filters on them without reading the history.
    health_score: Mapped[float | None] = mapped_column(Float)
    health_band: Mapped[str | None] = mapped_column(String(10), index=True)
    health_change: Mapped[float | None] = mapped_column(Float)
    # The day the current band began (rules act on an account entering a band).
    health_band_since: Mapped[date | None] = mapped_column(Date)
    # The usage behind the latest health score (kept by `steward score`, the values its
    # scorecard scored): distinct active users in 30 days, and licence utilisation, key-feature
    # adoption and the 30-day usage trend as fractions (0.5 = 50 %). Segments filter on them.
    active_users_30d: Mapped[int | None] = mapped_column()
    utilisation: Mapped[float | None] = mapped_column(Float)
    adoption: Mapped[float | None] = mapped_column(Float)
    usage_trend: Mapped[float | None] = mapped_column(Float)
    # Roll-up of the latest churn score (churn.service), for My Book's sort and filter.
    churn_probability: Mapped[float | None] = mapped_column(Float)
    # Set when this account was merged into another (it is archived then): its id and
    # external id keep resolving to the survivor.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class AccountAncestor(Base):
    """Closure table of the account hierarchy: (account, ancestor, depth), depth 0 = itself.

    Book-of-business scoping includes the children of an account one is assigned to;
    with this table that is a join, not a recursive query on every request.
    """

    __tablename__ = "account_ancestors"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    ancestor_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    depth: Mapped[int] = mapped_column(default=0)


class AssignRole(StrEnum):
    """Who on the account team gets the work (the AM when that role is empty)."""

    OWNER_AM = "owner_am"
    CSM = "csm"
    AE = "ae"
    STRATEGIST = "strategist"

    def pick(self, account: Any) -> int | None:
        """The account team member in this role (anything with the account's *_id fields)."""
        chosen: int | None = getattr(account, f"{self.value}_id")
        return chosen or account.owner_am_id


class AccountDomain(Base):
    """A further e-mail domain of an account (its own `domain` is the first): mail from any of
    them, or from their subdomains, is the account's."""

    __tablename__ = "account_domains"
    __book__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
