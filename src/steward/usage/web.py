"""Admin page: product-usage sources (create a write key, shown once; revoke one) and the
groupIds that match no account yet."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from steward.api.deps import DbSession
from steward.core.errors import StewardError
from steward.core.schemas import PathId
from steward.usage import service
from steward.web.app import AdminPageContext, WebContext, redirect, render
from steward.web.forms import PostedForm, clean, require_csrf

router = APIRouter()


def _page(
    request: Request,
    session: DbSession,
    context: WebContext,
    status: int = 200,
    **extra: object,
) -> Response:
    return render(
        request,
        "usage/sources.html",
        context,
        status,
        sources=service.list_sources(session),
        unmatched=service.unmatched_groups(session),
        host=str(request.base_url).rstrip("/"),
        **extra,
    )


@router.get("/admin/sources")
def sources_page(request: Request, session: DbSession, context: AdminPageContext) -> Response:
    return _page(request, session, context)


@router.post("/admin/sources")
def create_source(
    request: Request, session: DbSession, context: AdminPageContext, form: PostedForm
) -> Response:
    require_csrf(context, form)
    name = clean(form, ["name"]).get("name") or ""
    try:
        source, key = service.create_source(session, name, actor_id=context.principal.user_id)
        session.commit()
    except StewardError as exc:
        session.rollback()
        return _page(request, session, context, 422, error=exc.detail, name=name)
    # The key is shown on this response only; reloading the page does not show it again.
    return _page(request, session, context, 201, created=source.name, write_key=key)


@router.post("/admin/sources/{source_id}/revoke")
def revoke_source(
    request: Request,
    session: DbSession,
    context: AdminPageContext,
    source_id: PathId,
    form: PostedForm,
) -> Response:
    require_csrf(context, form)
    service.revoke_source(session, source_id, actor_id=context.principal.user_id)
    session.commit()
    return redirect("/admin/sources")


page_routers = [router]
