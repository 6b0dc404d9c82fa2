"""Pages: the public answer page behind a survey link (no login, one answer, nothing else to
read), and for the team the results page and the form that sends a survey."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from steward.accounts import repository as accounts
from steward.api.deps import DbSession
from steward.contacts.service import contacts_of
from steward.core.errors import InvalidField, StewardError
from steward.core.schemas import PathId
from steward.surveys import service
from steward.surveys.models import SCALE, SurveyKind
from steward.surveys.schemas import ResultsBy, SurveyResultsQuery, SurveySend, SurveySendResult
from steward.web.app import PageContext, WebContext, private, render
from steward.web.forms import FormInvalid, PostedForm, clean, parse, require_csrf, save

router = APIRouter()


def _page(
    request: Request, template: str, status_code: int = 200, **values: object
) -> HTMLResponse:
    return private(render(request, template, None, status_code=status_code, **values))


@router.get("/s/{token}", response_class=HTMLResponse)
def survey_page(request: Request, session: DbSession, token: str) -> HTMLResponse:
    try:
        _, survey = service.open_invitation(session, token)
    except StewardError as exc:
        return _page(request, "error.html", exc.status, title=exc.title, detail=exc.detail)
    low, high = SCALE[SurveyKind(survey.kind)]
    return _page(request, "surveys/answer.html", survey=survey, scale=range(low, high + 1))


@router.post("/s/{token}", response_class=HTMLResponse)
def answer_survey(
    request: Request, session: DbSession, token: str, form: PostedForm
) -> HTMLResponse:
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


# --- pages for the team: results, and sending a survey to an account's contacts ------------


@router.get("/surveys", response_class=HTMLResponse)
def results_page(
    request: Request,
    session: DbSession,
    context: PageContext,
    kind: SurveyKind = SurveyKind.NPS,
    by: ResultsBy = ResultsBy.SEGMENT,
) -> HTMLResponse:
    me = context.principal
    grouped = service.results(session, me, SurveyResultsQuery(kind=kind, by=by))
    overall = service.results(session, me, SurveyResultsQuery(kind=kind, by=ResultsBy.ALL))
    recent, _ = service.list_responses(session, me, account_id=None, kind=kind, limit=12, offset=0)
    return render(
        request,
        "surveys/results.html",
        context,
        grouped=grouped,
        overall=overall.rows[0] if overall.rows else None,
        recent=recent,
        names=accounts.names_of(session, me, (r.account_id for r in recent)),
        contacts=service.contact_names(session, [r.contact_id for r in recent]),
        groupings=[b for b in ResultsBy if b != ResultsBy.ALL],
    )


def _send_form(
    request: Request,
    session: Session,
    context: WebContext,
    account_id: PathId,
    values: dict[str, object],
    errors: dict[str, str],
    status: int = 200,
    result: SurveySendResult | None = None,
) -> HTMLResponse:
    account = accounts.get_account(session, context.principal, account_id)
    contacts = contacts_of(session, account.id)
    return render(
        request,
        "surveys/send.html",
        context,
        status,
        account=account,
        contacts=list(contacts),
        v=values,
        errors=errors,
        result=result,
    )


@router.get("/accounts/{account_id}/surveys/new", response_class=HTMLResponse)
def send_page(
    request: Request, session: DbSession, context: PageContext, account_id: PathId
) -> HTMLResponse:
    defaults: dict[str, object] = {
        "kind": "nps",
        "name": "How likely are you to recommend us?",
        "contact_ids": [],
    }
    return _send_form(request, session, context, account_id, defaults, {})


@router.post("/accounts/{account_id}/surveys/new", response_class=HTMLResponse)
def send_from_page(
    request: Request, session: DbSession, context: PageContext, account_id: PathId, form: PostedForm
) -> HTMLResponse:
    accounts.get_account(session, context.principal, account_id)
    values: dict[str, object] = clean(form, ["kind", "name"])
    values["contact_ids"] = [str(v) for v in form.getlist("contact_ids")]
    try:
        require_csrf(context, form)
        data = parse(SurveySend, {k: v for k, v in values.items() if v is not None})
        result = save(session, lambda: service.send_survey(session, context.principal, data))
    except FormInvalid as exc:
        return _send_form(request, session, context, account_id, values, exc.errors, exc.status)
    return _send_form(request, session, context, account_id, values, {}, result=result)


page_routers = [router]
