from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from steward.api.deps import DbSession
from steward.web.app import PageContext
from tests.app.tiny_domain.models import TinyNote

router = APIRouter()


@router.get("/tiny")
def tiny_page(request: Request, session: DbSession, context: PageContext) -> HTMLResponse:
    notes = session.scalar(select(func.count()).select_from(TinyNote))
    return HTMLResponse(f"<h1>{notes} tiny notes for {context.principal.full_name}</h1>")


page_routers = [router]
