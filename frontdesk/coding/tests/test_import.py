"""The practice's code and fee CSV: validated whole before anything is written, re-import updates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.coding import services
from frontdesk.coding.errors import CodeImportInvalid
from frontdesk.coding.models import FeeSchedule, FeeScheduleEntry, ProcedureCode
from frontdesk.coding.selectors import fee_for
from frontdesk.core.errors import PermissionDenied
from tests.factories import PayerFactory

D = Decimal
ON = dt.date(2026, 11, 2)

GOOD = (
    "code,description,standard_charge,modifier,allowed:EXACME\n"
    "99213,Office visit established low,120.00,,88.50\n"
    "93000,ECG with report,60,,\n"
    "93000,ECG with report,25.00,26,14.10\n"
    "G0439,Annual wellness visit subsequent,190,,\n"
)


@pytest.fixture
def acme(db: None) -> Any:
    return PayerFactory(name="Acme Health", payer_id="EXACME")


def _import(text: str, **kw: Any) -> services.CodeImportResult:
    return services.codes_import(
        actor=None, data=text.encode(), file_name="codes.csv", effective_from=ON, **kw
    )


def _prices() -> list[tuple[str, str, str, Decimal]]:
    return list(
        FeeScheduleEntry.objects.order_by("schedule__name", "code", "modifier").values_list(
            "schedule__name", "code", "modifier", "amount"
        )
    )


def test_a_good_file_imports_codes_standard_charges_and_allowed_amounts(acme: Any) -> None:
    result = _import(GOOD)
    assert (result.rows, result.codes_created, result.codes_updated, result.prices_set) == (
        4,
        3,
        0,
        6,
    )
    assert sorted(result.schedules) == ["Acme Health allowed amounts", "Standard charges"]
    assert list(ProcedureCode.objects.values_list("code", "kind", "description")) == [
        ("93000", "cpt", "ECG with report"),
        ("99213", "cpt", "Office visit established low"),
        ("G0439", "hcpcs", "Annual wellness visit subsequent"),
    ]
    assert _prices() == [
        ("Acme Health allowed amounts", "93000", "26", D("14.10")),
        ("Acme Health allowed amounts", "99213", "", D("88.50")),
        ("Standard charges", "93000", "", D("60.00")),
        ("Standard charges", "93000", "26", D("25.00")),
        ("Standard charges", "99213", "", D("120.00")),
        ("Standard charges", "G0439", "", D("190.00")),
    ]
    standard = FeeSchedule.objects.get(payer=None)
    assert (standard.effective_from, standard.effective_to) == (ON, None)
    assert fee_for(code="99213", payer_id=acme.pk, on=ON).allowed == D("88.50")
    event = AuditEvent.objects.get(object_type="procedure_codes")
    assert event.detail["event"] == "codes_imported"
    assert event.detail["prices_set"] == 6


def test_reimporting_updates_prices_and_descriptions_and_keeps_the_rest(acme: Any) -> None:
    _import(GOOD)
    again = _import(
        "code,description,standard_charge,allowed:EXACME\n"
        '99213,"Office visit, established patient (low)",125.00,90.00\n'
    )
    assert (again.codes_created, again.codes_updated, again.prices_set) == (0, 1, 2)
    assert ProcedureCode.objects.get(code="99213").description == (
        "Office visit, established patient (low)"
    )
    assert FeeSchedule.objects.count() == 2  # the same schedules, updated
    assert {(s, c, m): a for s, c, m, a in _prices()} == {
        ("Acme Health allowed amounts", "93000", "26"): D("14.10"),
        ("Acme Health allowed amounts", "99213", ""): D("90.00"),
        ("Standard charges", "93000", ""): D("60.00"),
        ("Standard charges", "93000", "26"): D("25.00"),
        ("Standard charges", "99213", ""): D("125.00"),
        ("Standard charges", "G0439", ""): D("190.00"),
    }


def test_every_bad_row_is_named_and_nothing_is_written(acme: Any) -> None:
    text = (
        "code,description,standard_charge,modifier,allowed:EXACME\n"
        "99213,Office visit,120.00,,88.50\n"
        "9921,Too short,10,,\n"
        "99214,,175,,\n"
        "99215,High,12.5.0,,\n"
        "99215,High,-3,,\n"
        "99203,New low,165,2X5,\n"
        "99213,Office visit,120.00,,abc\n"
        "99204,Short row\n"
    )
    with pytest.raises(CodeImportInvalid) as caught:
        _import(text)
    assert [e["message"] for e in caught.value.errors] == [
        "row 3, column 'code': '9921' is not a CPT (5 digits, or 4 digits and F/T) or HCPCS "
        "Level II code (A0000-V9999)",
        "row 4, column 'description' is empty",
        "row 5, column 'standard_charge': '12.5.0' is not an amount",
        "row 6, column 'standard_charge': '-3' is negative",
        "row 6, column 'code': 99215 is already on row 5",
        "row 7, column 'modifier': '2X5' is not two letters or digits",
        "row 8, column 'allowed:exacme': 'abc' is not an amount",
        "row 8, column 'code': 99213 is already on row 2",
        "row 9, expected 5 columns, found 2",
    ]
    assert [(e["row"], e["column"]) for e in caught.value.errors][:3] == [
        (3, "code"),
        (4, "description"),
        (5, "standard_charge"),
    ]
    assert caught.value.message.startswith("Nothing was imported: row 3, column 'code'")
    assert ProcedureCode.objects.count() == 0
    assert FeeSchedule.objects.count() == 0
    assert not AuditEvent.objects.filter(object_type="procedure_codes").exists()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "code,standard_charge",
            "row 1, column 'description' is missing (the first row names the columns)",
        ),
        (
            "code,description,allowed:NOPE",
            "row 1, column 'allowed:nope': no payer has the payer ID 'NOPE'",
        ),
        (
            "code,description,price",
            "row 1, column 'price' is not a column FrontDesk reads (code, description, "
            "standard_charge, modifier, allowed:<payer ID>)",
        ),
    ],
)
@pytest.mark.django_db
def test_a_bad_header_is_refused(header: str, message: str) -> None:
    with pytest.raises(CodeImportInvalid) as caught:
        _import(header + "\n99213,Visit,1\n")
    assert caught.value.errors[0]["message"] == message


@pytest.mark.django_db
def test_check_only_writes_nothing() -> None:
    result = _import("code,description,standard_charge\n99213,Visit,120\n", check_only=True)
    assert (result.checked_only, result.codes_created, result.prices_set) == (True, 1, 1)
    assert ProcedureCode.objects.count() == 0
    assert FeeSchedule.objects.count() == 0


@pytest.mark.django_db
def test_a_person_needs_codes_manage(make_user: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.codes_import(
            actor=make_user(Role.FRONT_DESK), data=b"code,description\n99213,Visit\n"
        )
    assert ProcedureCode.objects.count() == 0
    services.codes_import(actor=make_user(Role.BILLING), data=b"code,description\n99213,Visit\n")
    assert ProcedureCode.objects.get().description == "Visit"


@pytest.mark.django_db
def test_the_command_imports_and_reports(tmp_path: Path, acme: Any) -> None:
    path = tmp_path / "fees.csv"
    path.write_text(GOOD, encoding="utf-8")
    out = StringIO()
    call_command("codes_import_cpt", str(path), "--effective-from", "2026-11-02", stdout=out)
    assert out.getvalue() == (
        "fees.csv: imported 4 rows: 3 new codes, 0 descriptions changed, 6 prices into "
        "Standard charges, Acme Health allowed amounts.\n"
    )
    path.write_text("code,description,standard_charge\n99213,Visit,12.5.0\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match=r"Nothing was imported: 1 problem\(s\)\."):
        call_command("codes_import_cpt", str(path), stderr=err)
    assert err.getvalue() == "row 2, column 'standard_charge': '12.5.0' is not an amount\n"


def test_the_cli_maps_codes_import_cpt() -> None:
    from frontdesk.cli import translate

    assert translate(["codes", "import-cpt", "f.csv"]) == ["codes_import_cpt", "f.csv"]
    assert translate(["codes", "import-icd10"]) == ["codes_import_icd10"]
    assert translate(["codes", "import-hcpcs", "f.txt"]) == ["codes_import_hcpcs", "f.txt"]


@pytest.mark.django_db
def test_the_icd10_command_loads_and_lists_releases(tmp_path: Path) -> None:
    from frontdesk.coding.tests.samples import fy2027_order_file

    path = tmp_path / "icd10cm-order-2027.txt"
    path.write_bytes(fy2027_order_file())
    out = StringIO()
    call_command(
        "codes_import_icd10",
        str(path),
        "--name",
        "FY2027",
        "--effective-from",
        "2026-10-01",
        "--effective-to",
        "2027-09-30",
        stdout=out,
    )
    assert out.getvalue() == (
        "ICD-10-CM FY2027: 9 codes (4 billable) loaded.\n"
        "  ICD-10-CM FY2026 (April 2026): 2026-04-01 to 2026-09-30 (bundled)\n"
        "  ICD-10-CM FY2027: 2026-10-01 to 2027-09-30 (imported)\n"
    )
    path.write_text("not an order file\n")
    with pytest.raises(CommandError, match="Line 1 is not an order-file line"):
        call_command(
            "codes_import_icd10", str(path), "--name", "Bad", "--effective-from", "2026-10-01"
        )


@pytest.mark.django_db
def test_the_demo_seed_is_idempotent() -> None:
    payers = [PayerFactory(), PayerFactory()]
    first = services.demo_seed(payers=payers, on=ON)
    counts = (ProcedureCode.objects.count(), FeeScheduleEntry.objects.count())
    second = services.demo_seed(payers=payers, on=ON)
    assert [s.pk for s in first] == [s.pk for s in second]
    assert counts == (16, 48) == (ProcedureCode.objects.count(), FeeScheduleEntry.objects.count())
    quote = fee_for(code="99213", payer_id=payers[1].pk, on=ON)
    assert (quote.standard_charge, quote.allowed) == (D("120.00"), D("80.40"))


def _hcpcs_line(code: str, record: str, text: str) -> str:
    """One fixed-width line of CMS's alpha-numeric HCPCS file (the columns FrontDesk reads)."""
    return f"{code:<5}{'00100':<5}{record}{text:<80}{text[:28]:<28}" + " " * 40


