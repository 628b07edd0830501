"""Chart prep in a real browser: tomorrow's visit missing a prior authorization is on the not-ready
worklist; adding the authorization from the patient's chart-prep page clears it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.chartprep.models import ConsentAcknowledgement
from frontdesk.chartprep.services import readiness_recompute
from tests.factories import (
    TEST_PASSWORD,
    AppointmentFactory,
    AppointmentTypeFactory,
    CoverageFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    UserFactory,
    assign,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_not_ready_visit_cleared_by_adding_the_prior_authorization(page, live_server):
    location = LocationFactory()
    tz = location.tzinfo
    tomorrow = timezone.now().astimezone(tz).date() + dt.timedelta(days=1)
    patient = PatientFactory(first_name="Priya", last_name="Zzprep", mrn="T8880301")
    CoverageFactory(patient=patient, effective_on=dt.date(2020, 1, 1))
    for kind in ("privacy_notice", "financial_policy"):
        ConsentAcknowledgement.objects.create(
            patient=patient, kind=kind, method="paper", acknowledged_at=timezone.now()
        )
    mri = AppointmentTypeFactory(name="MRI review", requires_prior_auth=True)
    appointment = AppointmentFactory(
        patient=patient,
        provider=ProviderFactory(last_name="Zzdoctor"),
        location=location,
        appointment_type=mri,
        starts_at=dt.datetime.combine(tomorrow, dt.time(10), tzinfo=tz),
    )
    readiness_recompute()
    user = UserFactory(username="desk.prep", first_name="Brenda", role=Role.FRONT_DESK)
    assign(user, location)

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("desk.prep")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Good day, Brenda").wait_for()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Chart prep").click()

    row = page.locator(f"tr[data-appointment='{appointment.pk}']")
    row.wait_for()
    assert "Prior authorization required: none on file." in row.inner_text()
    assert page.get_by_role("status").inner_text() == "1 visit not ready."

    row.get_by_role("link", name="Zzprep, P. · MRN T8880301").click()
    page.get_by_role("link", name="Add authorization").click()
    page.get_by_label("Kind").select_option(label="Prior authorization")
    page.get_by_label("Authorization / referral number").fill("PA-77821")
    page.get_by_label("Valid from").fill(timezone.localdate().isoformat())
    page.get_by_label("Units approved").fill("4")
    page.get_by_label("Appointment types").select_option(label="MRI review")
    page.get_by_role("button", name="Save authorization").click()
    page.get_by_text("Authorization saved.").wait_for()
    assert "0 of 4 used" in page.locator("table.authorizations").inner_text()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Chart prep").click()
    page.get_by_text("Every upcoming visit that matches is ready.").wait_for()
    assert page.get_by_role("status").inner_text() == "0 visits not ready."
