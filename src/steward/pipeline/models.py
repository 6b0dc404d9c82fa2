from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import ArchivableMixin, Base, TimestampMixin, UTCDateTime


class QuotaKind(StrEnum):
    """What a quota counts (SPEC §3): an AE is credited the first-year ARR of won new-business
    deals, an AM the ARR added by won upsell and cross-sell deals. Renewals are measured by
    renewal rate, not quota."""

    NEW_BUSINESS = "new_business"
    EXPANSION = "expansion"


class Quota(TimestampMixin, Base):
    """A person's target for a calendar quarter, in the workspace currency. Not an
    account's record: readable by the person, the leads of their team and those who see all
    (steward.pipeline.quotas)."""

    __tablename__ = "quotas"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-Qn
    kind: Mapped[str] = mapped_column(String(20))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One target per person, quarter and kind: setting it again replaces the amount.
        UniqueConstraint("user_id", "period", "kind", name="uq_quotas_user_period_kind"),
    )


class LeadSource(StrEnum):
    WEB = "web"
    REFERRAL = "referral"
    EVENT = "event"
    OUTBOUND = "outbound"
    PARTNER = "partner"
    OTHER = "other"


class LeadStatus(StrEnum):
    NEW = "new"
    WORKING = "working"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"
    CONVERTED = "converted"


class Timeline(StrEnum):
    """When the buyer means to buy (the T of BANT)."""

    THIS_QUARTER = "this_quarter"
    NEXT_QUARTER = "next_quarter"
    THIS_YEAR = "this_year"
    LATER = "later"
    UNKNOWN = "unknown"


class Lead(TimestampMixin, ArchivableMixin, Base):
    """A company and a person an AE may sell to, before they are an account. Not an account's
    record: readable by its owner, its team's lead and those who see all
    (steward.pipeline.leads)."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    company: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(150))
    source: Mapped[str] = mapped_column(String(20), default=LeadSource.WEB)
    status: Mapped[str] = mapped_column(String(20), default=LeadStatus.NEW, index=True)
    industry: Mapped[str | None] = mapped_column(String(80))
    segment: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(60))
    # Qualification (BANT): budget and authority confirmed, the need in words, the timeline.
    budget_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    authority_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    need: Mapped[str | None] = mapped_column(String(1000))
    timeline: Mapped[str] = mapped_column(String(20), default=Timeline.UNKNOWN)
    score: Mapped[int] = mapped_column(default=0, index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    routed_by_rule_id: Mapped[int | None] = mapped_column(ForeignKey("lead_routing_rules.id"))
    disqualified_reason: Mapped[str | None] = mapped_column(String(500))
    converted_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    converted_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    converted_opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id"))
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class LeadRoutingRule(TimestampMixin, Base):
    """Routes a new lead to a team when its segment, region and industry match (a blank
    condition matches anything); the first matching rule by position wins; within the team,
    the lead goes round robin to its AEs."""

    __tablename__ = "lead_routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(120))
    segment: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(60))
    industry: Mapped[str | None] = mapped_column(String(80))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
