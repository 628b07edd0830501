# mypy: disable-error-code="arg-type, attr-defined, misc, operator, union-attr"
"""No-shows: the clock marks them after the grace period, a late arrival is undone, cases are worked
(attempts, close with an outcome), rebooking closes them, late cancellations are tracked, the flag."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.chartprep import noshow_selectors, noshow_services
from frontdesk.chartprep.models import NoShowCase, OutreachAttempt
from frontdesk.core.errors import Conflict, ValidationFailed
from frontdesk.scheduling.models import Appointment, AppointmentEvent
from tests.factories import AppointmentFactory, LocationFactory, PatientFactory, UserFactory, assign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _midday(time_machine):
    # Mid-morning at the test locations (New York): "20 minutes ago" is always the same local day.
    time_machine.move_to(dt.datetime(2026, 11, 18, 16, 0, tzinfo=dt.UTC), tick=True)


def ago(minutes):
    return timezone.now() - dt.timedelta(minutes=minutes)


def test_booked_visits_past_the_grace_become_no_shows_with_a_case(location):
    late = AppointmentFactory(location=location, starts_at=ago(20))
    within_grace = AppointmentFactory(location=location, starts_at=ago(10))
    arrived = AppointmentFactory(location=location, starts_at=ago(30), status="arrived")

    assert noshow_services.noshows_mark_due() == 1
    assert noshow_services.noshows_mark_due() == 0  # idempotent

    statuses = dict(Appointment.objects.values_list("pk", "status"))
    assert statuses == {late.pk: "noshow", within_grace.pk: "booked", arrived.pk: "arrived"}
    case = NoShowCase.objects.get()
    assert (case.appointment_id, case.kind, case.status) == (late.pk, "no_show", "open")
    event = AppointmentEvent.objects.get(appointment=late)
    assert (event.kind, event.actor.username) == ("no_show", noshow_services.SYSTEM_USERNAME)


def test_grace_is_a_setting(location, settings):
    settings.NOSHOW_GRACE_MINUTES = 5
    AppointmentFactory(location=location, starts_at=ago(10))
    assert noshow_services.noshows_mark_due() == 1


def test_a_late_arrival_undoes_the_no_show(location):
    user = assign(UserFactory(role=Role.FRONT_DESK), location)
    appointment = AppointmentFactory(location=location, starts_at=ago(20))
    noshow_services.noshows_mark_due()
    before = AuditEvent.objects.count()

    noshow_services.appointment_undo_no_show(actor=user, appointment=appointment)

    appointment.refresh_from_db()
    assert appointment.status == "booked"
    case = NoShowCase.objects.get()
    assert (case.status, case.outcome, case.closed_by) == ("closed", "arrived_late", user)
    last = AppointmentEvent.objects.filter(appointment=appointment).latest("pk")
    assert (last.kind, last.from_status, last.to_status) == ("status_changed", "noshow", "booked")
    assert AuditEvent.objects.count() == before + 1
    with pytest.raises(Conflict) as caught:
        noshow_services.appointment_undo_no_show(actor=user, appointment=appointment)
    assert caught.value.message == noshow_services.MSG_NOT_NOSHOW


def test_undo_refused_after_the_day_of_the_visit(location, time_machine):
    user = assign(UserFactory(role=Role.FRONT_DESK), location)
    missed = AppointmentFactory(location=location, starts_at=ago(20), status="noshow")
    time_machine.move_to(timezone.now() + dt.timedelta(days=1), tick=False)
    with pytest.raises(Conflict) as caught:
        noshow_services.appointment_undo_no_show(actor=user, appointment=missed)
    assert caught.value.code == "undo_other_day"
    missed.refresh_from_db()
    assert missed.status == "noshow"


def test_undo_refused_when_the_slot_was_given_away(location):
    user = assign(UserFactory(role=Role.FRONT_DESK), location)
    missed = AppointmentFactory(location=location, starts_at=ago(20), status="noshow")
    AppointmentFactory(location=location, provider=missed.provider, starts_at=missed.starts_at)
    with pytest.raises(Conflict) as caught:
        noshow_services.appointment_undo_no_show(actor=user, appointment=missed)
    assert caught.value.message == noshow_services.MSG_SLOT_TAKEN
    missed.refresh_from_db()
    assert missed.status == "noshow"


def _case(location):
    missed = AppointmentFactory(location=location, starts_at=ago(60), status="noshow")
    return NoShowCase.objects.create(
        appointment=missed,
        patient=missed.patient,
        location=location,
        kind="no_show",
        opened_at=ago(40),
    )


def test_outreach_attempts_are_logged_and_bad_input_is_refused(location):
    user = assign(UserFactory(role=Role.FRONT_DESK), location)
    case = _case(location)
    noshow_services.outreach_record(actor=user, case=case, channel="call", outcome="voicemail")
    with pytest.raises(ValidationFailed) as caught:
        noshow_services.outreach_record(actor=user, case=case, channel="fax", outcome="maybe")
    assert caught.value.fields == {
        "channel": [noshow_services.MSG_CHANNEL],
        "outcome": [noshow_services.MSG_OUTCOME],
    }
    assert list(OutreachAttempt.objects.values_list("channel", "outcome", "by")) == [
        ("call", "voicemail", user.pk)
    ]


def test_closing_requires_an_outcome(location):
    user = assign(UserFactory(role=Role.FRONT_DESK), location)
    case = _case(location)
    with pytest.raises(ValidationFailed) as caught:
        noshow_services.case_close(actor=user, case=case, outcome="")
    assert caught.value.fields == {"outcome": [noshow_services.MSG_CLOSE_OUTCOME]}
    case.refresh_from_db()
    assert case.status == "open"
    noshow_services.case_close(actor=user, case=case, outcome="declined")
    case.refresh_from_db()
    assert (case.status, case.outcome) == ("closed", "declined")
    with pytest.raises(Conflict):
        noshow_services.outreach_record(actor=user, case=case, channel="sms", outcome="sent")


def test_a_later_booking_closes_the_case_as_rebooked(location):
    case = _case(location)
    other_patient_booking = AppointmentFactory(
        location=location, starts_at=timezone.now() + dt.timedelta(days=2)
    )
    assert noshow_services.cases_close_rebooked() == 0
    rebooked = AppointmentFactory(
        location=location, patient=case.patient, starts_at=timezone.now() + dt.timedelta(days=3)
    )
    assert noshow_services.cases_close_rebooked() == 1
    case.refresh_from_db()
    assert (case.status, case.outcome, case.rebooked_appointment_id) == (
        "closed",
        "rebooked",
        rebooked.pk,
    )
    assert other_patient_booking.pk != rebooked.pk


def test_same_day_and_late_cancellations_are_tracked(location):
    soon = AppointmentFactory(
        location=location,
        starts_at=timezone.now() + dt.timedelta(hours=2),
        status="cancelled",
        cancellation_reason="patient_ill",
        cancelled_by="patient",
        is_late_cancel=True,
    )
    AppointmentFactory(
        location=location,
        starts_at=timezone.now() + dt.timedelta(days=5),
        status="cancelled",
        cancellation_reason="patient_ill",
        cancelled_by="patient",
    )
    assert noshow_services.late_cancels_track() == 1
    assert noshow_services.late_cancels_track() == 0
    case = NoShowCase.objects.get()
    assert case.appointment_id == soon.pk
    assert case.kind in ("same_day_cancel", "late_cancel")


def test_no_show_count_and_the_booking_flag(settings):
    settings.NOSHOW_FLAG_THRESHOLD = 2
    patient = PatientFactory()
    location = LocationFactory()
    AppointmentFactory(
        patient=patient, location=location, starts_at=ago(60 * 24 * 30), status="noshow"
    )
    AppointmentFactory(
        patient=patient, location=location, starts_at=ago(60 * 24 * 400), status="noshow"
    )
    since = timezone.now() - dt.timedelta(days=365)
    assert noshow_selectors.no_show_count(patient.pk, since) == 1
    flag = noshow_selectors.no_show_flag(patient.pk)
    assert (flag.count, flag.threshold, flag.flagged) == (1, 2, False)
    assert "no-show" not in render_to_string("scheduling/_noshow_flag.html", {"noshow_flag": flag})
    AppointmentFactory(
        patient=patient, location=location, starts_at=ago(60 * 24 * 2), status="noshow"
    )
    flag = noshow_selectors.no_show_flag(patient.pk)
    assert flag.flagged is True
    html = render_to_string("scheduling/_noshow_flag.html", {"noshow_flag": flag})
    assert "2 no-shows in the last 12 months (policy: 2)" in html
    clean = PatientFactory()
    flags = noshow_selectors.no_show_flags([patient.pk, clean.pk])
    assert {pk: (f.count, f.flagged) for pk, f in flags.items()} == {
        patient.pk: (2, True),
        clean.pk: (0, False),
    }


def test_worklist_screen_shows_open_cases_of_my_locations_only(location, staff_client):
    mine = _case(location)
    _case(LocationFactory())
    client: Client = staff_client(Role.FRONT_DESK)
    response = client.get(reverse("noshows:list"))
    assert response.status_code == 200
    assert [row["c"].pk for row in response.context["rows"]] == [mine.pk]
    response = client.post(
        reverse("noshows:attempt", args=[mine.pk]), {"channel": "call", "outcome": "no_answer"}
    )
    assert response.status_code == 302
    assert OutreachAttempt.objects.filter(case=mine).count() == 1
    response = client.post(reverse("noshows:close", args=[mine.pk]), {"outcome": ""})
    mine.refresh_from_db()
    assert mine.status == "open"
    client.post(reverse("noshows:close", args=[mine.pk]), {"outcome": "unreachable"})
    mine.refresh_from_db()
    assert (mine.status, mine.outcome) == ("closed", "unreachable")


def test_the_clock_tasks_run_the_sweeps(location):
    from frontdesk.chartprep.tasks import noshows_sweep, readiness_nightly, readiness_refresh
    from frontdesk.chartprep.tests.helpers import visit

    AppointmentFactory(location=location, starts_at=ago(30))
    visit(location, needs_prior_auth=True)
    assert noshows_sweep.call() == {"marked": 1, "late_cancels": 0, "rebooked": 0}
    assert readiness_refresh.call() == {"visits": 1}
    assert readiness_nightly.call() == {"pruned": 0, "visits": 1}


def test_the_worklist_offers_arrived_late_only_on_the_day_of_the_visit(
    location, staff_client, time_machine
):
    today = AppointmentFactory(location=location, starts_at=ago(20), status="noshow")
    NoShowCase.objects.create(
        appointment=today,
        patient=today.patient,
        location=location,
        kind="no_show",
        opened_at=ago(5),
    )
    client = staff_client(Role.FRONT_DESK)
    html = client.get(reverse("noshows:list")).content.decode()
    assert html.count("Arrived late: undo</button>") == 1
    time_machine.move_to(timezone.now() + dt.timedelta(days=1), tick=False)
    html = client.get(reverse("noshows:list")).content.decode()
    assert "Arrived late: undo</button>" not in html
