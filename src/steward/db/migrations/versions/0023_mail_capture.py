"""mail capture: mailboxes, captured messages and threads, the review queue, account
domains, capture levels, departed contacts

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from steward.db.base import UTCDateTime

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_capture_levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_capture_levels_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_capture_levels")),
        sa.UniqueConstraint("team_id", name=op.f("uq_team_capture_levels_team_id")),
    )
    op.create_table(
        "capture_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_capture_preferences_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capture_preferences")),
        sa.UniqueConstraint("user_id", name=op.f("uq_capture_preferences_user_id")),
    )
    op.create_table(
        "mailboxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("security", sa.String(length=10), nullable=False),
        sa.Column("username", sa.String(length=320), nullable=False),
        sa.Column("auth", sa.String(length=10), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("token_url", sa.String(length=500), nullable=True),
        sa.Column("client_id", sa.String(length=300), nullable=True),
        sa.Column("client_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("refresh_token_encrypted", sa.Text(), nullable=True),
        sa.Column("access_token_expires_at", UTCDateTime(), nullable=True),
        sa.Column("folders", sa.Text(), nullable=False),
        sa.Column("excluded_folders", sa.Text(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("last_sync_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_mailboxes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailboxes")),
    )
    op.create_index(op.f("ix_mailboxes_user_id"), "mailboxes", ["user_id"], unique=False)
    op.create_table(
        "account_domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_domains_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_domains")),
        sa.UniqueConstraint("domain", name=op.f("uq_account_domains_domain")),
    )
    op.create_index(
        op.f("ix_account_domains_account_id"), "account_domains", ["account_id"], unique=False
    )
    op.create_table(
        "capture_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("sample_address", sa.String(length=320), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("assigned_account_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_account_id"],
            ["accounts.id"],
            name=op.f("fk_capture_review_assigned_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_capture_review_decided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capture_review")),
        sa.UniqueConstraint("domain", name=op.f("uq_capture_review_domain")),
    )
    op.create_index(op.f("ix_capture_review_status"), "capture_review", ["status"], unique=False)
    op.create_table(
        "mailbox_folders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("next_uid", sa.BigInteger(), nullable=False),
        sa.Column("highest_modseq", sa.BigInteger(), nullable=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("synced_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mailbox_id"], ["mailboxes.id"], name=op.f("fk_mailbox_folders_mailbox_id_mailboxes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailbox_folders")),
        sa.UniqueConstraint("mailbox_id", "name", name=op.f("uq_mailbox_folders_mailbox_id")),
    )
    op.create_index(
        op.f("ix_mailbox_folders_mailbox_id"), "mailbox_folders", ["mailbox_id"], unique=False
    )
    op.create_table(
        "mail_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("pending_domain", sa.String(length=255), nullable=True),
        sa.Column("first_at", UTCDateTime(), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_mail_threads_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_mail_threads_activity_id_activities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_threads")),
        sa.UniqueConstraint("activity_id", name=op.f("uq_mail_threads_activity_id")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_mail_threads_key_hash")),
    )
    op.create_index(
        op.f("ix_mail_threads_account_id"), "mail_threads", ["account_id"], unique=False
    )
    op.create_index(
        op.f("ix_mail_threads_pending_domain"), "mail_threads", ["pending_domain"], unique=False
    )
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("to_addresses", sa.Text(), nullable=False),
        sa.Column("cc_addresses", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("attachments", sa.Text(), nullable=False),
        sa.Column("authentication", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_mail_messages_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["mail_threads.id"], name=op.f("fk_mail_messages_thread_id_mail_threads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_messages")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_mail_messages_id_hash")),
    )
    op.create_index(
        op.f("ix_mail_messages_account_id"), "mail_messages", ["account_id"], unique=False
    )
    op.create_index(op.f("ix_mail_messages_sent_at"), "mail_messages", ["sent_at"], unique=False)
    op.create_index(
        op.f("ix_mail_messages_thread_id"), "mail_messages", ["thread_id"], unique=False
    )
    op.create_table(
        "mail_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_mail_participants_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["mail_messages.id"],
            name=op.f("fk_mail_participants_message_id_mail_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_participants")),
        sa.UniqueConstraint("message_id", "address", name=op.f("uq_mail_participants_message_id")),
    )
    op.create_index(
        op.f("ix_mail_participants_address"), "mail_participants", ["address"], unique=False
    )
    op.create_index(
        op.f("ix_mail_participants_contact_id"), "mail_participants", ["contact_id"], unique=False
    )
    op.create_index(
        op.f("ix_mail_participants_message_id"), "mail_participants", ["message_id"], unique=False
    )
    op.create_table(
        "mail_sightings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["mail_messages.id"],
            name=op.f("fk_mail_sightings_message_id_mail_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mail_sightings_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_sightings")),
        sa.UniqueConstraint(
            "message_id", "user_id", "origin", name=op.f("uq_mail_sightings_message_id")
        ),
    )
    op.create_index(
        op.f("ix_mail_sightings_message_id"), "mail_sightings", ["message_id"], unique=False
    )
    op.create_index(op.f("ix_mail_sightings_origin"), "mail_sightings", ["origin"], unique=False)
    op.create_index(op.f("ix_mail_sightings_user_id"), "mail_sightings", ["user_id"], unique=False)
    op.add_column("contacts", sa.Column("departed_at", UTCDateTime(), nullable=True))
    op.add_column("contacts", sa.Column("departed_reason", sa.String(length=300), nullable=True))


def downgrade() -> None:
    op.drop_column("contacts", "departed_reason")
    op.drop_column("contacts", "departed_at")
    op.drop_index(op.f("ix_mail_sightings_user_id"), table_name="mail_sightings")
    op.drop_index(op.f("ix_mail_sightings_origin"), table_name="mail_sightings")
    op.drop_index(op.f("ix_mail_sightings_message_id"), table_name="mail_sightings")
    op.drop_table("mail_sightings")
    op.drop_index(op.f("ix_mail_participants_message_id"), table_name="mail_participants")
    op.drop_index(op.f("ix_mail_participants_contact_id"), table_name="mail_participants")
    op.drop_index(op.f("ix_mail_participants_address"), table_name="mail_participants")
    op.drop_table("mail_participants")
    op.drop_index(op.f("ix_mail_messages_thread_id"), table_name="mail_messages")
    op.drop_index(op.f("ix_mail_messages_sent_at"), table_name="mail_messages")
    op.drop_index(op.f("ix_mail_messages_account_id"), table_name="mail_messages")
    op.drop_table("mail_messages")
    op.drop_index(op.f("ix_mail_threads_pending_domain"), table_name="mail_threads")
    op.drop_index(op.f("ix_mail_threads_account_id"), table_name="mail_threads")
    op.drop_table("mail_threads")
    op.drop_index(op.f("ix_mailbox_folders_mailbox_id"), table_name="mailbox_folders")
    op.drop_table("mailbox_folders")
    op.drop_index(op.f("ix_capture_review_status"), table_name="capture_review")
    op.drop_table("capture_review")
    op.drop_index(op.f("ix_account_domains_account_id"), table_name="account_domains")
    op.drop_table("account_domains")
    op.drop_index(op.f("ix_mailboxes_user_id"), table_name="mailboxes")
    op.drop_table("mailboxes")
    op.drop_table("capture_preferences")
    op.drop_table("team_capture_levels")
