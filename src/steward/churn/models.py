"""Churn models (each version with its out-of-time validation) and the scores they gave."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import Base, UTCDateTime, utcnow


class ChurnModel(Base):
    """One trained version. `metrics` holds its out-of-time validation (AUC, Brier score, base
    rate, calibration table, the logistic-regression baseline); `artifact` the fitted model,
    written only by Steward itself (train command or worker) and read back with joblib."""

    __tablename__ = "churn_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    as_of: Mapped[date] = mapped_column(Date)  # history up to this day
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | retired
    trained_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rows: Mapped[int]
    positives: Mapped[int]
    metrics: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(Text)  # the typical customer reasons compare with
    # JSON {"renewal"|"in_term": {segment: [ratios]}} (churn.features.revenue_ratios): what
    # customers' ARR did at renewals and during terms; forecasts draw from it.
    revenue_ratios: Mapped[str] = mapped_column(Text, default="{}")
    # JSON churn.features.FeatureSet: the custom fields it learned from besides the built-in
    # features (null: none, a model from before custom features); scoring reads these.
    features: Mapped[str | None] = mapped_column(Text)
    library_version: Mapped[str] = mapped_column(String(40))
    artifact: Mapped[bytes] = mapped_column(LargeBinary)


class ChurnScore(Base):
    """An account's churn probability at its next renewal, as one model saw it on one day."""

    __tablename__ = "churn_scores"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"
    __table_args__ = (Index("ix_churn_scores_account_as_of", "account_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("churn_models.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    as_of: Mapped[date] = mapped_column(Date, index=True)
    probability: Mapped[float] = mapped_column(Float)
    renewal_date: Mapped[date] = mapped_column(Date)
    # ARR at the scoring day in the workspace currency: forecasts weigh the probability by it.
    arr_minor: Mapped[int | None] = mapped_column(BigInteger)
    reasons: Mapped[str] = mapped_column(Text)  # JSON list of {key, label, points, detail}
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
