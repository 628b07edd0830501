"""Encounter forms and the location's day schedule: content, order, QR codes that scan, audit."""

from __future__ import annotations

import pytest
import zxingcpp
from django.db import connection
from django.test.utils import CaptureQueriesContext

from frontdesk.audit.models import AuditEvent
from frontdesk.printing.formcode import decode_form_code, encode_form_code
from frontdesk.printing.models import EncounterFormConfig
from frontdesk.printing.printouts import encounter_forms_pdf, location_schedule_pdf
from frontdesk.printing.tests.conftest import TOMORROW, at, pdf_reader, printed_order
from frontdesk.printing.tests.samples import SAMPLE_SECTIONS
from tests.factories import AppointmentFactory, PatientFactory, UserFactory, assign


def _qr_codes(page):
    """Decode every image on a PDF page with zxing-cpp (an outside decoder)."""
    found = []
    for image in page.images:
        found += [barcode.text for barcode in zxingcpp.read_barcodes(image.image)]
    return found


def test_batch_has_one_page_per_appointment_by_provider_then_time(practice):
    document = encounter_forms_pdf(user=practice.clerk, location=practice.location, day=TOMORROW)
    assert document.appointment_ids == printed_order(practice)
    reader = pdf_reader(document.content)
    assert len(reader.pages) == 4
    for page, appointment_id in zip(reader.pages, printed_order(practice), strict=True):
        assert _qr_codes(page) == [encode_form_code(appointment_id)]
        assert decode_form_code(_qr_codes(page)[0]) == appointment_id
        text = page.extract_text()
        assert encode_form_code(appointment_id) in text  # the human-readable copy
        assert f"Appointment #{appointment_id}" in text


def test_form_content(practice):
    first = practice.appointments[0]  # Baker 09:00, patient with primary and secondary coverage
    EncounterFormConfig.objects.create(provider=practice.baker, sections=SAMPLE_SECTIONS)
    from frontdesk.ledger.services import charge_post
    from tests.factories import UserFactory, assign

    biller = assign(UserFactory(role="billing"), practice.location)
    charge_post(
        actor=biller,
        patient=first.patient,
        location=practice.location,
        code="visit",
        amount="45.10",
    )
    document = encounter_forms_pdf(
        user=practice.clerk, location=practice.location, day=TOMORROW, appointment_id=first.pk
    )
    text = pdf_reader(document.content).pages[0].extract_text()
    patient = first.patient
    primary, secondary = sorted(patient.coverages.all(), key=lambda c: c.priority)
    for expected in (
        "Example Family Medicine (synthetic)",
        "Tax ID 12-3456789",
        f"Group NPI {practice.location.organization.npi}",
        "Main Street Clinic - 1 Example Way, Springfield, IL 62701",
        "Wednesday 12/02/2026 09:00 (America/New_York)",
        "Follow-up (follow-up)",
        f"Bob Baker, MD - NPI {practice.baker.npi}",
        f"{patient.last_name}, {patient.first_name}  (MRN {patient.mrn})",
        "05/17/1980 / Female",
        f"Primary {primary.payer.name} / {primary.plan.name}, member {primary.member_id}, group G-77",
        f"Secondary {secondary.payer.name}, member {secondary.member_id}",
        "Balance $45.10 due",
        "Office visits (CPT/HCPCS)",
        "99213 Office visit est, low",
        "99214-25 Office visit est, moderate",
        "Common diagnoses (ICD-10-CM)",
        "E11.9 Type 2 diabetes w/o complications",
    ):
        assert expected in text, expected


def test_specialty_form_applies_when_the_provider_has_none(practice):
    EncounterFormConfig.objects.create(
        specialty="cardiology",
        sections=[
            {
                "kind": "procedure",
                "title": "Cardiac",
                "codes": [{"code": "93000", "label": "ECG", "modifier": ""}],
            }
        ],
    )
    document = encounter_forms_pdf(user=practice.clerk, location=practice.location, day=TOMORROW)
    pages = [p.extract_text() for p in pdf_reader(document.content).pages]
    assert ["93000 ECG" in text for text in pages] == [
        False,
        False,
        True,
        True,
    ]  # Adams, Adams, Baker, Baker


def test_batch_is_audited_once_with_the_appointment_ids(practice):
    encounter_forms_pdf(user=practice.clerk, location=practice.location, day=TOMORROW)
    event = AuditEvent.objects.get()
    assert (event.action, event.category, event.actor_id, event.patient_id) == (
        "print",
        "demographics",
        practice.clerk.pk,
        None,
    )
    assert event.detail == {
        "view": "encounter_forms_pdf",
        "location_id": practice.location.pk,
        "date": "2026-12-02",
        "appointment_ids": printed_order(practice),
    }


def test_single_form_audit_names_the_patient(practice):
    first = practice.appointments[0]
    encounter_forms_pdf(
        user=practice.clerk, location=practice.location, day=TOMORROW, appointment_id=first.pk
    )
    event = AuditEvent.objects.get()
    assert (event.patient_id, event.object_id) == (first.patient_id, str(first.pk))


def test_other_location_staff_print_nothing(practice):
    outsider = assign(UserFactory(role="front_desk"), practice.other_location)
    document = encounter_forms_pdf(user=outsider, location=practice.location, day=TOMORROW)
    assert document.appointment_ids == []
    reader = pdf_reader(document.content)
    assert len(reader.pages) == 1
    assert "No appointments at this location on 12/02/2026." in reader.pages[0].extract_text()
    assert AuditEvent.objects.get().detail["appointment_ids"] == []


