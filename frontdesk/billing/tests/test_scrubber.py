"""The scrubber's rules over plain data: every finding names its field and how to fix it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from frontdesk.billing import scrubber
from frontdesk.standards import npi

GOOD_NPI = npi.make("123456789")
DOS = dt.date(2026, 12, 7)
ADDRESS = scrubber.PostalAddress("1 Example Way", "Springfield", "IL", "62701-1234")
PERSON = scrubber.PersonFacts(
    last_name="Zzexample",
    first_name="Testpat",
    date_of_birth=dt.date(1980, 5, 17),
    sex="F",
    address=scrubber.PostalAddress("12 Sample St", "Springfield", "IL", "62704"),
    member_id="XM1",
)
LINE = scrubber.LineFacts(1, "99213", (), Decimal("1"), Decimal("125.00"), (1,), DOS)
FACTS = scrubber.ClaimFacts(
    claim_id="FD000000018",
    today=DOS,
    service_date=DOS,
    place_of_service="11",
    diagnoses=("E119",),
    lines=(LINE,),
    billing_name="Example Family Medicine",
    billing_npi=GOOD_NPI,
    billing_tax_id="12-3456789",
    billing_address=ADDRESS,
    rendering_npi=GOOD_NPI,
    rendering_name="Ada Examplia",
    payer_name="Example Health Plan",
    payer_id="EXHP1",
    payer_type="commercial",
    subscriber=PERSON,
)
LOOKUPS = scrubber.Lookups(
    icd10_check=lambda code, on: None if code in ("E119", "I10") else f"{code} is a header code.",
    modifier_check=lambda code: None if code in ("25", "59") else f"{code} is not a modifier.",
    procedure_known=lambda code: code in ("99213", "36415"),
)


def codes(facts: scrubber.ClaimFacts) -> dict[str, scrubber.Finding]:
    return {f.code: f for f in scrubber.scrub(facts, LOOKUPS)}


def test_a_clean_claim_has_no_findings() -> None:
    assert scrubber.scrub(FACTS, LOOKUPS) == []


def test_every_finding_has_field_message_and_fix() -> None:
    bad = dataclasses.replace(
        FACTS,
        billing_npi="1234567890",
        billing_tax_id="",
        billing_address=scrubber.PostalAddress("", "", "", "62701"),
        rendering_npi="",
        payer_id="",
        subscriber=scrubber.PersonFacts(),
        place_of_service="",
        diagnoses=("E11",) * 13,
        lines=(
            dataclasses.replace(
                LINE,
                procedure_code="99999",
                modifiers=("25", "XX", "59", "76", "77"),
                pointers=(1, 14, 2, 3, 4),
                units=Decimal("0"),
                charge=Decimal("0"),
            ),
        ),
        duplicates=("FD000000026",),
        frequency_code="7",
    )
    findings = scrubber.scrub(bad, LOOKUPS)
    assert {f.code for f in findings} >= {
        "npi_invalid",
        "billing_tax_id",
        "billing_address",
        "billing_zip9",
        "npi_missing",
        "payer_id_missing",
        "member_id_missing",
        "name_missing",
        "dob_missing",
        "sex_missing",
        "address_incomplete",
        "pos_invalid",
        "too_many_diagnoses",
        "diagnosis_repeated",
        "diagnosis_invalid",
        "procedure_unknown",
        "too_many_modifiers",
        "modifier_invalid",
        "units_invalid",
        "charge_invalid",
        "too_many_pointers",
        "pointer_out_of_range",
        "duplicate_claim",
        "original_claim_number_missing",
    }
    for finding in findings:
        assert finding.field and finding.message and finding.fix
        assert finding.severity in ("error", "warning")


def test_pointer_beyond_the_diagnoses_names_the_line() -> None:
    facts = dataclasses.replace(FACTS, lines=(dataclasses.replace(LINE, pointers=(2,)),))
    finding = codes(facts)["pointer_out_of_range"]
    assert finding.field == "line 1.diagnosis_pointers"
    assert "Pointer 2" in finding.message


def test_timely_filing_defaults_by_payer_type_and_per_payer_setting() -> None:
    old = dataclasses.replace(FACTS, service_date=DOS - dt.timedelta(days=100))
    assert codes(old)["timely_filing_expired"].severity == "error"
    medicare = dataclasses.replace(old, payer_type="medicare")
    assert "timely_filing_expired" not in codes(medicare)
    configured = dataclasses.replace(old, timely_filing_days=110)
    assert codes(configured)["timely_filing_near"].severity == "warning"


def test_a_dependent_needs_the_patient_data() -> None:
    facts = dataclasses.replace(
        FACTS, relationship="19", patient=dataclasses.replace(PERSON, date_of_birth=None)
    )
    assert codes(facts)["dob_missing"].field == "patient.date_of_birth"


def test_future_date_of_service_is_an_error() -> None:
    facts = dataclasses.replace(FACTS, service_date=DOS + dt.timedelta(days=1))
    assert codes(facts)["service_date_future"].severity == "error"


@pytest.mark.parametrize(
    ("stored", "x12"),
    [
        ("+15185550100", "5185550100"),
        ("(518) 555-0100", "5185550100"),
        ("5185550100", "5185550100"),
        ("+442071838750", ""),
        ("", ""),
    ],
)
def test_stored_phones_become_ten_digit_x12_numbers(stored: str, x12: str) -> None:
    from frontdesk.billing.x12map import phone_number

    assert phone_number(stored) == x12