@pytest.mark.django_db
def test_the_cms_hcpcs_file_imports_codes_and_joins_continued_descriptions() -> None:
    ProcedureCode.objects.create(code="G0439", kind="hcpcs", description="Old words")
    lines = [
        _hcpcs_line("A4550", "3", "Surgical trays"),
        _hcpcs_line(
            "G0439", "3", "Annual wellness visit, includes a personalized prevention plan of"
        ),
        _hcpcs_line("G0439", "4", "service (pps), subsequent visit"),
        _hcpcs_line("25   ", "7", "Significant, separately identifiable e/m service"),
    ]
    result = services.hcpcs_import(actor=None, data="\n".join(lines).encode())
    assert (result.rows, result.codes_created, result.codes_updated) == (2, 1, 1)
    assert list(ProcedureCode.objects.values_list("code", "kind", "description")) == [
        ("A4550", "hcpcs", "Surgical trays"),
        (
            "G0439",
            "hcpcs",
            "Annual wellness visit, includes a personalized prevention plan of service (pps), "
            "subsequent visit",
        ),
    ]


@pytest.mark.django_db
def test_a_file_that_is_not_the_hcpcs_file_is_refused_whole() -> None:
    lines = [_hcpcs_line("A4550", "3", "Surgical trays"), _hcpcs_line("99213", "3", "Visit")]
    lines.append("code,description,standard_charge")
    with pytest.raises(CodeImportInvalid) as caught:
        services.hcpcs_import(actor=None, data="\n".join(lines).encode())
    assert [e["message"] for e in caught.value.errors] == [
        "line 2, columns 1-5: '99213' is not a HCPCS Level II code (A0000-V9999)",
        "line 3, column 11 (record id): 'i' is not 3, 4, 7 or 8: this is not CMS's HCPCS file",
    ]
    assert ProcedureCode.objects.count() == 0
