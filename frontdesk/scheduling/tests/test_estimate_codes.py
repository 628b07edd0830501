"""An appointment type's expected procedure codes (what the visit is expected to bill): checked and
written in one form on the setup screen, and the appointment panel's cost estimate (eligibility's
htmx panel) loaded from them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.core.errors import ValidationFailed
from frontdesk.scheduling import setup_rules as rules
from frontdesk.scheduling import setup_services as svc
from frontdesk.scheduling.models import AppointmentType
from frontdesk.scheduling.services import appointment_cancel

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("text", "planned"),
    [
        ("", ""),
        ("  ", ""),
        ("99213", "99213"),
        ("99213,36415 X2", "99213, 36415 x2"),
        ("g0439; 99396\n36415 x 1", "G0439, 99396, 36415"),
        ("0042t, 3074F x3", "0042T, 3074F x3"),
    ],
)
def test_codes_are_written_in_the_form_the_estimate_reads(text, planned):
    assert rules.estimate_codes_clean(text) == (planned, [])


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "hello",
            ["Not a CPT or HCPCS code with optional units (e.g. 99213 or 36415 x2): 'hello'."],
        ),
        (
            "99213-25",
            ["Not a CPT or HCPCS code with optional units (e.g. 99213 or 36415 x2): '99213-25'."],
        ),
        (
            "36415 x0, 99213 x100",
            ["Units are 1 to 99: '36415 x0'.", "Units are 1 to 99: '99213 x100'."],
        ),
        ("99213, 99213", ["99213 is listed twice; give its units instead (e.g. 99213 x2)."]),
        (", ".join(f"9921{n}" for n in range(10)) + ", 36415", ["List at most 10 codes."]),
    ],
)
def test_bad_codes_are_refused_with_every_problem(text, problems):
    assert rules.estimate_codes_clean(text)[1] == problems


def test_the_service_refuses_bad_codes_beside_the_field(manager):
    data = {"name": "Zz lab visit", "duration_minutes": 15, "estimate_codes": "99213, J12"}
    with pytest.raises(ValidationFailed) as caught:
        svc.appointment_type_create(actor=manager, data=data)
    assert caught.value.fields == {
        "estimate_codes": [
            "Not a CPT or HCPCS code with optional units (e.g. 99213 or 36415 x2): 'J12'."
        ]
    }
    assert not AppointmentType.objects.filter(name="Zz lab visit").exists()


FORM = {
    "name": "Zz lab visit",
    "code": "",
    "duration_minutes": "15",
    "color": "#00aa00",
    "patient_kind": "any",
    "modality": "in_person",
    "buffer_before_minutes": "0",
    "buffer_after_minutes": "0",
    "daily_cap_per_provider": "",
    "instructions": "",
    "required_room_kind": "",
    "required_equipment_kind": "",
}


def test_setup_form_shows_the_field_checks_it_and_saves_it(clinic, manager):
    office = client_for(manager)
    url = reverse("scheduling:setup_type_create")
    page = office.get(url).content.decode()
    assert 'name="estimate_codes"' in page and "Expected procedure codes" in page

    refused = office.post(url, {**FORM, "estimate_codes": "99213, blood draw"})
    assert refused.status_code == 400
    assert (
        "Not a CPT or HCPCS code with optional units (e.g. 99213 or 36415 x2): &#x27;blood "
        "draw&#x27;."
    ) in refused.content.decode()
    assert not AppointmentType.objects.filter(name="Zz lab visit").exists()

    saved = office.post(url, {**FORM, "estimate_codes": "99213,36415 X2"})
    assert saved.status_code == 302
    kind = AppointmentType.objects.get(name="Zz lab visit")
    assert kind.estimate_codes == "99213, 36415 x2"

    edit = reverse("scheduling:setup_type_edit", args=[kind.pk])
    assert 'value="99213, 36415 x2"' in office.get(edit).content.decode()
    cleared = office.post(edit, {**FORM, "code": kind.code, "estimate_codes": ""})
    assert cleared.status_code == 302
    kind.refresh_from_db()
    assert kind.estimate_codes == ""


def test_the_appointment_panel_loads_the_estimate_for_those_who_give_estimates(
    clinic, book, make_user
):
    appointment = book()
    panel_url = reverse("scheduling:appointment", args=[appointment.pk])
    estimate_url = reverse("eligibility:appointment_estimate", args=[appointment.pk])
    loader = f'hx-get="{estimate_url}" hx-trigger="load"'

    desk = client_for(clinic.clerk).get(panel_url).content.decode()
    assert loader in desk

    scheduler = make_user(Role.SCHEDULER, clinic.location)  # gives no estimates
    assert estimate_url not in client_for(scheduler).get(panel_url).content.decode()

    appointment_cancel(
        actor=clinic.clerk, appointment=appointment, reason="patient_ill", cancelled_by="patient"
    )
    assert estimate_url not in client_for(clinic.clerk).get(panel_url).content.decode()


def test_the_api_lists_a_types_expected_codes(clinic):
    from frontdesk.api.tests.support import key_client_for

    clinic.type.estimate_codes = "99213, 36415 x2"
    clinic.type.save()
    answer = key_client_for(Role.FRONT_DESK, clinic.location).get("/api/v1/appointment-types")
    assert answer.status_code == 200
    assert [(t["id"], t["estimate_codes"]) for t in answer.json()["items"]] == [
        (str(clinic.type.pk), "99213, 36415 x2")
    ]
