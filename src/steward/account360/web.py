"""Pages: My Book, Account 360, and the account forms."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.account360 import merge, search
from steward.account360.overview import account_360
from steward.accounts import policy, repository, service, team_scope
from steward.accounts.models import LifecycleStage, Segment, Tier
from steward.accounts.schemas import USAGE_FILTERS, AccountCreate, AccountQuery, AccountUpdate
from steward.api.deps import AppSettings, DbSession
from steward.capture import service as mail
from steward.churn.service import account_risk
from steward.core.errors import Conflict
from steward.core.schemas import MAX_ID, PathId
from steward.fields import forms as field_forms
from steward.fields import query as field_query
from steward.fields import service as fields
from steward.fields.models import Entity
from steward.health.overview import health_panel
from steward.qbr.pack import recent_quarters
from steward.segments import service as segments
from steward.segments.schemas import SegmentIn
from steward.users.models import Role, Team, User
from steward.users.service import active_users
from steward.web.app import PageContext, WebContext, redirect, render
from steward.web.forms import (
    STALE_FORM,
    FormInvalid,
    PostedForm,
    clean,
    form_query,
    parse,
    require_csrf,
    require_version,
    save,
)

router = APIRouter()
PAGE_SIZE = 50
MAIL_THREADS = 8  # the latest captured threads on Account 360
SORT_KEYS = (
    "name",
    "arr",
    "next_renewal_date",
    "last_touch_at",
    "owner",
    "segment",
    "tier",
    "health",
    "churn_risk",
)
ACCOUNT_FIELDS = [
    "name",
    "external_id",
    "domain",
    "industry",
    "segment",
    "tier",
    "lifecycle_stage",
    "parent_id",
    "owner_am_id",
    "csm_id",
    "ae_id",
    "strategist_id",
]


def _scopes(role: Role) -> list[tuple[str, str]]:
    if role == Role.TEAM_LEAD:
        return [("mine", "My accounts"), ("team", "My team"), ("all", "Everything I can see")]
    if role in (Role.DIRECTOR, Role.VP, Role.ADMIN):
        return [("mine", "My accounts"), ("all", "All accounts")]
    return [("mine", "My accounts")]


@router.get("/book")
def my_book(
    request: Request,
    session: DbSession,
    context: PageContext,
    settings: AppSettings,
    query: Annotated[AccountQuery, Depends(form_query(AccountQuery))],
    scope: Annotated[str | None, Query(max_length=10)] = None,
    sort: Annotated[str, Query(max_length=80)] = "next_renewal_date",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    view: Annotated[int | None, Query(ge=1, le=MAX_ID, description="A saved segment")] = None,
) -> Response:
    me = context.principal
    # A saved segment opens as its filters (which the reader may then change).
    chosen = segments.get_segment(session, me, view) if view is not None else None
    if chosen is not None and request.query_params.get("open") == "1":
        return redirect(_segment_url(chosen))
    custom_asked = {
        k: v for k, v in request.query_params.items() if field_query.is_custom(k) and v.strip()
    }
    custom = field_query.parse(session, Entity.ACCOUNT, custom_asked)
    scopes = _scopes(me.role)
    default_scope = "team" if me.role == Role.TEAM_LEAD else "all" if me.sees_all else "mine"
    scope = scope if scope in {key for key, _ in scopes} else default_scope
    today = date.today()
    filters = repository.BookFilters.of(
        scope, query, today, settings.checkin_cadence_days, custom=custom
    )
    columns = field_forms.book_columns(session)
    sortable = {*SORT_KEYS, *(f"{field_query.PREFIX}{c.key}" for c in columns)}
    if sort.lstrip("-") not in sortable:
        sort = "next_renewal_date"
    rows, _ = repository.list_account_rows(
        session,
        me,
        filters,
        sort=sort,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        count=False,
    )
    summary = repository.book_summary(session, me, filters, today)
    total = summary.accounts
    owners = []
    if me.is_manager:
        owners = list(
            session.scalars(
                select(User)
                .where(User.role.in_([Role.AM, Role.STRATEGIC_AM, Role.TEAM_LEAD]), User.is_active)
                .order_by(User.full_name)
            )
        )
    values: dict[str, Any] = dict(
        narrowed=_narrowed(session, query),
        rows=rows,
        total=total,
        summary=summary,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        scopes=scopes,
        owners=owners,
        # The filters as asked (the form's and the links' query parameters).
        f={
            "scope": scope,
            **query.model_dump(mode="json", exclude_defaults=True),
            "sort": sort,
        },
        segments=list(Segment),
        tiers=list(Tier),
        stages=list(LifecycleStage),
        today=today,
        custom_filters=field_forms.filter_inputs(session, custom_asked),
        custom_columns=columns,
        custom_values=fields.values_of(session, Entity.ACCOUNT, [row["id"] for row in rows]),
        views=segments.list_segments(session, me),
        view=chosen,
        team_id=me.team_id,
        usage_rows=[
            (f"{u.name}_min", f"{u.name}_max", u.label, "%" if u.percent else "")
            for u in USAGE_FILTERS
        ],
        usage_open=any(
            getattr(query, f"{u.name}_{end}") is not None
            for u in USAGE_FILTERS
            for end in ("min", "max")
        ),
    )
    values["f"].update(custom_asked)
    if chosen is not None:
        values["f"]["view"] = chosen.id
    template = (
        "accounts/_book_table.html" if request.headers.get("hx-request") else "accounts/book.html"
    )
    return render(request, template, context, **values)


def _segment_url(segment: Any) -> str:
    """My Book showing a saved segment: its filters as the page's query."""
    params = {**segment.filters, **{f"cf.{k}": v for k, v in segment.custom_fields.items()}}
    params["view"] = segment.id
    return "/book?" + urlencode(params)


