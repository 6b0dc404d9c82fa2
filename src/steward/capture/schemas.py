from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from steward.capture.models import CalendarKind, CaptureLevel, MailboxAuth, ReviewStatus, Security
from steward.core.schemas import InputModel, Instant, OutputModel, PositiveId

Host = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9.:\-\[\]]+$")
]
FolderName = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=8_000)]
DomainName = Annotated[
    str,
    StringConstraints(
        min_length=3,
        max_length=255,
        to_lower=True,
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    ),
]


class MailboxIn(InputModel):
    """Connect a mailbox: IMAP host and login. A password (or app password), or for Google
    Workspace and Microsoft 365 an OAuth access token with what renews it (docs/capture.md)."""

    host: Host
    port: int = Field(default=993, ge=1, le=65535)
    security: Security = Security.SSL
    username: Annotated[str, StringConstraints(min_length=1, max_length=320)]
    auth: MailboxAuth = MailboxAuth.PASSWORD
    password: Secret | None = None
    access_token: Secret | None = None
    refresh_token: Secret | None = None
    token_url: Annotated[str, StringConstraints(max_length=500, pattern=r"^https?://")] | None = (
        None
    )
    client_id: Annotated[str, StringConstraints(max_length=300)] | None = None
    client_secret: Secret | None = None
    expires_in: int | None = Field(default=None, ge=1, le=10**7)
    # Empty: the inbox and the sent folder.
    folders: list[FolderName] = Field(default_factory=list, max_length=100)
    excluded_folders: list[FolderName] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _credentials(self) -> MailboxIn:
        if self.auth == MailboxAuth.PASSWORD and not self.password:
            raise ValueError("password: give the mailbox's password or app password")
        if self.auth == MailboxAuth.XOAUTH2 and not self.access_token:
            raise ValueError("access_token: give the OAuth access token (XOAUTH2)")
        return self


class MailboxUpdate(InputModel):
    folders: list[FolderName] | None = Field(default=None, max_length=100)
    excluded_folders: list[FolderName] | None = Field(default=None, max_length=100)
    paused: bool | None = None
    password: Secret | None = None


class FolderOut(OutputModel):
    name: str
    messages: int
    synced_at: Instant | None


class MailboxOut(OutputModel):
    id: int
    user_id: int
    host: str
    port: int
    security: Security
    username: str
    auth: MailboxAuth
    folders: list[str]
    excluded_folders: list[str]
    paused: bool
    last_sync_at: Instant | None
    last_error: str | None
    read_folders: list[FolderOut]
    captured_messages: int


class CaptureSettingsIn(InputModel):
    level: CaptureLevel


class CaptureSettingsOut(OutputModel):
    level: CaptureLevel
    team_level: CaptureLevel | None
    effective_level: CaptureLevel
    logging_address: str | None


class TeamLevelIn(InputModel):
    # None: no limit beyond each member's own choice.
    level: CaptureLevel | None


class ReviewItemOut(OutputModel):
    id: int
    domain: str
    status: ReviewStatus
    sample_address: str
    messages: int
    waiting_threads: int
    waiting_meetings: int
    last_seen_at: Instant
    assigned_account_id: int | None


class ReviewDecision(InputModel):
    """Assign the domain to an account (its mail and future mail go there), create a contact
    for the sample address on an account, or ignore the domain for good (its waiting mail is
    deleted)."""

    action: Annotated[str, StringConstraints(pattern="^(assign|create_contact|ignore)$")]
    account_id: PositiveId | None = None
    first_name: Annotated[str, StringConstraints(max_length=100)] | None = None
    last_name: Annotated[str, StringConstraints(max_length=100)] | None = None

    @model_validator(mode="after")
    def _account(self) -> ReviewDecision:
        if self.action != "ignore" and self.account_id is None:
            raise ValueError("account_id: name the account the mail belongs to")
        return self


class ReviewDecided(OutputModel):
    item: ReviewItemOut
    threads_assigned: int
    meetings_assigned: int
    messages_deleted: int
    contact_id: int | None


class AccountDomainIn(InputModel):
    domain: DomainName


class AccountDomainOut(OutputModel):
    id: int
    account_id: int
    domain: str


class CapturedMessageOut(OutputModel):
    id: int
    sent_at: Instant
    direction: str
    from_address: str
    to_addresses: list[str]
    cc_addresses: list[str]
    subject: str | None
    body: str | None
    size: int
    attachments: list[dict[str, object]]


class ThreadOut(OutputModel):
    id: int
    account_id: int
    activity_id: int | None
    first_at: Instant
    last_at: Instant
    holders: list[int]
    messages: list[CapturedMessageOut]


class ForgetResult(OutputModel):
    sightings_removed: int
    messages_deleted: int
    activities_removed: int


class ContactSignals(OutputModel):
    contact_id: int
    last_email_at: Instant | None
    last_meeting_at: Instant | None
    departed_at: Instant | None
    departed_reason: str | None


class AccountMailSignals(OutputModel):
    account_id: int
    last_email_at: Instant | None
    messages_90d: int
    inbound_90d: int
    outbound_90d: int
    # Median hours from a customer's message to our next reply in the same thread (90 days).
    median_response_hours: float | None
    responses_measured: int
    contacts: list[ContactSignals]


class CalendarIn(InputModel):
    """Connect a calendar: a CalDAV account (its URL, or one calendar's, with the login), or an
    ICS feed URL (Google's and Outlook's secret address; webcal:// works)."""

    kind: CalendarKind
    url: Annotated[str, StringConstraints(min_length=8, max_length=2_000, strip_whitespace=True)]
    username: Annotated[str, StringConstraints(max_length=320)] | None = None
    password: Secret | None = None

    @model_validator(mode="after")
    def _login(self) -> CalendarIn:
        if self.kind == CalendarKind.CALDAV and not (self.username and self.password):
            raise ValueError("password: a CalDAV account needs its user name and password")
        return self


class CalendarUpdate(InputModel):
    paused: bool | None = None
    password: Secret | None = None


class CalendarOut(OutputModel):
    id: int
    user_id: int
    kind: CalendarKind
    # The URL's host and the start of its path: the whole URL is never shown again.
    label: str
    username: str | None
    paused: bool
    last_sync_at: Instant | None
    last_error: str | None
    meetings_seen: int


class MeetingAttendeeOut(OutputModel):
    address: str
    name: str
    status: str
    ours: bool


class MeetingOut(OutputModel):
    id: int
    account_id: int
    account_name: str
    kind: str
    title: str | None
    starts_at: Instant
    ends_at: Instant
    organizer: str | None
    attendees: list[MeetingAttendeeOut]
    activity_id: int | None
