"""No payment card data anywhere (security.md promise 25, PCI DSS).

FrontDesk never stores a primary account number (PAN): at most the last four digits. Three guards:
no model field is named for a card number, the repository's text (fixtures, tests, demo data, docs)
holds no Luhn-valid 13-19 digit number, and neither does any text column of a database filled by the
demo builder.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from stdnum import luhn

from frontdesk.demo.services import demo_load

REPOSITORY = Path(__file__).resolve().parent.parent
# Digits with optional single spaces or dashes between them (how a PAN is typed), not inside a
# longer alphanumeric token (hashes, base64 ciphertext, keys).
CANDIDATE = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z])")
CARD_FIELD_NAME = re.compile(
    r"(^|_)(pan|card_?num(ber)?|card_?no|cc_?num(ber)?|credit_?card|cvv2?|cvc2?|card_?expir\w*)($|_)"
)
BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".ico", ".woff", ".woff2", ".gz", ".pdf"}


def card_numbers(text: str) -> list[str]:
    """Every Luhn-valid 13-19 digit number in ``text``."""
    found = []
    for match in CANDIDATE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and luhn.is_valid(digits):
            found.append(match.group())
    return found


def _valid(body: str) -> str:
    # Built at run time so this file holds no card number itself (the repository scan reads it).
    return body + luhn.calc_check_digit(body)


def test_the_scanner_finds_card_numbers_however_they_are_typed() -> None:
    visa, amex = _valid("4" + "1" * 14), _valid("37828224631000")
    dashed = "-".join(visa[i : i + 4] for i in range(0, 16, 4))
    spaced = f"{amex[:4]} {amex[4:10]} {amex[10:]}"
    wrong_check = visa[:-1] + str((int(visa[-1]) + 1) % 10)
    text = f"a {visa} b {dashed} c {spaced} d {wrong_check} e"
    assert card_numbers(text) == [visa, dashed, spaced]
    assert card_numbers(f"row_hash=a{visa}f +12025550123 1234567890") == []


def test_no_model_field_can_hold_a_card_number() -> None:
    named_for_cards = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if CARD_FIELD_NAME.search(field.name.lower())
    ]
    assert named_for_cards == []


def _repository_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPOSITORY, capture_output=True, check=True
    ).stdout.decode()
    return [
        REPOSITORY / name
        for name in listed.split("\0")
        if name
        and Path(name).suffix.lower() not in BINARY_SUFFIXES
        and "/vendor/" not in name  # third-party minified code, not our data
        and (REPOSITORY / name).is_file()
    ]


def test_no_repository_file_holds_a_card_number() -> None:
    files = _repository_text_files()
    assert len(files) > 100  # the listing worked
    found = {
        str(path.relative_to(REPOSITORY)): numbers
        for path in files
        if (numbers := card_numbers(path.read_text(encoding="utf-8", errors="replace")))
    }
    assert found == {}


def _text_columns(model: type[models.Model]) -> list[str]:
    return [
        field.attname
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField | models.JSONField)
        or field.get_internal_type() in ("TextField", "CharField", "JSONField")
    ]


@pytest.mark.django_db
def test_no_database_column_filled_by_the_demo_holds_a_card_number() -> None:
    demo_load(patients=40, seed=7)
    scanned = 0
    found: dict[str, list[str]] = {}
    for model in apps.get_models():
        columns = _text_columns(model)
        if not columns:
            continue
        if model._meta.label == "clearinghouse.Exchange":
            # Generated X12 file names (a control number and a time stamp, digits only) can pass
            # the Luhn check by chance; FrontDesk makes them, nobody types into them.
            columns = [c for c in columns if c != "filename"]
        for row in model._default_manager.values_list("pk", *columns):
            pk, values = row[0], row[1:]
            for column, value in zip(columns, values, strict=True):
                scanned += 1
                numbers = card_numbers(_as_text(value))
                if numbers:
                    found[f"{model._meta.label}.{column}#{pk}"] = numbers
    assert scanned > 1000  # the demo filled the database
    assert found == {}


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)
