"""Recurring series: every free date booked, every conflict reported, scopes for cancel and move."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.scheduling.models import Appointment, AppointmentEvent, AppointmentSeries
from frontdesk.scheduling.series import (
    OccurrenceConflict,
    series_book,
    series_cancel,
    series_reschedule,
)
from frontdesk.scheduling.tests.conftest import monday
from tests.factories import (
    AvailabilityTemplateFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    ScheduleExceptionFactory,
)

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def mondays(hour: int, *days: int, minute: int = 0) -> list[dt.datetime]:
    """Mondays in Dec 2026 (7, 14, 21, 28) / Jan 2027 (as day 35 = 4 Jan) at ``hour`` NY time."""
    base = monday(hour, minute)
    return [base + dt.timedelta(days=d - 7) for d in days]


def book_series(clinic: Any, **overrides: Any) -> Any:
    args: dict[str, Any] = {
        "actor": clinic.clerk,
        "patient": clinic.patient,
        "provider": clinic.provider,
        "location": clinic.location,
        "appointment_type": clinic.type,
        "first_start": monday(9),
        "count": 4,
    }
    args.update(overrides)
    return series_book(**args)


def starts(rows: Any) -> list[dt.datetime]:
    return [a.starts_at for a in rows]


def test_series_books_every_free_occurrence_as_its_own_row(clinic):
    result = book_series(clinic)
    assert result.conflicts == []
    assert starts(result.booked) == mondays(9, 7, 14, 21, 28)
    rows = Appointment.objects.filter(series=result.series).order_by("starts_at")
    assert [(a.starts_at, a.status, a.patient_id) for a in rows] == [
        (s, "booked", clinic.patient.pk) for s in mondays(9, 7, 14, 21, 28)
    ]
    assert (result.series.count, result.series.interval_weeks) == (4, 1)
    assert AppointmentEvent.objects.filter(kind="booked").count() == 4
    assert AuditEvent.objects.filter(category="schedule", detail__event="booked").count() == 4


def test_series_every_two_weeks(clinic):
    result = book_series(clinic, interval_weeks=2, count=3)
    assert starts(result.booked) == mondays(9, 7, 21, 35)


def test_conflicting_dates_are_reported_with_their_reason_and_the_rest_booked(clinic, book):
    other = book(patient=PatientFactory(), starts_at=mondays(9, 14)[0])
    ScheduleExceptionFactory(
        provider=clinic.provider,
        location=clinic.location,
        starts_at=mondays(0, 28)[0],
        ends_at=mondays(23, 28)[0],
    )
    result = book_series(clinic)
    assert starts(result.booked) == mondays(9, 7, 21)
    assert result.conflicts == [
        OccurrenceConflict(
            starts_at=mondays(9, 14)[0],
            code="slot_taken",
            message="That time was just taken; pick another.",
        ),
        OccurrenceConflict(
            starts_at=mondays(9, 28)[0],
            code="invalid",
            message="That time is outside the provider's availability at this location: "
            "time off (Vacation).",
        ),
    ]
    assert Appointment.objects.filter(series=result.series).count() == 2
    assert Appointment.objects.get(pk=other.pk).series_id is None


def test_patient_clash_is_reported(clinic, book):
    second = ProviderFactory()
    second.locations.add(clinic.location)
    AvailabilityTemplateFactory(provider=second, location=clinic.location)
    book(provider=second, starts_at=mondays(9, 21, minute=10)[0])
    result = book_series(clinic)
    assert [(c.starts_at, c.code) for c in result.conflicts] == [
        (mondays(9, 21)[0], "patient_overlap")
    ]
    assert starts(result.booked) == mondays(9, 7, 14, 28)


def test_all_or_nothing_books_nothing_but_reports_the_conflict(clinic, book):
    book(patient=PatientFactory(), starts_at=mondays(9, 14)[0])
    series_before = AppointmentSeries.objects.count()
    appts_before = Appointment.objects.count()
    audits_before = AuditEvent.objects.count()
    result = book_series(clinic, all_or_nothing=True)
    assert (result.series, result.booked) == (None, [])
    assert [(c.starts_at, c.code) for c in result.conflicts] == [(mondays(9, 14)[0], "slot_taken")]
    assert AppointmentSeries.objects.count() == series_before
    assert Appointment.objects.count() == appts_before
    assert AuditEvent.objects.count() == audits_before


def test_all_or_nothing_without_conflicts_books_all(clinic):
    result = book_series(clinic, all_or_nothing=True, count=2)
    assert starts(result.booked) == mondays(9, 7, 14)


def test_no_free_date_leaves_no_series_row(clinic):
    result = book_series(clinic, first_start=monday(13), count=2)
    assert (result.series, result.booked) == (None, [])
    assert [c.code for c in result.conflicts] == ["invalid", "invalid"]
    assert AppointmentSeries.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"count": 0}, "count"), ({"count": 53}, "count"), ({"interval_weeks": 0}, "interval_weeks")],
)
def test_bad_input_is_refused_and_writes_nothing(clinic, overrides, field):
    with pytest.raises(ValidationFailed) as caught:
        book_series(clinic, **overrides)
    assert list(caught.value.fields) == [field]
    assert (AppointmentSeries.objects.count(), Appointment.objects.count()) == (0, 0)


def test_a_role_without_booking_is_denied_and_nothing_changes(clinic, make_user):
    viewer = make_user(Role.BILLING, clinic.location)
    if viewer.can("appointment.book"):
        pytest.skip("billing may book in this policy")
    with pytest.raises(PermissionDenied):
        book_series(clinic, actor=viewer)
    assert (AppointmentSeries.objects.count(), Appointment.objects.count()) == (0, 0)


def test_a_location_outside_the_actors_scope_looks_absent(clinic, make_user):
    elsewhere = make_user(Role.FRONT_DESK, LocationFactory())
    with pytest.raises(NotFound):
        book_series(clinic, actor=elsewhere)
    assert (AppointmentSeries.objects.count(), Appointment.objects.count()) == (0, 0)


def test_occurrences_keep_their_local_wall_time_across_a_dst_change(clinic):
    AvailabilityTemplateFactory(
        provider=clinic.provider,
        location=clinic.location,
        weekday=1,
        effective_from=dt.date(2026, 1, 1),
    )
    # Tuesdays 2027-03-09 (EST) and 2027-03-16 (EDT, after 14 March), 09:00 New York.
    with time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=UTC), tick=False):
        result = book_series(
            clinic, first_start=dt.datetime(2027, 3, 9, 14, 0, tzinfo=UTC), count=2
        )
    assert result.conflicts == []
    assert starts(result.booked) == [
        dt.datetime(2027, 3, 9, 14, 0, tzinfo=UTC),
        dt.datetime(2027, 3, 16, 13, 0, tzinfo=UTC),
    ]


# --- cancel -------------------------------------------------------------------------------------


def statuses(series: Any) -> list[str]:
    return list(
        Appointment.objects.filter(series=series)
        .order_by("starts_at")
        .values_list("status", flat=True)
    )


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("this", ["booked", "cancelled", "booked", "booked"]),
        ("following", ["booked", "cancelled", "cancelled", "cancelled"]),
        ("all", ["cancelled", "cancelled", "cancelled", "cancelled"]),
    ],
)
def test_cancel_scopes(clinic, scope, expected):
    result = book_series(clinic)
    second = result.booked[1]
    cancelled = series_cancel(
        actor=clinic.clerk,
        appointment=second,
        scope=scope,
        reason="patient_request",
        cancelled_by="patient",
    )
    assert len(cancelled) == expected.count("cancelled")
    assert statuses(result.series) == expected
    assert AppointmentEvent.objects.filter(kind="cancelled").count() == expected.count("cancelled")
    assert AuditEvent.objects.filter(
        category="schedule", detail__event="cancelled"
    ).count() == expected.count("cancelled")


def test_cancel_following_skips_already_cancelled(clinic):
    result = book_series(clinic)
    series_cancel(
        actor=clinic.clerk,
        appointment=result.booked[2],
        scope="this",
        reason="patient_ill",
        cancelled_by="patient",
    )
    cancelled = series_cancel(
        actor=clinic.clerk,
        appointment=result.booked[1],
        scope="following",
        reason="other",
        cancelled_by="practice",
    )
    assert [a.pk for a in cancelled] == [result.booked[1].pk, result.booked[3].pk]
    assert Appointment.objects.get(pk=result.booked[2].pk).cancellation_reason == "patient_ill"


def test_cancel_scope_needs_a_series_and_a_valid_scope(clinic, book):
    single = book()
    with pytest.raises(ValidationFailed):
        series_cancel(
            actor=clinic.clerk,
            appointment=single,
            scope="all",
            reason="other",
            cancelled_by="practice",
        )
    with pytest.raises(ValidationFailed):
        series_cancel(
            actor=clinic.clerk,
            appointment=single,
            scope="everything",  # type: ignore[arg-type]
            reason="other",
            cancelled_by="practice",
        )
    assert Appointment.objects.get(pk=single.pk).status == "booked"


def test_cancel_with_a_bad_reason_changes_nothing_for_any_occurrence(clinic):
    result = book_series(clinic)
    with pytest.raises(ValidationFailed):
        series_cancel(
            actor=clinic.clerk,
            appointment=result.booked[0],
            scope="all",
            reason="nope",
            cancelled_by="patient",
        )
    assert statuses(result.series) == ["booked"] * 4


# --- reschedule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "expected_hours"),
    [
        ("this", [9, 10, 9, 9]),
        ("following", [9, 10, 10, 10]),
        ("all", [10, 10, 10, 10]),
    ],
)
def test_reschedule_scopes_shift_the_time_of_day(clinic, scope, expected_hours):
    result = book_series(clinic)
    moved = series_reschedule(
        actor=clinic.clerk,
        appointment=result.booked[1],
        scope=scope,
        new_start_time=dt.time(10, 0),
    )
    assert moved.conflicts == []
    assert len(moved.booked) == expected_hours.count(10)
    rows = Appointment.objects.filter(series=result.series).order_by("starts_at")
    assert [a.starts_at for a in rows] == [
        mondays(h, d)[0] for h, d in zip(expected_hours, (7, 14, 21, 28), strict=True)
    ]
    assert AppointmentEvent.objects.filter(kind="rescheduled").count() == expected_hours.count(10)


def test_reschedule_is_atomic_and_reports_each_conflict(clinic, book):
    result = book_series(clinic)
    book(patient=PatientFactory(), starts_at=mondays(10, 21)[0])
    before = [(a.pk, a.starts_at) for a in Appointment.objects.order_by("pk")]
    events_before = AppointmentEvent.objects.count()
    moved = series_reschedule(
        actor=clinic.clerk,
        appointment=result.booked[0],
        scope="all",
        new_start_time=dt.time(10, 0),
    )
    assert moved.booked == []
    assert moved.conflicts == [
        OccurrenceConflict(
            starts_at=mondays(10, 21)[0],
            code="slot_taken",
            message="That time was just taken; pick another.",
            appointment_id=result.booked[2].pk,
        )
    ]
    assert [(a.pk, a.starts_at) for a in Appointment.objects.order_by("pk")] == before
    assert AppointmentEvent.objects.count() == events_before
    assert result.booked[0].starts_at == monday(9)


def test_reschedule_outside_availability_is_reported(clinic):
    result = book_series(clinic, count=2)
    moved = series_reschedule(
        actor=clinic.clerk,
        appointment=result.booked[0],
        scope="following",
        new_start_time=dt.time(12, 0),
    )
    assert [(c.starts_at, c.code) for c in moved.conflicts] == [
        (mondays(12, 7)[0], "invalid"),
        (mondays(12, 14)[0], "invalid"),
    ]
    assert starts(Appointment.objects.filter(series=result.series).order_by("starts_at")) == (
        mondays(9, 7, 14)
    )


# --- preview, until, read --------------------------------------------------------------------------


def test_preview_gives_every_dates_verdict_and_writes_nothing(clinic, book):
    from frontdesk.scheduling.series import OccurrenceVerdict, series_preview

    book(patient=PatientFactory(), starts_at=mondays(9, 14)[0])
    before = (
        list(Appointment.objects.values_list("pk", flat=True)),
        AppointmentSeries.objects.count(),
        AuditEvent.objects.count(),
    )
    verdicts = series_preview(
        actor=clinic.clerk,
        patient=clinic.patient,
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        first_start=monday(9),
        count=3,
    )
    assert verdicts == [
        OccurrenceVerdict(mondays(9, 7)[0]),
        OccurrenceVerdict(
            mondays(9, 14)[0],
            OccurrenceConflict(
                mondays(9, 14)[0], "slot_taken", "That time was just taken; pick another."
            ),
        ),
        OccurrenceVerdict(mondays(9, 21)[0]),
    ]
    assert [v.is_free for v in verdicts] == [True, False, True]
    assert (
        list(Appointment.objects.values_list("pk", flat=True)),
        AppointmentSeries.objects.count(),
        AuditEvent.objects.count(),
    ) == before


def test_preview_refuses_bad_input_like_booking(clinic):
    from frontdesk.scheduling.series import series_preview

    with pytest.raises(ValidationFailed) as caught:
        series_preview(
            actor=clinic.clerk,
            patient=clinic.patient,
            provider=clinic.provider,
            location=clinic.location,
            appointment_type=clinic.type,
            first_start=monday(9),
            count=0,
        )
    assert caught.value.fields == {"count": ["A series has between 1 and 52 occurrences."]}


@pytest.mark.parametrize(
    ("until", "interval", "expected"),
    [
        (dt.date(2026, 12, 7), 1, 1),
        (dt.date(2026, 12, 27), 1, 3),
        (dt.date(2026, 12, 28), 1, 4),
        (dt.date(2026, 12, 28), 2, 2),
    ],
)
def test_count_until_counts_dates_on_or_before_the_last_day(clinic, until, interval, expected):
    from frontdesk.scheduling.series import series_count_until

    count = series_count_until(
        first_start=monday(9), until=until, interval_weeks=interval, tz=clinic.location.tzinfo
    )
    assert count == expected


@pytest.mark.parametrize(
    ("until", "interval", "fields"),
    [
        (dt.date(2026, 12, 6), 1, {"until": ["The last date cannot be before the first one."]}),
        (dt.date(2028, 1, 1), 1, {"until": ["A series has between 1 and 52 occurrences."]}),
        (dt.date(2026, 12, 28), 13, {"interval_weeks": ["Repeat every 1 to 12 weeks."]}),
    ],
)
def test_count_until_refuses_bad_input(clinic, until, interval, fields):
    from frontdesk.scheduling.series import series_count_until

    with pytest.raises(ValidationFailed) as caught:
        series_count_until(
            first_start=monday(9), until=until, interval_weeks=interval, tz=clinic.location.tzinfo
        )
    assert caught.value.fields == fields


def test_read_is_scoped_and_audited_once(clinic, make_user):
    from frontdesk.scheduling.series import series_read

    result = book_series(clinic, count=2)
    before = AuditEvent.objects.count()
    found, rows = series_read(user=clinic.clerk, series_id=result.series.pk)
    assert (found, rows) == (result.series, result.booked)
    assert list(
        AuditEvent.objects.filter(sequence__gt=0)
        .order_by("-sequence")
        .values("action", "category", "object_type", "object_id", "patient_id", "detail")[:1]
    ) == [
        {
            "action": "read",
            "category": "schedule",
            "object_type": "appointment_series",
            "object_id": str(result.series.pk),
            "patient_id": clinic.patient.pk,
            "detail": {"occurrences": 2},
        }
    ]
    assert AuditEvent.objects.count() == before + 1
    elsewhere = make_user(Role.FRONT_DESK, LocationFactory())
    with pytest.raises(NotFound):
        series_read(user=elsewhere, series_id=result.series.pk)
