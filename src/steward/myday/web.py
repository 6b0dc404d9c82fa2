"""Pages: My Day, and the notifications behind the bell."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from steward.api.deps import DbSession
from steward.delivery import service as delivery
from steward.myday.service import my_day
from steward.web.app import PageContext, redirect, render, safe_next
from steward.web.forms import FormInvalid, PostedForm, require_csrf

router = APIRouter()


@router.get("/today")
def today_page(request: Request, session: DbSession, context: PageContext) -> Response:
    day = my_day(session, context.principal, request.app.state.settings)
    return render(request, "myday/today.html", context, day=day)


@router.get("/notifications")
def notifications_page(request: Request, session: DbSession, context: PageContext) -> Response:
    items = delivery.notifications_of(session, context.principal, unread_only=False, limit=100)
    return render(request, "myday/notifications.html", context, items=items)


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