@router.post("/book/segments")
def save_segment(
    request: Request, session: DbSession, context: PageContext, form: PostedForm
) -> Response:
    """My Book's current filters saved as a segment (private, or shared with my team)."""
    require_csrf(context, form)
    known = set(AccountQuery.model_fields) - {"include_archived"}
    filters = {
        k: str(v) for k, v in form.items() if k in known and isinstance(v, str) and v.strip()
    }
    custom = {
        k.removeprefix("cf."): str(v)
        for k, v in form.items()
        if k.startswith("cf.") and isinstance(v, str) and v.strip()
    }
    shared = form.get("share") == "on" and context.principal.team_id is not None
    try:
        data = parse(
            SegmentIn,
            {
                "name": clean(form, ["name"]).get("name"),
                "filters": filters,
                "custom_fields": custom,
                "team_id": context.principal.team_id if shared else None,
            },
        )
        segment = save(session, lambda: segments.create_segment(session, context.principal, data))
    except FormInvalid as exc:
        detail = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
        return render(request, "error.html", context, exc.status, title="Not saved", detail=detail)
    return redirect(_segment_url(segment))


def _narrowed(session: Any, query: AccountQuery) -> list[str]:
    """Plain words for a drill-down's narrowing of the book (seat, team, check-in due)."""
    labels = []
    if query.team_id is not None:
        team = session.get(Team, query.team_id)
        labels.append(f"accounts of {team.name if team else 'an unknown team'}")
    for seat in team_scope.SEATS:
        user_id = getattr(query, seat)
        if user_id is not None:
            user = session.get(User, user_id)
            name = user.full_name if user else "an unknown user"
            labels.append(f"{team_scope.SEAT_LABELS[seat]}: {name}")
    if query.checkin_due:
        labels.append("due a check-in")
    return labels


