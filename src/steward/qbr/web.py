"""Pages: the pack from Account 360 (a file), and the admin's pack template."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from steward.api.deps import DbSession
from steward.core.errors import StewardError
from steward.core.schemas import PathId
from steward.qbr import service
from steward.qbr.models import SECTIONS
from steward.qbr.schemas import QbrFormat, QbrTemplateIn
from steward.web.app import AdminPageContext, PageContext, WebContext, render
from steward.web.forms import FormInvalid, PostedForm, clean, parse, require_csrf, save

router = APIRouter()


@router.get("/accounts/{account_id}/qbr")
def qbr_pack(
    request: Request,
    session: DbSession,
    context: PageContext,
    account_id: PathId,
    period: str = "",
    format: str = "pptx",
) -> Response:
    try:
        if format not in {f.value for f in QbrFormat}:
            raise FormInvalid({"format": "choose pptx or pdf"})
        made = service.make_pack(session, context.principal, account_id, period, QbrFormat(format))
        session.commit()
    except FormInvalid as exc:
        detail = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
        return render(request, "error.html", context, 422, title="Bad request", detail=detail)
    except StewardError as exc:
        session.rollback()
        return render(
            request, "error.html", context, exc.status, title=exc.title, detail=exc.detail
        )
    return Response(
        made.content,
        media_type=made.media_type,
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )


def _template_page(
    request: Request,
    session: DbSession,
    context: WebContext,
    errors: dict[str, str] | None = None,
    status: int = 200,
    saved: bool = False,
) -> Response:
    return render(
        request,
        "admin/qbr.html",
        context,
        status,
        t=service.template_out(session),
        sections=SECTIONS,
        errors=errors or {},
        saved=saved,
    )


@router.get("/admin/qbr")
def template_page(request: Request, session: DbSession, context: AdminPageContext) -> Response:
    return _template_page(request, session, context)


@router.post("/admin/qbr")
def save_template(
    request: Request, session: DbSession, context: AdminPageContext, form: PostedForm
) -> Response:
    upload = form.get("logo")
    logo: tuple[bytes, str] | None = None
    if isinstance(upload, UploadFile) and upload.filename:
        logo = (upload.file.read(service.MAX_LOGO_BYTES + 1), upload.content_type or "")
    try:
        require_csrf(context, form)
        values = clean(form, ["company_name", "primary_color", "accent_color"])
        values["sections"] = [str(s) for s in form.getlist("sections")]
        data = parse(QbrTemplateIn, values)
        save(
            session,
            lambda: service.save_template(
                session,
                context.principal,
                data,
                logo=logo,
                remove_logo=form.get("remove_logo") == "on",
            ),
        )
    except FormInvalid as exc:
        return _template_page(request, session, context, exc.errors, exc.status)
    return _template_page(request, session, context, saved=True)


page_routers = [router]
