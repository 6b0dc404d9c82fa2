"""calendar capture: calendar accounts and feeds, meetings, their customer-side attendees and
the calendars holding them

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from steward.db.base import UTCDateTime

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("url_encrypted", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("username", sa.String(length=320), nullable=True),
        sa.Column("secret_encrypted", sa.Text(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("last_sync_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("meetings_seen", sa.Integer(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_calendar_sources_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_sources")),
    )
    op.create_index(
        op.f("ix_calendar_sources_user_id"), "calendar_sources", ["user_id"], unique=False
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("uid", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("pending_domain", sa.String(length=255), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("organizer", sa.String(length=320), nullable=True),
        sa.Column("attendees", sa.Text(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_meetings_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_meetings_activity_id_activities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("activity_id", name=op.f("uq_meetings_activity_id")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_meetings_key_hash")),
    )
    op.create_index(op.f("ix_meetings_account_id"), "meetings", ["account_id"], unique=False)
    op.create_index(
        op.f("ix_meetings_pending_domain"), "meetings", ["pending_domain"], unique=False
    )
    op.create_index(op.f("ix_meetings_starts_at"), "meetings", ["starts_at"], unique=False)
    op.create_table(
        "meeting_attendees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_meeting_attendees_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_attendees_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_attendees")),
        sa.UniqueConstraint("meeting_id", "address", name=op.f("uq_meeting_attendees_meeting_id")),
    )
    op.create_index(
        op.f("ix_meeting_attendees_address"), "meeting_attendees", ["address"], unique=False
    )
    op.create_index(
        op.f("ix_meeting_attendees_contact_id"), "meeting_attendees", ["contact_id"], unique=False
    )
    op.create_index(
        op.f("ix_meeting_attendees_meeting_id"), "meeting_attendees", ["meeting_id"], unique=False
    )
    op.create_table(
        "meeting_sightings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["calendar_sources.id"],
            name=op.f("fk_meeting_sightings_calendar_id_calendar_sources"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_sightings_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_meeting_sightings_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_sightings")),
        sa.UniqueConstraint(
            "meeting_id", "calendar_id", name=op.f("uq_meeting_sightings_meeting_id")
        ),
    )
    op.create_index(
        op.f("ix_meeting_sightings_calendar_id"), "meeting_sightings", ["calendar_id"], unique=False
    )
    op.create_index(
        op.f("ix_meeting_sightings_meeting_id"), "meeting_sightings", ["meeting_id"], unique=False
    )
    op.create_index(
        op.f("ix_meeting_sightings_user_id"), "meeting_sightings", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("meeting_sightings")
    op.drop_table("meeting_attendees")
    op.drop_table("meetings")
    op.drop_table("calendar_sources")
