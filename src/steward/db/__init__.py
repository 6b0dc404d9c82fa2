"""Database access: engine, sessions, base classes and migrations."""

from steward.db.base import ArchivableMixin, Base, TimestampMixin, UTCDateTime, utcnow
from steward.db.engine import Database

__all__ = ["ArchivableMixin", "Base", "Database", "TimestampMixin", "UTCDateTime", "utcnow"]
