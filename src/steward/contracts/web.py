"""Pages: a new contract for an account, an amendment (upsell, downgrade, cross-sell, price
change from a date) and a renewal (the next term, its lines carried over to edit)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts import repository as accounts
from steward.api.deps import AppSettings, DbSession
from steward.contracts.models import Contract, LineItemKind
from steward.contracts.schemas import AmendmentCreate, ContractCreate
from steward.contracts.service import contract_service
from steward.core.dates import add_months
from steward.core.schemas import PathId
from steward.products.models import Product
from steward.web.app import PageContext, WebContext, redirect, render
from steward.web.forms import FormInvalid, PostedForm, clean, parse, require_csrf, save

router = APIRouter()
LINE_ROWS = 5
LINE_FIELDS = ["product_id", "quantity", "unit_price", "discount_pct"]
AMEND_KINDS = [LineItemKind.UPSELL, LineItemKind.DOWNGRADE, LineItemKind.PRICE_CHANGE]


def _rows(form: Any, prefix: str, fields: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Filled rows (a product or a replaced line chosen) as the API takes them, and every
    row's raw values; names are the API's (`line_items.0.quantity`), so an error's location
    names its input."""
    rows, raw = [], {}
    for i in range(LINE_ROWS * 4):
        row = {f: str(form.get(f"{prefix}.{i}.{f}") or "").strip() for f in fields}
        if not any(row.values()):
            continue
        raw.update({f"{prefix}.{i}.{f}": v for f, v in row.items()})
        if row.get("product_id") or row.get("supersedes_id"):
            rows.append({f: v for f, v in row.items() if v})
    return rows, raw


def _form(
    request: Request,
    session: Session,
    context: WebContext,
    mode: str,
    account: Any,
    contract: Contract | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    products = session.scalars(select(Product).order_by(Product.name)).all()
    current = contract_service.to_out(session, contract) if contract is not None else None
    return render(
        request,
        "contracts/form.html",
        context,
        status,
        mode=mode,
        account=account,
        contract=current,
        v=values,
        errors=errors,
        products=products,
        rows=range(LINE_ROWS),
        kinds=AMEND_KINDS,
        today=date.today(),
    )


@router.get("/accounts/{account_id}/contracts/new")
def new_contract_form(
    request: Request, session: DbSession, context: PageContext, account_id: PathId
) -> Response:
    account = accounts.get_account(session, context.principal, account_id)
    today = date.today()
    values = {"start_date": today.isoformat(), "end_date": add_months(today, 12).isoformat()}
    return _form(request, session, context, "new", account, None, values, {})


@router.post("/accounts/{account_id}/contracts/new")
def create_contract(
    request: Request,
    session: DbSession,
    context: PageContext,
    settings: AppSettings,
    account_id: PathId,
    form: PostedForm,
) -> Response:
    account = accounts.get_account(session, context.principal, account_id)
    return _create(request, session, context, settings.currency, account, None, form)


def _create(
    request: Request,
    session: Session,
    context: WebContext,
    currency: str,
    account: Any,
    previous: Contract | None,
    form: Any,
) -> Response:
    values = clean(form, ["name", "start_date", "end_date", "notes"])
    values["auto_renew"] = form.get("auto_renew") in ("on", "true")
    lines, raw = _rows(form, "line_items", LINE_FIELDS)
    kind = LineItemKind.RENEWAL if previous is not None else LineItemKind.INITIAL
    body = {k: v for k, v in values.items() if v is not None} | {
        "account_id": account.id,
        "currency": currency,
        "line_items": [line | {"kind": kind} for line in lines],
    }
    if previous is not None:
        body["renewal_of_id"] = previous.id
    try:
        require_csrf(context, form)
        contract = save(
            session,
            lambda: contract_service.create(
                session, context.principal, parse(ContractCreate, body)
            ),
        )
    except FormInvalid as exc:
        mode = "renew" if previous is not None else "new"
        return _form(
            request, session, context, mode, account, previous, values | raw, exc.errors, exc.status
        )
    return redirect(f"/accounts/{account.id}?contract={contract.id}")


@router.get("/contracts/{contract_id}/renew")
def renew_form(
    request: Request, session: DbSession, context: PageContext, contract_id: PathId
) -> Response:
    contract = contract_service.get(session, context.principal, contract_id)
    account = accounts.get_account(session, context.principal, contract.account_id)
    current = contract_service.to_out(session, contract)
    months = max(1, round((contract.end_date - contract.start_date).days / 30.44))
    values: dict[str, Any] = {
        "name": f"{contract.name} (renewal)",
        "start_date": contract.end_date.isoformat(),
        "end_date": add_months(contract.end_date, months).isoformat(),
        "auto_renew": contract.auto_renew,
    }
    # The lines in force on the contract's last day, carried over to edit.
    last_day = date.fromordinal(contract.end_date.toordinal() - 1)
    live = [
        li
        for li in current.line_items
        if li.start_date <= last_day < li.end_date
        and not any(
            o.supersedes_id == li.id and o.start_date <= last_day for o in current.line_items
        )
    ]
    for i, li in enumerate(live[:LINE_ROWS]):
        values[f"line_items.{i}.product_id"] = li.product_id
        values[f"line_items.{i}.quantity"] = li.quantity
        values[f"line_items.{i}.unit_price"] = str(li.unit_price)
        values[f"line_items.{i}.discount_pct"] = str(li.discount_pct)
    return _form(request, session, context, "renew", account, contract, values, {})


@router.post("/contracts/{contract_id}/renew")
def renew_contract(
    request: Request,
    session: DbSession,
    context: PageContext,
    settings: AppSettings,
    contract_id: PathId,
    form: PostedForm,
) -> Response:
    contract = contract_service.get(session, context.principal, contract_id)
    account = accounts.get_account(session, context.principal, contract.account_id)
    return _create(
        request, session, context, contract.currency or settings.currency, account, contract, form
    )


@router.get("/contracts/{contract_id}/amend")
def amend_form(
    request: Request, session: DbSession, context: PageContext, contract_id: PathId
) -> Response:
    contract = contract_service.get(session, context.principal, contract_id)
    account = accounts.get_account(session, context.principal, contract.account_id)
    values = {"effective_date": date.today().isoformat()}
    return _form(request, session, context, "amend", account, contract, values, {})


@router.post("/contracts/{contract_id}/amend")
def amend_contract(
    request: Request,
    session: DbSession,
    context: PageContext,
    contract_id: PathId,
    form: PostedForm,
) -> Response:
    contract = contract_service.get(session, context.principal, contract_id)
    account = accounts.get_account(session, context.principal, contract.account_id)
    values = clean(form, ["effective_date"])
    changed, raw = _rows(form, "items", ["supersedes_id", "quantity", "unit_price", "kind"])
    added, raw_added = _rows(form, "added", ["product_id", "quantity", "unit_price"])
    items = [c for c in changed if c.get("quantity") or c.get("unit_price")]
    items += [a | {"kind": LineItemKind.CROSS_SELL} for a in added]
    body = {"effective_date": values.get("effective_date"), "items": items}
    try:
        require_csrf(context, form)
        save(
            session,
            lambda: contract_service.amend(
                session, context.principal, contract_id, parse(AmendmentCreate, body)
            ),
        )
    except FormInvalid as exc:
        errors = {k.replace("items.", "items.", 1): m for k, m in exc.errors.items()}
        return _form(
            request,
            session,
            context,
            "amend",
            account,
            contract,
            values | raw | raw_added,
            errors,
            exc.status,
        )
    return redirect(f"/accounts/{account.id}?contract={contract.id}")


page_routers = [router]
