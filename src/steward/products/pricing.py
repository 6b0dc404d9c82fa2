"""What a priced line is worth a year: the one definition of a line's ARR, shared by contracts
(and so the revenue engine) and by the line items of deals, so a deal's amount and the ARR of
the contract it becomes are the same figure."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from steward.core.money import to_minor
from steward.products.models import MONTHS_PER_PERIOD, Product

# Amounts are integers in ARR_SCALE-ths of a minor unit, so normalising billing periods and
# applying discounts stays exact (the revenue ledger computes in the same unit).
ARR_SCALE = 10_000


def arr_scaled(
    quantity: int, unit_price_minor: int, discount_pct: Decimal, billing_period: str
) -> int:
    """Exact ARR of a line item in ARR_SCALE-ths of a minor unit; 0 for one-time fees."""
    months = MONTHS_PER_PERIOD.get(billing_period)
    if months is None:
        return 0
    basis_points = int(Decimal(discount_pct) * 100)
    return quantity * unit_price_minor * (10_000 - basis_points) * (12 // months)


def scaled_to_minor(scaled: int) -> int:
    """ARR_SCALE-ths of a minor unit → minor units, rounded half to even (as money is)."""
    return int((Decimal(scaled) / ARR_SCALE).to_integral_value(rounding=ROUND_HALF_EVEN))


def settled_price(
    product: Product, unit_price: Decimal | None, billing_period: str | None
) -> tuple[int, str]:
    """A line's unit price (minor units) and billing period: as given, else the product's."""
    price = to_minor(unit_price) if unit_price is not None else product.list_price_minor
    return price, billing_period or product.billing_period
