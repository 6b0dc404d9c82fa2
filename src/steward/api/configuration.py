"""One router shape for the admin's configuration records (playbooks, rules, onboarding
templates): anyone signed in lists and reads them, admins create, update and archive them.
The domain gives its service functions; the services check the admin themselves as well.
(No `from __future__ import annotations`: FastAPI reads the closures' annotations at runtime.)
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from steward.api.deps import AdminPrincipal, CurrentPrincipal, DbSession
from steward.core.errors import InvalidField
from steward.core.principal import Principal
from steward.core.schemas import MAX_ID


@dataclass(frozen=True)
class Configuration:
    noun: str  # names the operations: list_<plural>, create_<noun>, read_<noun>, …
    plural: str
    id_param: str  # the path parameter, e.g. rule_id
    out_model: type[BaseModel]
    out: Callable[[Any], Any]
    list_all: Callable[[Session], Sequence[Any]]
    read: Callable[[Session, int], Any]
    create_model: type[BaseModel]
    create: Callable[[Session, Principal, Any], Any]
    update_model: type[BaseModel]
    update: Callable[[Session, Principal, int, Any], Any]
    archive: Callable[[Session, Principal, int], Any]
    # PUT replaces the whole definition (playbooks, rules: their spec is one document);
    # PATCH changes the fields sent.
    update_verb: Literal["put", "patch"] = "patch"
    path: str = ""  # below the router's prefix, e.g. /templates


def add_configuration_routes(router: APIRouter, spec: Configuration) -> None:
    """Adds list, create, read, update and archive of `spec` to `router` (after the router's
    own literal routes, which a `/{id}` route would otherwise shadow)."""
    RecordId = Annotated[int, Path(ge=1, le=MAX_ID, alias=spec.id_param)]
    CreateBody = spec.create_model
    UpdateBody = spec.update_model
    record_path = f"{spec.path}/{{{spec.id_param}}}"

    def list_records(session: DbSession, _: CurrentPrincipal) -> Any:
        return [spec.out(row) for row in spec.list_all(session)]

    def create_record(session: DbSession, principal: AdminPrincipal, body: CreateBody) -> Any:  # type: ignore[valid-type]
        row = spec.create(session, principal, body)
        session.commit()
        return spec.out(row)

    def read_record(session: DbSession, _: CurrentPrincipal, record_id: RecordId) -> Any:
        return spec.out(spec.read(session, record_id))

    def update_record(
        session: DbSession,
        principal: AdminPrincipal,
        record_id: RecordId,
        body: UpdateBody,  # type: ignore[valid-type]
    ) -> Any:
        row = spec.update(session, principal, record_id, body)
        session.commit()
        return spec.out(row)

    def archive_record(session: DbSession, principal: AdminPrincipal, record_id: RecordId) -> Any:
        row = spec.archive(session, principal, record_id)
        session.commit()
        return spec.out(row)

    one, many = spec.out_model, list[spec.out_model]  # type: ignore[name-defined]
    verb = "replace" if spec.update_verb == "put" else "update"
    router.add_api_route(
        spec.path, list_records, methods=["GET"], response_model=many, name=f"list_{spec.plural}"
    )
    router.add_api_route(
        spec.path,
        create_record,
        methods=["POST"],
        response_model=one,
        status_code=201,
        name=f"create_{spec.noun}",
    )
    router.add_api_route(
        record_path, read_record, methods=["GET"], response_model=one, name=f"read_{spec.noun}"
    )
    router.add_api_route(
        record_path,
        update_record,
        methods=[spec.update_verb.upper()],
        response_model=one,
        name=f"{verb}_{spec.noun}",
    )
    router.add_api_route(
        record_path,
        archive_record,
        methods=["DELETE"],
        response_model=one,
        name=f"archive_{spec.noun}",
    )


def declaration_text(raw: bytes) -> str:
    """A declaration file sent as the request body (rules, custom fields): UTF-8 text."""
    try:
        return raw.decode()
    except UnicodeDecodeError as exc:
        raise InvalidField("file", "must be UTF-8 text") from exc


def settle_declarations(session: Session, result: BaseModel, failed: bool, dry_run: bool) -> Any:
    """An all-or-nothing import of a declaration file: with any error nothing is written and
    the report answers 422; a dry run writes nothing either; otherwise it is committed."""
    if failed:
        session.rollback()
        return JSONResponse(result.model_dump(mode="json"), status_code=422)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return result
