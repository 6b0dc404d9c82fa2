"""`/api/v1/custom-fields`: the declarations (admins change them, everyone reads them), and
the YAML file under version control (export; import with a dry run)."""

from collections.abc import Hashable
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from sqlalchemy.exc import OperationalError, ProgrammingError

from steward.api.configuration import (
    Configuration,
    add_configuration_routes,
    declaration_text,
    settle_declarations,
)
from steward.api.deps import AdminPrincipal, CurrentPrincipal, DbSession, RawBody
from steward.api.openapi import Amendment
from steward.fields import bundle, service
from steward.fields.models import Entity
from steward.fields.schemas import FieldCreate, FieldOut, FieldsImport, FieldUpdate
from steward.fields.values import openapi_schema

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
    text = declaration_text(raw)
    result = bundle.import_text(session, principal, text, dry_run=dry_run)
    failed = any(change.outcome.startswith("error") for change in result.changes)
    return settle_declarations(session, result, failed, dry_run)


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


# --- the OpenAPI document: each record's custom_fields typed by its declared fields ---------

# The request and answer schemas that carry a kind of record's custom_fields.
SCHEMAS = {
    Entity.ACCOUNT: ("AccountCreate", "AccountUpdate", "AccountOut"),
    Entity.CONTACT: ("ContactCreate", "ContactUpdate", "ContactOut"),
    Entity.OPPORTUNITY: ("OpportunityCreate", "OpportunityUpdate", "OpportunityOut"),
    Entity.CONTRACT: ("ContractCreate", "ContractUpdate", "ContractOut"),
}


def _declared(app: FastAPI) -> list[Any]:
    """The live declarations; none for a database without Steward's tables (a document built
    for tooling from an unmigrated database, as the contract tests do)."""
    try:
        with app.state.db.session() as session:
            return service.list_fields(session, include_archived=False)
    except (OperationalError, ProgrammingError):
        return []


def _fields_version(app: FastAPI) -> Hashable:
    try:
        with app.state.db.session() as session:
            return tuple(session.execute(service.declarations_version()).one())
    except (OperationalError, ProgrammingError):
        return None


def _amend(app: FastAPI, spec: dict[str, Any]) -> None:
    declared = _declared(app)
    schemas = spec.get("components", {}).get("schemas", {})
    for entity, names in SCHEMAS.items():
        fields = [f for f in declared if f.entity == entity]
        if not fields:
            continue
        typed = {
            "type": "object",
            "additionalProperties": False,
            "description": f"The {entity}'s custom fields (Admin → Custom fields)",
            "properties": {f.key: openapi_schema(f) for f in fields},
        }
        for name in names:
            properties = schemas.get(name, {}).get("properties", {})
            if "custom_fields" not in properties:
                continue
            if name.endswith("Out"):
                properties["custom_fields"] = typed
            else:
                properties["custom_fields"] = {"anyOf": [typed, {"type": "null"}]}


openapi_amendments = [Amendment(version=_fields_version, amend=_amend)]