@router.get("/search")
def search_page(
    request: Request,
    session: DbSession,
    context: PageContext,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    results = search.search(session, context.principal, q)
    return render(request, "accounts/search.html", context, results=results)


@router.get("/accounts/new")
def new_account_form(request: Request, session: DbSession, context: PageContext) -> Response:
    return _account_form(
        request,
        session,
        context,
        None,
        {"segment": "smb", "tier": "standard", "lifecycle_stage": "onboarding"},
        {},
    )


def _people(session: Any) -> dict[str, list[User]]:
    users = active_users(session)
    return {
        "owner_am_id": [u for u in users if u.role in (Role.AM, Role.STRATEGIC_AM, Role.TEAM_LEAD)],
        "csm_id": [u for u in users if u.role in (Role.CSM, Role.TEAM_LEAD)],
        "ae_id": [u for u in users if u.role in (Role.AE, Role.TEAM_LEAD)],
        "strategist_id": [u for u in users if u.role in (Role.STRATEGIST, Role.STRATEGIC_AM)],
    }


def _account_form(
    request: Request,
    session: Any,
    context: Any,
    account: Any,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    posted: dict[str, Any] | None = None,
) -> Response:
    stored = (
        fields.values_of(session, Entity.ACCOUNT, [account.id])[account.id]
        if account is not None
        else None
    )
    return render(
        request,
        "accounts/form.html",
        context,
        status_code,
        account=account,
        v=values,
        errors=errors,
        people=_people(session),
        segments=list(Segment),
        tiers=list(Tier),
        stages=list(LifecycleStage),
        cf_inputs=field_forms.inputs(session, Entity.ACCOUNT, stored, posted),
        cf_users=active_users(session),
    )


@router.post("/accounts/new")
def create_account(
    request: Request, session: DbSession, context: PageContext, form: PostedForm
) -> Response:
    values = clean(form, ACCOUNT_FIELDS)
    posted = field_forms.posted_values(form, session, Entity.ACCOUNT)

    def create() -> Any:
        data = parse(AccountCreate, values)
        data.custom_fields = field_forms.to_values(session, Entity.ACCOUNT, posted)
        return service.create_account(session, context.principal, data)

    try:
        require_csrf(context, form)
        account = save(session, create)
    except FormInvalid as exc:
        return _account_form(
            request, session, context, None, values, exc.errors, exc.status, posted
        )
    return redirect(f"/accounts/{account.id}")


@router.get("/accounts/{account_id}")
def account_page(
    request: Request, session: DbSession, context: PageContext, account_id: PathId
) -> Response:
    survivor_id = repository.resolve_merged(session, context.principal, account_id)
    if survivor_id is not None:
        return redirect(f"/accounts/{survivor_id}")
    # Every statement below reads this one account's records.
    with policy.reading_few(session):
        return _account_page(request, session, context, account_id)


def _account_page(
    request: Request, session: Session, context: WebContext, account_id: int
) -> Response:
    today = date.today()
    view = account_360(session, context.principal, account_id, today)
    signals = mail.account_signals(session, context.principal, account_id, today)
    return render(
        request,
        "accounts/360.html",
        context,
        v=view,
        a=view.account,
        today=today,
        hp=health_panel(session, context.principal, account_id, today),
        churn=account_risk(
            session, context.principal, request.app.state.settings.currency, account_id
        ),
        override_until=today + timedelta(days=30),
        mail=mail.threads_of_account(session, context.principal, account_id, MAIL_THREADS),
        mail_signals=signals,
        contact_mail={c["contact_id"]: c for c in signals["contacts"]},
        meetings=mail.upcoming_meetings(session, context.principal, account_id=account_id),
        qbr_quarters=recent_quarters(today),
        custom_shown=field_forms.shown(
            session,
            Entity.ACCOUNT,
            fields.values_of(session, Entity.ACCOUNT, [account_id])[account_id],
        ),
    )


@router.get("/accounts/{account_id}/edit")
def edit_account_form(
    request: Request, session: DbSession, context: PageContext, account_id: PathId
) -> Response:
    account = repository.get_account(session, context.principal, account_id)
    values = {field: getattr(account, field) for field in ACCOUNT_FIELDS}
    return _account_form(request, session, context, account, values, {})


@router.post("/accounts/{account_id}/edit")
def update_account(
    request: Request, session: DbSession, context: PageContext, account_id: PathId, form: PostedForm
) -> Response:
    account = repository.get_account(session, context.principal, account_id)
    values = clean(form, ACCOUNT_FIELDS)
    # Unchanged assignments are not re-sent, so an AM may edit details of an account
    # whose CSM someone else assigned.
    changes = {k: v for k, v in values.items() if str(getattr(account, k) or "") != str(v or "")}
    posted = field_forms.posted_values(form, session, Entity.ACCOUNT)
    stored = fields.values_of(session, Entity.ACCOUNT, [account_id])[account_id]

    def update() -> Any:
        data = parse(AccountUpdate, changes)
        custom = field_forms.to_values(session, Entity.ACCOUNT, posted, stored)
        if custom:
            data.custom_fields = custom
        return service.update_account(session, context.principal, account_id, data)

    try:
        require_csrf(context, form)
        require_version(account, form, values)
        save(session, update)
    except FormInvalid as exc:
        return _account_form(
            request, session, context, account, values, exc.errors, exc.status, posted
        )
    return redirect(f"/accounts/{account_id}")


def _merge_form(
    request: Request,
    session: Any,
    context: Any,
    account: Any,
    chosen: set[int],
    other_ids: str,
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return render(
        request,
        "accounts/merge.html",
        context,
        status_code=status,
        a=account,
        candidates=repository.duplicate_candidates(session, context.principal, account),
        chosen=chosen,
        other_ids=other_ids,
        errors=errors,
    )


@router.get("/accounts/{account_id}/merge")
def merge_form(
    request: Request, session: DbSession, context: PageContext, account_id: PathId
) -> Response:
    account = repository.ensure_readable(session, context.principal, account_id)
    return _merge_form(request, session, context, account, set(), "", {})


@router.post("/accounts/{account_id}/merge")
def merge_accounts(
    request: Request, session: DbSession, context: PageContext, account_id: PathId, form: PostedForm
) -> Response:
    account = repository.ensure_readable(session, context.principal, account_id)
    other_ids = str(form.get("other_ids") or "")
    chosen: list[int] = []
    try:
        require_csrf(context, form)
        picked = [str(raw) for raw in form.getlist("merged_ids")]
        for raw in [*picked, *other_ids.replace(",", " ").split()]:
            if not raw.strip().isdigit():
                raise FormInvalid({"merged_ids": f"{raw!r} is not an account id"})
            if int(raw) not in chosen:
                chosen.append(int(raw))
        opened_at = str(form.get("version") or "")
        save(
            session,
            lambda: merge.merge_accounts(
                session,
                context.principal,
                account_id,
                chosen,
                check_version=lambda survivor: _same_version(survivor, opened_at),
            ),
        )
    except FormInvalid as exc:
        return _merge_form(
            request, session, context, account, set(chosen), other_ids, exc.errors, exc.status
        )
    except Conflict as exc:
        session.rollback()
        return _merge_form(
            request, session, context, account, set(chosen), other_ids, {"form": exc.detail}, 409
        )
    return redirect(f"/accounts/{account_id}")


def _same_version(account: Any, opened_at: str) -> None:
    """The page was opened on this version of the account, or the merge is refused (409)."""
    if opened_at and opened_at != str(account.version):
        raise Conflict(STALE_FORM)


page_routers = [router]
