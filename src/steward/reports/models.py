"""Saved reports and dashboards: each private to its owner or shared with a team
(`users.sharing`). A saved report keeps the question, never the answer: it runs for whoever
reads it, over the reader's book."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import ArchivableMixin, Base, TimestampMixin


class SavedReport(TimestampMixin, ArchivableMixin, Base):
    __tablename__ = "saved_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    # The body of POST /api/v1/reports/run: measure, group_by, segment_id, from, to.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    chart: Mapped[str] = mapped_column(String(10), default="bar")  # bar, line, table
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class Dashboard(TimestampMixin, ArchivableMixin, Base):
    __tablename__ = "dashboards"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class DashboardTile(Base):
    """A saved report on a dashboard, once (the unique pair: two clicks add one tile)."""

    __tablename__ = "dashboard_tiles"
    __table_args__ = (UniqueConstraint("dashboard_id", "report_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dashboard_id: Mapped[int] = mapped_column(ForeignKey("dashboards.id", ondelete="CASCADE"))
    report_id: Mapped[int] = mapped_column(ForeignKey("saved_reports.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
