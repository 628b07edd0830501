"""Printing screens: the Print page, PDF downloads, code setup, the downtime page and download."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from frontdesk.audit.models import AuditEvent
from frontdesk.printing import downtime
from frontdesk.printing.models import EncounterFormConfig
from frontdesk.printing.tests.conftest import TOMORROW, pdf_reader, printed_order
from tests.factories import UserFactory, assign


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_print_page_defaults_to_tomorrow(practice):
    response = _client(practice.clerk).get(reverse("printing:print"))
    assert response.status_code == 200
    assert response.context["day"] == TOMORROW
    assert response.context["location"] == practice.location
    assert [row["appointment"].pk for row in response.context["rows"]] == printed_order(practice)
    body = response.content.decode()
    assert "Encounter forms for the whole day (PDF)" in body
    assert "Downtime packet" in body
    assert "Encounter form codes" not in body  # the practice manager's screen
    assert practice.appointments[0].patient.first_name not in body  # "Last, F." only
    assert AuditEvent.objects.get().detail == {
        "view": "print_page",
        "location_id": practice.location.pk,
        "date": "2026-12-02",
        "results": 4,
    }


def test_print_page_of_another_location_is_404(practice):
    response = _client(practice.clerk).get(
        reverse("printing:print"), {"location": practice.other_location.pk}
    )
    assert response.status_code == 404


def test_one_encounter_form_download(practice):
    appointment = practice.appointments[1]
    response = _client(practice.clerk).get(
        reverse("printing:encounter_forms_pdf"),
        {"location": practice.location.pk, "date": "2026-12-02", "appointment": appointment.pk},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="encounter-forms-{practice.location.pk}-2026-12-02'
        f'-appointment-{appointment.pk}.pdf"'
    )
    assert response["Cache-Control"] == "no-store"
    assert len(pdf_reader(response.content).pages) == 1


def test_one_encounter_form_and_unknown_one(practice):
    client = _client(practice.clerk)
    url = reverse("printing:encounter_forms_pdf")
    params = {"location": practice.location.pk, "date": "2026-12-02"}
    response = client.get(url, {**params, "appointment": practice.appointments[1].pk})
    assert len(pdf_reader(response.content).pages) == 1
    assert client.get(url, {**params, "appointment": practice.elsewhere.pk}).status_code == 404
    assert client.get(url, {**params, "appointment": "x"}).status_code == 400


@pytest.mark.parametrize(
    "params",
    [{}, {"location": "1"}, {"date": "2026-12-02"}, {"location": "1", "date": "12/02/2026"}],
)
def test_pdf_needs_location_and_date(practice, params):
    response = _client(practice.clerk).get(reverse("printing:schedule_pdf"), params)
    assert response.status_code == 400
    assert response.content == b"Give a location and a date (YYYY-MM-DD)."
    assert AuditEvent.objects.count() == 0


def test_schedule_download_whole_location_and_one_provider(practice):
    client = _client(practice.clerk)
    params = {"location": practice.location.pk, "date": "2026-12-02"}
    response = client.get(reverse("printing:schedule_pdf"), params)
    assert response["Content-Disposition"].startswith("attachment;")
    assert len(pdf_reader(response.content).pages) == 2
    response = client.get(
        reverse("printing:schedule_pdf"), {**params, "provider": practice.adams.pk}
    )
    assert len(pdf_reader(response.content).pages) == 1
    assert (
        client.get(reverse("printing:schedule_pdf"), {**params, "provider": "999999"}).status_code
        == 404
    )


def test_other_location_pdf_is_404(practice):
    outsider = assign(UserFactory(role="front_desk"), practice.other_location)
    response = _client(outsider).get(
        reverse("printing:encounter_forms_pdf"),
        {"location": practice.location.pk, "date": "2026-12-02"},
    )
    assert response.status_code == 404
    assert AuditEvent.objects.count() == 0


def test_config_create_edit_and_per_line_errors(practice):
    client = _client(practice.manager)
    url = reverse("printing:config_new")
    response = client.post(
        url,
        {
            "provider": practice.adams.pk,
            "specialty": "",
            "procedures": "99213 | Visit\n9921 | Bad",
            "diagnoses": "E11.9 | Diabetes",
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "procedures": [
            "Line 2: '9921' is not a CPT code (5 digits, or 4 digits + F/T) or a HCPCS code (a letter + 4 digits)."
        ]
    }
    assert EncounterFormConfig.objects.count() == 0
    response = client.post(
        url,
        {
            "provider": practice.adams.pk,
            "specialty": "",
            "procedures": "99213 | Visit",
            "diagnoses": "E11.9 | Diabetes",
        },
    )
    assert response.status_code == 302
    config = EncounterFormConfig.objects.get()
    edit = reverse("printing:config_edit", args=[config.pk])
    form = client.get(edit).context["form"]
    assert form.initial["procedures"] == "# Procedures\n99213 | Visit"
    response = client.post(
        edit,
        {
            "provider": "",
            "specialty": "Family Medicine",
            "procedures": "99214 | Visit 4",
            "diagnoses": "",
        },
    )
    assert response.status_code == 302
    config.refresh_from_db()
    assert (config.provider_id, config.specialty, config.sections[0]["codes"][0]["code"]) == (
        None,
        "Family Medicine",
        "99214",
    )
    assert client.get(reverse("printing:config_list")).status_code == 200
    assert client.post(reverse("printing:config_delete", args=[config.pk])).status_code == 302
    assert EncounterFormConfig.objects.count() == 0


def test_config_screens_are_for_the_manager(practice):
    assert _client(practice.clerk).get(reverse("printing:config_list")).status_code == 403


def test_downtime_page_and_download(practice, settings, tmp_path):
    settings.DOWNTIME_PASSWORD = "pw-for-test"
    settings.DOWNTIME_DIR = tmp_path / "downtime"
    client = _client(practice.clerk)
    response = client.get(reverse("printing:downtime"))
    assert "No downtime packet has been written yet." in response.content.decode()
    assert (
        client.get(
            reverse("printing:downtime_download"), {"location": practice.location.pk}
        ).status_code
        == 404
    )
    manifest = downtime.downtime_packet_build()
    response = client.get(reverse("printing:downtime"))
    body = response.content.decode()
    assert "4 appointments" in body  # only the clerk's location is offered
    assert response.context["locations"] == [{"location": practice.location, "count": 4}]
    assert response.context["status"].is_stale is False
    response = client.get(reverse("printing:downtime_download"), {"location": practice.location.pk})
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="downtime-{manifest["build"]}-{practice.location.pk}.pdf"'
    )
    assert pdf_reader(response.content).is_encrypted
    event = AuditEvent.objects.filter(actor_id=practice.clerk.pk, action="export").get()
    assert event.detail["location_id"] == practice.location.pk
    other = client.get(
        reverse("printing:downtime_download"), {"location": practice.other_location.pk}
    )
    assert other.status_code == 404


def test_downtime_page_shows_staleness_to_admin_without_download(practice, settings, tmp_path):
    settings.DOWNTIME_DIR = tmp_path / "empty"
    admin = UserFactory(role="admin")
    response = _client(admin).get(reverse("printing:downtime"))
    assert response.status_code == 200
    assert response.context["status"].is_stale
    assert (
        _client(admin).get(reverse("printing:downtime_download"), {"location": 1}).status_code
        == 403
    )
