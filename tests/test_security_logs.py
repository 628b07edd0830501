"""No PHI in logs or error reports (security.md promise 26).

A canary patient, whose name, date of birth, phone, SSN and e-mail occur nowhere else, is registered,
searched for, shown and changed through every staff page of the URL list and every API operation, and
a bug is forced on the patient page. Everything logged at any level (caplog plus a handler of our own
on the root logger, which also formats tracebacks) and the 500 answer are searched for the canary.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.api.tests.support import key_client_for
from frontdesk.api.tests.test_matrix import SAMPLES
from frontdesk.api.tests.test_matrix import _world as api_world
from frontdesk.patients import selectors
from frontdesk.patients.models import Patient
from frontdesk.patients.services import patient_register
from tests.factories import (
    CoverageFactory,
    LocationFactory,
    PatientFactory,
    PayerFactory,
    PlanFactory,
    ProviderFactory,
    UserFactory,
    assign,
)
from tests.test_policy_matrix import PROTECTED, _path, _permitted_role

pytestmark = pytest.mark.django_db

FIRST, LAST = "Canarywren", "Zzcanaryfinch"
DOB_ISO, DOB_US = "1913-07-29", "07/29/1913"
PHONE = "(202) 555-0187"
SSN = "531-44-8712"
EMAIL = "canarywren@example.com"
# Every way the canary could be written into a log line.
CANARY = (FIRST, LAST, DOB_ISO, DOB_US, "5550187", "555-0187", SSN, "531448712", EMAIL)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # includes the formatted traceback, if any


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[_Collect]:
    handler = _Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with caplog.at_level(logging.DEBUG):
            yield handler
    finally:
        root.removeHandler(handler)


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [canary for canary in CANARY if canary.lower() in lowered]


def _all_logged(handler: _Collect, caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(handler.lines) + "\n" + caplog.text


def _canary(actor: Any) -> Patient:
    return patient_register(
        actor=actor,
        data={
            "first_name": FIRST,
            "last_name": LAST,
            "date_of_birth": Patient._meta.get_field("date_of_birth").to_python(DOB_ISO),
            "sex_at_birth": "F",
            "email": EMAIL,
            "ssn": SSN,
            "phones": [{"number": PHONE, "phone_type": "mobile", "sms_capable": True}],
        },
        duplicate_override_reason="canary",
    )


def _world(actor: Any) -> dict[str, Any]:
    patient = _canary(actor)
    payer = PayerFactory()
    return {
        "location": LocationFactory(),
        "patient": patient,
        "other_patient": PatientFactory(),
        "coverage": CoverageFactory(patient=patient, payer=payer),
        "payer": payer,
        "plan": PlanFactory(payer=payer),
        "provider": ProviderFactory(),
    }


def _client(role: str, location: Any) -> Client:
    user = UserFactory(role=role)
    assign(user, location)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_walking_every_page_logs_no_canary(logged, caplog) -> None:
    world = _world(UserFactory(role=Role.FRONT_DESK))
    leaks = {}
    for route in PROTECTED:
        before = len(logged.lines)
        client = _client(_permitted_role(route), world["location"])
        response = client.get(_path(route, world))
        assert response.status_code < 500, route.name
        found = _leaks("\n".join(logged.lines[before:]))
        if found:
            leaks[route.name] = found
    assert leaks == {}
    assert _leaks(caplog.text) == []


def test_searching_registering_and_editing_the_canary_logs_none_of_it(logged, caplog) -> None:
    location = LocationFactory()
    client = _client(Role.PRACTICE_MANAGER, location)
    form = {
        "first_name": FIRST,
        "last_name": LAST,
        "date_of_birth": DOB_ISO,
        "sex_at_birth": "F",
        "preferred_language": "en",
        "guarantor_kind": "self",
        "email": EMAIL,
        "ssn": SSN,
        "phone_1_number": PHONE,
        "phone_1_type": "mobile",
        "phone_2_number": "",
        "phone_2_type": "home",
        "phone_3_number": "",
        "phone_3_type": "home",
    }

    registered = client.post(reverse("patients:register"), form)
    patient = Patient.objects.get(last_name=LAST)
    again = client.post(reverse("patients:register"), form)  # the duplicate warning (409)
    bad = client.post(reverse("patients:register"), {**form, "ssn": f"{SSN}x"})
    for query in (f"{LAST}, {FIRST}", DOB_US, PHONE, EMAIL, SSN):
        client.post(reverse("patients:search_results"), {"q": query})
    edited = client.post(
        reverse("patients:edit", args=[patient.pk]), {**form, "preferred_name": f"{FIRST}ie"}
    )

    assert (registered.status_code, again.status_code, bad.status_code) == (302, 409, 400)
    assert edited.status_code == 302
    assert _leaks(_all_logged(logged, caplog)) == []


def test_every_api_operation_on_the_canary_logs_none_of_it(logged, caplog) -> None:
    # The API matrix's sample world (every operation has a sample against it), with the canary as
    # its patient so every patient and coverage operation touches the canary's data.
    world = api_world()
    patient = _canary(UserFactory(role=Role.FRONT_DESK))
    world.patient = patient
    world.coverage = CoverageFactory(patient=patient, payer=world.payer)
    location = world.location
    caller = key_client_for(Role.PRACTICE_MANAGER, location)
    statuses = []
    for (method, _path_template), sample in sorted(SAMPLES.items()):
        url, body = sample(world)
        statuses.append(caller.request(method, url, body).status_code)
    for query in (LAST, DOB_ISO, "2025550187"):
        statuses.append(caller.get("/api/v1/patients", {"q": query}).status_code)
    created = caller.post(
        "/api/v1/patients",
        {
            "first_name": FIRST,
            "last_name": f"{LAST}two",
            "date_of_birth": DOB_ISO,
            "sex_at_birth": "F",
            "email": EMAIL,
            "ssn": SSN,
            "phones": [{"number": PHONE, "phone_type": "mobile"}],
        },
    )
    refused = caller.patch(f"/api/v1/patients/{patient.pk}", {"email": f"{FIRST}@"})

    assert all(status < 500 for status in statuses), statuses
    assert created.status_code in (201, 409)
    assert refused.status_code == 400
    assert _leaks(_all_logged(logged, caplog)) == []


def test_a_bug_on_the_patient_page_leaks_no_canary_in_logs_answer_or_mail(
    logged, caplog, monkeypatch
) -> None:
    location = LocationFactory()
    patient = _canary(UserFactory(role=Role.FRONT_DESK))
    client = _client(Role.FRONT_DESK, location)

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError(f"{FIRST} {LAST} born {DOB_ISO} SSN {SSN} at {EMAIL} on {PHONE}")

    monkeypatch.setattr(selectors, "patient_get", broken)
    response = client.get(reverse("patients:detail", args=[patient.pk]))

    assert response.status_code == 500
    assert _leaks(response.content.decode()) == []
    logged_text = _all_logged(logged, caplog)
    assert _leaks(logged_text) == []
    assert f"request_id={response['X-Request-ID']}" in logged_text
    assert "type=RuntimeError" in logged_text
    assert [_leaks(message.body + message.subject) for message in mail.outbox] == [
        [] for _ in mail.outbox
    ]
