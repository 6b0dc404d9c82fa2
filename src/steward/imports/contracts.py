"""Contracts and their line items from CSV: one row per line item, contract columns repeated.

A new contract is created with all its rows as line items. For a contract that exists, a row
equal to one of its live line items (product, quantity, price, period, discount, dates) changes
nothing; a row for a product the contract already has at a different quantity or price is an
amendment from the row's item start date (the old item is superseded, never edited); a row for a
new product adds it from that date. Terms (account, dates, currency) do not change by import.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts.models import Account
from steward.contracts.models import RENEWAL_GRACE_DAYS, Contract, LineItem, LineItemKind
from steward.contracts.schemas import (
    AmendmentCreate,
    AmendmentItem,
    ContractCreate,
    ContractUpdate,
    LineItemIn,
)
from steward.contracts.service import contract_service, line_items_of
from steward.contracts.terms import is_renewed, load_revenue_inputs
from steward.core.errors import InvalidField, StewardError
from steward.core.money import from_minor, to_minor
from steward.core.principal import Principal
from steward.fields.models import Entity
from steward.imports import custom
from steward.imports.accounts import AccountByExternalId
from steward.imports.base import (
    Outcome,
    RowProblem,
    find_by_key,
    parse_amount,
    parse_date,
    problem_from,
    record_key,
)
from steward.imports.columns import CONTRACT_COLUMNS, Column
from steward.products.models import Product

FIELD_COLUMN = {"account_id": "account_external_id", "product_id": "product_sku"}

_PERIODS = {
    "monthly": "monthly",
    "month": "monthly",
    "quarterly": "quarterly",
    "quarter": "quarterly",
    "annual": "annual",
    "annually": "annual",
    "yearly": "annual",
    "year": "annual",
    "one_time": "one_time",
    "one-time": "one_time",
    "once": "one_time",
}


@dataclass(frozen=True)
class ItemRow:
    line: int
    product_id: int
    quantity: int
    unit_price: Decimal | None
    billing_period: str | None
    discount_pct: Decimal
    start_date: date | None
    end_date: date | None  # exclusive


@dataclass(frozen=True)
class Terms:
    account_id: int
    name: str | None
    start_date: date
    end_date: date  # exclusive
    currency: str | None
    auto_renew: bool | None
    custom_fields: dict[str, Any]  # the contract's non-empty custom-field cells, cleaned


class ContractImport:
    columns: tuple[Column, ...] = CONTRACT_COLUMNS
    custom_entity = Entity.CONTRACT
    required: tuple[str, ...] = ("contract_external_id", "product_sku")
    group_key = "contract_external_id"

    def __init__(self) -> None:
        self._accounts = AccountByExternalId()
        self._products: dict[str, int] = {}

    def start_batch(self, session: Session, principal: Principal) -> None:
        self._accounts = AccountByExternalId()
        self._products = {
            sku.lower(): pid for pid, sku in session.execute(select(Product.id, Product.sku))
        }

    # --- one row --------------------------------------------------------------------------

    def _terms(
        self, session: Session, principal: Principal, line: int, cells: dict[str, str]
    ) -> Terms:
        def need(field: str) -> str:
            value = cells.get(field, "").strip()
            if not value:
                raise RowProblem(field, "is required", line)
            return value

        account_id = self._accounts.find(session, principal, need("account_external_id"))
        start = parse_date("start_date", need("start_date"))
        if cells.get("end_date", "").strip():
            end = parse_date("end_date", cells["end_date"])
        elif cells.get("end_date_inclusive", "").strip():
            end = parse_date("end_date_inclusive", cells["end_date_inclusive"]) + timedelta(days=1)
        else:
            raise RowProblem("end_date", "is required (the first day no longer covered)", line)
        auto_renew = None
        if cells.get("auto_renew", "").strip():
            auto_renew = cells["auto_renew"].strip().lower() in {"true", "yes", "1", "y"}
        return Terms(
            account_id=account_id,
            name=cells.get("name", "").strip() or None,
            start_date=start,
            end_date=end,
            currency=cells.get("currency", "").strip().upper() or None,
            auto_renew=auto_renew,
            custom_fields=custom.from_cells(session, Entity.CONTRACT, cells),
        )

    def _item(self, line: int, cells: dict[str, str]) -> ItemRow:
        sku = cells.get("product_sku", "").strip()
        if sku.lower() not in self._products:
            raise RowProblem("product_sku", f"no product with SKU {sku!r}", line)
        try:
            quantity = int(Decimal(cells.get("quantity", "").strip() or "1"))
        except ArithmeticError:
            raise RowProblem("quantity", "must be a whole number", line) from None
        period = None
        if cells.get("billing_period", "").strip():
            token = cells["billing_period"].strip().lower().replace(" ", "_")
            period = _PERIODS.get(token)
            if period is None:
                raise RowProblem(
                    "billing_period", "must be monthly, quarterly, annual or one-time", line
                )
        discount = Decimal(0)
        if cells.get("discount_pct", "").strip():
            discount = parse_amount("discount_pct", cells["discount_pct"])
        price = None
        if cells.get("unit_price", "").strip():
            price = parse_amount("unit_price", cells["unit_price"])
        start = end = None
        if cells.get("item_start_date", "").strip():
            start = parse_date("item_start_date", cells["item_start_date"])
        if cells.get("item_end_date", "").strip():
            end = parse_date("item_end_date", cells["item_end_date"])
        return ItemRow(
            line, self._products[sku.lower()], quantity, price, period, discount, start, end
        )

    # --- a contract's rows ----------------------------------------------------------------

    def import_group(
        self,
        session: Session,
        principal: Principal,
        key: str,
        members: list[tuple[int, dict[str, str]]],
    ) -> dict[int, Outcome]:
        terms = None
        items = []
        for line, cells in members:
            try:
                row_terms = self._terms(session, principal, line, cells)
                items.append(self._item(line, cells))
            except RowProblem as row_problem:
                row_problem.line = row_problem.line or line
                raise
            if terms is None:
                terms = row_terms
            elif (row_terms.account_id, row_terms.start_date, row_terms.end_date) != (
                terms.account_id,
                terms.start_date,
                terms.end_date,
            ):
                raise RowProblem(
                    "contract_external_id",
                    f"account or dates differ from line {members[0][0]} of the same contract",
                    line,
                )
            elif row_terms.custom_fields != terms.custom_fields:
                # A custom field is the contract's, repeated on each of its rows (as exported).
                differing = sorted(
                    key
                    for key in row_terms.custom_fields.keys() | terms.custom_fields.keys()
                    if row_terms.custom_fields.get(key) != terms.custom_fields.get(key)
                )
                raise RowProblem(
                    custom.header_of_key(differing[0]),
                    f"differs from line {members[0][0]} of the same contract",
                    line,
                )
        assert terms is not None
        existing = find_by_key(session, Contract, "contract", key)
        try:
            if existing is None:
                self._create(session, principal, key, terms, items)
                return {item.line: "created" for item in items}
            return self._merge(session, principal, existing, terms, items)
        except StewardError as error:
            if error.status == 404:
                raise RowProblem(
                    "contract_external_id", "belongs to a contract outside your book", items[0].line
                ) from None
            if isinstance(error, InvalidField) and custom.names_custom_field(error):
                failure = custom.row_problem(error)
                failure.line = items[0].line
                raise failure from None
            failure = problem_from(error, FIELD_COLUMN)
            failure.line = failure.line or items[0].line
            raise failure from None
        except ValidationError as error:
            failure = problem_from(error, FIELD_COLUMN)
            failure.line = items[0].line
            raise failure from None

    def _create(
        self, session: Session, principal: Principal, key: str, terms: Terms, items: list[ItemRow]
    ) -> None:
        account_name = session.scalar(select(Account.name).where(Account.id == terms.account_id))
        renews = renewed_by(session, terms.account_id, terms.start_date)
        contract_service.create(
            session,
            principal,
            ContractCreate(
                account_id=terms.account_id,
                name=terms.name or f"{account_name} {terms.start_date:%Y-%m}",
                start_date=terms.start_date,
                end_date=terms.end_date,
                auto_renew=bool(terms.auto_renew),
                currency=terms.currency or "USD",
                external_id=key,
                renewal_of_id=renews,
                custom_fields=terms.custom_fields,
                line_items=[
                    LineItemIn(
                        product_id=item.product_id,
                        quantity=item.quantity,
                        unit_price=item.unit_price,
                        billing_period=item.billing_period,
                        discount_pct=item.discount_pct,
                        start_date=item.start_date,
                        end_date=item.end_date,
                    )
                    for item in items
                ],
            ),
        )

    def _merge(
        self,
        session: Session,
        principal: Principal,
        contract: Contract,
        terms: Terms,
        items: list[ItemRow],
    ) -> dict[int, Outcome]:
        contract_service.get(session, principal, contract.id)  # 404 outside the book
        first_line = items[0].line
        if (terms.account_id, terms.start_date, terms.end_date) != (
            contract.account_id,
            contract.start_date,
            contract.end_date,
        ) or (terms.currency and terms.currency != contract.currency):
            raise RowProblem(
                "start_date",
                "a contract's account, dates and currency do not change by import; "
                "amend it or add a renewal contract",
                first_line,
            )
        outcomes: dict[int, Outcome] = {}
        changes: dict[str, Any] = {}
        if terms.name and terms.name != contract.name:
            changes["name"] = terms.name
        if terms.auto_renew is not None and terms.auto_renew != contract.auto_renew:
            changes["auto_renew"] = terms.auto_renew
        custom_changes = custom.changes(session, Entity.CONTRACT, contract.id, terms.custom_fields)
        if custom_changes:
            changes["custom_fields"] = custom_changes
        if changes:
            contract_service.update(session, principal, contract.id, ContractUpdate(**changes))
        for item in items:
            live = _live_items(session, contract.id)
            counted = _items_as_counted(session, contract.id)
            if any(_same(existing, item, contract, end) for existing, end in counted):
                outcomes[item.line] = "updated" if changes else "unchanged"
                continue
            if item.start_date is None and any(i.product_id == item.product_id for i in live):
                raise RowProblem(
                    "item_start_date",
                    "give the date from which this line item changes (the amendment's date)",
                    item.line,
                )
            effective = item.start_date or contract.start_date
            old = next(
                (
                    i
                    for i in live
                    if i.product_id == item.product_id and i.start_date <= effective < i.end_date
                ),
                None,
            )
            kind = LineItemKind.CROSS_SELL
            if old is not None:
                kind = (
                    LineItemKind.UPSELL
                    if item.quantity > old.quantity
                    else LineItemKind.DOWNGRADE
                    if item.quantity < old.quantity
                    else LineItemKind.PRICE_CHANGE
                )
            contract_service.amend(
                session,
                principal,
                contract.id,
                AmendmentCreate(
                    effective_date=effective,
                    items=[
                        AmendmentItem(
                            supersedes_id=old.id if old else None,
                            product_id=item.product_id,
                            quantity=item.quantity,
                            unit_price=item.unit_price,
                            billing_period=item.billing_period,
                            discount_pct=item.discount_pct,
                            kind=kind,
                        )
                    ],
                ),
            )
            outcomes[item.line] = "updated"
        return outcomes

    def import_row(
        self, session: Session, principal: Principal, cells: dict[str, str]
    ) -> tuple[Outcome, Any]:
        raise NotImplementedError("contracts are imported a contract (group of rows) at a time")

    def second_pass(self, session: Session, principal: Principal, item: Any) -> bool:
        return False

    def export_rows(self, session: Session, principal: Principal) -> Iterator[dict[str, Any]]:
        """Every line item of the principal's live contracts, contract columns repeated: an
        item an amendment replaced ends where its replacement starts (its revenue history),
        so a workspace rebuilt from the export has the same revenue every month. Records
        without an external id are named by Steward's own reference (record_key)."""
        contracts = session.execute(
            contract_service.get_readable_statement()
            .add_columns(Account.external_id)
            .join(Account, Account.id == Contract.account_id)
            .where(Contract.archived_at.is_(None), Account.archived_at.is_(None))
            .order_by(Contract.id)
        ).all()
        skus = dict(session.execute(select(Product.id, Product.sku)).all())
        for contract, account_external_id in contracts:
            account_key = record_key("account", account_external_id, contract.account_id)
            for item, end in _items_as_counted(session, contract.id):
                yield {
                    "id": contract.id,  # custom-field cells are read by it
                    "contract_external_id": record_key(
                        "contract", contract.external_id, contract.id
                    ),
                    "account_external_id": account_key,
                    "name": contract.name,
                    "start_date": contract.start_date.isoformat(),
                    "end_date": contract.end_date.isoformat(),
                    "end_date_inclusive": (contract.end_date - timedelta(days=1)).isoformat(),
                    "currency": contract.currency,
                    "auto_renew": "true" if contract.auto_renew else "false",
                    "product_sku": skus.get(item.product_id),
                    "quantity": item.quantity,
                    "unit_price": from_minor(item.unit_price_minor),
                    "billing_period": item.billing_period,
                    "discount_pct": item.discount_pct,
                    "item_start_date": item.start_date.isoformat(),
                    "item_end_date": end.isoformat(),
                }


