"""The disclosure log: recorded in bulk with one audit row, append-only (PostgreSQL trigger), read by
the privacy officer (audited, restricted records hidden), shown on a page and in the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import ValidationFailed
from frontdesk.disclosures.models import Disclosure
from frontdesk.disclosures.selectors import disclosures_for_patient
from frontdesk.disclosures.services import DisclosureEntry, disclosures_record
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _entry(patient: Any, **fields: Any) -> DisclosureEntry:
    values: dict[str, Any] = {
        "patient_id": patient.pk,
        "recipient": "Example Health Plan (via clearinghouse)",
        "recipient_identifier": "SIM01",
        "purpose": "payment",
        "description": "Eligibility inquiry (270)",
        "reference": "exchange:1",
    }
    values.update(fields)
    return DisclosureEntry(**values)


@pytest.fixture
def privacy(make_user: Any, location: Any) -> Any:
    return make_user(Role.PRIVACY_OFFICER, location)


def test_record_in_bulk_with_one_audit_row(make_user, location):
    biller = make_user(Role.BILLING, location)
    first, second = PatientFactory(), PatientFactory()
    before = AuditEvent.objects.count()
    rows = disclosures_record(actor=biller, entries=[_entry(first), _entry(second)])
    assert len(rows) == 2
    assert Disclosure.objects.count() == 2
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.action == "disclose"
    assert event.detail["patient_ids"] == sorted([first.pk, second.pk])
    assert Disclosure.objects.filter(actor=biller).count() == 2


def test_nothing_to_record_writes_nothing():
    assert disclosures_record(actor=None, entries=[]) == []
    assert AuditEvent.objects.count() == 0


def test_bad_entries_refuse_the_whole_call():
    patient = PatientFactory()
    with pytest.raises(ValidationFailed) as caught:
        disclosures_record(
            actor=None,
            entries=[
                _entry(patient),
                _entry(patient, purpose="gossip", recipient=" "),
                _entry(patient, at=dt.datetime(2026, 1, 1, 9, 0)),
            ],
        )
    assert set(caught.value.fields) == {"purpose", "recipient", "at"}
    assert Disclosure.objects.count() == 0


def test_the_database_checks_purpose_and_recipient():
    patient = PatientFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Disclosure.objects.create(
            patient=patient,
            disclosed_at=timezone.now(),
            recipient="Someone",
            purpose="gossip",
            description="x",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Disclosure.objects.create(
            patient=patient,
            disclosed_at=timezone.now(),
            recipient="",
            purpose="payment",
            description="x",
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_update_and_delete():
    (row,) = disclosures_record(actor=None, entries=[_entry(PatientFactory())])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Disclosure.objects.filter(pk=row.pk).update(recipient="Someone else")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Disclosure.objects.filter(pk=row.pk).delete()
    assert Disclosure.objects.get(pk=row.pk).recipient == row.recipient


def test_the_privacy_officer_reads_a_patients_disclosures_audited(privacy):
    patient, other = PatientFactory(), PatientFactory()
    now = timezone.now()
    disclosures_record(
        actor=None,
        entries=[
            _entry(patient, at=now - dt.timedelta(days=40), reference="exchange:1"),
            _entry(patient, at=now - dt.timedelta(days=2), reference="exchange:2"),
            _entry(other, reference="exchange:3"),
        ],
    )
    rows = list(disclosures_for_patient(user=privacy, patient=patient))
    assert [r.reference for r in rows] == ["exchange:2", "exchange:1"]
    recent = disclosures_for_patient(
        user=privacy, patient=patient, since=now - dt.timedelta(days=7)
    )
    assert [r.reference for r in recent] == ["exchange:2"]
    reads = AuditEvent.objects.filter(object_type="disclosure_log", patient_id=patient.pk)
    assert reads.count() == 2


def test_roles_without_audit_view_read_nothing(make_user, location):
    patient = PatientFactory()
    disclosures_record(actor=None, entries=[_entry(patient)])
    biller = make_user(Role.BILLING, location)
    assert list(disclosures_for_patient(user=biller, patient=patient)) == []


def test_page_lists_the_disclosures(staff_client, privacy):
    patient = PatientFactory()
    disclosures_record(actor=None, entries=[_entry(patient, description="Claim (837P) <b>x</b>")])
    client = staff_client(user=privacy)
    response = client.get(reverse("disclosures:patient", kwargs={"patient_id": patient.pk}))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Example Health Plan (via clearinghouse)" in content
    assert "Claim (837P) &lt;b&gt;x&lt;/b&gt;" in content
    filtered = client.get(
        reverse("disclosures:patient", kwargs={"patient_id": patient.pk}),
        {"since": "2001-01-01", "until": "2001-01-31"},
    )
    assert "No disclosures recorded in this period" in filtered.content.decode()


def test_page_hides_restricted_records_and_refuses_other_roles(staff_client, make_user, location):
    restricted = PatientFactory(is_restricted=True)
    admin = make_user(Role.ADMIN, location)
    url = reverse("disclosures:patient", kwargs={"patient_id": restricted.pk})
    assert staff_client(user=admin).get(url).status_code == 404
    assert staff_client(Role.BILLING).get(url).status_code == 403


def test_api_lists_a_patients_disclosures(privacy):
    from django.test import Client

    patient = PatientFactory()
    disclosures_record(actor=None, entries=[_entry(patient)])
    client = Client()
    client.force_login(privacy)
    response = client.get(f"/api/v1/patients/{patient.pk}/disclosures")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["purpose"] == "payment"
    assert item["recipient_identifier"] == "SIM01"
    assert item["actor"] == "system"
    naive = client.get(f"/api/v1/patients/{patient.pk}/disclosures?since=2026-01-01T00:00:00")
    assert naive.status_code == 400
