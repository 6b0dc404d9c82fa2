"""CSV import and export through the API (the same code as `steward import|export`)."""

from __future__ import annotations

import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import Response

from steward.api.deps import CurrentPrincipal, DbSession
from steward.core.errors import InvalidField
from steward.core.schemas import MAX_ID
from steward.db.engine import Database
from steward.imports import service

router = APIRouter(tags=["import-export"])


@router.post("/imports/{kind}")
def import_file(
    kind: str,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    file: Annotated[UploadFile, File(description="CSV: Steward, Salesforce or HubSpot headers")],
    dry_run: bool = False,
    report: Annotated[
        Literal["json", "csv"], Query(description="csv: the bad rows only, as CSV")
    ] = "json",
) -> Any:
    """Upsert records by external id. Every good row is imported (one transaction per batch of
    500); every bad row is reported with its line, column and reason."""
    db: Database = request.app.state.db
    # The import writes in batches of its own; end the request's transaction (which may hold
    # the token's last-used stamp, and with it SQLite's write lock) first.
    session.commit()
    try:
        text = file.file.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidField("file", "is not UTF-8 text; export it as UTF-8 CSV") from None
    result = service.import_csv(db, principal, kind, io.StringIO(text, newline=""), dry_run=dry_run)
    if report == "csv":
        return Response(result.errors_csv(), media_type="text/csv")
    return result.as_dict()


@router.get("/exports/{kind}")
def export_file(
    kind: str,
    request: Request,
    principal: CurrentPrincipal,
    format: Annotated[
        Literal["steward", "salesforce", "hubspot"], Query(description="Which headers")
    ] = "steward",
    segment_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="accounts only: the accounts of this saved segment"),
    ] = None,
) -> Response:
    """The caller's records as CSV, in a format `POST /imports/{kind}` reads back."""
    out = io.StringIO()
    service.export_csv(
        request.app.state.db, principal, kind, out, format=format, segment_id=segment_id
    )
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{kind}.csv"'},
    )


api_routers = [router]
