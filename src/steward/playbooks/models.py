"""Playbooks (steps that become tasks) and rules (trigger → conditions → actions), with a run
log that says why each rule fired (SPEC §2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import ArchivableMixin, Base, TimestampMixin, UTCDateTime, utcnow


class Playbook(TimestampMixin, ArchivableMixin, Base):
    __tablename__ = "playbooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    steps: Mapped[str] = mapped_column(Text)  # JSON list of PlaybookStep
    # Share of eligible accounts (%) held out at random: no tasks, so the report can compare.
    holdout_percent: Mapped[int] = mapped_column(default=0)


class Rule(TimestampMixin, ArchivableMixin, Base):
    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger: Mapped[str] = mapped_column(Text)  # JSON Trigger
    conditions: Mapped[str] = mapped_column(Text)  # JSON Conditions
    actions: Mapped[str] = mapped_column(Text)  # JSON list of Action
    cooldown_days: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RuleRun(Base):
    """One firing. Unique per rule and event: a rule never fires twice for the same event,
    whichever worker gets there first."""

    __tablename__ = "rule_runs"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"
    __table_args__ = (
        UniqueConstraint("rule_id", "event_key"),
        Index("ix_rule_runs_account_fired", "account_id", "fired_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    event_key: Mapped[str] = mapped_column(String(200))
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10))  # fired | held_out
    playbook_id: Mapped[int | None] = mapped_column(ForeignKey("playbooks.id"), index=True)
    reason: Mapped[str] = mapped_column(String(1000))  # what happened, in a sentence
    matched: Mapped[str] = mapped_column(Text)  # JSON: each condition with the account's value
    facts: Mapped[str] = mapped_column(Text)  # JSON: the band, score, ARR… at the time
    results: Mapped[str] = mapped_column(Text)  # JSON list: what each action did
