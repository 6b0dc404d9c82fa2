"""Monthly exchange rates from CSV (Steward's columns or Salesforce's dated conversion rates)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.contracts.models import Contract
from steward.contracts.terms import refresh_account_revenue
from steward.core import audit
from steward.core.errors import PermissionDenied
from steward.core.principal import Principal
from steward.fx.models import ExchangeRate
from steward.imports.base import Outcome, RowProblem
from steward.imports.columns import RATE_COLUMNS, Column

_TWENTY_DIGITS = Context(prec=20)
_EIGHT_PLACES = Decimal("0.00000001")


def _month(value: str) -> date:
    match = re.fullmatch(r"\s*(\d{4})-(\d{2})(?:-\d{2})?\s*", value)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise RowProblem("month", "must be a month (YYYY-MM) or a date (YYYY-MM-DD)")
    return date(int(match.group(1)), int(match.group(2)), 1)


def _positive(field: str, value: str) -> Decimal:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise RowProblem(field, "must be a number") from None
    if not number.is_finite() or number <= 0:
        raise RowProblem(field, "must be a positive number")
    return number


class ExchangeRateImport:
    columns: tuple[Column, ...] = RATE_COLUMNS
    required: tuple[str, ...] = ("currency", "month")

    def __init__(self) -> None:
        self._refreshed: set[str] = set()

    def start_batch(self, session: Session, principal: Principal) -> None:
        if not principal.is_admin:
            raise PermissionDenied("only an admin can import exchange rates")

    def import_row(
        self, session: Session, principal: Principal, cells: dict[str, str]
    ) -> tuple[Outcome, Any]:
        currency = cells.get("currency", "").strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise RowProblem("currency", "must be a three-letter ISO 4217 code")
        month = _month(cells.get("month", ""))
        if cells.get("rate", "").strip():
            rate = _positive("rate", cells["rate"])
        elif cells.get("inverse_rate", "").strip():
            rate = 1 / _positive("inverse_rate", cells["inverse_rate"])
        else:
            raise RowProblem("rate", "is required (workspace currency per unit of the currency)")
        rate = rate.quantize(_EIGHT_PLACES)
        if rate <= 0 or rate >= Decimal("1e10"):
            raise RowProblem("rate", "is out of range")
        existing = session.scalar(
            select(ExchangeRate).where(
                ExchangeRate.currency == currency, ExchangeRate.month == month
            )
        )
        if existing is None:
            created = ExchangeRate(currency=currency, month=month, rate=rate)
            session.add(created)
            audit.record(session, actor_id=principal.user_id, action="create", entity=created)
            return "created", currency
        if Decimal(existing.rate) == rate:
            return "unchanged", None
        before = audit.snapshot(existing)
        existing.rate = rate
        audit.record(
            session, actor_id=principal.user_id, action="update", entity=existing, before=before
        )
        return "updated", currency

    def second_pass(self, session: Session, principal: Principal, item: Any) -> bool:
        """Accounts' ARR roll-ups are in the workspace currency: refresh those with contracts
        in a currency whose rates changed (once per currency; not a change of its own)."""
        if item in self._refreshed:
            return False
        self._refreshed.add(item)
        accounts = session.scalars(
            select(Contract.account_id).where(Contract.currency == item).distinct()
        ).all()
        refresh_account_revenue(session, accounts, date.today())
        return False

    def export_rows(self, session: Session, principal: Principal) -> Iterator[dict[str, Any]]:
        for rate in session.scalars(
            select(ExchangeRate).order_by(ExchangeRate.currency, ExchangeRate.month)
        ):
            yield {
                "currency": rate.currency,
                "month": rate.month.strftime("%Y-%m"),
                "rate": rate.rate,
                # Twenty significant digits, so that importing the inverse gives the rate back
                # exactly (eight decimals lost it: 1 / 0.85470085 is not 1.17).
                "inverse_rate": +_TWENTY_DIGITS.divide(Decimal(1), Decimal(rate.rate)),
            }
