"""The batch over the next days, and what the answers feed: chart prep readiness and the copay to
collect at check-in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from frontdesk.chartprep.selectors import readiness_compute
from frontdesk.eligibility import services
from frontdesk.eligibility.models import EligibilityCheck
from frontdesk.eligibility.tests.conftest import at
from frontdesk.scheduling.models import Appointment
from frontdesk.visits.selectors import check_in_panel

pytestmark = pytest.mark.django_db


def test_batch_checks_the_next_three_days_once_per_coverage_and_date(
    now, clinic, clerk, biller, payer
):
    a, b, c, d = (clinic.patient(first_name=n) for n in ("Ann", "Bea", "Cal", "Dan"))
    for p in (a, b, c, d):
        clinic.coverage(p)
    clinic.book(a, at(7, 10))
    clinic.book(a, at(7, 14))  # same coverage and date: one check
    clinic.book(b, at(8, 10))
    clinic.book(c, at(9, 23, 30))  # 9 December local time (10th in UTC)
    clinic.book(d, at(10, 10))  # the 4th day: not in this batch
    clinic.book(clinic.patient(first_name="Eve"), at(8, 11))  # no coverage: nothing to ask
    clinic.book(d, at(8, 9), status="noshow")  # not booked: not asked about
    # b was checked an hour ago for that date: skipped.
    services.eligibility_check(
        actor=clerk, coverage=b.coverages.get(), date_of_service=dt.date(2026, 12, 8)
    )
    payer.sent.clear()
    batch = services._batch_record(actor=biller, days=3, enqueue=False)
    batch = services.batch_execute(batch_id=batch.pk)
    assert (batch.status, batch.total, batch.done, batch.failed, batch.skipped) == (
        "done",
        3,
        2,
        0,
        1,
    )
    assert batch.percent == 100
    dates = sorted(
        EligibilityCheck.objects.filter(batch=batch).values_list("date_of_service", flat=True)
    )
    assert dates == [dt.date(2026, 12, 7), dt.date(2026, 12, 9)]
    assert len(payer.sent) == 2
    assert set(EligibilityCheck.objects.filter(batch=batch).values_list("source", flat=True)) == {
        "batch"
    }


def test_batch_counts_failures(now, clinic, biller, payer):
    patient = clinic.patient()
    clinic.coverage(patient)
    clinic.book(patient, at(8, 10))
    payer.mode = "down"
    batch = services._batch_record(actor=biller, days=3, enqueue=False)
    batch = services.batch_execute(batch_id=batch.pk)
    assert (batch.total, batch.done, batch.failed) == (1, 0, 1)


def test_nightly_batch_runs_in_the_worker(now, clinic, payer):
    patient = clinic.patient()
    clinic.coverage(patient)
    clinic.book(patient, at(8, 10))
    batch = services.batch_nightly()
    assert (batch.status, batch.done) == ("done", 1)


def _readiness(appointment):
    [computed] = readiness_compute(Appointment.objects.filter(pk=appointment.pk))
    return {i["key"]: (i["status"], i["message"]) for i in computed.items}["eligibility"]


def test_chart_prep_reads_the_latest_check(now, clinic, clerk, payer):
    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    appointment = clinic.book(patient, at(8, 10))
    assert _readiness(appointment)[0] == "unknown"
    services.eligibility_check(actor=clerk, coverage=coverage, appointment=appointment)
    assert _readiness(appointment) == ("ok", "Active for the visit date (checked 2026-12-07).")
    payer.mode = "inactive"
    services.eligibility_check(actor=clerk, coverage=coverage, appointment=appointment)
    assert _readiness(appointment)[0] == "missing"
    payer.mode = "down"
    services.eligibility_check(actor=clerk, coverage=coverage, appointment=appointment)
    assert _readiness(appointment)[0] == "unknown"


def test_check_in_copay_comes_from_the_latest_active_answer(now, clinic, clerk, payer):
    patient = clinic.patient()
    coverage = clinic.coverage(
        patient, copay_primary_care=Decimal("40.00"), copay_specialist=Decimal("40.00")
    )
    appointment = clinic.book(patient, at(7, 10))
    today = dt.date(2026, 12, 7)
    panel = check_in_panel(user=clerk, appointment_id=appointment.pk, today=today)
    assert panel.copay == Decimal("40.00")  # the coverage's own copay field
    services.eligibility_check(actor=clerk, coverage=coverage, appointment=appointment)
    panel = check_in_panel(user=clerk, appointment_id=appointment.pk, today=today)
    assert panel.copay == Decimal("25.00")  # the payer's office-visit copay
    payer.mode = "inactive"
    services.eligibility_check(actor=clerk, coverage=coverage, appointment=appointment)
    panel = check_in_panel(user=clerk, appointment_id=appointment.pk, today=today)
    assert panel.copay == Decimal("40.00")