def test_restricted_patient_is_left_out_for_the_desk(practice):
    hidden = AppointmentFactory(
        location=practice.location,
        provider=practice.adams,
        patient=PatientFactory(is_restricted=True),
        starts_at=practice.appointments[0].starts_at,
    )
    staff = encounter_forms_pdf(user=practice.clerk, location=practice.location, day=TOMORROW)
    assert hidden.pk not in staff.appointment_ids
    system = encounter_forms_pdf(user=None, location=practice.location, day=TOMORROW)
    assert hidden.pk in system.appointment_ids
    assert AuditEvent.objects.order_by("sequence").last().actor_name == "system (print)"


def test_hostile_text_prints_as_text(practice):
    patient = practice.appointments[0].patient
    patient.last_name = "<img src=x onerror=alert(1)>"
    patient.first_name = '=HYPERLINK("http://example.com")'
    patient.save()
    document = encounter_forms_pdf(
        user=practice.clerk,
        location=practice.location,
        day=TOMORROW,
        appointment_id=practice.appointments[0].pk,
    )
    assert "<img src=x onerror=alert(1)>" in pdf_reader(document.content).pages[0].extract_text()


def test_batch_query_count_is_constant(practice):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            encounter_forms_pdf(user=practice.clerk, location=practice.location, day=TOMORROW)
        return len(captured)

    queries()  # warm-up: the first audit row of the test creates the chain head
    few = queries()
    for hour in range(12, 17):  # five more visits (one an hour: no overlap on PostgreSQL)
        AppointmentFactory(
            location=practice.location, provider=practice.baker, starts_at=at(TOMORROW, hour)
        )
    assert queries() == few


def test_location_schedule_one_page_per_provider(practice):
    document = location_schedule_pdf(user=practice.clerk, location=practice.location, day=TOMORROW)
    reader = pdf_reader(document.content)
    assert len(reader.pages) == 2
    adams, baker = (page.extract_text() for page in reader.pages)
    assert adams.startswith("Ann Adams - Main Street Clinic - Wednesday 02 December 2026")
    assert adams.index("08:30") < adams.index("11:00")
    assert "14:00" not in adams  # cancelled
    assert baker.startswith("Bob Baker - Main Street Clinic")
    event = AuditEvent.objects.get()
    assert (event.action, event.category) == ("print", "schedule")
    assert event.detail["appointment_ids"] == printed_order(practice)


def test_location_schedule_of_one_provider(practice):
    document = location_schedule_pdf(
        user=practice.clerk, location=practice.location, day=TOMORROW, provider_id=practice.baker.pk
    )
    assert document.appointment_ids == [practice.appointments[0].pk, practice.appointments[1].pk]
    assert len(pdf_reader(document.content).pages) == 1


def test_provider_day_schedule_of_scheduling_still_works(practice):
    from frontdesk.scheduling.pdf import day_schedule_pdf

    content = day_schedule_pdf(
        user=practice.clerk, location=practice.location, provider=practice.adams, day=TOMORROW
    )
    text = pdf_reader(content).pages[0].extract_text()
    assert text.startswith("Ann Adams - Main Street Clinic")
    assert text.index("08:30") < text.index("11:00")


@pytest.mark.parametrize("empty_day", [True])
def test_empty_schedule_says_so(practice, empty_day):
    document = location_schedule_pdf(
        user=practice.clerk, location=practice.other_location, day=TOMORROW.replace(day=20)
    )
    assert "No appointments." in pdf_reader(document.content).pages[0].extract_text()


def _sections(per_section: int, count: int = 4) -> list[dict]:
    return [
        {
            "kind": "procedure" if s < 2 else "diagnosis",
            "title": f"Section {s}",
            "codes": [
                {
                    "code": f"99{s}{i:02d}",
                    "label": "A fairly long label for a code here",
                    "modifier": "",
                }
                for i in range(per_section)
            ],
        }
        for s in range(count)
    ]


def test_the_largest_allowed_code_list_fits_on_one_page(practice):
    from frontdesk.printing.pdf import CODES_BUDGET_MM, codes_height

    sections = _sections(15)  # 4 sections x 5 rows
    assert codes_height(sections) <= CODES_BUDGET_MM < codes_height(_sections(16))
    EncounterFormConfig.objects.create(provider=practice.baker, sections=sections)
    first = practice.appointments[0]  # two coverages: the tallest header
    document = encounter_forms_pdf(
        user=practice.clerk, location=practice.location, day=TOMORROW, appointment_id=first.pk
    )
    reader = pdf_reader(document.content)
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert all(f"99{s}{i:02d} A fairly long" in text for s in range(4) for i in range(15))
    assert "did not fit" not in text
    assert "Provider signature" in text


def test_an_oversized_stored_list_still_prints_one_page_per_form(practice):
    EncounterFormConfig.objects.create(provider=practice.baker, sections=_sections(30, count=6))
    document = encounter_forms_pdf(user=practice.clerk, location=practice.location, day=TOMORROW)
    reader = pdf_reader(document.content)
    assert len(reader.pages) == 4
    baker_page = reader.pages[2].extract_text()
    assert "more configured code(s) did not fit on the page." in baker_page
    assert [len(_qr_codes(page)) for page in reader.pages] == [1, 1, 1, 1]
