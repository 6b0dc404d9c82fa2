"""Money is stored as integer minor units (cents); the API speaks decimals with two places."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

_CENT = Decimal("0.01")


def to_minor(amount: Decimal) -> int:
    return int((amount / _CENT).to_integral_value(rounding=ROUND_HALF_EVEN))


def from_minor(minor: int | None) -> Decimal:
    return (Decimal(minor or 0) * _CENT).quantize(_CENT)


def format_money(minor: int | None, currency: str = "USD") -> str:
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, currency + " ")
    value = from_minor(minor)
    if abs(value) >= 1_000_000:
        return f"{symbol}{value / 1_000_000:.2f}M"
    if abs(value) >= 10_000:
        return f"{symbol}{value / 1000:.1f}k"
    return f"{symbol}{value:,.0f}"


def format_money_exact(minor: int | None, currency: str = "USD") -> str:
    """To the cent, with thousands separators: a single record's amount (a deal, a line)."""
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, currency + " ")
    value = from_minor(minor)
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.2f}"


def plain_decimal(value: Decimal | float | int, *, grouped: bool = False) -> str:
    """A figure as people write it: no exponent, no trailing zeros (12.5, not 12.5000 or
    1.25E+1); `grouped` adds thousands separators (for reading, not for a form's input)."""
    text = f"{Decimal(value):,f}" if grouped else f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
