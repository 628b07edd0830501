"""appointment_book: what it writes, every refusal with its exact message, overbooking, idempotency."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from frontdesk.scheduling.errors import PatientDoubleBooked, SlotTaken
from frontdesk.scheduling.models import Appointment, AppointmentEvent
from frontdesk.scheduling.tests.conftest import monday
from tests.factories import (
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    EquipmentFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
    ScheduleExceptionFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def schedule_audit() -> list[dict[str, Any]]:
    return list(
        AuditEvent.objects.filter(category="schedule")
        .order_by("sequence")
        .values("action", "patient_id", "object_type", "object_id", "detail", "actor_id")
    )


def test_booking_writes_the_appointment_its_history_and_one_audit_row(clinic, book):
    appointment = book()

    row = Appointment.objects.get()
    assert row.pk == appointment.pk
    assert row.starts_at == dt.datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
    assert row.ends_at == dt.datetime(2026, 12, 7, 14, 20, tzinfo=UTC)
    assert row.status == "booked"
    assert row.booked_by == clinic.clerk
    assert row.is_overbook is False
    assert row.confirmation_status == "unconfirmed"
    assert list(
        AppointmentEvent.objects.values_list("kind", "from_status", "to_status", "actor_id")
    ) == [("booked", "", "booked", clinic.clerk.pk)]
    assert schedule_audit() == [
        {
            "action": "create",
            "patient_id": clinic.patient.pk,
            "object_type": "appointment",
            "object_id": str(row.pk),
            "actor_id": clinic.clerk.pk,
            "detail": {
                "event": "booked",
                "provider_id": clinic.provider.pk,
                "location_id": clinic.location.pk,
                "appointment_type_id": clinic.type.pk,
                "is_overbook": False,
            },
        }
    ]


def test_back_to_back_appointments_are_allowed_half_open(clinic, book):
    first = book()
    second = book(patient=PatientFactory(), starts_at=monday(9, 20))
    assert first.ends_at == second.starts_at
    assert Appointment.objects.count() == 2


def test_overlapping_time_with_the_same_provider_is_taken(clinic, book):
    book()
    before = AuditEvent.objects.count()
    with pytest.raises(SlotTaken) as caught:
        book(patient=PatientFactory(), starts_at=monday(9, 10))
    assert caught.value.message == "That time was just taken; pick another."
    assert caught.value.code == "slot_taken"
    assert caught.value.http_status == 409
    assert Appointment.objects.count() == 1
    assert AuditEvent.objects.count() == before


def test_the_same_patient_cannot_be_in_two_places_at_once(clinic, book, location):
    book()
    other = ProviderFactory()
    other.locations.add(location)
    AvailabilityTemplateFactory(provider=other, location=location)
    with pytest.raises(PatientDoubleBooked) as caught:
        book(provider=other, starts_at=monday(9, 10))
    assert caught.value.message == "This patient already has an appointment at that time."
    assert Appointment.objects.count() == 1


def test_a_cancelled_appointment_frees_its_time(clinic, book):
    from frontdesk.scheduling.services import appointment_cancel

    first = book()
    appointment_cancel(
        actor=clinic.clerk, appointment=first, reason="patient_request", cancelled_by="patient"
    )
    second = book(patient=PatientFactory())
    assert second.starts_at == first.starts_at


def _refusal(book: Any, exc: type[Exception], **kwargs: Any) -> Any:
    before = (Appointment.objects.count(), AuditEvent.objects.count())
    with pytest.raises(exc) as caught:
        book(**kwargs)
    assert (Appointment.objects.count(), AuditEvent.objects.count()) == before
    return caught.value


def test_a_provider_who_does_not_work_at_the_location_is_outside_availability(clinic, book):
    clinic.provider.locations.clear()
    error = _refusal(book, ValidationFailed)
    assert error.fields == {
        "starts_at": ["That time is outside the provider's availability at this location."]
    }


@pytest.mark.parametrize(
    ("starts_at", "message"),
    [
        (monday(8, 40), "That time is outside the provider's availability at this location."),
        (monday(11, 50), "That time is outside the provider's availability at this location."),
        (monday(9, 3), "Appointments start on a 5-minute grid."),
        (
            dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
            "That time is outside the provider's availability at this location.",
        ),
    ],
)
def test_times_outside_availability_or_off_grid_are_refused(clinic, book, starts_at, message):
    error = _refusal(book, ValidationFailed, starts_at=starts_at)
    assert error.fields == {"starts_at": [message]}


def test_a_time_in_the_past_is_refused(clinic, book):
    with time_machine.travel(dt.datetime(2026, 12, 7, 14, 11, tzinfo=UTC), tick=False):
        error = _refusal(book, ValidationFailed, starts_at=monday(9))
    assert error.fields == {"starts_at": ["That time is in the past."]}


def test_a_start_within_the_grace_period_is_still_bookable(clinic, book):
    with time_machine.travel(dt.datetime(2026, 12, 7, 14, 9, tzinfo=UTC), tick=False):
        assert book(starts_at=monday(9)).starts_at == monday(9)


def test_a_naive_start_is_refused(clinic, book):
    error = _refusal(book, ValidationFailed, starts_at=dt.datetime(2026, 12, 7, 9, 0))
    assert error.fields == {"starts_at": ["Give the start as a date and time with its timezone."]}


def test_a_lunch_block_and_an_exception_remove_availability(clinic, book):
    AvailabilityTemplateFactory(
        provider=clinic.provider,
        location=clinic.location,
        kind="block",
        start_time=dt.time(10, 0),
        end_time=dt.time(10, 30),
        label="Admin",
    )
    ScheduleExceptionFactory(
        provider=clinic.provider,
        starts_at=monday(11),
        ends_at=monday(11, 30),
        reason="meeting",
    )
    outside = "That time is outside the provider's availability at this location."
    assert _refusal(book, ValidationFailed, starts_at=monday(9, 50)).fields == {
        "starts_at": [outside]
    }
    assert _refusal(book, ValidationFailed, starts_at=monday(11, 15)).fields == {
        "starts_at": [outside]
    }
    assert book(starts_at=monday(10, 30)).starts_at == monday(10, 30)


def test_a_location_wide_closure_removes_availability(clinic, book):
    ScheduleExceptionFactory(
        location=clinic.location, starts_at=monday(0), ends_at=monday(23), reason="holiday"
    )
    error = _refusal(book, ValidationFailed)
    assert error.fields == {
        "starts_at": ["That time is outside the provider's availability at this location."]
    }


def test_templates_outside_their_effective_dates_do_not_count(clinic, book):
    clinic_template = clinic.provider.availability_templates.get()
    clinic_template.effective_until = dt.date(2026, 12, 6)
    clinic_template.save()
    error = _refusal(book, ValidationFailed)
    assert error.fields["starts_at"] == [
        "That time is outside the provider's availability at this location."
    ]


def test_a_window_restricted_to_other_types_refuses_this_type(clinic, book):
    template = clinic.provider.availability_templates.get()
    new_patient = AppointmentTypeFactory(code="new-patient", duration_minutes=40)
    template.appointment_types.add(new_patient)
    error = _refusal(book, ValidationFailed)
    assert error.fields["starts_at"] == [
        "That time is outside the provider's availability at this location."
    ]
    assert book(appointment_type=new_patient).appointment_type == new_patient


def test_a_reserved_window_opens_to_every_type_when_released(clinic, book):
    urgent = AppointmentTypeFactory(code="urgent", duration_minutes=20)
    reserved = AvailabilityTemplateFactory(
        provider=clinic.provider,
        location=clinic.location,
        kind="reserved",
        start_time=dt.time(13, 0),
        end_time=dt.time(14, 0),
        release_minutes_before=120,
        label="Same-day urgent",
    )
    reserved.appointment_types.add(urgent)
    assert book(appointment_type=urgent, starts_at=monday(13)).starts_at == monday(13)
    error = _refusal(book, ValidationFailed, starts_at=monday(13, 30))
    assert error.fields["starts_at"] == [
        "That time is reserved for other appointment types until closer to the day."
    ]
    with time_machine.travel(monday(11, 30), tick=False):
        assert book(starts_at=monday(13, 30)).starts_at == monday(13, 30)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ("type_inactive", "appointment_type", "This appointment type is no longer offered."),
        ("provider_inactive", "provider", "This provider is not active."),
        ("location_inactive", "location", "This location is not active."),
        ("patient_inactive", "patient", "This patient's record is inactive and cannot be booked."),
        (
            "patient_merged",
            "patient",
            "This patient's record was merged into another; book the surviving record.",
        ),
        (
            "listed_providers",
            "appointment_type",
            "This provider does not take this appointment type.",
        ),
        ("specialty", "appointment_type", "This provider does not take this appointment type."),
    ],
)
def test_invalid_parties_are_refused_with_a_clear_message(clinic, book, change, field, message):
    if change == "type_inactive":
        clinic.type.is_active = False
        clinic.type.save()
    elif change == "provider_inactive":
        clinic.provider.is_active = False
        clinic.provider.save()
    elif change == "location_inactive":
        clinic.location.is_active = False
        clinic.location.save()
    elif change == "patient_inactive":
        clinic.patient.is_active = False
        clinic.patient.save()
    elif change == "patient_merged":
        clinic.patient.merged_into = PatientFactory()
        clinic.patient.is_active = False
        clinic.patient.save()
    elif change == "listed_providers":
        clinic.type.providers.add(ProviderFactory())
    elif change == "specialty":
        clinic.type.specialties = ["Cardiology"]
        clinic.type.save()
    error = _refusal(book, ValidationFailed)
    assert error.fields == {field: [message]}


def test_a_listed_provider_and_a_matching_specialty_may_take_the_type(clinic, book):
    clinic.type.specialties = ["Family Medicine"]
    clinic.type.save()
    assert book().provider == clinic.provider
    clinic.type.providers.add(clinic.provider)
    assert book(patient=PatientFactory(), starts_at=monday(10)).provider == clinic.provider


def test_the_daily_cap_counts_active_appointments_of_the_type(clinic, book):
    clinic.type.daily_cap_per_provider = 2
    clinic.type.save()
    book()
    book(patient=PatientFactory(), starts_at=monday(10))
    error = _refusal(book, ValidationFailed, patient=PatientFactory(), starts_at=monday(11))
    assert error.fields == {
        "starts_at": ["This provider's daily limit for this appointment type is reached."]
    }


def test_buffers_keep_the_provider_busy_around_the_visit(clinic, book):
    clinic.type.buffer_after_minutes = 10
    clinic.type.save()
    book()
    with pytest.raises(SlotTaken):
        book(patient=PatientFactory(), starts_at=monday(9, 25))
    assert book(patient=PatientFactory(), starts_at=monday(9, 30)).starts_at == monday(9, 30)


def test_a_room_and_equipment_of_the_required_kind_are_taken(clinic, book):
    ecg = AppointmentTypeFactory(
        code="ecg",
        duration_minutes=30,
        required_room_kind="procedure",
        required_equipment_kind="ecg",
    )
    RoomFactory(location=clinic.location, name="Exam 1", kind="exam")
    room = RoomFactory(location=clinic.location, name="Procedure 1", kind="procedure")
    cart = EquipmentFactory(location=clinic.location, name="ECG cart 1", kind="ecg")
    appointment = book(appointment_type=ecg)
    assert (appointment.room, appointment.equipment) == (room, cart)

    second_provider = ProviderFactory()
    second_provider.locations.add(clinic.location)
    AvailabilityTemplateFactory(provider=second_provider, location=clinic.location)
    error = _refusal(
        book, Conflict, appointment_type=ecg, provider=second_provider, patient=PatientFactory()
    )
    assert (error.message, error.code) == ("No room available for that time.", "no_room")

    RoomFactory(location=clinic.location, name="Procedure 2", kind="procedure")
    error = _refusal(
        book, Conflict, appointment_type=ecg, provider=second_provider, patient=PatientFactory()
    )
    assert (error.message, error.code) == ("No equipment available for that time.", "no_equipment")


def test_rooms_at_another_location_do_not_count(clinic, book):
    needs_room = AppointmentTypeFactory(code="proc", required_room_kind="procedure")
    RoomFactory(location=LocationFactory(), kind="procedure")
    error = _refusal(book, Conflict, appointment_type=needs_room)
    assert error.message == "No room available for that time."


# --- who may book and overbook ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.FRONT_DESK, True),
        (Role.SCHEDULER, True),
        (Role.PRACTICE_MANAGER, True),
        (Role.BILLING, False),
        (Role.NURSE, False),
        (Role.PROVIDER, False),
        (Role.PRIVACY_OFFICER, False),
        (Role.ADMIN, False),
    ],
)
def test_only_booking_roles_may_book(clinic, book, make_user, role, allowed):
    actor = make_user(role, clinic.location)
    if allowed:
        assert book(actor=actor).booked_by == actor
    else:
        _refusal(book, PermissionDenied, actor=actor)


def test_a_clerk_of_another_location_gets_not_found(clinic, book, make_user):
    outsider = make_user(Role.FRONT_DESK, LocationFactory())
    _refusal(book, NotFound, actor=outsider)


@pytest.mark.parametrize(
    ("role", "provider_allows", "allowed"),
    [
        (Role.FRONT_DESK, False, False),
        (Role.SCHEDULER, False, False),
        (Role.PRACTICE_MANAGER, False, True),
        (Role.FRONT_DESK, True, True),
        (Role.SCHEDULER, True, True),
        (Role.PRACTICE_MANAGER, True, True),
    ],
)
def test_overbooking_needs_the_permission_or_the_provider_setting(
    clinic, book, make_user, role, provider_allows, allowed
):
    clinic.provider.allows_overbooking = provider_allows
    clinic.provider.save()
    book()
    actor = make_user(role, clinic.location)
    other = PatientFactory()
    if not allowed:
        error = _refusal(
            book, PermissionDenied, actor=actor, patient=other, overbook_reason="Urgent"
        )
        assert error.message == "You may not overbook this provider."
        return
    appointment = book(actor=actor, patient=other, overbook_reason="Urgent add-on")
    assert (appointment.is_overbook, appointment.overbook_reason) == (True, "Urgent add-on")
    assert appointment.events.get().reason == "Urgent add-on"
    assert schedule_audit()[-1]["detail"]["is_overbook"] is True


def test_overbooking_without_a_reason_is_just_taken(clinic, book, manager):
    book()
    _refusal(book, SlotTaken, actor=manager, patient=PatientFactory())


def test_a_reason_on_a_free_slot_books_normally(clinic, book, manager):
    appointment = book(actor=manager, overbook_reason="Just in case")
    assert (appointment.is_overbook, appointment.overbook_reason) == (False, "")


# --- idempotency --------------------------------------------------------------------------------


def test_the_same_idempotency_key_returns_the_same_appointment(clinic, book):
    first = book(idempotency_key="req-123")
    second = book(idempotency_key="req-123")
    assert second.pk == first.pk
    assert Appointment.objects.count() == 1
    assert len(schedule_audit()) == 1


def test_an_idempotency_key_reused_for_another_booking_is_refused(clinic, book):
    book(idempotency_key="req-123")
    error = _refusal(book, Conflict, idempotency_key="req-123", starts_at=monday(10))
    assert (error.message, error.code) == (
        "This idempotency key was already used for a different booking.",
        "idempotency_key_reused",
    )


def test_idempotency_keys_are_per_user(clinic, book, make_user):
    first = book(idempotency_key="req-123")
    colleague = make_user(Role.FRONT_DESK, clinic.location)
    second = book(
        actor=colleague, idempotency_key="req-123", patient=PatientFactory(), starts_at=monday(10)
    )
    assert second.pk != first.pk


# --- daylight saving ------------------------------------------------------------------------------


def test_booking_the_day_after_spring_forward_lands_on_the_right_utc_instant(clinic, book):
    # 2027-03-14 02:00 EST -> 03:00 EDT. Monday 15 March 09:00 New York is 13:00 UTC (not 14:00).
    ny = clinic.location.tzinfo
    with time_machine.travel(dt.datetime(2027, 3, 10, 12, 0, tzinfo=UTC), tick=False):
        appointment = book(starts_at=dt.datetime(2027, 3, 15, 9, 0, tzinfo=ny))
        assert appointment.starts_at == dt.datetime(2027, 3, 15, 13, 0, tzinfo=UTC)
        # 08:30 EDT = 12:30 UTC is before the 09:00 local window even though it is 07:30 EST.
        error = _refusal(
            book,
            ValidationFailed,
            patient=PatientFactory(),
            starts_at=dt.datetime(2027, 3, 15, 12, 30, tzinfo=UTC),
        )
        assert error.fields == {
            "starts_at": ["That time is outside the provider's availability at this location."]
        }
        # 11:40 EDT = 15:40 UTC is inside the window (16:40 UTC would be 12:40, outside).
        late = book(
            patient=PatientFactory(), starts_at=dt.datetime(2027, 3, 15, 15, 40, tzinfo=UTC)
        )
        assert late.starts_at.astimezone(ny).time() == dt.time(11, 40)
