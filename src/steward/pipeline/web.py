"""Pages: My Pipeline (/pipeline, a board you drag deals across), a deal's page, the new and
edit deal forms (with line items), and closing a deal won (the hand-off) or lost."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts import repository as accounts
from steward.accounts.models import Account, Segment
from steward.api.deps import DbSession
from steward.core.dates import QUARTER_PATTERN, quarter_of
from steward.core.errors import Conflict, StewardError
from steward.core.schemas import PathId
from steward.opportunities.models import (
    OPEN_STAGES,
    ForecastCategory,
    Opportunity,
    OpportunityLineItem,
    OpportunityType,
)
from steward.opportunities.schemas import (
    OpportunityClose,
    OpportunityCreate,
    OpportunityUpdate,
)
from steward.opportunities.service import opportunity_service, to_out
from steward.pipeline import board as boards
from steward.pipeline import leads
from steward.pipeline.models import Lead, LeadSource, LeadStatus, Timeline
from steward.pipeline.schemas import LeadConvert, LeadIn, LeadUpdate
from steward.pipeline.service import close_deal
from steward.products.models import Product
from steward.users.models import Role
from steward.users.service import active_users
from steward.web.app import PageContext, WebContext, redirect, render
from steward.web.forms import (
    FormInvalid,
    PostedForm,
    clean,
    domain_error,
    parse,
    require_csrf,
    require_version,
    save,
)

router = APIRouter()
LINE_ROWS = 4  # line item rows on the deal form
DEAL_FIELDS = [
    "account_id",
    "name",
    "type",
    "stage",
    "close_date",
    "term_months",
    "forecast_category",
    "amount",
    "owner_id",
]
LINE_FIELDS = ["product_id", "quantity", "unit_price", "discount_pct"]


@router.get("/pipeline")
def pipeline_page(
    request: Request,
    session: DbSession,
    context: PageContext,
    owner_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    period: Annotated[str | None, Query(pattern=QUARTER_PATTERN)] = None,
) -> Response:
    owner = boards.board_owner(session, context.principal, owner_id)
    period = period or quarter_of(date.today())
    board = boards.pipeline_board(session, context.principal, owner, period)
    template = (
        "pipeline/_board.html" if request.headers.get("hx-request") else "pipeline/board.html"
    )
    return render(
        request,
        template,
        context,
        board=board,
        owner=owner,
        mine=owner.id == context.principal.user_id,
        stage_labels=boards.STAGE_LABELS,
    )


@router.post("/pipeline/deals/{deal_id}/stage")
def move_deal(
    request: Request, session: DbSession, context: PageContext, deal_id: PathId, form: PostedForm
) -> Response:
    """A card dropped on another column (or moved with its menu, without a mouse)."""
    wants_json = "application/json" in request.headers.get("accept", "")
    version = str(form.get("version") or "")
    try:
        require_csrf(context, form)
        deal = save(
            session,
            lambda: boards.move_deal(
                session,
                context.principal,
                deal_id,
                str(form.get("stage") or ""),
                int(version) if version.isdigit() else None,
            ),
        )
    except FormInvalid as exc:
        if wants_json:
            return JSONResponse({"errors": exc.errors}, status_code=exc.status)
        raise
    except Conflict as exc:
        session.rollback()
        if wants_json:
            return JSONResponse({"errors": {"form": exc.detail}}, status_code=409)
        raise
    if wants_json:
        return JSONResponse(
            {
                "id": deal.id,
                "stage": deal.stage,
                "version": deal.version,
                "probability": deal.probability,
            }
        )
    return redirect(f"/pipeline?owner_id={deal.owner_id}")


def _accounts_for(session: Session, context: WebContext) -> list[tuple[int, str]]:
    """Accounts to pick for a new deal: the ones the person holds a seat on (an AE's prospects
    included), by name."""
    filters = accounts.BookFilters(scope="mine")
    rows = session.execute(
        accounts.book_statement(context.principal, filters)
        .with_only_columns(Account.id, Account.name)
        .order_by(Account.name)
        .limit(1000)
    )
    return [(r.id, r.name) for r in rows]


def _deal_form(
    request: Request,
    session: Session,
    context: WebContext,
    deal: Opportunity | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    products = session.scalars(select(Product).order_by(Product.name)).all()
    account_options = _accounts_for(session, context)
    chosen = values.get("account_id")
    if chosen and int(chosen) not in {i for i, _ in account_options}:
        account = session.get(Account, int(chosen))
        if account is not None:
            account_options.insert(0, (account.id, account.name))
    return render(
        request,
        "pipeline/deal_form.html",
        context,
        status,
        deal=deal,
        v=values,
        errors=errors,
        accounts=account_options,
        products=products,
        owners=[u for u in active_users(session) if u.role not in (Role.CSM, Role.STRATEGIST)],
        types=list(OpportunityType),
        stages=list(OPEN_STAGES),
        categories=[c for c in ForecastCategory if c != ForecastCategory.CLOSED],
        stage_labels=boards.STAGE_LABELS,
        line_rows=LINE_ROWS,
    )


def _posted_lines(form: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The filled line item rows, as the API takes them, and every row's raw values (to show
    the form again). Field names are the API's (`line_items.0.quantity`), so a validation
    error's location names the input it belongs to."""
    lines, raw = [], {}
    for i in range(LINE_ROWS):
        row = {f: str(form.get(f"line_items.{i}.{f}") or "").strip() for f in LINE_FIELDS}
        raw.update({f"line_items.{i}.{f}": v for f, v in row.items()})
        if row["product_id"]:
            lines.append({f: v for f, v in row.items() if v})
    return lines, raw


