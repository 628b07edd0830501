from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.core.money import MoneyError, format_money, parse_money, round_money


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25", Decimal("25.00")),
        ("25.5", Decimal("25.50")),
        (" $1,234.56 ", Decimal("1234.56")),
        ("-3", Decimal("-3.00")),
        ("12.340", Decimal("12.34")),
        (7, Decimal("7.00")),
        (Decimal("0.1"), Decimal("0.10")),
    ],
)
def test_parse_money_accepts_what_people_type(text: object, expected: Decimal) -> None:
    assert parse_money(text) == expected
    assert parse_money(text).as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12.345", "Amounts have at most two decimal places (cents)."),
        (12.5, "Amounts must be given as text or whole numbers, not floating point."),
        (True, "Amounts must be given as text or whole numbers, not floating point."),
        ("NaN", "Enter an amount like 25 or 25.00."),
        ("Infinity", "Enter an amount like 25 or 25.00."),
        ("", "Enter an amount."),
        ("1e3x", "Enter an amount like 25 or 25.00."),
        ("99999999999", "That amount is too large."),
        (None, "Enter an amount like 25 or 25.00."),
    ],
)
def test_parse_money_refuses_anything_else(value: object, message: str) -> None:
    with pytest.raises(MoneyError) as caught:
        parse_money(value)
    assert str(caught.value) == message


def test_rounding_is_explicit() -> None:
    assert round_money(Decimal("10.005")) == Decimal("10.01")
    assert round_money(Decimal("10.005"), ROUND_HALF_EVEN) == Decimal("10.00")
    assert round_money(Decimal("123.45") * Decimal("0.2")) == Decimal("24.69")
    with pytest.raises(TypeError):
        round_money(1.5)  # type: ignore[arg-type]


def test_format_money() -> None:
    assert format_money(Decimal("1234.5")) == "$1,234.50"
    assert format_money(Decimal("-12")) == "-$12.00"
    assert format_money(None, blank="-") == "-"


@given(st.integers(min_value=-(10**11) + 1, max_value=10**11 - 1))
def test_parse_money_round_trips_every_cent_amount(cents: int) -> None:
    amount = Decimal(cents) / 100
    assert parse_money(str(amount)) == amount
    assert parse_money(format_money(amount).replace("$", "")) == amount
