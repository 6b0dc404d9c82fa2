"""Server-rendered pages: shared plumbing (templates, session, CSRF, static assets)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from steward.api.deps import SESSION_COOKIE, DbSession, authenticator_of
from steward.api.problems import validation_errors
from steward.config import Settings
from steward.core.money import format_money, format_money_exact, plain_decimal, to_minor
from steward.core.principal import ROLE_LABELS, Principal, Role, read_as

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


_LABELS = {
    "smb": "SMB",
    "mid_market": "Mid-market",
    "qbr": "QBR",
    "ebr": "EBR",
    "at_risk": "At risk",
    # Codes a page would otherwise show as "Sla breach", "Csm", "Nps detractor".
    "sla_breach": "SLA breached",
    "csm": "CSM",
    "am": "Account manager",
    "ae": "Account executive",
    "owner_am": "Account manager",
    "nps_detractor": "NPS detractor",
    "nps": "NPS",
    "csat": "CSAT",
    "arr": "ARR",
    "mrr": "MRR",
    "api": "API",
    "sso": "SSO",
    "p1": "P1",
    "p2": "P2",
    "p3": "P3",
    "p4": "P4",
}


def _days(n: int | None) -> str:
    """'1 day', '3 days' (never '1 days')."""
    return "—" if n is None else f"{n} day{'' if abs(n) == 1 else 's'}"


def _days_left(n: int | None) -> str:
    """How long until a date, in words: 'today', '1 day left', 'ended 3 days ago' (never
    '-1 days left')."""
    if n is None:
        return "—"
    if n == 0:
        return "today"
    return f"{_days(n)} left" if n > 0 else f"ended {_days(-n)} ago"


def _label(value: str | None) -> str:
    value = value or ""
    return _LABELS.get(value) or value.replace("_", " ").capitalize()


def _days_until(day: date | None) -> int | None:
    return None if day is None else (day - date.today()).days


def _ago(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    days = (date.today() - moment.date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 60:
        return f"{days} days ago"
    return f"{days // 30} months ago"


def _amount(value: Decimal | None) -> str:
    """A decimal amount of the workspace currency, compact (API figures are decimals)."""
    return format_money(None if value is None else to_minor(Decimal(value)))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


CODED_GROUPS = ("segment", "tier", "health_band", "lifecycle_stage")


def group_name(value: str, by: str) -> str:
    """Segment, tier, health band and stage values are codes; owners, teams, industries,
    cohorts and custom-field values are names."""
    return _label(value) if by in CODED_GROUPS else value


templates.env.filters["money"] = format_money
templates.env.filters["exact"] = lambda value: format_money_exact(
    None if value is None else to_minor(Decimal(value))
)
templates.env.filters["amount"] = _amount
templates.env.filters["plain_number"] = plain_decimal
templates.env.filters["pct"] = _pct
templates.env.filters["group_name"] = group_name
templates.env.filters["label"] = _label
templates.env.filters["days_until"] = _days_until
templates.env.filters["days"] = _days
templates.env.filters["days_left"] = _days_left
templates.env.filters["ago"] = _ago
templates.env.globals["options"] = lambda enum: [(m.value, _label(m.value)) for m in enum]
templates.env.globals["people_options"] = lambda users: [(u.id, u.full_name) for u in users]
templates.env.globals["role_label"] = lambda role: ROLE_LABELS.get(Role(role), role)


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class WebContext:
    """Who is looking at a page, and the CSRF token their forms must carry."""

    def __init__(self, principal: Principal, csrf_token: str, unread: int = 0) -> None:
        self.principal = principal
        self.csrf_token = csrf_token
        self.unread = unread  # notifications, for the bell in the top bar


UnreadCount = Callable[[Session, int], int]


def web_context(request: Request, session: Session) -> WebContext:
    settings: Settings = request.app.state.settings
    cookie = request.cookies.get(SESSION_COOKIE)
    found = authenticator_of(request).signed_in(session, settings, cookie) if cookie else None
    session.commit()  # last-seen stamp, or the end of an expired session
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    read_as(session, found.principal)
    unread_count: UnreadCount = request.app.state.unread_count
    user_id = found.principal.user_id
    return WebContext(found.principal, found.csrf_token, unread_count(session, user_id))


def admin_context(request: Request, session: Session) -> WebContext:
    """web_context for the admin pages: others get the 403 page."""
    from steward.core.errors import PermissionDenied

    context = web_context(request, session)
    if not context.principal.is_admin:
        raise PermissionDenied("only an admin can open this page")
    return context


def page_context(request: Request, session: DbSession) -> WebContext:
    return web_context(request, session)


def admin_page_context(request: Request, session: DbSession) -> WebContext:
    return admin_context(request, session)


# What a page declares, as the API declares CurrentPrincipal/AdminPrincipal: who is signed in
# (else the login page) and, for admin pages, that they are an admin (else the 403 page).
PageContext = Annotated[WebContext, Depends(page_context)]
AdminPageContext = Annotated[WebContext, Depends(admin_page_context)]


def check_csrf(context: WebContext, form: Any) -> bool:
    sent = str(form.get("csrf_token", ""))
    return bool(sent) and secrets.compare_digest(sent, context.csrf_token)


def render(
    request: Request,
    template: str,
    context: WebContext | None,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    values.update(
        request=request,
        me=context.principal if context else None,
        csrf_token=context.csrf_token if context else "",
        unread=context.unread if context else 0,
    )
    return templates.TemplateResponse(request, template, values, status_code=status_code)


R = TypeVar("R", bound=Response)

# Pages opened by a personal link (a survey, a shared plan): the token is in the URL, so keep it
# out of Referer headers and caches.
PRIVATE_PAGE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def private(response: R) -> R:
    response.headers.update(PRIVATE_PAGE)
    return response


def safe_next(target: object, fallback: str) -> str:
    """Only same-site paths: an open redirect (after login, after a form) is a phishing tool."""
    text = str(target or "")
    return text if text.startswith("/") and not text.startswith("//") else fallback


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def install(
    app: FastAPI, settings: Settings, pages: Sequence[APIRouter], unread_count: UnreadCount
) -> None:
    """Static assets, the page routers the composition root gives, HTML error pages."""
    from steward.core.errors import RetryLater, StewardError

    app.state.unread_count = unread_count
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    # Front-end packages installed by npm (never committed), served from node_modules.
    for mount, package_dir in (("htmx", "htmx.org/dist"), ("chartjs", "chart.js/dist")):
        directory = settings.effective_assets_dir / package_dir
        if directory.is_dir():
            app.mount(f"/assets/{mount}", StaticFiles(directory=directory), name=mount)
    for router in pages:
        app.include_router(router, include_in_schema=False)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return redirect(f"/login?next={quote(exc.next_url)}")

    # Pages get HTML error pages with the navigation of whoever is signed in; the API (and
    # Segment's /v1) keeps its problem+json. Unknown URLs and bad query values on pages used
    # to answer raw JSON.
    def _is_api(request: Request) -> bool:
        return request.url.path.startswith(("/api/", "/v1/", "/openapi.json", "/docs"))

    def _context_of(request: Request) -> WebContext | None:
        if not request.cookies.get(SESSION_COOKIE):
            return None
        with request.app.state.db.session() as session:
            try:
                return web_context(request, session)
            except LoginRequired:
                return None

    async def _error_page(
        request: Request, status: int, title: str, detail: str, headers: dict[str, str] | None
    ) -> Response:
        context = await run_in_threadpool(_context_of, request)
        response = render(
            request, "error.html", context, status_code=status, title=title, detail=detail
        )
        response.headers.update(headers or {})
        return response

    def _html_for_pages(exception: type[Exception], page: Any) -> None:
        api_handler = app.exception_handlers[exception]

        async def handler(request: Request, exc: Exception) -> Response:
            if _is_api(request):
                result = api_handler(request, exc)
                return await result if not isinstance(result, Response) else result
            return await page(request, exc)

        app.add_exception_handler(exception, handler)

    async def _steward_page(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StewardError)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RetryLater) else None
        return await _error_page(request, exc.status, exc.title, exc.detail, headers)

    async def _validation_page(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in validation_errors(exc)[:5])
        return await _error_page(request, 422, "That address has a bad value", detail, None)

    async def _http_page(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            title, detail = "Page not found", f"There is no page at {request.url.path}."
        else:
            title, detail = HTTPStatus(exc.status_code).phrase, str(exc.detail)
        return await _error_page(request, exc.status_code, title, detail, dict(exc.headers or {}))

    _html_for_pages(StewardError, _steward_page)
    _html_for_pages(RequestValidationError, _validation_page)
    _html_for_pages(StarletteHTTPException, _http_page)
