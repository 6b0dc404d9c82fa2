"""Onboarding: a project per new customer contract, from a template, and its time-to-value."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import ArchivableMixin, Base, TimestampMixin, UTCDateTime


class ProjectStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class OnboardingTemplate(TimestampMixin, ArchivableMixin, Base):
    """Steps (title, days after the contract starts, owner role, marks value) for a segment.

    `segment` None: the template for segments that have none of their own.
    """

    __tablename__ = "onboarding_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    segment: Mapped[str | None] = mapped_column(String(20))
    steps: Mapped[str] = mapped_column(Text)  # JSON list of OnboardingStep
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class OnboardingProject(TimestampMixin, ArchivableMixin, Base):
    __tablename__ = "onboarding_projects"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # One project per contract that starts a customer relationship.
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), unique=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("onboarding_templates.id"))
    name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default=ProjectStatus.ACTIVE, index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    # The due date of the milestone that marks value: the time-to-value target.
    target_value_on: Mapped[date | None] = mapped_column(Date)
    # When that milestone was done: time-to-value = value_reached_on - started_on.
    value_reached_on: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
