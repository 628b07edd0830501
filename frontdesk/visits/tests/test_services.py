"""Check-in, flow moves and running-late notices: the happy paths and every refusal (nothing changes)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from frontdesk.notifications.models import Message
from frontdesk.patients.models import Verification
from frontdesk.scheduling.models import Appointment, AppointmentEvent
from frontdesk.visits import services
from frontdesk.visits.errors import RoomOccupied
from frontdesk.visits.models import CheckIn, FlowEvent, RunningLateNotice, Visit
from frontdesk.visits.services import CheckInInput
from frontdesk.visits.tests.conftest import at
from tests.factories import LocationFactory, RoomFactory

pytestmark = pytest.mark.django_db

OK = CheckInInput(
    identity_confirmed=True,
    identity_method="dob",
    demographics_confirmed=True,
    changed_fields=("phone",),
    insurance_confirmed=True,
)


def _state() -> dict[str, Any]:
    return {
        "appointments": list(Appointment.objects.order_by("pk").values()),
        "visits": list(Visit.objects.order_by("pk").values()),
        "check_ins": list(CheckIn.objects.order_by("pk").values()),
        "events": FlowEvent.objects.count(),
        "appointment_events": AppointmentEvent.objects.count(),
        "verifications": Verification.objects.count(),
        "notices": RunningLateNotice.objects.count(),
        "messages": Message.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def _check_in(actor: Any, appointment: Any, **changes: Any) -> CheckIn:
    data = CheckInInput(**{**OK.__dict__, **changes})
    return services.visit_check_in(actor=actor, appointment=appointment, data=data)


# --- check-in -----------------------------------------------------------------------------------


def test_check_in_records_everything_and_marks_the_appointment_checked_in(day, clerk) -> None:
    appointment = day.book(at(9, 20))
    audit_before = AuditEvent.objects.count()

    check = _check_in(clerk, appointment)

    appointment.refresh_from_db()
    visit = check.visit
    assert appointment.status == "checked-in"
    assert (visit.state, visit.arrived_at, visit.room) == ("arrived", at(9), None)
    assert check.copay_due == Decimal("25.00")
    assert check.changed_fields == ["phone"]
    assert check.insurance_confirmed is True
    assert check.verification is not None
    assert check.verification.changed_fields == ["phone"]
    assert check.verification.insurance_confirmed is True
    assert list(FlowEvent.objects.values_list("from_state", "to_state", "reason")) == [
        ("expected", "arrived", "")
    ]
    assert list(
        AppointmentEvent.objects.filter(appointment=appointment).values_list(
            "kind", "from_status", "to_status"
        )
    ) == [("status_changed", "booked", "checked-in")]
    # The verification's own row and the check-in's.
    events = list(AuditEvent.objects.order_by("pk")[audit_before:])
    assert [(e.object_type, e.detail.get("event")) for e in events] == [
        ("verification", None),
        ("appointment", "checked_in"),
    ]


def test_self_pay_checks_in_without_insurance_and_owes_no_copay(day, clerk) -> None:
    appointment = day.book(at(9, 20), insured=False)
    check = _check_in(clerk, appointment, self_pay=True, insurance_confirmed=False)
    assert (check.is_self_pay, check.copay_due, check.coverage) == (True, None, None)


def test_no_insurance_and_not_self_pay_is_refused(day, clerk) -> None:
    appointment = day.book(at(9, 20), insured=False)
    before = _state()
    with pytest.raises(ValidationFailed) as caught:
        _check_in(clerk, appointment)
    assert caught.value.fields == {"override_reason": [services.MSG_NO_INSURANCE]}
    assert _state() == before


def test_only_a_manager_may_override_missing_insurance(day, clerk, manager) -> None:
    appointment = day.book(at(9, 20), insured=False)
    before = _state()
    with pytest.raises(PermissionDenied) as caught:
        _check_in(clerk, appointment, override_reason="Card at home, bringing it tomorrow")
    assert caught.value.message == services.MSG_OVERRIDE_DENIED
    assert _state() == before

    check = _check_in(manager, appointment, override_reason="Card at home, bringing it tomorrow")
    assert (check.override_reason, check.override_by) == (
        "Card at home, bringing it tomorrow",
        manager,
    )
    event = AuditEvent.objects.filter(object_type="appointment").latest("pk")
    assert event.detail["insurance_override"] is True


def test_expired_coverage_is_not_active(day, clerk) -> None:
    appointment = day.book(at(9, 20))
    appointment.patient.coverages.update(terminates_on=dt.date(2026, 11, 30))
    with pytest.raises(ValidationFailed):
        _check_in(clerk, appointment)


@pytest.mark.parametrize(
    ("status", "message"),
    [("cancelled", services.MSG_CANCELLED), ("noshow", services.MSG_NOSHOW)],
)
def test_cancelled_or_no_show_appointments_cannot_be_checked_in(
    day, clerk, status, message
) -> None:
    appointment = day.book(at(9, 20))
    Appointment.objects.filter(pk=appointment.pk).update(
        status=status, cancellation_reason="other", cancelled_by="patient"
    )
    appointment.refresh_from_db()
    before = _state()
    with pytest.raises(Conflict) as caught:
        _check_in(clerk, appointment)
    assert caught.value.message == message
    assert _state() == before


def test_another_locations_appointment_looks_absent(day, clerk) -> None:
    elsewhere = LocationFactory()
    appointment = day.book(at(9, 20), location=elsewhere)
    before = _state()
    with pytest.raises(NotFound):
        _check_in(clerk, appointment)
    assert _state() == before


def test_checking_in_twice_is_refused(day, clerk) -> None:
    appointment = day.book(at(9, 20))
    _check_in(clerk, appointment)
    before = _state()
    with pytest.raises(Conflict) as caught:
        _check_in(clerk, appointment)
    assert caught.value.message == services.MSG_ALREADY
    assert _state() == before


def test_identity_must_be_confirmed(day, clerk) -> None:
    appointment = day.book(at(9, 20))
    before = _state()
    with pytest.raises(ValidationFailed) as caught:
        _check_in(clerk, appointment, identity_confirmed=False, identity_method="bogus")
    assert caught.value.fields == {
        "identity_confirmed": [services.MSG_IDENTITY],
        "identity_method": [services.MSG_IDENTITY_METHOD],
    }
    assert _state() == before


def test_tomorrows_appointment_cannot_be_checked_in_today(day, clerk) -> None:
    appointment = day.book(at(9, 20, day=8))
    before = _state()
    with pytest.raises(Conflict) as caught:
        _check_in(clerk, appointment)
    assert caught.value.message == services.MSG_NOT_TODAY
    assert _state() == before


def test_a_nurse_cannot_check_in(day, nurse) -> None:
    appointment = day.book(at(9, 20))
    before = _state()
    with pytest.raises(PermissionDenied):
        _check_in(nurse, appointment)
    assert _state() == before


def test_undo_check_in_needs_a_reason_and_restores_booked(day, clerk) -> None:
    appointment = day.book(at(9, 20))
    _check_in(clerk, appointment)
    before = _state()
    with pytest.raises(ValidationFailed) as caught:
        services.visit_check_in_undo(actor=clerk, appointment=appointment, reason="  ")
    assert caught.value.fields == {"reason": [services.MSG_UNDO_REASON]}
    assert _state() == before

    visit = services.visit_check_in_undo(
        actor=clerk, appointment=appointment, reason="Wrong patient picked"
    )
    appointment.refresh_from_db()
    assert (visit.state, visit.arrived_at, appointment.status) == ("expected", None, "booked")
    check = CheckIn.objects.get()
    assert (check.undone_by, check.undo_reason) == (clerk, "Wrong patient picked")
    # A new check-in is possible afterwards.
    again = _check_in(clerk, appointment)
    assert again.visit.state == "arrived"


# --- flow moves ---------------------------------------------------------------------------------


@pytest.fixture
def arrived(day, clerk) -> Any:
    appointment = day.book(at(9, 20))
    _check_in(clerk, appointment)
    return appointment


def test_a_day_through_the_flow(day, arrived, nurse, time_machine) -> None:
    time_machine.move_to(at(9, 10), tick=False)
    visit = services.flow_move(actor=nurse, appointment=arrived, to_state="roomed", room=day.room1)
    assert (visit.state, visit.room, visit.roomed_at) == ("roomed", day.room1, at(9, 10))
    time_machine.move_to(at(9, 40), tick=False)
    services.flow_move(actor=nurse, appointment=arrived, to_state="checkout")
    time_machine.move_to(at(9, 45), tick=False)
    visit = services.flow_move(actor=nurse, appointment=arrived, to_state="done")
    arrived.refresh_from_db()
    assert (visit.state, visit.room, visit.done_at, arrived.status) == (
        "done",
        None,
        at(9, 45),
        "fulfilled",
    )
    assert list(FlowEvent.objects.values_list("from_state", "to_state", "room_id")) == [
        ("expected", "arrived", None),
        ("arrived", "roomed", day.room1.pk),
        ("roomed", "checkout", None),
        ("checkout", "done", None),
    ]


def test_repeating_a_move_changes_nothing(day, arrived, nurse) -> None:
    services.flow_move(actor=nurse, appointment=arrived, to_state="roomed", room=day.room1)
    before = _state()
    services.flow_move(actor=nurse, appointment=arrived, to_state="roomed", room=day.room1)
    assert _state() == before


def test_moving_backwards_needs_a_reason(day, arrived, nurse) -> None:
    services.flow_move(actor=nurse, appointment=arrived, to_state="checkout")
    before = _state()
    with pytest.raises(ValidationFailed) as caught:
        services.flow_move(actor=nurse, appointment=arrived, to_state="arrived")
    assert caught.value.fields == {"reason": [services.MSG_REASON_BACKWARDS]}
    assert _state() == before

    visit = services.flow_move(
        actor=nurse, appointment=arrived, to_state="arrived", reason="Labs not back yet"
    )
    assert (visit.state, visit.checkout_at) == ("arrived", None)
    last = FlowEvent.objects.latest("pk")
    assert (last.is_backward, last.reason) == (True, "Labs not back yet")


def test_a_room_holds_one_patient(day, arrived, clerk, nurse) -> None:
    other = day.book(at(9, 40))
    _check_in(clerk, other)
    services.flow_move(actor=nurse, appointment=arrived, to_state="roomed", room=day.room1)
    before = _state()
    with pytest.raises(RoomOccupied):
        services.flow_move(actor=nurse, appointment=other, to_state="roomed", room=day.room1)
    assert _state() == before


def test_the_database_refuses_two_patients_in_one_room(day, arrived, clerk, nurse) -> None:
    other = day.book(at(9, 40))
    _check_in(clerk, other)
    services.flow_move(actor=nurse, appointment=arrived, to_state="roomed", room=day.room1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.filter(appointment=other).update(state="roomed", room=day.room1)


@pytest.mark.parametrize(
    ("state", "room", "field", "message"),
    [
        ("roomed", None, "room", services.MSG_ROOM_REQUIRED),
        ("nowhere", None, "state", services.MSG_STATE),
        ("expected", None, "state", services.MSG_TO_EXPECTED),
        ("roomed", "other", "room", services.MSG_ROOM_INVALID),
    ],
)
def test_bad_moves_are_refused(day, arrived, nurse, state, room, field, message) -> None:
    if room == "other":
        room = RoomFactory(location=LocationFactory())
    before = _state()
    with pytest.raises(ValidationFailed) as caught:
        services.flow_move(actor=nurse, appointment=arrived, to_state=state, room=room)
    assert caught.value.fields == {field: [message]}
    assert _state() == before


def test_a_patient_not_checked_in_cannot_be_moved(day, nurse) -> None:
    appointment = day.book(at(9, 20))
    before = _state()
    with pytest.raises(Conflict) as caught:
        services.flow_move(actor=nurse, appointment=appointment, to_state="roomed", room=day.room1)
    assert caught.value.message == services.MSG_NOT_CHECKED_IN
    assert _state() == before


def test_undo_is_refused_once_roomed(day, arrived, clerk, nurse) -> None:
    services.flow_move(actor=nurse, appointment=arrived, to_state="roomed", room=day.room1)
    before = _state()
    with pytest.raises(Conflict):
        services.visit_check_in_undo(actor=clerk, appointment=arrived, reason="Oops")
    assert _state() == before


def test_another_locations_patient_cannot_be_moved(day, nurse, make_user) -> None:
    elsewhere_nurse = make_user(Role.NURSE, LocationFactory())
    appointment = day.book(at(9, 20))
    with pytest.raises(NotFound):
        services.flow_move(actor=elsewhere_nurse, appointment=appointment, to_state="done")


# --- running late -------------------------------------------------------------------------------


def test_running_late_tells_remaining_patients_once(day, arrived, nurse, clerk) -> None:
    consenting = day.book(at(10), email_consent_at=dt.date(2026, 1, 1))
    day.book(at(10, 20))  # consented to nothing: no message
    seen = day.book(at(9, 40), email_consent_at=dt.date(2026, 1, 1))
    _check_in(clerk, seen)
    services.flow_move(actor=nurse, appointment=seen, to_state="roomed", room=day.room2)

    notice = services.provider_running_late(
        actor=nurse, provider=day.provider, location=day.location, minutes=20
    )

    assert (notice.patients_notified, notice.messages_sent) == (3, 1)
    message = Message.objects.get()
    assert message.patient == consenting.patient
    assert message.purpose == "running_late"
    assert "20 minutes late" in message.body
    before = _state()
    again = services.provider_running_late(
        actor=nurse, provider=day.provider, location=day.location, minutes=20
    )
    assert again == notice
    assert _state() == before


@pytest.mark.parametrize("minutes", [0, 4, 241, True])
def test_running_late_needs_a_sensible_delay(day, arrived, nurse, minutes) -> None:
    before = _state()
    with pytest.raises(ValidationFailed) as caught:
        services.provider_running_late(
            actor=nurse, provider=day.provider, location=day.location, minutes=minutes
        )
    assert caught.value.fields == {"minutes": [services.MSG_LATE_MINUTES]}
    assert _state() == before


def test_running_late_is_refused_to_roles_without_flow(day, arrived, make_user, location) -> None:
    billing = make_user(Role.BILLING, location)
    with pytest.raises(PermissionDenied):
        services.provider_running_late(
            actor=billing, provider=day.provider, location=day.location, minutes=15
        )
