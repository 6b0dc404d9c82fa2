"""One handler for the small forms that add a record to an account (contact, activity, task)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from steward.accounts import repository
from steward.api.deps import DbSession
from steward.core.schemas import PathId
from steward.web.app import PageContext, WebContext, redirect, render
from steward.web.forms import (
    FormInvalid,
    PostedForm,
    clean,
    parse,
    require_csrf,
    require_version,
    save,
    version_of,
)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, email, select, date, datetime-local, textarea, number
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    help: str | None = None


@dataclass(frozen=True)
class ChildForm:
    path: str  # below /accounts/{account_id}/
    title: str
    schema: type[BaseModel]
    fields: Callable[[Session, int], list[Field]]
    create: Callable[[Session, Any, BaseModel], Any]
    defaults: Callable[[], dict[str, Any]] = dict
    # Turns posted strings into what the schema expects (e.g. local time → aware).
    prepare: Callable[[dict[str, Any]], dict[str, Any]] = lambda values: values


def _form_page(
    request: Request,
    session: Session,
    context: WebContext,
    title: str,
    fields: Callable[[Session, int], list[Field]],
    account: Any,
    action: str,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    """The one form page of an account's record, for adding and for editing it."""
    return render(
        request,
        "form.html",
        context,
        status,
        title=title,
        account=account,
        fields=fields(session, account.id),
        v=values,
        errors=errors,
        action=action,
    )


def add_child_form(router: APIRouter, spec: ChildForm) -> None:
    def _show(
        request: Request,
        session: Session,
        context: WebContext,
        account: Any,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Response:
        action = f"/accounts/{account.id}/{spec.path}"
        return _form_page(
            request,
            session,
            context,
            spec.title,
            spec.fields,
            account,
            action,
            values,
            errors,
            status,
        )

    @router.get(f"/accounts/{{account_id}}/{spec.path}")
    def show_form(
        request: Request, session: DbSession, context: PageContext, account_id: PathId
    ) -> Response:
        account = repository.get_account(session, context.principal, account_id)
        return _show(request, session, context, account, spec.defaults(), {})

    @router.post(f"/accounts/{{account_id}}/{spec.path}")
    def submit_form(
        request: Request,
        session: DbSession,
        context: PageContext,
        account_id: PathId,
        form: PostedForm,
    ) -> Response:
        account = repository.get_account(session, context.principal, account_id)
        names = [f.name for f in spec.fields(session, account.id)]
        values = clean(form, names)
        payload = spec.prepare({k: v for k, v in values.items() if v is not None})
        try:
            require_csrf(context, form)
            save(
                session,
                lambda: spec.create(
                    session,
                    context.principal,
                    parse(spec.schema, payload | {"account_id": account.id}),
                ),
            )
        except FormInvalid as exc:
            return _show(request, session, context, account, values, exc.errors, exc.status)
        return redirect(f"/accounts/{account.id}")


@dataclass(frozen=True)
class EditForm:
    """Editing one of an account's records in place: the same fields as adding it, opened
    at the record's version (a save over someone else's newer version is refused)."""

    prefix: str  # the records' path: /{prefix}/{id}/edit
    title: str
    schema: type[BaseModel]
    fields: Callable[[Session, int], list[Field]]
    get: Callable[[Session, Any, int], Any]  # the service's get (404 outside the book)
    update: Callable[[Session, Any, int, BaseModel], Any]
    values_of: Callable[[Any], dict[str, Any]]
    prepare: Callable[[dict[str, Any]], dict[str, Any]] = lambda values: values


def add_edit_form(router: APIRouter, spec: EditForm) -> None:
    def _show(
        request: Request,
        session: Session,
        context: WebContext,
        record: Any,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Response:
        account = repository.get_account(session, context.principal, record.account_id)
        action = f"/{spec.prefix}/{record.id}/edit"
        return _form_page(
            request,
            session,
            context,
            spec.title,
            spec.fields,
            account,
            action,
            values,
            errors,
            status,
        )

    @router.get(f"/{spec.prefix}/{{record_id}}/edit")
    def show_edit(
        request: Request, session: DbSession, context: PageContext, record_id: PathId
    ) -> Response:
        record = spec.get(session, context.principal, record_id)
        values = spec.values_of(record) | {"version": version_of(record)}
        return _show(request, session, context, record, values, {})

    @router.post(f"/{spec.prefix}/{{record_id}}/edit")
    def submit_edit(
        request: Request,
        session: DbSession,
        context: PageContext,
        record_id: PathId,
        form: PostedForm,
    ) -> Response:
        record = spec.get(session, context.principal, record_id)
        names = [f.name for f in spec.fields(session, record.account_id)]
        values = clean(form, names)
        # A field emptied on the form is cleared (None), not left as it was.
        payload = spec.prepare(dict(values))
        try:
            require_csrf(context, form)
            require_version(record, form, values)
            save(
                session,
                lambda: spec.update(
                    session, context.principal, record_id, parse(spec.schema, payload)
                ),
            )
        except FormInvalid as exc:
            return _show(request, session, context, record, values, exc.errors, exc.status)
        return redirect(f"/accounts/{record.account_id}?saved={spec.prefix}")
