"""Admin → Custom fields: declare, rename and archive fields, and apply the YAML file with a
dry run first (the same service as the API)."""

from fastapi import APIRouter, Request, Response

from steward.api.deps import DbSession
from steward.core.errors import StewardError
from steward.core.schemas import PathId
from steward.fields import bundle, service
from steward.fields.models import CHURN_TYPES, ChurnUse, Entity, FieldType
from steward.fields.schemas import FieldCreate, FieldUpdate
from steward.web.app import AdminPageContext, WebContext, redirect, render
from steward.web.forms import (
    FormInvalid,
    PostedForm,
    clean,
    domain_error,
    parse,
    require_csrf,
    save,
)

router = APIRouter()
ENTITY_LABELS = {
    Entity.ACCOUNT: "Accounts",
    Entity.CONTACT: "Contacts",
    Entity.OPPORTUNITY: "Opportunities",
    Entity.CONTRACT: "Contracts",
}
TYPE_LABELS = {
    FieldType.TEXT: "Text",
    FieldType.LONG_TEXT: "Long text",
    FieldType.NUMBER: "Number",
    FieldType.MONEY: "Money",
    FieldType.PERCENT: "Percent",
    FieldType.DATE: "Date",
    FieldType.BOOLEAN: "Yes / no",
    FieldType.PICKLIST: "Picklist",
    FieldType.MULTI_PICKLIST: "Multi-picklist",
    FieldType.USER: "User",
    FieldType.URL: "Web address",
}


CHURN_USES = {
    ChurnUse.HISTORY: "Learned as it was each day (from the audit trail)",
    ChurnUse.FIXED: "Learned as it is today (the value never changes)",
}


def _page(
    request: Request,
    session: DbSession,
    context: WebContext,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
    posted: dict[str, str] | None = None,
    yaml_text: str | None = None,
    report: object = None,
) -> Response:
    fields = service.list_fields(session, include_archived=False)
    return render(
        request,
        "admin/fields.html",
        context,
        status,
        by_entity={entity: [f for f in fields if f.entity == entity] for entity in Entity},
        entity_labels=ENTITY_LABELS,
        type_labels=TYPE_LABELS,
        churn_uses=CHURN_USES,
        churn_types=[kind.value for kind in CHURN_TYPES],
        errors=errors or {},
        posted=posted or {},
        yaml_text=yaml_text if yaml_text is not None else bundle.export_text(session),
        report=report,
    )


@router.get("/admin/fields")
def fields_page(request: Request, session: DbSession, context: AdminPageContext) -> Response:
    return _page(request, session, context)


def _options(text: str | None) -> list[str] | None:
    """One option per line (or separated by commas), blanks dropped."""
    if not text:
        return None
    parts = [p.strip() for line in text.splitlines() for p in line.split(",")]
    return [p for p in parts if p] or None


@router.post("/admin/fields")
def add_field(
    request: Request, session: DbSession, context: AdminPageContext, form: PostedForm
) -> Response:
    posted = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        require_csrf(context, form)
        values = clean(form, ["entity", "key", "label", "type", "help_text"])
        values["options"] = _options(posted.get("options"))
        values["required"] = form.get("required") == "on"
        values["churn_feature"] = posted.get("churn_feature") or None
        data = parse(FieldCreate, values)
        save(session, lambda: service.create_field(session, context.principal, data))
    except FormInvalid as exc:
        return _page(request, session, context, errors=exc.errors, status=exc.status, posted=posted)
    return redirect("/admin/fields")


@router.post("/admin/fields/{field_id}")
def edit_field(
    request: Request,
    session: DbSession,
    context: AdminPageContext,
    form: PostedForm,
    field_id: PathId,
) -> Response:
    try:
        require_csrf(context, form)
        values = clean(form, ["label", "help_text"])
        if "options" in form:
            values["options"] = _options(str(form.get("options") or ""))
        values["required"] = form.get("required") == "on"
        if "churn_feature" in form:
            values["churn_feature"] = str(form.get("churn_feature") or "") or None
        data = parse(FieldUpdate, values)
        save(session, lambda: service.update_field(session, context.principal, field_id, data))
    except FormInvalid as exc:
        return _page(request, session, context, errors=exc.errors, status=exc.status)
    return redirect("/admin/fields")


@router.post("/admin/fields/{field_id}/archive")
def archive_field(
    request: Request,
    session: DbSession,
    context: AdminPageContext,
    form: PostedForm,
    field_id: PathId,
) -> Response:
    try:
        require_csrf(context, form)
        save(session, lambda: service.archive_field(session, context.principal, field_id))
    except FormInvalid as exc:
        return _page(request, session, context, errors=exc.errors, status=exc.status)
    return redirect("/admin/fields")


@router.post("/admin/fields-file")
def apply_file(
    request: Request,
    session: DbSession,
    context: AdminPageContext,
    form: PostedForm,
) -> Response:
    """The declaration file, checked (dry run) or applied: all or nothing either way."""
    text = str(form.get("yaml") or "")
    action = "apply" if form.get("action") == "apply" else "dry_run"
    try:
        require_csrf(context, form)
        result = bundle.import_text(session, context.principal, text, dry_run=action != "apply")
    except FormInvalid as exc:
        return _page(
            request, session, context, errors=exc.errors, status=exc.status, yaml_text=text
        )
    except StewardError as exc:
        session.rollback()
        invalid = domain_error(exc)
        return _page(request, session, context, errors=invalid.errors, status=422, yaml_text=text)
    failed = any(change.outcome.startswith("error") for change in result.changes)
    if failed or action != "apply":
        session.rollback()
    else:
        session.commit()
    return _page(
        request,
        session,
        context,
        status=422 if failed else 200,
        yaml_text=text,
        report={
            "applied": action == "apply" and not failed,
            "failed": failed,
            "changes": result.changes,
        },
    )


page_routers = [router]
