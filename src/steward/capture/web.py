"""Pages: mail capture settings (connect a mailbox, the capture level, the logging address,
forgetting what was captured) and the review queue of domains no account claims."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from steward.api.deps import DbSession
from steward.capture import service
from steward.capture.models import CalendarKind, CaptureLevel, ReviewStatus, Security
from steward.capture.preferences import set_own_level
from steward.capture.schemas import (
    CalendarIn,
    CalendarUpdate,
    CaptureSettingsIn,
    MailboxIn,
    MailboxUpdate,
    ReviewDecision,
)
from steward.core.schemas import PathId
from steward.web.app import PageContext, WebContext, redirect, render
from steward.web.forms import (
    FormInvalid,
    PostedForm,
    choice,
    clean,
    parse,
    require_csrf,
    require_csrf_for_button,
    save,
)

router = APIRouter()

LEVELS = [
    (CaptureLevel.METADATA, "Metadata only", "who wrote to whom, when, size, attachment names"),
    (CaptureLevel.SUBJECT, "Subject", "and the subject line"),
    (CaptureLevel.BODY, "Full text", "and the message text (attachments are never kept)"),
]
# What a finished action says on the page it returns to (?done=…&n=…).
DONE = {
    "connected": "Mailbox connected. The worker reads it within a few minutes.",
    "level": "Capture level saved. It applies to mail captured from now on.",
    "paused": "Reading paused. Nothing is read until you resume.",
    "resumed": "Reading resumed.",
    "forgotten": "Deleted {n} captured message(s) that only you held.",
    "removed": "Mailbox disconnected.",
    "calendar": "Calendar connected. The worker reads it within a few minutes.",
    "calendar_paused": "Calendar paused. Nothing is read until you resume.",
    "calendar_resumed": "Calendar reading resumed.",
    "calendar_removed": "Calendar disconnected; {n} meeting(s) only it held were deleted.",
    "assign": "Domain assigned: {n} waiting thread(s) moved to the account, with its meetings.",
    "create_contact": "Contact created: {n} waiting thread(s) moved to the account.",
    "ignore": "Domain ignored for good: {n} waiting message(s) deleted.",
}


def _done(request: Request) -> str | None:
    key = request.query_params.get("done", "")
    count = request.query_params.get("n", "0")
    text = DONE.get(key)
    return text.format(n=int(count) if count.isdigit() else 0) if text else None


def _folders(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def _settings_page(
    request: Request,
    session: Session,
    context: WebContext,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    calendar_values: dict[str, Any] | None = None,
    calendar_errors: dict[str, str] | None = None,
) -> Response:
    me = context.principal
    calendars = [service.calendar_out(c) for c in service.calendars_of(session, me)]
    mailboxes = [service.mailbox_out(session, m) for m in service.mailboxes_of(session, me)]
    return render(
        request,
        "capture/settings.html",
        context,
        status,
        capture=service.capture_settings(session, me),
        mailboxes=[m for m in mailboxes if m["user_id"] == me.user_id],
        others=[m for m in mailboxes if m["user_id"] != me.user_id],
        waiting=len(service.review_items(session, me)),
        levels=LEVELS,
        level_names={value: title for value, title, _ in LEVELS},
        securities=list(Security),
        v=values or {"port": "993", "security": Security.SSL.value},
        errors=errors or {},
        calendars=[c for c in calendars if c["user_id"] == me.user_id],
        calendar_kinds=list(CalendarKind),
        cv=calendar_values or {"kind": CalendarKind.CALDAV.value},
        cal_errors=calendar_errors or {},
        done=_done(request),
    )


@router.get("/mail")
def settings_page(request: Request, session: DbSession, context: PageContext) -> Response:
    return _settings_page(request, session, context)


@router.post("/mail/level")
def set_level(
    request: Request, session: DbSession, context: PageContext, form: PostedForm
) -> Response:
    try:
        require_csrf(context, form)
        data = parse(CaptureSettingsIn, clean(form, ["level"]))
        save(session, lambda: set_own_level(session, context.principal.user_id, data.level))
    except FormInvalid as exc:
        return _settings_page(request, session, context, None, exc.errors, exc.status)
    return redirect("/mail?done=level")


@router.post("/mail/mailboxes")
def connect_mailbox(
    request: Request, session: DbSession, context: PageContext, form: PostedForm
) -> Response:
    values = clean(form, ["host", "port", "security", "username", "folders", "excluded_folders"])
    password = str(form.get("password") or "")
    try:
        require_csrf(context, form)
        data = parse(
            MailboxIn,
            {
                **{k: v for k, v in values.items() if v is not None and "folders" not in k},
                "password": password or None,
                "folders": _folders(values.get("folders")),
                "excluded_folders": _folders(values.get("excluded_folders")),
            },
        )
        save(session, lambda: service.connect_mailbox(session, context.principal, data))
    except FormInvalid as exc:
        # The password is never sent back to the browser.
        return _settings_page(request, session, context, values, exc.errors, exc.status)
    return redirect("/mail?done=connected")


@router.post("/mail/mailboxes/{mailbox_id}/pause")
def pause_mailbox(
    session: DbSession, context: PageContext, mailbox_id: PathId, form: PostedForm
) -> Response:
    require_csrf_for_button(context, form)
    mailbox = service.get_mailbox(session, context.principal, mailbox_id)
    paused = not mailbox.paused
    service.update_mailbox(session, context.principal, mailbox_id, MailboxUpdate(paused=paused))
    session.commit()
    return redirect(f"/mail?done={'paused' if paused else 'resumed'}")


@router.post("/mail/mailboxes/{mailbox_id}/forget")
def forget_mailbox(
    session: DbSession, context: PageContext, mailbox_id: PathId, form: PostedForm
) -> Response:
    require_csrf_for_button(context, form)
    mailbox = service.get_mailbox(session, context.principal, mailbox_id)
    result = service.forget_origin(session, mailbox.user_id, f"imap:{mailbox.id}")
    session.commit()
    return redirect(f"/mail?done=forgotten&n={result['messages_deleted']}")


@router.post("/mail/mailboxes/{mailbox_id}/remove")
def remove_mailbox(
    session: DbSession, context: PageContext, mailbox_id: PathId, form: PostedForm
) -> Response:
    require_csrf_for_button(context, form)
    forget = form.get("forget") == "on"
    service.remove_mailbox(session, context.principal, mailbox_id, forget)
    session.commit()
    return redirect("/mail?done=removed")


@router.post("/mail/calendars")
def connect_calendar(
    request: Request, session: DbSession, context: PageContext, form: PostedForm
) -> Response:
    values = clean(form, ["kind", "url", "username"])
    password = str(form.get("password") or "")
    try:
        require_csrf(context, form)
        data = parse(
            CalendarIn,
            {
                **{k: v for k, v in values.items() if v is not None},
                "password": password or None,
            },
        )
        save(session, lambda: service.connect_calendar(session, context.principal, data))
    except FormInvalid as exc:
        # Neither the password nor a feed's secret URL goes back to the browser.
        shown = {k: v for k, v in values.items() if k != "url" or values.get("kind") == "caldav"}
        return _settings_page(
            request,
            session,
            context,
            status=exc.status,
            calendar_values=shown,
            calendar_errors=exc.errors,
        )
    return redirect("/mail?done=calendar#calendars")


@router.post("/mail/calendars/{calendar_id}/pause")
def pause_calendar(
    session: DbSession, context: PageContext, calendar_id: PathId, form: PostedForm
) -> Response:
    require_csrf_for_button(context, form)
    source = service.get_calendar(session, context.principal, calendar_id)
    paused = not source.paused
    service.update_calendar(session, context.principal, calendar_id, CalendarUpdate(paused=paused))
    session.commit()
    return redirect(f"/mail?done={'calendar_paused' if paused else 'calendar_resumed'}#calendars")


@router.post("/mail/calendars/{calendar_id}/remove")
def remove_calendar(
    session: DbSession, context: PageContext, calendar_id: PathId, form: PostedForm
) -> Response:
    require_csrf_for_button(context, form)
    forget = form.get("forget") == "on"
    removed = service.remove_calendar(session, context.principal, calendar_id, forget)
    session.commit()
    return redirect(f"/mail?done=calendar_removed&n={removed}#calendars")


@router.post("/mail/logged/forget")
def forget_logged(session: DbSession, context: PageContext, form: PostedForm) -> Response:
    require_csrf_for_button(context, form)
    result = service.forget_origin(session, context.principal.user_id, "smtp")
    session.commit()
    return redirect(f"/mail?done=forgotten&n={result['messages_deleted']}")


# -- the review queue ---------------------------------------------------------------------------


def _review_page(
    request: Request,
    session: Session,
    context: WebContext,
    status: ReviewStatus,
    errors: dict[int, dict[str, str]] | None = None,
    code: int = 200,
) -> Response:
    me = context.principal
    items = service.review_items(session, me, status)
    choices = service.account_choices(session, me)
    by_item = {i["id"]: service.likely_first(choices, i["domain"]) for i in items}
    return render(
        request,
        "capture/review.html",
        context,
        code,
        items=items,
        choices=by_item,
        status=status,
        statuses=list(ReviewStatus),
        names=dict(choices),
        errors=errors or {},
        done=_done(request),
    )


@router.get("/mail/review")
def review_page(
    request: Request, session: DbSession, context: PageContext, status: str = ""
) -> Response:
    chosen = choice(ReviewStatus, status) or ReviewStatus.PENDING
    return _review_page(request, session, context, chosen)


@router.post("/mail/review/{item_id}")
def decide(
    request: Request,
    session: DbSession,
    context: PageContext,
    item_id: PathId,
    form: PostedForm,
) -> Response:
    values = clean(form, ["action", "account_id", "first_name", "last_name"])
    if values.get("action") == "ignore":
        values.pop("account_id", None)
    try:
        require_csrf(context, form)
        data = parse(ReviewDecision, {k: v for k, v in values.items() if v is not None})
        result = save(session, lambda: service.decide(session, context.principal, item_id, data))
    except FormInvalid as exc:
        errors = {item_id: exc.errors}
        return _review_page(request, session, context, ReviewStatus.PENDING, errors, exc.status)
    count = result["messages_deleted"] if data.action == "ignore" else result["threads_assigned"]
    return redirect(f"/mail/review?done={data.action}&n={count}")


page_routers = [router]