def renewed_by(session: Session, account_id: int, start: date) -> int | None:
    """The contract a new contract of the account starting on `start` renews: the account's
    contract not renewed yet whose end lies within the renewal grace of that start (the
    nearest end). CRM exports carry no link between a contract and its renewal; without it
    the renewals list would call the contract unrenewed where revenue counts it renewed."""
    _, terms_of = load_revenue_inputs(session, [account_id])
    mine = terms_of.get(account_id, [])
    grace = timedelta(days=RENEWAL_GRACE_DAYS)
    candidates = [
        c
        for c in mine
        if c.start_date < start
        and c.end_date - grace <= start <= c.end_date + grace
        and not is_renewed(c, mine)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda c: (abs((c.end_date - start).days), c.id)).id


def _items_as_counted(session: Session, contract_id: int) -> list[tuple[LineItem, date]]:
    """Each line item of a contract that counts for a day at least, with the day it stops
    counting (its end, or the start of the amendment that replaced it)."""
    items = line_items_of(session, contract_id)
    replaced: dict[int, date] = {}
    for item in items:
        if item.supersedes_id is not None:
            earlier = replaced.get(item.supersedes_id, item.start_date)
            replaced[item.supersedes_id] = min(earlier, item.start_date)
    counted = []
    for item in items:
        end = min(item.end_date, replaced.get(item.id, item.end_date))
        if end > item.start_date:
            counted.append((item, end))
    return counted


def _live_items(session: Session, contract_id: int) -> list[LineItem]:
    """Line items no amendment has replaced."""
    items = line_items_of(session, contract_id)
    replaced = {i.supersedes_id for i in items if i.supersedes_id is not None}
    return [i for i in items if i.id not in replaced]


def _same(existing: LineItem, item: ItemRow, contract: Contract, counted_until: date) -> bool:
    """Whether a row is this item as exported: its end is the day it stops counting."""
    return (
        existing.product_id == item.product_id
        and existing.quantity == item.quantity
        and (item.unit_price is None or existing.unit_price_minor == to_minor(item.unit_price))
        and (item.billing_period is None or existing.billing_period == item.billing_period)
        and Decimal(existing.discount_pct) == item.discount_pct
        and existing.start_date == (item.start_date or contract.start_date)
        and (item.end_date is None or item.end_date in (counted_until, existing.end_date))
    )
