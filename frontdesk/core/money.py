"""Money: ``Decimal`` amounts in one currency, two places, with explicit parsing and rounding.

Amounts entered by people or sent by clients are *parsed* (``parse_money``): more than two decimal
places, floats, NaN and infinities are refused rather than silently rounded. Amounts FrontDesk computes
(a 20% coinsurance estimate, a split) are *rounded* (``round_money``) with a named rule, half-up by
default, the rule US billing statements use.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Sum
from django.db.models.functions import Round

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_DIGITS = 12  # up to 9,999,999,999.99: far above any patient account
MAX_AMOUNT = Decimal("9999999999.99")


def currency() -> str:
    """The practice's ISO 4217 currency code (one currency per installation)."""
    return str(getattr(settings, "FRONTDESK_CURRENCY", "USD"))


class MoneyError(ValueError):
    """The text or number is not an amount of money; the message says why (safe to show)."""


def parse_money(value: Any) -> Decimal:
    """Return ``value`` as a two-place Decimal, or raise MoneyError.

    Accepts Decimal, int and strings like ``"12"``, ``"12.5"``, ``"$1,234.50"``, ``"-3.00"``. Refuses
    floats (binary fractions are not money), more than two decimal places, and non-finite values.
    """
    if isinstance(value, (bool, float)):
        raise MoneyError("Amounts must be given as text or whole numbers, not floating point.")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace(" ", "")
        negative = text.startswith("-")
        text = text.lstrip("-").lstrip("$")
        if not text:
            raise MoneyError("Enter an amount.")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise MoneyError("Enter an amount like 25 or 25.00.") from None
        if negative:
            amount = -amount
    else:
        raise MoneyError("Enter an amount like 25 or 25.00.")
    if not amount.is_finite():
        raise MoneyError("Enter an amount like 25 or 25.00.")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and amount != amount.quantize(CENT):
        raise MoneyError("Amounts have at most two decimal places (cents).")
    amount = amount.quantize(CENT)
    if abs(amount) > MAX_AMOUNT:
        raise MoneyError("That amount is too large.")
    return amount


def round_money(value: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round a computed amount to cents with an explicit rule (half-up unless told otherwise)."""
    if not isinstance(value, Decimal):
        raise TypeError("round_money takes a Decimal")
    return value.quantize(CENT, rounding=rounding)


def format_money(value: Decimal | None, *, blank: str = "") -> str:
    """``$1,234.56`` / ``-$12.00`` (US style), or ``blank`` for None."""
    if value is None:
        return blank
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


class MoneyField(models.DecimalField):  # type: ignore[type-arg]
    """A two-place decimal column wide enough for any account (the currency is the installation's)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", MAX_DIGITS)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_digits") == MAX_DIGITS:
            del kwargs["max_digits"]
        if kwargs.get("decimal_places") == 2:
            del kwargs["decimal_places"]
        return name, path, args, kwargs


def money_sum(field: str = "amount", *, filter: Q | None = None) -> Sum:
    """An exact SUM of a money column, for ``aggregate``/``annotate``: read it with ``summed``.

    SQLite keeps decimals as binary floats and sums them as floats (0.01 + 0.05 = 0.0600000000000001);
    summing whole cents instead is exact on every database (floats hold integers exactly up to 2**53).
    """
    return Sum(Round(F(field) * 100), filter=filter, output_field=models.FloatField())


def summed(value: Any) -> Decimal:
    """The money amount a ``money_sum`` aggregate returned (None, for no rows, is zero)."""
    if value is None:
        return ZERO
    return (Decimal(str(value)).quantize(Decimal(1)) / 100).quantize(CENT)
