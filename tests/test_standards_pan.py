"""Finding card numbers in free text (frontdesk.standards.pan)."""

from __future__ import annotations

import pytest
from stdnum import luhn

from frontdesk.standards.pan import contains_card_number, find_card_numbers, last_four


def valid(body: str) -> str:
    # Built at run time: the repository scan (test_security_card_data) must find no card number here.
    return body + luhn.calc_check_digit(body)


VISA = valid("4" + "1" * 14)
AMEX = valid("37828224631000")


def test_finds_card_numbers_however_they_are_typed() -> None:
    dashed = "-".join(VISA[i : i + 4] for i in range(0, 16, 4))
    spaced = f"{AMEX[:4]} {AMEX[4:10]} {AMEX[10:]}"
    assert find_card_numbers(f"card {VISA} ok") == [VISA]
    assert find_card_numbers(f"called with {dashed} and {spaced}") == [VISA, AMEX]
    assert find_card_numbers(f"{dashed} 555 1234") == [VISA]


@pytest.mark.parametrize(
    "text",
    [
        "check 1042, bank Example Savings",
        "call +1 202 555 0123",
        "MRN T0000123",
        "1234 5678 9012 3456",  # 16 digits, Luhn check fails
        "",
    ],
)
def test_ordinary_notes_are_not_card_numbers(text: str) -> None:
    assert not contains_card_number(text)


def test_last_four() -> None:
    assert last_four("**** **** **** 4242") == "4242"
    with pytest.raises(ValueError):
        last_four("12")
