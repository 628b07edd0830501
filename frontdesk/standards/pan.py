"""Finding card numbers (PANs) in free text, so that none is ever stored (PCI DSS).

A primary account number is 13 to 19 digits whose last is a Luhn check digit. People type them with
spaces or dashes between groups; ``find_card_numbers`` finds those too. A run of digits that fails the
Luhn check (a phone number, an MRN, a check number) is not reported.
"""

from __future__ import annotations

import re

from stdnum import luhn

# 13-19 digits, optionally separated by single spaces or dashes, not glued to other digits.
_CANDIDATE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")


def _is_pan(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and luhn.is_valid(digits)


def find_card_numbers(text: str) -> list[str]:
    """Return the Luhn-valid 13-19 digit numbers in ``text`` (digits only, in order of appearance).

    A typed number may run into the next group of digits ("4111-...-1111 555 0123"): when the whole
    run fails, its leading and trailing groups are tried too, never a split inside a group (which
    would find a Luhn-valid slice in one in ten ordinary numbers).
    """
    found: list[str] = []
    for match in _CANDIDATE.finditer(text or ""):
        groups = re.split(r"[ -]", match.group(0))
        spans = [(0, len(groups))]
        spans += [(0, end) for end in range(len(groups) - 1, 0, -1)]
        spans += [(begin, len(groups)) for begin in range(1, len(groups))]
        for begin, end in spans:
            digits = "".join(groups[begin:end])
            if _is_pan(digits):
                found.append(digits)
                break
    return found


def contains_card_number(text: str) -> bool:
    """True when ``text`` holds something that looks like a card number."""
    return bool(find_card_numbers(text))


def last_four(text: str) -> str:
    """The last four digits of a card number given by a processor (digits only)."""
    digits = re.sub(r"\D", "", text or "")
    if len(digits) < 4:
        raise ValueError("A card's last four needs four digits.")
    return digits[-4:]
