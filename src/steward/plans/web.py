"""Pages: a success plan (outcomes, milestones), the new-plan form, the account plan, and the
milestone status form shared with onboarding projects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts import repository as accounts
from steward.accounts.child_forms import ChildForm, Field, add_child_form
from steward.api.deps import AppSettings, DbSession
from steward.contacts.service import contacts_of
from steward.core.errors import StewardError, TooManyRequests
from steward.core.schemas import PathId
from steward.db.base import utcnow
from steward.plans import account_plans, portfolio, sharing
from steward.plans.models import (
    AccountPlan,
    GoalStatus,
    MilestoneStatus,
    OutcomeStatus,
    PlanShare,
)
from steward.plans.schemas import (
    AccountPlanIn,
    MilestoneIn,
    MilestoneUpdate,
    OutcomeIn,
    OutcomeUpdate,
    PlanCommentIn,
    PlanMetricIn,
    PlanShareIn,
    SuccessPlanCreate,
)
from steward.plans.service import milestone_service, success_plan_service
from steward.products.models import Product
from steward.users.service import active_users
from steward.web.app import PageContext, WebContext, private, redirect, render, safe_next
from steward.web.forms import (
    FormInvalid,
    PostedForm,
    clean,
    parse,
    require_csrf,
    require_csrf_for_button,
    require_version,
    save,
)

router = APIRouter()
GOAL_FIELDS = ("title", "product_id", "target_arr", "due_date", "status")
BLANK_GOAL_ROWS = 2


def _plan_fields(session: Session, _account_id: PathId) -> list[Field]:
    return [
        Field("title", "Plan", required=True, help="e.g. FY27 outcomes"),
        Field("summary", "What the client wants to achieve", "textarea"),
        Field(
            "owner_id",
            "Owner",
            "select",
            options=[("", "The account's CSM")]
            + [(str(u.id), u.full_name) for u in active_users(session)],
        ),
        Field("start_date", "Starts", "date"),
        Field("target_date", "Target date", "date"),
    ]


add_child_form(
    router,
    ChildForm(
        path="success-plans/new",
        title="New success plan",
        schema=SuccessPlanCreate,
        fields=_plan_fields,
        create=success_plan_service.create,
    ),
)


def _plan_page(
    request: Request,
    session: Session,
    context: WebContext,
    plan_id: PathId,
    errors: dict[str, str] | None = None,
    status: int = 200,
    new_link: str | None = None,
) -> Response:
    detail = success_plan_service.detail(session, context.principal, plan_id)
    account = accounts.get_account(session, context.principal, detail.account_id)
    people = active_users(session)
    contacts = list(contacts_of(session, account.id))
    response = render(
        request,
        "plans/success_plan.html",
        context,
        status,
        plan=detail,
        account=account,
        people=people,
        names={u.id: u.full_name for u in people},
        outcome_statuses=[s.value for s in OutcomeStatus],
        milestone_statuses=[s.value for s in MilestoneStatus],
        errors=errors or {},
        contacts=contacts,
        contact_names={c.id: c.full_name for c in contacts},
        shares=sharing.shares_of(session, context.principal, plan_id),
        customer=sharing.customer_side(session, context.principal, plan_id),
        new_link=new_link,
        now=utcnow(),
    )
    # A new link is shown once: keep it out of caches.
    return private(response) if new_link else response


@router.get("/success-plans/{plan_id}")
def success_plan_page(
    request: Request, session: DbSession, context: PageContext, plan_id: PathId
) -> Response:
    return _plan_page(request, session, context, plan_id)


@router.post("/success-plans/{plan_id}/outcomes")
def add_outcome(
    request: Request, session: DbSession, context: PageContext, plan_id: PathId, form: PostedForm
) -> Response:
    values = clean(form, ["description", "success_measure"])
    try:
        require_csrf(context, form)
        data = parse(OutcomeIn, {k: v for k, v in values.items() if v is not None})
        save(
            session,
            lambda: success_plan_service.add_outcome(session, context.principal, plan_id, data),
        )
    except FormInvalid as exc:
        return _plan_page(request, session, context, plan_id, exc.errors, exc.status)
    return redirect(f"/success-plans/{plan_id}")


@router.post("/success-plans/{plan_id}/outcomes/{outcome_id}")
def update_outcome(
    request: Request,
    session: DbSession,
    context: PageContext,
    plan_id: PathId,
    outcome_id: int,
    form: PostedForm,
) -> Response:
    try:
        require_csrf(context, form)
        data = parse(OutcomeUpdate, {"status": form.get("status")})
        save(
            session,
            lambda: success_plan_service.update_outcome(
                session, context.principal, plan_id, outcome_id, data
            ),
        )
    except FormInvalid as exc:
        return _plan_page(request, session, context, plan_id, exc.errors, exc.status)
    return redirect(f"/success-plans/{plan_id}")


@router.post("/success-plans/{plan_id}/milestones")
def add_milestone(
    request: Request, session: DbSession, context: PageContext, plan_id: PathId, form: PostedForm
) -> Response:
    values = clean(form, ["title", "owner_id", "due_date", "outcome_id", "contact_owner_id"])
    try:
        require_csrf(context, form)
        data = parse(MilestoneIn, {k: v for k, v in values.items() if v is not None})
        save(
            session,
            lambda: success_plan_service.add_milestone(session, context.principal, plan_id, data),
        )
    except FormInvalid as exc:
        return _plan_page(request, session, context, plan_id, exc.errors, exc.status)
    return redirect(f"/success-plans/{plan_id}")


@router.post("/success-plans/{plan_id}/shares")
def share_plan(
    request: Request, session: DbSession, context: PageContext, plan_id: PathId, form: PostedForm
) -> Response:
    try:
        require_csrf(context, form)
        data = parse(PlanShareIn, clean(form, ["contact_id", "expires_in_days"]))
        _, url = save(
            session, lambda: sharing.share_plan(session, context.principal, plan_id, data)
        )
    except FormInvalid as exc:
        return _plan_page(request, session, context, plan_id, exc.errors, exc.status)
    return _plan_page(request, session, context, plan_id, new_link=url)


@router.post("/success-plans/{plan_id}/shares/{share_id}/revoke")
def revoke_share(
    request: Request,
    session: DbSession,
    context: PageContext,
    plan_id: PathId,
    share_id: PathId,
    form: PostedForm,
) -> Response:
    require_csrf_for_button(context, form)
    sharing.revoke_share(session, context.principal, plan_id, share_id)
    session.commit()
    return redirect(f"/success-plans/{plan_id}#sharing")


# --- the customer's page: opened by a personal link, no login ------------------------------


def _shared_page(
    request: Request,
    session: Session,
    share: PlanShare,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    view = sharing.shared_plan(session, share)
    return private(
        render(
            request,
            "plans/shared.html",
            None,
            status,
            view=view,
            errors=errors or {},
            token=request.path_params["token"],
        )
    )


def _problem_page(request: Request, exc: StewardError) -> Response:
    response = private(
        render(request, "error.html", None, exc.status, title=exc.title, detail=exc.detail)
    )
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _open(request: Request, session: Session, token: str) -> PlanShare:
    request.app.state.rate_limits.hit("shared link", token)
    return sharing.open_share(session, token)


@router.get("/p/{token}")
def shared_plan_page(request: Request, session: DbSession, token: str) -> Response:
    try:
        share = _open(request, session, token)
        sharing.touch(session, share)
        session.commit()
    except StewardError as exc:
        session.rollback()
        return _problem_page(request, exc)
    return _shared_page(request, session, share)


def _customer_action(
    request: Request,
    session: Session,
    token: str,
    action: Callable[[PlanShare], object],
    anchor: str,
) -> Response:
    """One customer write: its own transaction, then back to the page (303), or the page again
    with the field's error (422); an unknown link stays a 404 page."""
    try:
        share = _open(request, session, token)
    except StewardError as exc:
        return _problem_page(request, exc)
    try:
        save(session, lambda: action(share))
    except FormInvalid as exc:
        return _shared_page(request, session, share, exc.status, exc.errors)
    except StewardError as exc:
        session.rollback()
        return _problem_page(request, exc)
    return private(redirect(f"/p/{token}#{anchor}"))


