from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import Base


class TinyNote(Base):
    __tablename__ = "tiny_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    text: Mapped[str] = mapped_column(String(200))
