"""Reschedule, cancel, no-show and holds: history rows, audit rows, refusals that change nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from frontdesk.scheduling.errors import PatientDoubleBooked, SlotTaken
from frontdesk.scheduling.models import Appointment, AppointmentEvent, SlotHold
from frontdesk.scheduling.services import (
    appointment_cancel,
    appointment_mark_no_show,
    appointment_reschedule,
    slot_hold,
    slot_hold_release,
)
from frontdesk.scheduling.tests.conftest import monday
from tests.factories import (
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
)

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def snapshot(appointment: Any) -> tuple[Any, ...]:
    row = Appointment.objects.get(pk=appointment.pk)
    return (
        row.starts_at,
        row.ends_at,
        row.provider_id,
        row.status,
        row.room_id,
        AppointmentEvent.objects.count(),
        AuditEvent.objects.count(),
    )


def last_audit() -> dict[str, Any]:
    return (
        AuditEvent.objects.filter(category="schedule")
        .order_by("-sequence")
        .values("action", "patient_id", "object_type", "object_id", "detail")
        .first()
    )


# --- reschedule -------------------------------------------------------------------------------------


def test_reschedule_moves_the_appointment_and_records_history(clinic, book):
    appointment = book()
    moved = appointment_reschedule(
        actor=clinic.clerk, appointment=appointment, starts_at=monday(10)
    )
    assert (moved.starts_at, moved.ends_at) == (
        dt.datetime(2026, 12, 7, 15, 0, tzinfo=UTC),
        dt.datetime(2026, 12, 7, 15, 20, tzinfo=UTC),
    )
    event = moved.events.get(kind="rescheduled")
    assert (event.old_starts_at, event.new_starts_at, event.from_status, event.to_status) == (
        monday(9),
        monday(10),
        "booked",
        "booked",
    )
    assert last_audit() == {
        "action": "update",
        "patient_id": clinic.patient.pk,
        "object_type": "appointment",
        "object_id": str(appointment.pk),
        "detail": {
            "event": "rescheduled",
            "old_provider_id": clinic.provider.pk,
            "provider_id": clinic.provider.pk,
            "old_location_id": clinic.location.pk,
            "location_id": clinic.location.pk,
        },
    }
    assert AuditEvent.objects.filter(category="schedule").count() == 2


def test_reschedule_may_overlap_its_own_old_time_and_keeps_its_room(clinic, book):
    needs_room = AppointmentTypeFactory(code="proc", duration_minutes=30, required_room_kind="exam")
    RoomFactory(location=clinic.location, name="A room", kind="exam")
    kept = RoomFactory(location=clinic.location, name="B room", kind="exam")
    appointment = book(appointment_type=needs_room)
    Appointment.objects.filter(pk=appointment.pk).update(room=kept)
    appointment.refresh_from_db()
    moved = appointment_reschedule(
        actor=clinic.clerk, appointment=appointment, starts_at=monday(9, 10)
    )
    assert (moved.starts_at, moved.room) == (monday(9, 10), kept)


def test_reschedule_onto_a_taken_time_changes_nothing(clinic, book):
    appointment = book()
    book(patient=PatientFactory(), starts_at=monday(10))
    before = snapshot(appointment)
    with pytest.raises(SlotTaken):
        appointment_reschedule(
            actor=clinic.clerk, appointment=appointment, starts_at=monday(10, 10)
        )
    assert snapshot(appointment) == before


def test_reschedule_outside_availability_changes_nothing(clinic, book):
    appointment = book()
    before = snapshot(appointment)
    with pytest.raises(ValidationFailed) as caught:
        appointment_reschedule(actor=clinic.clerk, appointment=appointment, starts_at=monday(13))
    assert caught.value.fields == {
        "starts_at": ["That time is outside the provider's availability at this location."]
    }
    assert snapshot(appointment) == before


def test_reschedule_to_another_provider(clinic, book):
    appointment = book()
    other = ProviderFactory()
    other.locations.add(clinic.location)
    AvailabilityTemplateFactory(provider=other, location=clinic.location)
    moved = appointment_reschedule(
        actor=clinic.clerk, appointment=appointment, starts_at=monday(9), provider=other
    )
    assert moved.provider == other
    assert last_audit()["detail"]["provider_id"] == other.pk


def test_reschedule_into_the_patients_other_appointment_is_refused(clinic, book):
    appointment = book()
    other = ProviderFactory()
    other.locations.add(clinic.location)
    AvailabilityTemplateFactory(provider=other, location=clinic.location)
    book(provider=other, starts_at=monday(10))
    before = snapshot(appointment)
    with pytest.raises(PatientDoubleBooked):
        appointment_reschedule(actor=clinic.clerk, appointment=appointment, starts_at=monday(10))
    assert snapshot(appointment) == before


def test_a_cancelled_appointment_cannot_be_moved(clinic, book):
    appointment = book()
    appointment_cancel(
        actor=clinic.clerk, appointment=appointment, reason="weather", cancelled_by="practice"
    )
    before = snapshot(appointment)
    with pytest.raises(Conflict) as caught:
        appointment_reschedule(actor=clinic.clerk, appointment=appointment, starts_at=monday(10))
    assert (caught.value.message, caught.value.code) == (
        "Only a booked appointment can be changed.",
        "not_open",
    )
    assert snapshot(appointment) == before


# --- cancel ------------------------------------------------------------------------------------------


def test_cancel_records_reason_who_and_history(clinic, book):
    appointment = book()
    cancelled = appointment_cancel(
        actor=clinic.clerk, appointment=appointment, reason="patient_ill", cancelled_by="patient"
    )
    assert (
        cancelled.status,
        cancelled.cancellation_reason,
        cancelled.cancelled_by,
        cancelled.is_late_cancel,
    ) == ("cancelled", "patient_ill", "patient", False)
    event = cancelled.events.get(kind="cancelled")
    assert (event.from_status, event.to_status, event.reason) == (
        "booked",
        "cancelled",
        "patient_ill",
    )
    assert last_audit() == {
        "action": "update",
        "patient_id": clinic.patient.pk,
        "object_type": "appointment",
        "object_id": str(appointment.pk),
        "detail": {
            "event": "cancelled",
            "reason": "patient_ill",
            "cancelled_by": "patient",
            "is_late_cancel": False,
        },
    }


@pytest.mark.parametrize(
    ("now", "cancelled_by", "late"),
    [
        (dt.datetime(2026, 12, 6, 14, 1, tzinfo=UTC), "patient", True),  # 23h59m before
        (dt.datetime(2026, 12, 6, 14, 0, tzinfo=UTC), "patient", False),  # exactly 24h before
        (dt.datetime(2026, 12, 7, 13, 0, tzinfo=UTC), "practice", False),
    ],
)
def test_late_cancellation_is_flagged_inside_the_window(clinic, book, now, cancelled_by, late):
    appointment = book()
    with time_machine.travel(now, tick=False):
        cancelled = appointment_cancel(
            actor=clinic.clerk,
            appointment=appointment,
            reason="scheduling_conflict",
            cancelled_by=cancelled_by,
        )
    assert cancelled.is_late_cancel is late


def test_the_late_cancel_window_is_configurable(clinic, book, settings):
    settings.LATE_CANCEL_HOURS = 48
    appointment = book()
    with time_machine.travel(dt.datetime(2026, 12, 5, 15, 0, tzinfo=UTC), tick=False):
        cancelled = appointment_cancel(
            actor=clinic.clerk, appointment=appointment, reason="other", cancelled_by="patient"
        )
    assert cancelled.is_late_cancel is True


def test_cancel_needs_a_known_reason_and_who_cancelled(clinic, book):
    appointment = book()
    before = snapshot(appointment)
    with pytest.raises(ValidationFailed) as caught:
        appointment_cancel(
            actor=clinic.clerk, appointment=appointment, reason="felt like it", cancelled_by="god"
        )
    assert caught.value.fields == {
        "reason": ["Choose a cancellation reason."],
        "cancelled_by": ["Say who cancelled: the patient or the practice."],
    }
    assert snapshot(appointment) == before


def test_cancelling_twice_is_refused(clinic, book):
    appointment = book()
    appointment_cancel(
        actor=clinic.clerk, appointment=appointment, reason="other", cancelled_by="practice"
    )
    before = snapshot(appointment)
    with pytest.raises(Conflict):
        appointment_cancel(
            actor=clinic.clerk, appointment=appointment, reason="other", cancelled_by="practice"
        )
    assert snapshot(appointment) == before


def test_a_nurse_cannot_cancel(clinic, book, make_user):
    appointment = book()
    before = snapshot(appointment)
    with pytest.raises(PermissionDenied):
        appointment_cancel(
            actor=make_user(Role.NURSE, clinic.location),
            appointment=appointment,
            reason="other",
            cancelled_by="practice",
        )
    assert snapshot(appointment) == before


# --- no-show -----------------------------------------------------------------------------------------


def test_no_show_only_after_the_start(clinic, book):
    appointment = book()
    before = snapshot(appointment)
    with pytest.raises(Conflict) as caught:
        appointment_mark_no_show(actor=clinic.clerk, appointment=appointment)
    assert (
        caught.value.message == "An appointment can be marked a no-show only after its start time."
    )
    assert snapshot(appointment) == before
    with time_machine.travel(dt.datetime(2026, 12, 7, 14, 30, tzinfo=UTC), tick=False):
        marked = appointment_mark_no_show(actor=clinic.clerk, appointment=appointment)
    assert marked.status == "noshow"
    assert list(marked.events.values_list("kind", "from_status", "to_status")) == [
        ("booked", "", "booked"),
        ("no_show", "booked", "noshow"),
    ]
    assert last_audit()["detail"] == {"event": "no_show"}


# --- holds -------------------------------------------------------------------------------------------


def test_a_hold_blocks_others_until_it_expires(clinic, book, make_user):
    caller_agent = make_user(Role.SCHEDULER, clinic.location)
    hold = slot_hold(
        actor=caller_agent,
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(9),
    )
    assert hold.expires_at == clinic.now + dt.timedelta(minutes=5)
    assert (hold.starts_at, hold.ends_at) == (monday(9), monday(9, 20))
    with pytest.raises(SlotTaken):
        book(starts_at=monday(9, 10))
    assert Appointment.objects.count() == 0
    with time_machine.travel(clinic.now + dt.timedelta(minutes=5, seconds=1), tick=False):
        assert book(starts_at=monday(9, 10)).starts_at == monday(9, 10)


def test_the_holders_own_hold_is_consumed_by_booking(clinic, book):
    hold = slot_hold(
        actor=clinic.clerk,
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(9),
    )
    appointment = book(hold_id=hold.pk)
    hold.refresh_from_db()
    assert hold.released_at == clinic.now
    assert appointment.events.get().detail == {"holds_consumed": 1, "is_overbook": False}


def test_someone_elses_or_an_expired_hold_cannot_be_used(clinic, book, make_user):
    other = make_user(Role.FRONT_DESK, clinic.location)
    hold = slot_hold(
        actor=other,
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(9),
    )
    with pytest.raises(Conflict) as caught:
        book(hold_id=hold.pk)
    assert (caught.value.message, caught.value.code) == (
        "That hold has expired or is not yours; search again.",
        "hold_invalid",
    )
    own = slot_hold(
        actor=clinic.clerk,
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(10),
    )
    with (
        time_machine.travel(clinic.now + dt.timedelta(minutes=6), tick=False),
        pytest.raises(Conflict),
    ):
        book(hold_id=own.pk, starts_at=monday(10))
    assert Appointment.objects.count() == 0


def test_holding_a_held_or_booked_time_is_refused(clinic, book, make_user):
    book()
    with pytest.raises(SlotTaken):
        slot_hold(
            actor=clinic.clerk,
            provider=clinic.provider,
            location=clinic.location,
            appointment_type=clinic.type,
            starts_at=monday(9, 10),
        )
    slot_hold(
        actor=clinic.clerk,
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(10),
    )
    with pytest.raises(SlotTaken):
        slot_hold(
            actor=make_user(Role.FRONT_DESK, clinic.location),
            provider=clinic.provider,
            location=clinic.location,
            appointment_type=clinic.type,
            starts_at=monday(10, 5),
        )
    assert SlotHold.objects.count() == 1


@pytest.mark.parametrize("minutes", [0, 31])
def test_hold_length_is_bounded(clinic, minutes):
    with pytest.raises(ValidationFailed) as caught:
        slot_hold(
            actor=clinic.clerk,
            provider=clinic.provider,
            location=clinic.location,
            appointment_type=clinic.type,
            starts_at=monday(9),
            minutes=minutes,
        )
    assert caught.value.fields == {"minutes": ["A hold lasts between 1 and 30 minutes."]}
    assert SlotHold.objects.count() == 0


def test_release_frees_the_slot_for_colleagues_at_the_location(clinic, book, make_user):
    holder = make_user(Role.SCHEDULER, clinic.location)
    hold = slot_hold(
        actor=holder,
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(9),
    )
    for outsider in (make_user(Role.NURSE, clinic.location), make_user(Role.FRONT_DESK)):
        with pytest.raises((PermissionDenied, NotFound)):
            slot_hold_release(actor=outsider, hold=hold)
        hold.refresh_from_db()
        assert hold.released_at is None
    slot_hold_release(actor=clinic.clerk, hold=hold)
    assert hold.released_at == clinic.now
    slot_hold_release(actor=holder, hold=hold)  # releasing twice changes nothing
    assert list(
        AuditEvent.objects.filter(object_type="slot_hold").values_list(
            "action", "actor_id", "patient_id", "detail"
        )
    ) == [
        (
            "create",
            holder.pk,
            None,
            {"event": "held", "provider_id": clinic.provider.pk, "minutes": 5},
        ),
        ("update", clinic.clerk.pk, None, {"event": "released"}),
    ]
    assert book().starts_at == monday(9)
