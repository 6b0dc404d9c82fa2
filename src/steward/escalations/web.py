"""Pages: the escalations list, one escalation (history, status changes), and the new form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from steward.accounts import repository as accounts
from steward.accounts import team_scope
from steward.accounts.child_forms import ChildForm, Field, add_child_form
from steward.api.deps import DbSession
from steward.contacts.models import Contact
from steward.contacts.service import contacts_of
from steward.core.crud import PageParams
from steward.core.schemas import PathId
from steward.escalations.models import EscalationStatus, InternalTeam, Severity
from steward.escalations.schemas import EscalationCreate, EscalationFilters, EscalationUpdate
from steward.escalations.service import escalation_service
from steward.users.models import Role
from steward.users.service import active_users
from steward.web.app import PageContext, WebContext, redirect, render
from steward.web.forms import (
    FormInvalid,
    PostedForm,
    choice,
    clean,
    parse,
    require_csrf,
    require_version,
    save,
)

router = APIRouter()
UPDATE_FIELDS = ["status", "severity", "team", "owner_id", "note", "resolution"]


def _fields(session: Session, account_id: PathId) -> list[Field]:
    contacts = contacts_of(session, account_id)
    return [
        Field("title", "What is wrong", required=True),
        Field(
            "severity",
            "Severity",
            "select",
            options=[
                ("p1", "P1 · business down"),
                ("p2", "P2 · major function impaired"),
                ("p3", "P3 · limited impact"),
                ("p4", "P4 · question or request"),
            ],
        ),
        Field(
            "team",
            "Routed to",
            "select",
            options=[(t.value, t.value.capitalize()) for t in InternalTeam],
        ),
        Field(
            "contact_id",
            "Raised by",
            "select",
            options=[("", "—")] + [(str(c.id), f"{c.first_name} {c.last_name}") for c in contacts],
        ),
        Field(
            "owner_id",
            "Owner",
            "select",
            options=[("", "The account manager")]
            + [(str(u.id), u.full_name) for u in active_users(session)],
        ),
        Field("description", "Details", "textarea"),
    ]


add_child_form(
    router,
    ChildForm(
        path="escalations/new",
        title="Open an escalation",
        schema=EscalationCreate,
        fields=_fields,
        create=escalation_service.create,
        defaults=lambda: {"severity": "p3", "team": "support"},
    ),
)


@router.get("/escalations")
def escalations_page(
    request: Request,
    session: DbSession,
    context: PageContext,
    scope: Annotated[str, Query(max_length=10)] = "mine",
    state: Annotated[str, Query(max_length=12)] = "open",
    severity: Annotated[str, Query(max_length=4)] = "",
) -> Response:
    chosen = choice(Severity, severity)
    me = context.principal
    scope = (
        scope if scope in ("mine", "team", "all") and (scope != "team" or me.is_manager) else "mine"
    )
    filters = EscalationFilters(
        owner_id=me.user_id if scope == "mine" else None,
        account_team_ids=list(session.scalars(team_scope.led_team_ids(me)))
        if scope == "team"
        else None,
        unresolved_only=state in ("open", "breached"),
        breached_only=state == "breached",
        severity=chosen,
    )
    items, total = escalation_service.list(
        session, context.principal, filters, PageParams(200, 0, "sla_due_at")
    )
    names = accounts.names_of(session, context.principal, (e.account_id for e in items))
    owners = {u.id: u.full_name for u in active_users(session)}
    return render(
        request,
        "escalations/list.html",
        context,
        items=items,
        total=total,
        names=names,
        owners=owners,
        scopes=[("mine", "Mine")]
        + (
            [("team", "My team's" if me.role == Role.TEAM_LEAD else "Every team's")]
            if me.is_manager
            else []
        )
        + [("all", "All I can see")],
        f={"scope": scope, "state": state, "severity": chosen.value if chosen else ""},
    )


def _detail(
    request: Request,
    session: Session,
    context: WebContext,
    escalation_id: PathId,
    values: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    escalation = escalation_service.get(session, context.principal, escalation_id)
    account = accounts.get_account(session, context.principal, escalation.account_id)
    history = escalation_service.history(session, context.principal, escalation_id)
    people = active_users(session)
    contact = session.get(Contact, escalation.contact_id) if escalation.contact_id else None
    return render(
        request,
        "escalations/detail.html",
        context,
        status,
        e=escalation,
        account=account,
        contact=contact,
        history=history,
        people=people,
        names={u.id: u.full_name for u in people},
        statuses=[s.value for s in EscalationStatus],
        v=values or {},
        errors=errors or {},
    )


@router.get("/escalations/{escalation_id}")
def escalation_page(
    request: Request, session: DbSession, context: PageContext, escalation_id: PathId
) -> Response:
    return _detail(request, session, context, escalation_id)


@router.post("/escalations/{escalation_id}")
def update_escalation(
    request: Request,
    session: DbSession,
    context: PageContext,
    escalation_id: PathId,
    form: PostedForm,
) -> Response:
    values = clean(form, UPDATE_FIELDS)
    payload = {k: v for k, v in values.items() if v is not None}
    try:
        require_csrf(context, form)
        require_version(
            escalation_service.get(session, context.principal, escalation_id), form, values
        )
        save(
            session,
            lambda: escalation_service.update(
                session, context.principal, escalation_id, parse(EscalationUpdate, payload)
            ),
        )
    except FormInvalid as exc:
        return _detail(request, session, context, escalation_id, values, exc.errors, exc.status)
    return redirect(f"/escalations/{escalation_id}")


page_routers = [router]
