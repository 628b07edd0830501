"""SQL metacharacters in every free-text search and filter are data, not syntax (promise 13).

The patient search (web and API) and the audit report's patient filter are given quotes, comments,
LIKE wildcards and backslashes: each answers normally, matches nobody, and the tables are intact.
(Unknown sort keys on the audit report answer 400: frontdesk/audit/tests/test_report.py.)
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.api.tests.support import key_client_for
from frontdesk.patients.models import Patient
from tests.factories import LocationFactory, PatientFactory, UserFactory, assign

pytestmark = pytest.mark.django_db

HOSTILE_QUERIES = [
    "%",
    "_",
    "%%",
    "a%",
    "_a_",
    "' OR '1'='1",
    "' OR 1=1 --",
    '" OR ""="',
    "x'; DROP TABLE patients_patient; --",
    "1; SELECT pg_sleep(5)",
    "\\",
    "\\%",
    "*",
    "[a-z]%",
    # Wildcards around a fragment that is no name's prefix: as LIKE patterns they would match all.
    "%estpat%",
    "_estpat",
]


def _patients() -> list[Patient]:
    return [PatientFactory(last_name="Zzexample") for _ in range(3)]


def _client(role: str) -> Client:
    user = UserFactory(role=role)
    assign(user, LocationFactory())
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_web_search_treats_metacharacters_as_text(query: str) -> None:
    patients = _patients()
    client = _client(Role.FRONT_DESK)

    response = client.post(reverse("patients:search_results"), {"q": query})

    assert response.status_code == 200
    body = response.content.decode()
    assert [p.mrn for p in patients if p.mrn in body] == []
    assert Patient.objects.count() == 3


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_api_search_treats_metacharacters_as_text(query: str) -> None:
    _patients()
    caller = key_client_for(Role.FRONT_DESK, LocationFactory())

    response = caller.get("/api/v1/patients", {"q": query})

    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        assert response.json()["items"] == []
    assert Patient.objects.count() == 3


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_audit_patient_filter_treats_metacharacters_as_text(query: str) -> None:
    patients = _patients()
    viewer = _client(Role.FRONT_DESK)
    for patient in patients:
        viewer.get(reverse("patients:detail", args=[patient.pk]))
    client = _client(Role.PRIVACY_OFFICER)

    response = client.get(reverse("audit:report"), {"patient": query})

    assert response.status_code in (200, 400)
    body = response.content.decode()
    assert [p.mrn for p in patients if p.mrn in body] == []
    assert Patient.objects.count() == 3
