"""The eligibility screens: the panel (htmx) in registration and check-in, details, raw 271, lists,
batches."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from frontdesk.audit.models import AuditEvent
from frontdesk.eligibility import services
from frontdesk.eligibility.models import EligibilityBatch, EligibilityCheck
from frontdesk.eligibility.tests.conftest import at

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def test_panel_check_and_result(now, clinic, staff_client, payer):
    client = staff_client("front_desk")
    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    appointment = clinic.book(patient, at(7, 10))
    url = reverse("eligibility:panel", args=[coverage.pk]) + f"?appointment={appointment.pk}"
    page = client.get(url, **HX)
    assert page.status_code == 200
    assert "not checked with the payer yet" in page.content.decode()
    run = reverse("eligibility:check_run", args=[coverage.pk]) + f"?appointment={appointment.pk}"
    answer = client.post(run, **HX)
    body = answer.content.decode()
    assert answer.status_code == 200
    assert "Active" in body and "$25.00" in body and "$1200.00 remaining" in body
    assert "checked 0\xa0minutes ago" in body
    assert EligibilityCheck.objects.get().appointment_id == appointment.pk


def test_failed_check_shows_the_reason_and_a_retry(now, clinic, staff_client, payer):
    client = staff_client("front_desk")
    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    payer.mode = "down"
    answer = client.post(reverse("eligibility:check_run", args=[coverage.pk]), **HX)
    body = answer.content.decode()
    assert answer.status_code == 200
    assert "The clearinghouse did not answer within 20\xa0s." in body or "within 20 s." in body
    check = EligibilityCheck.objects.get()
    assert reverse("eligibility:check_retry", args=[check.pk]) in body
    payer.mode = "active"
    retried = client.post(reverse("eligibility:check_retry", args=[check.pk]), **HX)
    assert "Active" in retried.content.decode()


def test_pages_include_the_panel(now, clinic, staff_client, payer):
    client = staff_client("front_desk")
    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    page = client.get(reverse("patients:coverage_edit", args=[patient.pk, coverage.pk]))
    assert page.status_code == 200
    assert reverse("eligibility:panel", args=[coverage.pk]) in page.content.decode()


def test_detail_raw_download_and_list(now, clinic, staff_client, payer, clerk):
    client = staff_client("front_desk")
    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    good = services.eligibility_check(
        actor=clerk, coverage=coverage, date_of_service=dt.date(2026, 12, 7)
    )
    payer.mode = "down"
    bad = services.eligibility_check(
        actor=clerk, coverage=coverage, date_of_service=dt.date(2026, 12, 7)
    )
    page = client.get(reverse("eligibility:check", args=[good.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Benefits by service type" in body and "Deductible remaining" in body
    before = AuditEvent.objects.filter(action="export").count()
    raw = client.get(reverse("eligibility:check_raw", args=[good.pk]))
    assert raw.status_code == 200 and raw.content.startswith(b"ISA")
    assert raw["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(action="export").count() == before + 1
    assert client.get(reverse("eligibility:check_raw", args=[bad.pk])).status_code == 404
    listing = client.get(reverse("eligibility:checks")).content.decode()
    assert listing.index(f'"{reverse("eligibility:check", args=[bad.pk])}"') < listing.index(
        f'"{reverse("eligibility:check", args=[good.pk])}"'
    )


def test_batch_pages(now, clinic, staff_client, payer, django_capture_on_commit_callbacks):
    client = staff_client("billing")
    patient = clinic.patient()
    clinic.coverage(patient)
    clinic.book(patient, at(8, 10))
    assert client.get(reverse("eligibility:batches")).status_code == 200
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("eligibility:batches"))
    batch = EligibilityBatch.objects.get()
    assert response.status_code == 302
    progress = client.get(reverse("eligibility:batch", args=[batch.pk]), **HX).content.decode()
    assert 'hx-trigger="every 2s"' in progress
    services.batch_execute(batch_id=batch.pk)
    progress = client.get(reverse("eligibility:batch", args=[batch.pk]), **HX).content.decode()
    assert "1 of 1 (100%)" in progress and "every 2s" not in progress
    assert staff_client("front_desk").get(reverse("eligibility:batches")).status_code == 403