@router.post("/p/{token}/milestones/{milestone_id}/done")
def customer_completes_milestone(
    request: Request, session: DbSession, token: str, milestone_id: PathId
) -> Response:
    return _customer_action(
        request,
        session,
        token,
        lambda share: sharing.complete_milestone(session, share, milestone_id),
        f"milestone-{milestone_id}",
    )


@router.post("/p/{token}/comments")
def customer_comments(
    request: Request, session: DbSession, token: str, form: PostedForm
) -> Response:
    def act(share: PlanShare) -> object:
        data = parse(PlanCommentIn, clean(form, ["body", "milestone_id"]))
        return sharing.add_comment(session, share, data)

    return _customer_action(request, session, token, act, "comments")


METRIC_FIELDS = ["name", "unit", "outcome_id", "baseline", "current", "target"]


@router.post("/p/{token}/metrics")
def customer_adds_metric(
    request: Request, session: DbSession, token: str, form: PostedForm
) -> Response:
    def act(share: PlanShare) -> object:
        return sharing.save_metric(session, share, parse(PlanMetricIn, clean(form, METRIC_FIELDS)))

    return _customer_action(request, session, token, act, "metrics")


@router.post("/p/{token}/metrics/{metric_id}")
def customer_updates_metric(
    request: Request, session: DbSession, token: str, metric_id: PathId, form: PostedForm
) -> Response:
    def act(share: PlanShare) -> object:
        data = parse(PlanMetricIn, clean(form, METRIC_FIELDS))
        return sharing.save_metric(session, share, data, metric_id)

    return _customer_action(request, session, token, act, f"metric-{metric_id}")


