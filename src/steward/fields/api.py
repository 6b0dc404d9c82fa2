"""`/api/v1/custom-fields`: the declarations (admins change them, everyone reads them), and
the YAML file under version control (export; import with a dry run)."""

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from steward.api.configuration import Configuration, add_configuration_routes
from steward.api.deps import AdminPrincipal, CurrentPrincipal, DbSession, RawBody
from steward.core.errors import InvalidField
from steward.fields import bundle, service
from steward.fields.schemas import FieldCreate, FieldOut, FieldsImport, FieldUpdate

router = APIRouter(prefix="/custom-fields", tags=["custom fields"])


@router.get(
    "/export",
    summary="Every live custom field as one YAML file",
    response_class=Response,
    responses={200: {"content": {"application/yaml": {}}}},
)
def export_fields(session: DbSession, _: CurrentPrincipal) -> Response:
    return Response(bundle.export_text(session), media_type="application/yaml")


@router.post(
    "/import",
    response_model=FieldsImport,
    summary="Apply a YAML declaration file (all or nothing; dry_run=true reports only)",
    responses={422: {"model": FieldsImport}},
)
def import_fields(
    raw: RawBody, session: DbSession, principal: AdminPrincipal, dry_run: bool = False
) -> Any:
    try:
        text = raw.decode()
    except UnicodeDecodeError as exc:
        raise InvalidField("file", "must be UTF-8 text") from exc
    result = bundle.import_text(session, principal, text, dry_run=dry_run)
    if any(change.outcome.startswith("error") for change in result.changes):
        session.rollback()
        return JSONResponse(result.model_dump(mode="json"), status_code=422)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return result


add_configuration_routes(
    router,
    Configuration(
        noun="custom_field",
        plural="custom_fields",
        id_param="field_id",
        out_model=FieldOut,
        out=service.field_out,
        list_all=lambda session: service.list_fields(session, include_archived=False),
        read=service.get_field,
        create_model=FieldCreate,
        create=service.create_field,
        update_model=FieldUpdate,
        update=service.update_field,
        archive=service.archive_field,
    ),
)

api_routers = [router]
