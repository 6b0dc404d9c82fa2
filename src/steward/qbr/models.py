"""The workspace's pack template, and one row per account and quarter a pack was made for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import Base, TimestampMixin, UTCDateTime, utcnow

# The sections of a pack, in the order they appear; a template leaves some out.
SECTIONS = {
    "outcomes": "Outcomes and milestones",
    "health": "Health",
    "usage": "Usage and licences",
    "escalations": "Escalations",
    "surveys": "NPS and CSAT",
    "value": "Value delivered",
    "renewal": "Renewal",
    "whitespace": "Whitespace",
    "next_period": "Plan for next quarter",
}
DEFAULT_PRIMARY = "#1f3a8a"
DEFAULT_ACCENT = "#2563eb"


class QbrTemplate(TimestampMixin, Base):
    """How packs look: one row for the workspace (absent: the defaults)."""

    __tablename__ = "qbr_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_name: Mapped[str | None] = mapped_column(String(200))
    primary_color: Mapped[str] = mapped_column(String(7), default=DEFAULT_PRIMARY)
    accent_color: Mapped[str] = mapped_column(String(7), default=DEFAULT_ACCENT)
    # A PNG or JPEG, drawn on the title slide and page.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_type: Mapped[str | None] = mapped_column(String(40))
    sections: Mapped[str] = mapped_column(Text, default=",".join(SECTIONS))


class QbrPack(Base):
    """A pack made for an account and a quarter, and the QBR activity drafted for it. The
    unique key keeps one draft however often the pack is made again."""

    __tablename__ = "qbr_packs"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"
    __table_args__ = (UniqueConstraint("account_id", "period", name="uq_qbr_packs_account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    period: Mapped[str] = mapped_column(String(7))  # 2026-Q3
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    generated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    generations: Mapped[int] = mapped_column(default=1)