@router.post("/milestones/{milestone_id}")
def update_milestone(
    request: Request,
    session: DbSession,
    context: PageContext,
    milestone_id: PathId,
    form: PostedForm,
) -> Response:
    """Status changes from a plan's or a project's page (back to where it came from)."""
    milestone = milestone_service.get(session, context.principal, milestone_id)
    back = safe_next(form.get("next"), f"/accounts/{milestone.account_id}")
    try:
        require_csrf(context, form)
        data = parse(MilestoneUpdate, {"status": form.get("status")})
        save(
            session,
            lambda: milestone_service.update(session, context.principal, milestone_id, data),
        )
    except FormInvalid:
        return redirect(back)
    return redirect(back)


def _account_plan_page(
    request: Request,
    session: Session,
    context: WebContext,
    account_id: PathId,
    goals: list[dict[str, object]] | None = None,
    values: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    plan = account_plans.account_plan(session, context.principal, account_id)
    account = accounts.get_account(session, context.principal, account_id)
    if goals is None:
        goals = [
            {
                "title": g.title,
                "product_id": g.product_id,
                "target_arr": g.target_arr,
                "due_date": g.due_date,
                "status": g.status,
            }
            for g in plan.goals
        ]
    rows = goals + [{} for _ in range(BLANK_GOAL_ROWS)]
    products = session.scalars(
        select(Product).where(Product.archived_at.is_(None)).order_by(Product.name)
    )
    people = active_users(session)
    return render(
        request,
        "plans/account_plan.html",
        context,
        status,
        plan=plan,
        account=account,
        goal_rows=rows,
        products=list(products),
        goal_statuses=[s.value for s in GoalStatus],
        names={u.id: u.full_name for u in people},
        v=values
        or {
            "period": plan.period,
            "strategy": plan.strategy,
            "executive_sponsor_id": plan.executive_sponsor_id,
        },
        people=people,
        errors=errors or {},
    )


@router.get("/accounts/{account_id}/plan")
def account_plan_page(
    request: Request, session: DbSession, context: PageContext, account_id: PathId
) -> Response:
    return _account_plan_page(request, session, context, account_id)


@router.post("/accounts/{account_id}/plan")
def save_account_plan(
    request: Request, session: DbSession, context: PageContext, account_id: PathId, form: PostedForm
) -> Response:
    values = clean(form, ["period", "strategy", "executive_sponsor_id"])
    columns = {name: form.getlist(f"goal_{name}") for name in GOAL_FIELDS}
    goals: list[dict[str, object]] = []
    for index in range(len(columns["title"])):
        row = {
            name: str(columns[name][index]).strip()
            for name in GOAL_FIELDS
            if index < len(columns[name])
        }
        if row.get("title"):
            goals.append({k: v for k, v in row.items() if v})
    try:
        require_csrf(context, form)
        accounts.ensure_readable(session, context.principal, account_id)
        require_version(
            session.scalar(select(AccountPlan).where(AccountPlan.account_id == account_id)),
            form,
            values,
        )
        fields = {k: v for k, v in values.items() if v is not None and k != "version"}
        data = parse(AccountPlanIn, fields | {"goals": goals})
        save(
            session,
            lambda: account_plans.save_account_plan(session, context.principal, account_id, data),
        )
    except FormInvalid as exc:
        return _account_plan_page(
            request, session, context, account_id, goals, values, exc.errors, exc.status
        )
    return redirect(f"/accounts/{account_id}/plan")


@router.get("/portfolio")
def portfolio_page(
    request: Request, session: DbSession, context: PageContext, settings: AppSettings
) -> Response:
    """Key and strategic accounts: ARR and growth, plan, sponsors on both sides, buying roles
    covered, whitespace and the next QBR, rolled up."""
    me = context.principal
    figures = portfolio.portfolio(
        session,
        me,
        settings.currency,
        settings.qbr_cadence_days,
        date.today(),
        mine_only=portfolio.mine_only(me),
    )
    return render(
        request,
        "plans/portfolio.html",
        context,
        p=figures,
        mine=portfolio.mine_only(me),
        limit=portfolio.LIMIT,
    )


page_routers = [router]
