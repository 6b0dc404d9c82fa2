"""Mail capture: mailboxes, capture level, the review queue, account domains, captured mail."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from steward.api.deps import CurrentPrincipal, DbSession
from steward.capture import service
from steward.capture.models import ReviewStatus
from steward.capture.preferences import set_own_level
from steward.capture.schemas import (
    AccountDomainIn,
    AccountDomainOut,
    AccountMailSignals,
    CalendarIn,
    CalendarOut,
    CalendarUpdate,
    CaptureSettingsIn,
    CaptureSettingsOut,
    ForgetResult,
    MailboxIn,
    MailboxOut,
    MailboxUpdate,
    MeetingOut,
    ReviewDecided,
    ReviewDecision,
    ReviewItemOut,
    TeamLevelIn,
    ThreadOut,
)
from steward.core.schemas import PathId

router = APIRouter(tags=["capture"])


@router.get("/mailboxes", response_model=list[MailboxOut])
def list_mailboxes(session: DbSession, principal: CurrentPrincipal) -> Any:
    """Your connected mailboxes (an admin: everyone's), with what has been read of each."""
    return [service.mailbox_out(session, m) for m in service.mailboxes_of(session, principal)]


@router.post("/mailboxes", response_model=MailboxOut, status_code=201)
def connect_mailbox(session: DbSession, principal: CurrentPrincipal, body: MailboxIn) -> Any:
    """Connect a mailbox over IMAP. The host must be public (unless the operator allows
    private hosts) and the login must work: both are checked before anything is kept. The
    credentials are stored encrypted; the worker reads the inbox and the sent folder (or the
    folders named) within minutes, and again every few minutes."""
    mailbox = service.connect_mailbox(session, principal, body)
    session.commit()
    return service.mailbox_out(session, mailbox)


@router.get("/mailboxes/{mailbox_id}", response_model=MailboxOut)
def get_mailbox(session: DbSession, principal: CurrentPrincipal, mailbox_id: PathId) -> Any:
    return service.mailbox_out(session, service.get_mailbox(session, principal, mailbox_id))


@router.patch("/mailboxes/{mailbox_id}", response_model=MailboxOut)
def update_mailbox(
    session: DbSession, principal: CurrentPrincipal, mailbox_id: PathId, body: MailboxUpdate
) -> Any:
    """Change the folders read or skipped, pause reading, or give a new password."""
    mailbox = service.update_mailbox(session, principal, mailbox_id, body)
    session.commit()
    return service.mailbox_out(session, mailbox)


@router.delete("/mailboxes/{mailbox_id}", status_code=204)
def remove_mailbox(
    session: DbSession,
    principal: CurrentPrincipal,
    mailbox_id: PathId,
    forget: Annotated[bool, Query(description="Also delete what was captured from it")] = False,
) -> Response:
    """Disconnect a mailbox; with forget=true also delete what Steward captured from it (mail
    that someone else's mailbox holds too stays theirs)."""
    service.remove_mailbox(session, principal, mailbox_id, forget)
    session.commit()
    return Response(status_code=204)


@router.post("/mailboxes/{mailbox_id}/forget", response_model=ForgetResult)
def forget_mailbox(session: DbSession, principal: CurrentPrincipal, mailbox_id: PathId) -> Any:
    """Delete what was captured from this mailbox, keeping the connection."""
    mailbox = service.get_mailbox(session, principal, mailbox_id)
    result = service.forget_origin(session, mailbox.user_id, f"imap:{mailbox.id}")
    session.commit()
    return result


@router.post("/capture/logged/forget", response_model=ForgetResult)
def forget_logged(session: DbSession, principal: CurrentPrincipal) -> Any:
    """Delete what you captured by sending mail to the logging address."""
    result = service.forget_origin(session, principal.user_id, "smtp")
    session.commit()
    return result


@router.get("/capture/settings", response_model=CaptureSettingsOut)
def capture_settings(session: DbSession, principal: CurrentPrincipal) -> Any:
    """Your capture level, your team's limit, what applies, and the logging address."""
    return service.capture_settings(session, principal)


@router.put("/capture/settings", response_model=CaptureSettingsOut)
def set_capture_settings(
    session: DbSession, principal: CurrentPrincipal, body: CaptureSettingsIn
) -> Any:
    """metadata: who, when, size and attachment names; subject: and the subject; body: and
    the text. Applies to mail captured from now on."""
    set_own_level(session, principal.user_id, body.level)
    session.commit()
    return service.capture_settings(session, principal)


@router.put("/teams/{team_id}/capture-level", status_code=204)
def set_team_capture_level(
    session: DbSession, principal: CurrentPrincipal, team_id: PathId, body: TeamLevelIn
) -> Response:
    """The most a team's members may capture (its lead or an admin); null lifts the limit."""
    service.set_team_level(session, principal, team_id, body.level)
    session.commit()
    return Response(status_code=204)


@router.get("/capture/review", response_model=list[ReviewItemOut])
def review_queue(
    session: DbSession,
    principal: CurrentPrincipal,
    status: ReviewStatus = ReviewStatus.PENDING,
) -> Any:
    """External domains no account claims, with the mail waiting for each: the domains of
    your own mail (managers and admins: all)."""
    return service.review_items(session, principal, status)


@router.post("/capture/review/{item_id}", response_model=ReviewDecided)
def decide_review(
    session: DbSession, principal: CurrentPrincipal, item_id: PathId, body: ReviewDecision
) -> Any:
    """assign: the domain becomes the account's (its waiting mail and future mail go
    there); create_contact: the sample address becomes a contact of the account; ignore: the
    domain is never captured again and its waiting mail is deleted."""
    result = service.decide(session, principal, item_id, body)
    session.commit()
    return result


@router.get("/accounts/{account_id}/domains", response_model=list[AccountDomainOut])
def list_account_domains(
    session: DbSession, principal: CurrentPrincipal, account_id: PathId
) -> Any:
    """The account's further e-mail domains (its own `domain` is the first)."""
    return service.account_domains(session, principal, account_id)


@router.post("/accounts/{account_id}/domains", response_model=AccountDomainOut, status_code=201)
def add_account_domain(
    session: DbSession, principal: CurrentPrincipal, account_id: PathId, body: AccountDomainIn
) -> Any:
    """Mail from this domain and its subdomains is the account's (mail waiting in the review
    queue for it moves to the account)."""
    row = service.add_account_domain(session, principal, account_id, body.domain)
    session.commit()
    return row


@router.delete("/accounts/{account_id}/domains", status_code=204)
def remove_account_domain(
    session: DbSession,
    principal: CurrentPrincipal,
    account_id: PathId,
    domain: Annotated[str, Query(min_length=1, max_length=253, description="The domain")],
) -> Response:
    """Mail from the domain is no longer the account's (mail captured so far stays)."""
    service.remove_account_domain(session, principal, account_id, domain)
    session.commit()
    return Response(status_code=204)


@router.get("/accounts/{account_id}/mail", response_model=list[ThreadOut])
def account_mail(
    session: DbSession,
    principal: CurrentPrincipal,
    account_id: PathId,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    """The account's captured threads, latest first, each with its messages (as much of each
    as its holders let Steward keep) and the users whose mail held it."""
    return service.threads_of_account(session, principal, account_id, limit)


@router.get("/accounts/{account_id}/mail-signals", response_model=AccountMailSignals)
def account_mail_signals(
    session: DbSession, principal: CurrentPrincipal, account_id: PathId
) -> Any:
    """Last e-mail, volume each way and our median response time over 90 days, and per
    contact the last e-mail and meeting and whether mail says they have left."""
    return service.account_signals(session, principal, account_id, date.today())


@router.get("/calendars", response_model=list[CalendarOut])
def list_calendars(session: DbSession, principal: CurrentPrincipal) -> Any:
    """Your connected calendars (an admin: everyone's), with what the last read found."""
    return [service.calendar_out(c) for c in service.calendars_of(session, principal)]


@router.post("/calendars", response_model=CalendarOut, status_code=201)
def connect_calendar(session: DbSession, principal: CurrentPrincipal, body: CalendarIn) -> Any:
    """Connect a CalDAV account or an ICS feed. The host must be public (unless the operator
    allows private hosts) and the calendar must be readable: both are checked before
    anything is kept. The URL and password are stored encrypted; the worker reads 30 days
    back and 60 ahead within minutes, and again every few minutes."""
    source = service.connect_calendar(session, principal, body)
    session.commit()
    return service.calendar_out(source)


@router.get("/calendars/{calendar_id}", response_model=CalendarOut)
def get_calendar(session: DbSession, principal: CurrentPrincipal, calendar_id: PathId) -> Any:
    return service.calendar_out(service.get_calendar(session, principal, calendar_id))


@router.patch("/calendars/{calendar_id}", response_model=CalendarOut)
def update_calendar(
    session: DbSession, principal: CurrentPrincipal, calendar_id: PathId, body: CalendarUpdate
) -> Any:
    """Pause or resume reading, or give a new password."""
    source = service.update_calendar(session, principal, calendar_id, body)
    session.commit()
    return service.calendar_out(source)


@router.delete("/calendars/{calendar_id}", status_code=204)
def remove_calendar(
    session: DbSession,
    principal: CurrentPrincipal,
    calendar_id: PathId,
    forget: Annotated[bool, Query(description="Also delete the meetings captured from it")] = False,
) -> Response:
    """Disconnect a calendar; with forget=true also delete its meetings and their activities
    (meetings another calendar holds too stay)."""
    service.remove_calendar(session, principal, calendar_id, forget)
    session.commit()
    return Response(status_code=204)


@router.get("/meetings/upcoming", response_model=list[MeetingOut])
def upcoming_meetings(
    session: DbSession,
    principal: CurrentPrincipal,
    account_id: Annotated[int | None, Query(ge=1, description="One account's")] = None,
    mine: Annotated[bool, Query(description="Only those in your own calendars")] = False,
    days: Annotated[int, Query(ge=1, le=90)] = 14,
) -> Any:
    """Customer meetings under way or ahead, soonest first (of your book). A meeting becomes
    an activity on its account's timeline once it has started."""
    return service.upcoming_meetings(
        session, principal, account_id=account_id, mine=mine, days=days
    )


api_routers = [router]
