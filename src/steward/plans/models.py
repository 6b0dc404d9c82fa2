"""Success plans (the client's outcomes and the milestones towards them) and account plans."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import ArchivableMixin, Base, TimestampMixin, UTCDateTime, utcnow


class PlanStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ACHIEVED = "achieved"
    CLOSED = "closed"  # abandoned or superseded


class OutcomeStatus(StrEnum):
    OPEN = "open"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    ACHIEVED = "achieved"
    MISSED = "missed"


class MilestoneStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    SKIPPED = "skipped"


FINISHED_MILESTONE = (MilestoneStatus.DONE, MilestoneStatus.SKIPPED)


class SuccessPlan(TimestampMixin, ArchivableMixin, Base):
    __tablename__ = "success_plans"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=PlanStatus.ACTIVE)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    start_date: Mapped[date | None] = mapped_column(Date)
    target_date: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class PlanOutcome(Base):
    """One outcome the client bought the product for, and how both sides will know it."""

    __tablename__ = "plan_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("success_plans.id"), index=True)
    description: Mapped[str] = mapped_column(String(500))
    success_measure: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=OutcomeStatus.OPEN)
    position: Mapped[int] = mapped_column(default=0)


class Milestone(TimestampMixin, Base):
    """A dated step with an owner, in a success plan or an onboarding project.

    The account is kept on the row so the book-of-business rule reads it directly.
    """

    __tablename__ = "milestones"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"
    __table_args__ = (Index("ix_milestones_owner_due", "owner_id", "status", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    success_plan_id: Mapped[int | None] = mapped_column(ForeignKey("success_plans.id"), index=True)
    outcome_id: Mapped[int | None] = mapped_column(ForeignKey("plan_outcomes.id"))
    onboarding_project_id: Mapped[int | None] = mapped_column(
        ForeignKey("onboarding_projects.id"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A milestone the customer's side owns (a contact of the account): they can mark it done
    # through a shared plan's link.
    contact_owner_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=MilestoneStatus.PLANNED)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    position: Mapped[int] = mapped_column(default=0)
    # Reaching this milestone means the client got first value: time-to-value ends here.
    marks_value: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class PlanShare(Base):
    """One contact's personal link to one success plan. Only the SHA-256 of the link's token
    is kept (as for survey links): the link exists only where it was handed over."""

    __tablename__ = "plan_shares"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("success_plans.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PlanComment(Base):
    """A comment on a success plan (or one of its milestones), by a contact through their link
    or by a colleague."""

    __tablename__ = "plan_comments"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("success_plans.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlanMetric(TimestampMixin, Base):
    """A figure the customer keeps for an outcome: how their side measures it (where it
    started, where it is, where it should get to). Steward's side is the outcome's measure."""

    __tablename__ = "plan_metrics"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("success_plans.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    outcome_id: Mapped[int | None] = mapped_column(ForeignKey("plan_outcomes.id"))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(40))
    baseline: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    current: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    target: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    updated_by_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))


class AccountPlan(TimestampMixin, Base):
    """The growth plan of a key or strategic account: one per account, revised in place."""

    __tablename__ = "account_plans"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    period: Mapped[str | None] = mapped_column(String(40))
    strategy: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Our executive sponsor of the account (theirs is a contact whose role says so).
    executive_sponsor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class GoalStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"
    DROPPED = "dropped"


class AccountPlanGoal(Base):
    __tablename__ = "account_plan_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("account_plans.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    # Optional product the goal is about (an upsell or cross-sell target), and its value.
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    target_arr_minor: Mapped[int | None] = mapped_column(BigInteger)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=GoalStatus.OPEN)
    position: Mapped[int] = mapped_column(default=0)
