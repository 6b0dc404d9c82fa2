"""Contracts and their line items. History is never overwritten: amendments add line items."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from steward.accounts.owned import AccountOwnedService
from steward.contracts import terms
from steward.contracts.events import ContractCreated
from steward.contracts.models import Contract, LineItem
from steward.contracts.schemas import (
    AmendmentCreate,
    ContractCreate,
    ContractFilters,
    ContractOut,
    LineItemIn,
    LineItemOut,
)
from steward.core import audit, events
from steward.core.errors import InvalidField
from steward.core.money import from_minor, to_minor
from steward.core.principal import Principal
from steward.fields.models import Entity
from steward.products.models import Product
from steward.products.pricing import settled_price


def priced(item: LineItem) -> terms.PricedItem:
    return terms.priced_item(item)


def _product(session: Session, field: str, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise InvalidField(field, f"no product with id {product_id}")
    return product


def line_items_of(session: Session, contract_id: int) -> list[LineItem]:
    statement = (
        select(LineItem)
        .where(LineItem.contract_id == contract_id)
        .order_by(LineItem.start_date, LineItem.id)
    )
    return list(session.scalars(statement))


class ContractService(AccountOwnedService[Contract]):
    custom_entity = Entity.CONTRACT
    model = Contract
    entity = "contract"
    sortable = {
        "start_date": Contract.start_date,
        "end_date": Contract.end_date,
        "name": Contract.name,
        "created_at": Contract.created_at,
    }
    default_sort = "-start_date"
    required_fields = ("name", "auto_renew")

    def where_clauses(self, filters: ContractFilters) -> list[ColumnElement[bool]]:
        clauses = super().where_clauses(filters)
        if filters.ending_from is not None:
            clauses.append(Contract.end_date >= filters.ending_from)
        if filters.ending_to is not None:
            clauses.append(Contract.end_date <= filters.ending_to)
        if filters.active_on is not None:
            clauses.append(Contract.start_date <= filters.active_on)
            clauses.append(Contract.end_date > filters.active_on)
        if filters.auto_renew is not None:
            clauses.append(Contract.auto_renew.is_(filters.auto_renew))
        return clauses

    def create(self, session: Session, principal: Principal, data: BaseModel) -> Contract:
        assert isinstance(data, ContractCreate)
        values = data.model_dump(exclude={"line_items"})
        if data.renewal_of_id is not None:
            previous = session.get(Contract, data.renewal_of_id)
            if previous is None or previous.account_id != data.account_id:
                raise InvalidField(
                    "renewal_of_id",
                    f"no contract {data.renewal_of_id} on account {data.account_id}",
                )
        contract = self.insert(session, principal, values)
        for index, item in enumerate(data.line_items):
            self._add_item(session, principal, contract, item, f"line_items.{index}")
        self.after_write(session, contract)
        events.publish(ContractCreated(session, principal.user_id, contract))
        return contract

    def _add_item(
        self,
        session: Session,
        principal: Principal,
        contract: Contract,
        item: LineItemIn,
        field: str,
    ) -> LineItem:
        product = _product(session, f"{field}.product_id", item.product_id)
        start = item.start_date or contract.start_date
        end = item.end_date or contract.end_date
        if not (contract.start_date <= start < end <= contract.end_date):
            raise InvalidField(
                f"{field}.start_date", "line item dates must lie within the contract's term"
            )
        price, period = settled_price(product, item.unit_price, item.billing_period)
        line = LineItem(
            contract_id=contract.id,
            product_id=product.id,
            kind=item.kind,
            quantity=item.quantity,
            unit_price_minor=price,
            billing_period=period,
            discount_pct=item.discount_pct,
            start_date=start,
            end_date=end,
            created_by_id=principal.user_id,
        )
        session.add(line)
        audit.record(session, actor_id=principal.user_id, action="create", entity=line)
        return line

    def amend(
        self, session: Session, principal: Principal, contract_id: int, data: AmendmentCreate
    ) -> Contract:
        """Upsell, downgrade, cross-sell or price change from an effective date."""
        contract = self.get(session, principal, contract_id)
        if contract.archived_at is not None:
            raise InvalidField("contract_id", "an archived contract cannot be amended")
        day = data.effective_date
        if not (contract.start_date <= day < contract.end_date):
            raise InvalidField("effective_date", "must fall within the contract's term")
        existing = {item.id: item for item in line_items_of(session, contract.id)}
        active = {
            item.id for item in terms.active_items([priced(i) for i in existing.values()], day)
        }
        for index, change in enumerate(data.items):
            field = f"items.{index}"
            old = None
            if change.supersedes_id is not None:
                old = existing.get(change.supersedes_id)
                if old is None or old.id not in active:
                    raise InvalidField(
                        f"{field}.supersedes_id",
                        f"line item {change.supersedes_id} is not active on this contract on {day}",
                    )
            product_id = change.product_id or (old.product_id if old else None)
            if product_id is None:
                raise InvalidField(f"{field}.product_id", "required for a new line item")
            product = _product(session, f"{field}.product_id", product_id)
            if change.unit_price is not None:
                unit_price = to_minor(change.unit_price)
            else:
                unit_price = old.unit_price_minor if old else product.list_price_minor
            line = LineItem(
                contract_id=contract.id,
                product_id=product_id,
                kind=change.kind,
                quantity=change.quantity,
                unit_price_minor=unit_price,
                billing_period=change.billing_period
                or (old.billing_period if old else product.billing_period),
                discount_pct=change.discount_pct
                if change.discount_pct is not None
                else (old.discount_pct if old else 0),
                start_date=day,
                end_date=old.end_date if old else contract.end_date,
                supersedes_id=old.id if old else None,
                created_by_id=principal.user_id,
            )
            session.add(line)
            audit.record(session, actor_id=principal.user_id, action="amend", entity=line)
        self.after_write(session, contract)
        return contract

    def after_write(
        self, session: Session, record: Contract, previous_account_id: int | None = None
    ) -> None:
        terms.refresh_account_revenue(session, [record.account_id], date.today())

    def to_out(
        self, session: Session, contract: Contract, today: date | None = None
    ) -> ContractOut:
        day = today or date.today()
        items = line_items_of(session, contract.id)
        names = dict(
            session.execute(
                select(Product.id, Product.name).where(
                    Product.id.in_({item.product_id for item in items})
                )
            ).all()
        )
        mrr = terms.mrr([priced(item) for item in items], day)
        return ContractOut(
            id=contract.id,
            account_id=contract.account_id,
            external_id=contract.external_id,
            name=contract.name,
            start_date=contract.start_date,
            end_date=contract.end_date,
            auto_renew=contract.auto_renew,
            currency=contract.currency,
            renewal_of_id=contract.renewal_of_id,
            notes=contract.notes,
            mrr=from_minor(terms.round_minor(mrr)),
            arr=from_minor(terms.round_minor(12 * mrr)),
            line_items=[line_item_out(item, names.get(item.product_id)) for item in items],
            created_at=contract.created_at,
            updated_at=contract.updated_at,
            archived_at=contract.archived_at,
        )


def line_item_out(item: LineItem, product_name: str | None) -> LineItemOut:
    return LineItemOut(
        id=item.id,
        contract_id=item.contract_id,
        product_id=item.product_id,
        product_name=product_name,
        kind=item.kind,
        quantity=item.quantity,
        unit_price=from_minor(item.unit_price_minor),
        billing_period=item.billing_period,
        discount_pct=item.discount_pct,
        start_date=item.start_date,
        end_date=item.end_date,
        supersedes_id=item.supersedes_id,
        mrr=from_minor(terms.round_minor(terms.monthly_value(priced(item)))),
        created_at=item.created_at,
    )


contract_service = ContractService()
