"""National Provider Identifier (NPI): 10 digits, the last a Luhn check digit over "80840" + first 9.

See the CMS "Requirements for NPI check digit" note: the prefix 80840 is the ISO 7812 issuer
identifier for US health applications, so the Luhn sum runs over 15 digits.
"""

from __future__ import annotations

from stdnum import luhn

PREFIX = "80840"


class InvalidNPI(ValueError):
    """The value is not a valid NPI; the message says why."""


def check_digit(first_nine: str) -> str:
    """Return the check digit for the first nine digits of an NPI."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise InvalidNPI("An NPI check digit needs exactly nine leading digits.")
    return luhn.calc_check_digit(PREFIX + first_nine)


def validate(value: str) -> str:
    """Return the NPI with surrounding spaces removed, or raise InvalidNPI with a clear reason."""
    npi = (value or "").strip()
    if not npi.isdigit() or len(npi) != 10:
        raise InvalidNPI("An NPI is exactly 10 digits.")
    if npi[0] not in "12":
        raise InvalidNPI("An NPI starts with 1 or 2.")
    if check_digit(npi[:9]) != npi[9]:
        raise InvalidNPI("This NPI's check digit is wrong; check for a typo.")
    return npi


def is_valid(value: str) -> bool:
    try:
        validate(value)
    except InvalidNPI:
        return False
    return True


def make(first_nine: str) -> str:
    """Build a valid NPI from nine digits (used by the synthetic demo data)."""
    return first_nine + check_digit(first_nine)
