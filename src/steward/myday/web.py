"""Pages: My Day, and the notifications behind the bell."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from steward.api.deps import DbSession
from steward.core.schemas import PathId
from steward.delivery import service as delivery
from steward.delivery.models import ChatKind
from steward.delivery.schemas import ChatDestinationIn
from steward.myday.service import my_day
from steward.web.app import PageContext, WebContext, redirect, render, safe_next
from steward.web.forms import (
    FormInvalid,
    PostedForm,
    clean,
    parse,
    require_csrf,
    require_csrf_for_button,
    save,
)

router = APIRouter()


@router.get("/today")
def today_page(request: Request, session: DbSession, context: PageContext) -> Response:
    day = my_day(session, context.principal, request.app.state.settings)
    return render(request, "myday/today.html", context, day=day)


CHAT_DONE = {
    "added": "Connected. Your notifications and digest go there too from now on.",
    "tested": "A test message is queued; it arrives within a minute.",
    "removed": "Disconnected.",
}


def _notifications_page(
    request: Request,
    session: Session,
    context: WebContext,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    items = delivery.notifications_of(session, context.principal, unread_only=False, limit=100)
    return render(
        request,
        "myday/notifications.html",
        context,
        status,
        items=items,
        chat=delivery.chat_destinations_of(session, context.principal),
        chat_kinds=list(ChatKind),
        cv=values or {"kind": ChatKind.SLACK_WEBHOOK.value},
        errors=errors or {},
        done=CHAT_DONE.get(request.query_params.get("chat", "")),
    )


@router.get("/notifications")
def notifications_page(request: Request, session: DbSession, context: PageContext) -> Response:
    return _notifications_page(request, session, context)


@router.post("/notifications/chat")
def add_chat(
    request: Request, session: DbSession, context: PageContext, form: PostedForm
) -> Response:
    values = clean(form, ["kind", "channel", "slack_user_id"])
    secrets = {k: str(form.get(k) or "") or None for k in ("url", "token")}
    settings = request.app.state.settings
    try:
        require_csrf(context, form)
        data = parse(ChatDestinationIn, {**{k: v for k, v in values.items() if v}, **secrets})
        save(
            session,
            lambda: delivery.add_chat_destination(
                session,
                settings,
                context.principal,
                kind=data.kind,
                url=data.url,
                token=data.token,
                channel=data.channel,
                slack_user_id=data.slack_user_id,
            ),
        )
    except FormInvalid as exc:
        # Webhook URLs and tokens are secrets: never sent back to the browser.
        return _notifications_page(request, session, context, values, exc.errors, exc.status)
    return redirect("/notifications?chat=added#chat")


@router.post("/notifications/chat/{destination_id}/test")
def test_chat(
    session: DbSession, context: PageContext, destination_id: PathId, form: PostedForm
) -> Response:
    require_csrf_for_button(context, form)
    destination = delivery.get_chat_destination(session, context.principal, destination_id)
    delivery.queue_chat_to(
        session,
        destination,
        {"title": "Steward is connected", "text": "Notifications for you will arrive here."},
    )
    session.commit()
    return redirect("/notifications?chat=tested#chat")


@router.post("/notifications/chat/{destination_id}/remove")
def remove_chat(
    session: DbSession, context: PageContext, destination_id: PathId, form: PostedForm
) -> Response:
    require_csrf_for_button(context, form)
    session.delete(delivery.get_chat_destination(session, context.principal, destination_id))
    session.commit()
    return redirect("/notifications?chat=removed#chat")


@router.post("/notifications/read")
def mark_notifications_read(
    request: Request, session: DbSession, context: PageContext, form: PostedForm
) -> Response:
    try:
        require_csrf(context, form)
    except FormInvalid:
        return redirect("/notifications")
    raw = str(form.get("id") or "")
    delivery.mark_read(session, context.principal, int(raw) if raw.isdigit() else None)
    session.commit()
    return redirect(safe_next(form.get("next"), "/notifications"))


page_routers = [router]
