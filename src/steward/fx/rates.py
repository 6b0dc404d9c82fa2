"""Exchange rates as of a day: the latest monthly rate at or before its month."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.fx.models import ExchangeRate


class RateBook:
    """Exchange rates as of a month (latest at or before it), read once per (currency, month)."""

    def __init__(self, session: Session, home: str) -> None:
        self.session, self.home = session, home
        self._cache: dict[tuple[str, date], Decimal | None] = {}

    def rate(self, currency: str, day: date) -> Decimal | None:
        if currency == self.home:
            return Decimal(1)
        key = (currency, day.replace(day=1))
        if key not in self._cache:
            self._cache[key] = self.session.scalar(
                select(ExchangeRate.rate)
                .where(ExchangeRate.currency == currency, ExchangeRate.month <= key[1])
                .order_by(ExchangeRate.month.desc())
                .limit(1)
            )
        return self._cache[key]
