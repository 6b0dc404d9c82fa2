"""A saved segment: a named account filter, private to its owner or shared with a team."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import ArchivableMixin, Base, TimestampMixin


class SavedSegment(TimestampMixin, ArchivableMixin, Base):
    """Evaluated when used, for whoever uses it: the accounts it holds today, of the reader's
    book (the book rule applies to a shared segment as to every list)."""

    __tablename__ = "saved_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(2000))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Shared with this team (its members and its lead); None: the owner's alone.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    # The accounts list's filters (steward.accounts.schemas.AccountQuery) by name.
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Custom-field filters as the list takes them without `cf.`: {"region": "EMEA", …}.
    custom_fields: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
