"""The estimate panel of an appointment (htmx, at scheduling and check-in): the type's expected codes
priced for the patient's coverage and its latest eligibility answer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.coding.models import FeeSchedule, FeeScheduleEntry
from frontdesk.eligibility import services
from frontdesk.eligibility.estimates import estimate_for_appointment
from frontdesk.eligibility.tests import conftest as eligibility_conftest
from frontdesk.eligibility.tests.conftest import at
from tests.factories import AppointmentFactory, LocationFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
DAY = dt.date(2026, 12, 8)


def _fees(payer: Any) -> None:
    standard = FeeSchedule.objects.create(name="Standard", effective_from=dt.date(2026, 1, 1))
    FeeScheduleEntry.objects.create(schedule=standard, code="99213", amount=Decimal("150.00"))
    FeeScheduleEntry.objects.create(schedule=standard, code="36415", amount=Decimal("20.00"))
    allowed = FeeSchedule.objects.create(
        name="Zz allowed", payer=payer, effective_from=dt.date(2026, 1, 1)
    )
    FeeScheduleEntry.objects.create(schedule=allowed, code="99213", amount=Decimal("92.00"))


@pytest.fixture
def visit(now: Any, clinic: Any) -> Any:
    """A Tuesday visit of an insured patient whose type plans a 99213 (fees on file)."""
    _fees(clinic.payer)
    clinic.type.estimate_codes = "99213"
    clinic.type.save()
    patient = clinic.patient()
    clinic.coverage(patient)
    return clinic.book(patient, at(8, 10))


def _url(appointment: Any) -> str:
    return reverse("eligibility:appointment_estimate", args=[appointment.pk])


def _reads(patient: Any) -> list[tuple[str, str, dict[str, Any]]]:
    return list(
        AuditEvent.objects.filter(patient_id=patient.pk)
        .order_by("sequence")
        .values_list("action", "category", "detail")
    )


def _check(clerk: Any, appointment: Any) -> Any:
    coverage = appointment.patient.coverages.get()
    return services.eligibility_check(actor=clerk, coverage=coverage, appointment=appointment)


def test_insured_with_a_copay(now, visit, clerk, staff_client, payer):
    _check(clerk, visit)
    now.shift(dt.timedelta(hours=2))
    client = staff_client(Role.FRONT_DESK)
    before = AuditEvent.objects.filter(patient_id=visit.patient_id).count()

    page = client.get(_url(visit), **HX)

    body = page.content.decode()
    assert page.status_code == 200
    assert f'<strong id="est-owes-{visit.pk}">$25.00</strong>' in body
    assert f'<dd id="est-copay-{visit.pk}">$25.00</dd>' in body
    assert "<dt>Expected allowed</dt><dd>$92.00</dd>" in body
    assert "<dt>Insurance expected to pay</dt><dd>$67.00</dd>" in body
    assert f"est-deductible-{visit.pk}" not in body
    assert "Zz Example Health · benefits checked 2\xa0hours ago." in body
    full = reverse("eligibility:estimate", args=[visit.patient_id])
    assert f'href="{full}?services=99213&amp;date=2026-12-08"' in body
    assert "good-faith-estimate" not in body
    assert f"MRN {visit.patient.mrn}" in body
    rows = _reads(visit.patient)[before:]
    assert [(action, category, detail["event"]) for action, category, detail in rows] == [
        ("read", "financial", "appointment_estimate_viewed")
    ]


def test_deductible_then_coinsurance(now, visit, clerk, staff_client, payer, monkeypatch):
    benefits = eligibility_conftest.standard_benefits()
    no_copay = tuple(b for b in benefits if b.code != "B")
    small_deductible = tuple(
        b if not (b.code == "C" and b.time_period == "29") else _with_amount(b, "50.00")
        for b in no_copay
    )
    monkeypatch.setattr(eligibility_conftest, "standard_benefits", lambda: small_deductible)
    _check(clerk, visit)

    body = staff_client(Role.FRONT_DESK).get(_url(visit), **HX).content.decode()

    # Allowed $92.00: the $50.00 that remains of the deductible, then 20 % of $42.00.
    assert f'<strong id="est-owes-{visit.pk}">$58.40</strong>' in body
    assert f'<dd id="est-deductible-{visit.pk}">$50.00</dd>' in body
    assert f'<dd id="est-coinsurance-{visit.pk}">$8.40</dd>' in body
    assert "<dt>Insurance expected to pay</dt><dd>$33.60</dd>" in body
    assert f"est-copay-{visit.pk}" not in body
    assert "benefits checked 0\xa0minutes ago." in body


def _with_amount(benefit: Any, amount: str) -> Any:
    from dataclasses import replace

    return replace(benefit, amount=Decimal(amount))


def test_self_pay_prices_the_standard_charges_and_offers_the_good_faith_estimate(
    now, clinic, staff_client
):
    _fees(clinic.payer)
    clinic.type.estimate_codes = "99213, 36415 x2"
    clinic.type.save()
    appointment = clinic.book(clinic.patient(), at(8, 10))

    body = staff_client(Role.FRONT_DESK).get(_url(appointment), **HX).content.decode()

    assert f'<strong id="est-owes-{appointment.pk}">$190.00</strong>' in body
    assert "<dt>Standard charges</dt><dd>$190.00 (self-pay)</dd>" in body
    assert "<li>36415 ×2: $40.00</li>" in body
    assert "No insurance in force on 12/08/2026: self-pay." in body
    full = reverse("eligibility:estimate", args=[appointment.patient_id])
    assert f'href="{full}?services=99213%2C%2036415%20x2&amp;date=2026-12-08&amp;self_pay=1"' in (
        body
    )
    gfe = reverse("eligibility:good_faith_estimate", args=[appointment.patient_id])
    assert (
        f'href="{gfe}?services=99213%2C%2036415%20x2&amp;date=2026-12-08'
        f"&amp;description=Office%20visit&amp;provider={clinic.provider.pk}"
    ) in body


def test_a_type_without_codes_says_so_and_links_to_the_full_page(now, clinic, staff_client):
    appointment = clinic.book(clinic.patient(), at(8, 10))
    client = staff_client(Role.FRONT_DESK)

    page = client.get(_url(appointment), **HX)

    body = page.content.decode()
    assert page.status_code == 200
    assert (
        "The appointment type Office visit has no expected procedure codes, so there is no "
        "estimate for this visit yet."
    ) in body
    full = reverse("eligibility:estimate", args=[appointment.patient_id])
    assert f'href="{full}?date=2026-12-08"' in body
    assert "est-owes" not in body
    assert [(a, c) for a, c, _ in _reads(appointment.patient)] == [("read", "financial")]


def test_unreadable_codes_on_file_are_reported(now, clinic, clerk):
    clinic.type.estimate_codes = "99213, nonsense"  # written around the setup form's check
    clinic.type.save()
    appointment = clinic.book(clinic.patient(), at(8, 10))

    result = estimate_for_appointment(user=clerk, appointment=appointment)

    assert result.visit is None
    assert result.problem == "Not a procedure code with modifiers: 'nonsense'."
    assert len(_reads(appointment.patient)) == 1


def test_no_eligibility_answer_yet(now, visit, staff_client, payer):
    client = staff_client(Role.FRONT_DESK)

    body = client.get(_url(visit), **HX).content.decode()

    assert f'<strong id="est-owes-{visit.pk}">$150.00</strong>' in body
    assert "Zz Example Health: no eligibility answer yet: run a check." in body
    assert "<dt>Standard charges</dt><dd>$150.00 (no active eligibility answer)</dd>" in body
    coverage = visit.patient.coverages.get()
    run = reverse("eligibility:check_run", args=[coverage.pk])
    assert f'hx-post="{run}?appointment={visit.pk}"' in body
    # The panel reloads itself when a check on the page (its own or the eligibility panel's) answers.
    assert (
        f'hx-get="{_url(visit)}" hx-trigger="eligibility-checked from:body" hx-target="this"'
    ) in body
    assert "good-faith-estimate" not in body

    answer = client.post(f"{run}?appointment={visit.pk}", **HX)
    assert answer["HX-Trigger"] == "eligibility-checked"
    after = client.get(_url(visit), **HX).content.decode()
    assert f'<strong id="est-owes-{visit.pk}">$25.00</strong>' in after
    assert "est-run-" not in after
    assert 'hx-trigger="eligibility-checked from:body"' in after


def test_beside_the_eligibility_panel_the_estimate_leaves_the_check_to_it(now, visit, staff_client):
    beside = f"{_url(visit)}?beside=eligibility"
    body = staff_client(Role.FRONT_DESK).get(beside, **HX).content.decode()
    assert "no eligibility answer yet: run a check." in body
    assert "est-run-" not in body
    assert f'hx-get="{beside}" hx-trigger="eligibility-checked from:body"' in body


def test_another_locations_appointment_is_not_found(now, clinic, staff_client):
    elsewhere = AppointmentFactory(location=LocationFactory(), patient=clinic.patient())
    client = staff_client(Role.FRONT_DESK)
    assert client.get(_url(elsewhere), **HX).status_code == 404
    assert client.get(reverse("eligibility:appointment_estimate", args=[999999])).status_code == (
        404
    )
    assert AuditEvent.objects.filter(patient_id=elsewhere.patient_id).count() == 0


def test_a_restricted_chart_is_not_found_and_a_scheduler_is_refused(now, clinic, staff_client):
    hidden = clinic.book(clinic.patient(is_restricted=True), at(8, 10))
    assert staff_client(Role.FRONT_DESK).get(_url(hidden), **HX).status_code == 404
    visible = clinic.book(clinic.patient(), at(8, 11))
    assert staff_client(Role.SCHEDULER).get(_url(visible), **HX).status_code == 403
    assert staff_client(Role.BILLING).get(_url(visible), **HX).status_code == 200


def test_beside_the_eligibility_panel_the_estimate_loads_after_it(now, visit, staff_client):
    # One request after the other: the eligibility panel's answer says it has loaded, and only
    # then does the estimate beside it ask for itself (each audits a read of the patient).
    from django.template.loader import render_to_string

    coverage = visit.patient.coverages.get()
    client = staff_client(Role.FRONT_DESK)
    panel = client.get(
        reverse("eligibility:panel", args=[coverage.pk]), {"appointment": visit.pk}, **HX
    )
    assert panel["HX-Trigger"] == "eligibility-panel-loaded"
    beside = render_to_string(
        "eligibility/_estimate_loader.html", {"appointment": visit, "beside_eligibility": coverage}
    )
    alone = render_to_string("eligibility/_estimate_loader.html", {"appointment": visit})
    assert 'hx-trigger="eligibility-panel-loaded from:body once"' in beside
    assert 'hx-trigger="load"' in alone
