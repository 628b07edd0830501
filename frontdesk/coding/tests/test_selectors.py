"""ICD-10-CM checks by date of service, procedure codes, modifiers, place of service, fee quotes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from frontdesk.coding import selectors, services
from frontdesk.coding.choices import CheckStatus
from frontdesk.coding.models import FeeSchedule, FeeScheduleEntry, ProcedureCode
from frontdesk.coding.selectors import (
    POS_CODES,
    CodeCheck,
    FeeQuote,
    IcdCode,
    fee_for,
    icd10_check,
    icd10_lookup,
    icd10_search,
    modifier_check,
    procedure_lookup,
)
from frontdesk.coding.tests.samples import fy2027_order_file
from tests.factories import PayerFactory

D = Decimal
APRIL = dt.date(2026, 5, 4)  # inside the bundled FY2026 (April 2026) release
TODAY = dt.date(2026, 11, 27)  # FY2027 has begun; no FY2027 release ships with FrontDesk


@pytest.fixture
def fy2027(db: None) -> Any:
    return services.icd10_release_import(
        actor=None,
        data=fy2027_order_file(),
        file_name="icd10cm-order-2027.txt",
        name="FY2027",
        effective_from=dt.date(2026, 10, 1),
        effective_to=dt.date(2027, 9, 30),
    )


@pytest.mark.django_db
def test_a_billable_code_is_ok_on_a_date_its_release_covers() -> None:
    assert icd10_check("e119", on=APRIL) == CodeCheck(
        code="E11.9",
        status=CheckStatus.OK,
        message="",
        on=APRIL,
        release="FY2026 (April 2026)",
        description="Type 2 diabetes mellitus without complications",
    )
    assert icd10_check("E11.9", on=APRIL).ok


@pytest.mark.django_db
def test_a_header_names_the_problem_and_a_billable_code_under_it() -> None:
    check = icd10_check("E11", on=APRIL)
    assert check.status == CheckStatus.HEADER
    assert not check.ok
    assert check.message == (
        "E11 is a category header, not billable: pick a more specific code such as E11.9."
    )
    assert check.suggestions[:3] == ("E11.00", "E11.01", "E11.10")
    assert "E11.9" in check.suggestions or len(check.suggestions) == 10


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "E11.99",
            "E11.99 is not a code in ICD-10-CM FY2026 (April 2026). Did you mean E11.9 (Type 2 "
            "diabetes mellitus without complications)?",
        ),
        (
            "99213",
            "'99213' is not shaped like an ICD-10-CM code (a letter, two characters, then up to "
            "four more, e.g. E11.9).",
        ),
        ("", "Enter an ICD-10-CM code."),
    ],
)
def test_an_unknown_code_says_what_is_wrong(code: str, message: str) -> None:
    check = icd10_check(code, on=APRIL)
    assert (check.status, check.message) == (CheckStatus.UNKNOWN, message)
    assert not check.ok


@pytest.mark.django_db
def test_with_no_release_for_the_date_the_newest_is_used_and_says_so() -> None:
    check = icd10_check("E11.9", on=TODAY)
    assert check.status == CheckStatus.WARNING
    assert check.ok
    assert check.warning == (
        "checked against ICD-10-CM FY2026 (April 2026); no release loaded for 2026-11-27"
    )
    assert check.message == (
        "E11.9 is billable (checked against ICD-10-CM FY2026 (April 2026); no release loaded for "
        "2026-11-27)."
    )
    # A header stays a header, with the warning too.
    header = icd10_check("E11", on=TODAY)
    assert (header.status, header.warning) == (CheckStatus.HEADER, check.warning)


@pytest.mark.django_db
def test_an_imported_release_covers_its_dates(fy2027: Any) -> None:
    assert (fy2027.code_count, fy2027.billable_count) == (9, 4)
    check = icd10_check("U00.9", on=TODAY)
    assert (check.status, check.release, check.warning) == (CheckStatus.OK, "FY2027", "")
    # New in FY2027: not valid for a date of service in FY2026.
    before = icd10_check("U00.9", on=APRIL)
    assert before.status == CheckStatus.NOT_VALID_ON_DATE
    assert before.message == (
        "U00.9 is in ICD-10-CM FY2027 (2026-10-01 to 2027-09-30) but not in ICD-10-CM FY2026 "
        "(April 2026), the release for 2026-05-04: use a code valid on the date of service."
    )
    # Deleted in (this sample's) FY2027: valid in April 2026, not in November.
    assert icd10_check("J45.909", on=APRIL).status == CheckStatus.OK
    assert icd10_check("J45.909", on=TODAY).status == CheckStatus.NOT_VALID_ON_DATE
    assert icd10_lookup("U00.9", on=TODAY) == IcdCode(
        code="U00.9",
        description="Sample condition added for tests",
        billable=True,
        release="FY2027",
    )
    assert icd10_lookup("U00.9", on=APRIL) is None
    assert [c.code for c in icd10_search("sample condition", on=TODAY)] == ["U00.9"]


@pytest.mark.django_db
def test_a_date_after_every_release_uses_the_newest(fy2027: Any) -> None:
    release, warning = selectors.icd10_release_for(dt.date(2027, 12, 1))
    assert release.name == "FY2027"
    assert warning == "checked against ICD-10-CM FY2027; no release loaded for 2027-12-01"
    early, early_warning = selectors.icd10_release_for(dt.date(2025, 1, 2))
    assert early.name == "FY2026 (April 2026)"
    assert early_warning.endswith("no release loaded for 2025-01-02")


@pytest.mark.django_db
def test_reimporting_a_release_replaces_it(fy2027: Any) -> None:
    again = services.icd10_release_import(
        actor=None,
        data=b"00001 E11     0 Type 2 diabetes mellitus\n00002 E119    1 Type 2 without\n",
        file_name="corrected.txt",
        name="FY2027",
        effective_from=dt.date(2026, 10, 1),
        effective_to=None,
    )
    assert again.pk == fy2027.pk
    assert (again.code_count, again.file_name, again.effective_to) == (2, "corrected.txt", None)
    assert icd10_check("U00.9", on=TODAY).status == CheckStatus.UNKNOWN
    assert icd10_check("J45.901", on=TODAY).status == CheckStatus.NOT_VALID_ON_DATE


@pytest.mark.django_db
def test_search_follows_the_ranking() -> None:
    assert [c.code for c in icd10_search("E11", limit=3, on=APRIL)] == ["E11", "E11.0", "E11.1"]
    assert [c.code for c in icd10_search("type 2 diabetes", limit=2, on=APRIL)] == [
        "E11",
        "E11.621",
    ]
    assert icd10_search("", on=APRIL) == []


@pytest.mark.django_db
def test_procedures_are_the_practices_imports_or_shipped_hcpcs() -> None:
    assert procedure_lookup("99213") is None  # no CPT ships with FrontDesk
    ProcedureCode.objects.create(code="99213", kind="cpt", description="Our own words")
    assert procedure_lookup(" 99213 ").description == "Our own words"  # type: ignore[union-attr]
    awv = procedure_lookup("g0439")
    assert awv is not None and awv.pk is None
    assert (awv.code, awv.kind) == ("G0439", "hcpcs")
    assert [p.code for p in selectors.procedure_search("wellness")] == ["G0438", "G0439"]
    assert [p.code for p in selectors.procedure_search("9921")] == ["99213"]
    assert selectors.procedure_search("J188")[0].code == "J1885"


@pytest.mark.parametrize("code", ["25", "59", "RT", "lt", "GT", "95", "XU", "KX", "QW", "26", "TC"])
def test_known_modifiers_pass(code: str) -> None:
    assert modifier_check(code) is None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("2", "Modifier '2' is not two letters or digits (e.g. 25, 59, RT)."),
        ("25A", "Modifier '25A' is not two letters or digits (e.g. 25, 59, RT)."),
        ("-5", "Modifier '-5' is not two letters or digits (e.g. 25, 59, RT)."),
        (
            "ZZ",
            "Modifier ZZ is not a modifier FrontDesk knows: check it against the payer's list.",
        ),
    ],
)
def test_bad_modifiers_say_why(code: str, message: str) -> None:
    assert modifier_check(code) == message


def test_place_of_service_is_the_cms_list() -> None:
    assert POS_CODES["11"] == "Office"
    assert POS_CODES["02"] == "Telehealth provided other than in patient's home"
    assert POS_CODES["10"] == "Telehealth provided in patient's home"
    assert len(POS_CODES) == 52
    assert all(len(code) == 2 and code.isdigit() for code in POS_CODES)
    assert "30" not in POS_CODES  # unassigned
    assert selectors.pos_check("11") is None
    assert selectors.pos_check("30") == (
        "Place of service '30' is not a CMS place-of-service code (e.g. 11 office)."
    )


# --- fees ----------------------------------------------------------------------------------------------


@pytest.fixture
def fees(db: None) -> dict[str, Any]:
    payer, other = PayerFactory(), PayerFactory()
    standard = FeeSchedule.objects.create(name="Standard 2026", effective_from=dt.date(2026, 1, 1))
    old_standard = FeeSchedule.objects.create(
        name="Standard 2025", effective_from=dt.date(2025, 1, 1), effective_to=dt.date(2025, 12, 31)
    )
    allowed = FeeSchedule.objects.create(
        name="Acme 2026", payer=payer, effective_from=dt.date(2026, 1, 1)
    )
    for schedule, code, modifier, amount in (
        (standard, "99213", "", "120.00"),
        (standard, "93000", "", "60.00"),
        (standard, "93000", "26", "25.00"),
        (old_standard, "99213", "", "110.00"),
        (allowed, "99213", "", "88.50"),
        (allowed, "93000", "26", "14.10"),
    ):
        FeeScheduleEntry.objects.create(
            schedule=schedule, code=code, modifier=modifier, amount=D(amount)
        )
    return {"payer": payer, "other": other}


def test_the_payer_allowed_amount_and_the_standard_charge(fees: dict[str, Any]) -> None:
    quote = fee_for(code="99213", payer_id=fees["payer"].pk, on=APRIL)
    assert quote == FeeQuote(
        standard_charge=D("120.00"),
        allowed=D("88.50"),
        schedule_name="Acme 2026",
        standard_schedule_name="Standard 2026",
    )
    assert quote.expected == D("88.50")


def test_a_code_missing_from_the_payer_schedule_falls_back_to_the_standard_charge(
    fees: dict[str, Any],
) -> None:
    quote = fee_for(code="93000", payer_id=fees["payer"].pk, on=APRIL)
    assert (quote.standard_charge, quote.allowed, quote.expected) == (D("60.00"), None, D("60.00"))
    assert quote.schedule_name == "Standard 2026"
    assert quote.message == (
        "93000 is not in the payer's fee schedule for 2026-05-04: the standard charge is the "
        "estimate."
    )
    # A payer with no schedule at all: the same.
    assert fee_for(code="99213", payer_id=fees["other"].pk, on=APRIL).expected == D("120.00")


def test_a_modifier_price_wins_over_the_code_price(fees: dict[str, Any]) -> None:
    quote = fee_for(code="93000", modifiers=("59", "26"), payer_id=fees["payer"].pk, on=APRIL)
    assert (quote.standard_charge, quote.allowed, quote.modifier) == (D("25.00"), D("14.10"), "26")
    # An unpriced modifier uses the code's own price.
    plain = fee_for(code="99213", modifiers=("25",), payer_id=None, on=APRIL)
    assert (plain.standard_charge, plain.allowed, plain.modifier) == (D("120.00"), None, "")


def test_the_schedule_in_force_on_the_date_of_service_applies(fees: dict[str, Any]) -> None:
    assert fee_for(code="99213", payer_id=None, on=dt.date(2025, 6, 1)).standard_charge == D(
        "110.00"
    )
    nothing = fee_for(code="99213", payer_id=fees["payer"].pk, on=dt.date(2024, 6, 1))
    assert (nothing.standard_charge, nothing.allowed, nothing.schedule_name) == (None, None, "")
    assert nothing.message == (
        "No standard charge for 99213 on 2024-06-01. 99213 is not in the payer's fee schedule "
        "for 2024-06-01: the standard charge is the estimate."
    )


def test_an_unknown_code_has_no_price(fees: dict[str, Any]) -> None:
    quote = fee_for(code="12345", payer_id=fees["payer"].pk, on=APRIL)
    assert (quote.standard_charge, quote.allowed) == (None, None)


@pytest.mark.django_db
def test_a_claims_diagnoses_are_checked_with_one_query(django_assert_num_queries: Any) -> None:
    icd10_check("E11.9", on=APRIL)  # the code set is loaded
    with django_assert_num_queries(1):
        checks = selectors.icd10_check_many(["E11.9", "E11", "I10", "R07.9"], on=APRIL)
    assert [c.status for c in checks] == ["ok", "header", "ok", "ok"]
