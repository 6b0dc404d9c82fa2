from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import Base, TimestampMixin


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
