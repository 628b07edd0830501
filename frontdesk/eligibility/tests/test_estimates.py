"""Patient cost estimates and the Good Faith Estimate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from frontdesk.audit.models import AuditEvent
from frontdesk.coding.models import FeeSchedule, FeeScheduleEntry
from frontdesk.core.errors import ValidationFailed
from frontdesk.eligibility import services
from frontdesk.eligibility.estimates import (
    PlannedService,
    PricedLine,
    estimate_compute,
    estimate_for_visit,
    parse_services,
)
from frontdesk.eligibility.summary import BenefitSummary


def line(code="99213", standard="150.00", allowed="92.00", units="1"):
    return PricedLine(
        code=code,
        modifiers=(),
        units=Decimal(units),
        description="",
        standard_charge=Decimal(standard) if standard else None,
        allowed=Decimal(allowed) if allowed else None,
    )


def benefits(**kw):
    return BenefitSummary(active=True, **kw)


def test_copay_applies_to_the_office_visit():
    e = estimate_compute([line()], benefits(office_copay=Decimal("25.00")), self_pay=False)
    assert (e.patient_owes, e.insurance_pays, e.total_charges) == (
        Decimal("25.00"),
        Decimal("67.00"),
        Decimal("150.00"),
    )


def test_deductible_then_coinsurance_capped_by_out_of_pocket():
    e = estimate_compute(
        [line(), line("36415", "20.00", None)],
        benefits(
            deductible_remaining=Decimal("50.00"),
            coinsurance_percent=Decimal("20.00"),
            out_of_pocket_remaining=Decimal("1000.00"),
        ),
        self_pay=False,
    )
    # allowed 92 + 20 (standard: not in the schedule) = 112; 50 deductible + 20 % of 62 = 12.40
    assert e.expected_allowed == Decimal("112.00")
    assert (e.deductible_applied, e.coinsurance, e.patient_owes) == (
        Decimal("50.00"),
        Decimal("12.40"),
        Decimal("62.40"),
    )
    capped = estimate_compute(
        [line()],
        benefits(deductible_remaining=Decimal("500.00"), out_of_pocket_remaining=Decimal("30.00")),
        self_pay=False,
    )
    assert capped.patient_owes == Decimal("30.00")


def test_self_pay_and_no_active_answer_owe_the_standard_charges():
    assert estimate_compute([line(units="2")], None, self_pay=True).patient_owes == Decimal(
        "300.00"
    )
    inactive = estimate_compute([line()], BenefitSummary(active=False), self_pay=False)
    assert inactive.self_pay and inactive.patient_owes == Decimal("150.00")


def test_parse_services():
    assert parse_services("99213, 36415 x2\n99214-25") == [
        PlannedService("99213"),
        PlannedService("36415", units=Decimal("2")),
        PlannedService("99214", modifiers=("25",)),
    ]
    with pytest.raises(ValidationFailed):
        parse_services("hello")
    with pytest.raises(ValidationFailed):
        parse_services("")


def _fees(payer):
    standard = FeeSchedule.objects.create(name="Standard", effective_from=dt.date(2026, 1, 1))
    FeeScheduleEntry.objects.create(schedule=standard, code="99213", amount=Decimal("150.00"))
    allowed = FeeSchedule.objects.create(
        name="Zz allowed", payer=payer, effective_from=dt.date(2026, 1, 1)
    )
    FeeScheduleEntry.objects.create(schedule=allowed, code="99213", amount=Decimal("92.00"))


@pytest.mark.django_db
def test_estimate_for_a_visit_uses_fees_and_the_latest_answer(now, clinic, clerk, payer):
    _fees(clinic.payer)
    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    day = dt.date(2026, 12, 8)
    before = estimate_for_visit(
        user=clerk, patient=patient, services=[PlannedService("99213")], on=day
    )
    assert before.estimate.self_pay and before.estimate.patient_owes == Decimal("150.00")
    services.eligibility_check(actor=clerk, coverage=coverage, date_of_service=day)
    after = estimate_for_visit(
        user=clerk, patient=patient, services=[PlannedService("99213")], on=day
    )
    assert (
        after.estimate.self_pay,
        after.estimate.expected_allowed,
        after.estimate.patient_owes,
    ) == (
        False,
        Decimal("92.00"),
        Decimal("25.00"),
    )


@pytest.mark.django_db
def test_estimate_page_and_good_faith_estimate(now, clinic, staff_client, payer):
    _fees(clinic.payer)
    client = staff_client("front_desk")
    patient = clinic.patient()
    url = reverse("eligibility:estimate", args=[patient.pk])
    assert client.get(url).status_code == 200
    page = client.get(url, {"services": "99213", "date": "2026-12-08", "self_pay": "1"})
    body = page.content.decode()
    assert page.status_code == 200 and "$150.00" in body
    assert reverse("eligibility:good_faith_estimate", args=[patient.pk]) in body
    assert client.get(url, {"services": "nonsense"}).status_code == 400
    before = AuditEvent.objects.filter(action="print").count()
    gfe = client.get(
        reverse("eligibility:good_faith_estimate", args=[patient.pk]),
        {"services": "99213", "date": "2026-12-08", "diagnoses": "I10", "description": "Follow-up"},
    )
    text = gfe.content.decode()
    assert gfe.status_code == 200
    for expected in (
        "Good Faith Estimate",
        patient.display_name,
        "05/17/1980",
        "99213",
        "$150.00",
        "I10",
        clinic.location.organization.npi,
        "not a contract",
        "www.cms.gov/nosurprises",
        "120 calendar days",
    ):
        assert expected in text, expected
    assert AuditEvent.objects.filter(action="print").count() == before + 1