def _deal_values(form: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    values = clean(form, DEAL_FIELDS)
    lines, raw = _posted_lines(form)
    body = {k: v for k, v in values.items() if v is not None}
    if lines:
        body["line_items"] = lines
        body.pop("amount", None)  # the lines' ARR is the amount
    return body, values | raw


@router.get("/deals/new")
def new_deal_form(
    request: Request,
    session: DbSession,
    context: PageContext,
    account_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    if account_id is not None:
        accounts.get_account(session, context.principal, account_id)  # 404 outside the book
    defaults = {
        "account_id": account_id,
        "type": "new_business" if context.principal.role == Role.AE else "upsell",
        "stage": "prospecting",
        "term_months": "12",
        "forecast_category": "pipeline",
        "close_date": (date.today() + timedelta(days=60)).isoformat(),
        "line_items.0.quantity": "1",
    }
    return _deal_form(request, session, context, None, defaults, {})


@router.post("/deals/new")
def create_deal(
    request: Request, session: DbSession, context: PageContext, form: PostedForm
) -> Response:
    body, shown = _deal_values(form)
    try:
        require_csrf(context, form)
        deal = save(
            session,
            lambda: opportunity_service.create(
                session, context.principal, parse(OpportunityCreate, body)
            ),
        )
    except FormInvalid as exc:
        return _deal_form(request, session, context, None, shown, exc.errors, exc.status)
    return redirect(f"/deals/{deal.id}?saved=created")


@router.get("/deals/{deal_id}")
def deal_page(
    request: Request,
    session: DbSession,
    context: PageContext,
    deal_id: PathId,
    saved: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    deal = opportunity_service.get(session, context.principal, deal_id)
    return _deal_page(request, session, context, deal, {}, {}, saved=saved)


def _deal_page(
    request: Request,
    session: Session,
    context: WebContext,
    deal: Opportunity,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    saved: str | None = None,
) -> Response:
    account = accounts.get_account(session, context.principal, deal.account_id)
    users = active_users(session)
    products = {p.id: p.name for p in session.scalars(select(Product))}
    return render(
        request,
        "pipeline/deal.html",
        context,
        status,
        deal=to_out(session, deal),
        version=deal.version,
        account=account,
        products=products,
        owner=next((u.full_name for u in users if u.id == deal.owner_id), None),
        ams=[u for u in users if u.role in (Role.AM, Role.STRATEGIC_AM, Role.TEAM_LEAD)],
        csms=[u for u in users if u.role in (Role.CSM, Role.TEAM_LEAD)],
        stages=list(OPEN_STAGES),
        stage_labels=boards.STAGE_LABELS,
        v=values,
        errors=errors,
        saved=saved,
        contract_id=deal.contract_id,
    )


@router.get("/deals/{deal_id}/edit")
def edit_deal_form(
    request: Request, session: DbSession, context: PageContext, deal_id: PathId
) -> Response:
    deal = opportunity_service.get(session, context.principal, deal_id)
    values: dict[str, Any] = {f: getattr(deal, f, None) for f in DEAL_FIELDS if f != "amount"}
    values["amount"] = str(deal.amount_minor / 100)
    values["version"] = deal.version
    items = session.scalars(
        select(OpportunityLineItem)
        .where(OpportunityLineItem.opportunity_id == deal.id)
        .order_by(OpportunityLineItem.id)
    ).all()
    for i, item in enumerate(items[:LINE_ROWS]):
        values[f"line_items.{i}.product_id"] = item.product_id
        values[f"line_items.{i}.quantity"] = item.quantity
        values[f"line_items.{i}.unit_price"] = str(item.unit_price_minor / 100)
        values[f"line_items.{i}.discount_pct"] = str(item.discount_pct)
    return _deal_form(request, session, context, deal, values, {})


@router.post("/deals/{deal_id}/edit")
def update_deal(
    request: Request, session: DbSession, context: PageContext, deal_id: PathId, form: PostedForm
) -> Response:
    deal = opportunity_service.get(session, context.principal, deal_id)
    body, shown = _deal_values(form)
    body.pop("account_id", None)
    body.setdefault("line_items", [])
    try:
        require_csrf(context, form)
        require_version(deal, form, shown)
        save(
            session,
            lambda: opportunity_service.update(
                session, context.principal, deal_id, parse(OpportunityUpdate, body)
            ),
        )
    except FormInvalid as exc:
        return _deal_form(request, session, context, deal, shown, exc.errors, exc.status)
    return redirect(f"/deals/{deal_id}?saved=updated")


@router.post("/deals/{deal_id}/close")
def close_deal_page(
    request: Request, session: DbSession, context: PageContext, deal_id: PathId, form: PostedForm
) -> Response:
    deal = opportunity_service.get(session, context.principal, deal_id)
    values = clean(
        form, ["outcome", "reason", "owner_am_id", "csm_id", "goals", "stakeholders", "promises"]
    )
    handoff = {
        k: values[k]
        for k in ("owner_am_id", "csm_id", "goals", "stakeholders", "promises")
        if values.get(k)
    }
    body: dict[str, Any] = {"outcome": values.get("outcome"), "reason": values.get("reason")}
    if values.get("outcome") == "won" and handoff:
        body["handoff"] = handoff
    try:
        require_csrf(context, form)
        require_version(deal, form, values)
        closed = save(
            session,
            lambda: close_deal(session, context.principal, deal_id, parse(OpportunityClose, body)),
        )
    except FormInvalid as exc:
        errors = {k.removeprefix("handoff."): v for k, v in exc.errors.items()}
        return _deal_page(request, session, context, deal, values, errors, exc.status)
    except StewardError as exc:  # e.g. a chosen AM who cannot take accounts
        session.rollback()
        errors = {k.removeprefix("handoff."): v for k, v in domain_error(exc).errors.items()}
        return _deal_page(request, session, context, deal, values, errors, exc.status)
    if closed.contract_id is not None:
        return redirect(f"/accounts/{closed.account_id}?won={closed.id}")
    return redirect(f"/deals/{deal_id}?saved=closed")


page_routers = [router]


LEAD_FIELDS = [
    "company",
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "source",
    "industry",
    "segment",
    "region",
    "need",
    "timeline",
    "owner_id",
    "status",
    "disqualified_reason",
]
LEAD_FLAGS = ["budget_confirmed", "authority_confirmed"]


def _lead_values(form: Any) -> dict[str, Any]:
    values = clean(form, LEAD_FIELDS)
    for flag in LEAD_FLAGS:
        values[flag] = form.get(flag) in ("on", "true", "1")
    return values


def _lead_page(
    request: Request,
    session: Session,
    context: WebContext,
    lead: Lead | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    saved: str | None = None,
) -> Response:
    sellers = [u for u in active_users(session) if u.role in (Role.AE, Role.TEAM_LEAD)]
    return render(
        request,
        "pipeline/lead.html",
        context,
        status,
        lead=leads.to_out(lead) if lead else None,
        v=values,
        errors=errors,
        saved=saved,
        sellers=sellers,
        sources=list(LeadSource),
        timelines=list(Timeline),
        segments=list(Segment),
        statuses=[s for s in LeadStatus if s != LeadStatus.CONVERTED],
    )


@router.get("/leads")
def leads_page(
    request: Request,
    session: DbSession,
    context: PageContext,
    status: Annotated[str, Query(max_length=20)] = "open",
) -> Response:
    chosen = status if status in {s.value for s in LeadStatus} else None
    items, total = leads.list_leads(session, context.principal, status=chosen, limit=200)
    if status == "open":
        items = [x for x in items if x.status not in leads.CLOSED]
        total = len(items)
    owners = {u.id: u.full_name for u in active_users(session)}
    return render(
        request,
        "pipeline/leads.html",
        context,
        items=[leads.to_out(x) for x in items],
        total=total,
        owners=owners,
        status=status,
        statuses=list(LeadStatus),
    )


@router.get("/leads/new")
def new_lead_form(request: Request, session: DbSession, context: PageContext) -> Response:
    return _lead_page(request, session, context, None, {"source": "web", "timeline": "unknown"}, {})


@router.post("/leads/new")
def create_lead_page(
    request: Request, session: DbSession, context: PageContext, form: PostedForm
) -> Response:
    values = _lead_values(form)
    body = {
        k: v
        for k, v in values.items()
        if v is not None and k not in ("status", "disqualified_reason")
    }
    try:
        require_csrf(context, form)
        lead = save(
            session, lambda: leads.create_lead(session, context.principal, parse(LeadIn, body))
        )
    except FormInvalid as exc:
        return _lead_page(request, session, context, None, values, exc.errors, exc.status)
    return redirect(f"/leads/{lead.id}?saved=created")


@router.get("/leads/{lead_id}")
def lead_page(
    request: Request,
    session: DbSession,
    context: PageContext,
    lead_id: PathId,
    saved: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    lead = leads.get_lead(session, context.principal, lead_id)
    values = {f: getattr(lead, f) for f in LEAD_FIELDS + LEAD_FLAGS} | {"version": lead.version}
    return _lead_page(request, session, context, lead, values, {}, saved=saved)


@router.post("/leads/{lead_id}")
def update_lead_page(
    request: Request, session: DbSession, context: PageContext, lead_id: PathId, form: PostedForm
) -> Response:
    lead = leads.get_lead(session, context.principal, lead_id)
    values = _lead_values(form)
    body = {k: v for k, v in values.items() if v is not None or k == "disqualified_reason"}
    try:
        require_csrf(context, form)
        require_version(lead, form, values)
        save(
            session,
            lambda: leads.update_lead(
                session, context.principal, lead_id, parse(LeadUpdate, body), None
            ),
        )
    except FormInvalid as exc:
        return _lead_page(request, session, context, lead, values, exc.errors, exc.status)
    return redirect(f"/leads/{lead_id}?saved=updated")


@router.post("/leads/{lead_id}/convert")
def convert_lead_page(
    request: Request, session: DbSession, context: PageContext, lead_id: PathId, form: PostedForm
) -> Response:
    lead = leads.get_lead(session, context.principal, lead_id)
    values = clean(form, ["opportunity_name", "amount", "close_date"])
    body = {k: v for k, v in values.items() if v is not None}
    try:
        require_csrf(context, form)
        require_version(lead, form, values)
        converted = save(
            session,
            lambda: leads.convert_lead(
                session, context.principal, lead_id, parse(LeadConvert, body)
            ),
        )
    except FormInvalid as exc:
        current = {f: getattr(lead, f) for f in LEAD_FIELDS + LEAD_FLAGS} | values
        return _lead_page(request, session, context, lead, current, exc.errors, exc.status)
    return redirect(f"/deals/{converted.opportunity_id}?saved=converted")
