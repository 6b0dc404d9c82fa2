"""The public answer page behind a survey link: no login, one answer, nothing else to read."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from steward.api.deps import DbSession
from steward.core.errors import InvalidField, StewardError
from steward.surveys import service
from steward.surveys.models import SCALE, SurveyKind
from steward.web.app import render

router = APIRouter()
# The token is in the URL: keep it out of Referer headers and caches.
PRIVATE_PAGE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _page(
    request: Request, template: str, status_code: int = 200, **values: object
) -> HTMLResponse:
    response = render(request, template, None, status_code=status_code, **values)
    response.headers.update(PRIVATE_PAGE)
    return response


@router.get("/s/{token}", response_class=HTMLResponse)
def survey_page(request: Request, session: DbSession, token: str) -> HTMLResponse:
    try:
        _, survey = service.open_invitation(session, token)
    except StewardError as exc:
        return _page(request, "error.html", exc.status, title=exc.title, detail=exc.detail)
    low, high = SCALE[SurveyKind(survey.kind)]
    return _page(request, "surveys/answer.html", survey=survey, scale=range(low, high + 1))


@router.post("/s/{token}", response_class=HTMLResponse)
async def answer_survey(request: Request, session: DbSession, token: str) -> HTMLResponse:
    form = await request.form()
    raw = str(form.get("score", "")).strip()
    comment = str(form.get("comment", ""))[:5000]
    try:
        if not raw.lstrip("-").isdigit():
            raise InvalidField("score", "choose a score")
        service.record_answer(
            request.app.state.db, request.app.state.settings, token, int(raw), comment
        )
    except InvalidField as exc:
        session.rollback()
        _, survey = service.open_invitation(session, token)
        low, high = SCALE[SurveyKind(survey.kind)]
        return _page(
            request,
            "surveys/answer.html",
            422,
            survey=survey,
            scale=range(low, high + 1),
            error=exc.detail,
            comment=comment,
        )
    except StewardError as exc:
        session.rollback()
        return _page(request, "error.html", exc.status, title=exc.title, detail=exc.detail)
    return _page(request, "surveys/thanks.html")
