"""The product catalogue: everyone reads it, admins change it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from steward.core import crud
from steward.core.crud import PageParams
from steward.core.errors import InvalidField, PermissionDenied
from steward.core.money import to_minor
from steward.core.principal import Principal
from steward.products.models import Product
from steward.products.schemas import ProductCreate, ProductFilters, ProductUpdate

SORTABLE: dict[str, Any] = {
    "name": Product.name,
    "sku": Product.sku,
    "family": Product.family,
    "list_price": Product.list_price_minor,
}


def _values(data: ProductCreate | ProductUpdate, *, partial: bool) -> dict[str, Any]:
    values = data.model_dump(exclude_unset=partial)
    if "list_price" in values:
        price = values.pop("list_price")
        if price is None:
            raise InvalidField("list_price", "may not be null")
        values["list_price_minor"] = to_minor(price)
    for required in ("sku", "name", "billing_period", "is_recurring", "is_per_seat"):
        if required in values and values[required] is None:
            raise InvalidField(required, "may not be null")
    return values


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise PermissionDenied("only an admin can change the product catalogue")


def _check_sku(session: Session, sku: str | None, own_id: int | None) -> None:
    if sku is None:
        return
    found = session.scalar(select(Product.id).where(Product.sku == sku))
    if found is not None and found != own_id:
        raise InvalidField("sku", f"another product already has SKU {sku!r}")


class ProductService:
    sortable = SORTABLE
    entity = "product"

    def list(
        self, session: Session, principal: Principal, filters: ProductFilters, paging: PageParams
    ) -> tuple[list[Product], int]:
        statement = select(Product)
        if not filters.include_archived:
            statement = statement.where(Product.archived_at.is_(None))
        if filters.family:
            statement = statement.where(Product.family == filters.family)
        if filters.q:
            statement = statement.where(
                or_(
                    Product.name.icontains(filters.q, autoescape=True),
                    Product.sku.icontains(filters.q, autoescape=True),
                )
            )
        order = crud.order_by_clause(paging.sort, SORTABLE, "name")
        rows, total = crud.page(session, statement, order, Product.id, paging.limit, paging.offset)
        return [row[0] for row in rows], total

    def get(self, session: Session, principal: Principal, record_id: int) -> Product:
        return crud.one_or_404(
            session, select(Product).where(Product.id == record_id), "product", record_id
        )

    def create(self, session: Session, principal: Principal, data: ProductCreate) -> Product:
        _require_admin(principal)
        _check_sku(session, data.sku, None)
        product = Product(**_values(data, partial=False))
        crud.create(session, principal.user_id, product)
        return product

    def update(
        self, session: Session, principal: Principal, record_id: int, data: ProductUpdate
    ) -> Product:
        _require_admin(principal)
        product = self.get(session, principal, record_id)
        values = _values(data, partial=True)
        _check_sku(session, values.get("sku"), record_id)
        crud.update(session, principal.user_id, product, values)
        return product

    def archive(self, session: Session, principal: Principal, record_id: int) -> Product:
        _require_admin(principal)
        product = self.get(session, principal, record_id)
        crud.archive(session, principal.user_id, product)
        return product

    def restore(self, session: Session, principal: Principal, record_id: int) -> Product:
        _require_admin(principal)
        product = self.get(session, principal, record_id)
        crud.restore(session, principal.user_id, product)
        return product


product_service = ProductService()
