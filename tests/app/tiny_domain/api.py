from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import func, select

from steward.api.deps import CurrentPrincipal, DbSession
from tests.app.tiny_domain.models import TinyNote

router = APIRouter(prefix="/tiny-notes", tags=["tiny"])


@router.get("/count")
def count_notes(session: DbSession, principal: CurrentPrincipal) -> dict[str, int]:
    return {"notes": session.scalar(select(func.count()).select_from(TinyNote)) or 0}


api_routers = [router]
