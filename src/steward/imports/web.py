"""The Import page: upload a CSV, see every bad row, download them as CSV."""

from __future__ import annotations

import io
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from steward.api.deps import DbSession
from steward.core.errors import StewardError
from steward.imports.service import IMPORT_KINDS, import_csv
from steward.web.app import PageContext, render
from steward.web.forms import FormInvalid, PostedForm, require_csrf

router = APIRouter()
KIND_LABELS = {
    "accounts": "Accounts",
    "contacts": "Contacts",
    "contracts": "Contracts (one row per line item)",
    "opportunities": "Opportunities",
    "fx-rates": "Exchange rates (admins)",
}


def _page(request: Request, context, **values):  # type: ignore[no-untyped-def]
    kinds = [(k, KIND_LABELS.get(k, k)) for k in IMPORT_KINDS]
    return render(request, "imports/upload.html", context, kinds=kinds, **values)


@router.get("/imports")
def upload_form(request: Request, session: DbSession, context: PageContext) -> Response:
    return _page(request, context, report=None, error=None, f={"kind": "accounts"})


@router.post("/imports")
def upload(
    request: Request, session: DbSession, context: PageContext, form: PostedForm
) -> Response:
    kind = str(form.get("kind", "accounts"))
    dry_run = form.get("dry_run") == "true"
    values = {"kind": kind, "dry_run": dry_run}
    try:
        require_csrf(context, form)
    except FormInvalid as invalid:
        return _page(
            request, context, status_code=403, report=None, error=invalid.errors["form"], f=values
        )
    upload_file = form.get("file")
    if not isinstance(upload_file, UploadFile) or not upload_file.filename:
        return _page(
            request, context, status_code=422, report=None, error="Choose a CSV file.", f=values
        )
    try:
        text = upload_file.file.read().decode("utf-8-sig")
        report = import_csv(
            request.app.state.db,
            context.principal,
            kind,
            io.StringIO(text, newline=""),
            dry_run=dry_run,
        )
    except UnicodeDecodeError:
        error = "The file is not UTF-8 text; export it from your CRM as UTF-8 CSV."
        return _page(request, context, status_code=422, report=None, error=error, f=values)
    except StewardError as exc:
        return _page(
            request, context, status_code=exc.status, report=None, error=exc.detail, f=values
        )
    errors_href = "data:text/csv;charset=utf-8," + quote(report.errors_csv())
    return _page(
        request,
        context,
        report=report,
        error=None,
        f=values,
        filename=upload_file.filename,
        errors_href=errors_href,
    )


page_routers = [router]
