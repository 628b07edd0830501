"""Deriving the indexed search keys from what staff type: names, phones, member IDs.

The same functions build the stored columns (registration, demo data) and the query side (search,
duplicate check), so the two can never disagree.
"""

from __future__ import annotations

import re
import unicodedata

import jellyfish
import phonenumbers

_NON_LETTERS = re.compile(r"[^a-z]")
_NON_ALNUM = re.compile(r"[^a-z0-9]")
DEFAULT_REGION = "US"


def name_key(value: str) -> str:
    """Lower-case ASCII letters only: 'O'Brien-Núñez' -> 'obriennunez'."""
    folded = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode().lower()
    return _NON_LETTERS.sub("", folded)[:60]


def phonetic_key(value: str) -> str:
    """A sound-alike key (Metaphone) so 'Smyth' finds 'Smith' and 'Katherine' finds 'Catherine'."""
    key = name_key(value)
    return jellyfish.metaphone(key)[:12] if key else ""


def member_id_key(value: str) -> str:
    """Member IDs are matched ignoring case, spaces and dashes ('XM-123 45' == 'xm12345')."""
    return _NON_ALNUM.sub("", (value or "").lower())[:40]


class InvalidPhone(ValueError):
    """The text is not a dialable phone number; the message says why."""


def phone_e164(value: str, region: str = DEFAULT_REGION) -> str:
    """Parse a phone number typed in any common format and return it in E.164 (+12025550123)."""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone("Enter a phone number with its area code, e.g. (202) 555-0123.") from exc
    # 555-01xx numbers are reserved for fiction, which is exactly what demo data uses; they are
    # "possible" but not "valid" to libphonenumber, so accept possible numbers of the right length.
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhone("That phone number has the wrong number of digits.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(e164: str) -> str:
    """National significant digits, the indexed search column: '+12025550123' -> '2025550123'."""
    try:
        parsed = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return re.sub(r"\D", "", e164)[-10:]
    return str(parsed.national_number)


def phone_display(e164: str) -> str:
    """'+12025550123' -> '(202) 555-0123' for US numbers; international format otherwise."""
    try:
        parsed = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    if parsed.country_code == 1:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def name_search_columns(first_name: str, last_name: str) -> dict[str, str]:
    """The derived name columns of a Patient row, for services and bulk loaders (demo, imports)."""
    return {
        "first_name_key": name_key(first_name),
        "last_name_key": name_key(last_name),
        "first_name_phonetic": phonetic_key(first_name),
        "last_name_phonetic": phonetic_key(last_name),
    }


def phone_search_columns(e164: str) -> dict[str, str]:
    """The derived columns of a PatientPhone row: national digits, and reversed for "ends with"."""
    digits = phone_digits(e164)
    return {"digits": digits, "digits_reversed": digits[::-1]}
