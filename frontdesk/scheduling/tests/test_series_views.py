"""Repeat and linked booking in the booking panel; series and linked scopes in the appointment panel.

The preview lists every date with its verdict and writes nothing; booking books the free dates and
reports the others; cancel / move scopes list what changed and what could not; a linked booking is
all or nothing and names the part that failed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.scheduling.models import Appointment, AppointmentSeries
from frontdesk.scheduling.series import series_book
from frontdesk.scheduling.services import appointment_cancel
from frontdesk.scheduling.tests.conftest import monday
from tests.factories import (
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    PatientFactory,
    ProviderFactory,
    ScheduleExceptionFactory,
)

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def desk(clinic: Any) -> Client:
    return client_for(clinic.clerk)


def mondays(hour: int, *days: int, minute: int = 0) -> list[dt.datetime]:
    base = monday(hour, minute)
    return [base + dt.timedelta(days=d - 7) for d in days]


def snapshot() -> dict[str, Any]:
    return {
        "appointments": list(Appointment.objects.order_by("pk").values()),
        "series": AppointmentSeries.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def post_book(client: Client, clinic: Any, **data: Any) -> Any:
    payload: dict[str, Any] = {
        "location": clinic.location.pk,
        "provider": clinic.provider.pk,
        "patient": clinic.patient.pk,
        "appointment_type": clinic.type.pk,
        "start": "2026-12-07T09:00",
        "repeat": "weekly",
        "interval_weeks": "1",
        "repeat_end": "count",
        "count": "4",
    }
    payload.update(data)
    return client.post(reverse("scheduling:book"), payload, headers={"HX-Request": "true"})


def table_rows(html: str) -> list[str]:
    """The preview table's rows as text ("Mon 7 Dec 2026 09:00 | Free")."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for chunk in body.split("<tr")[1:]:
        cells = [c.split("</td>", 1)[0] for c in chunk.split("<td>")[1:]]
        rows.append(" | ".join(cells))
    return rows


@pytest.fixture
def busy(clinic: Any, book: Any) -> Any:
    """14 Dec 09:00 taken by someone else; 28 Dec a day off."""
    taken = book(patient=PatientFactory(), starts_at=mondays(9, 14)[0])
    ScheduleExceptionFactory(
        provider=clinic.provider,
        location=clinic.location,
        starts_at=mondays(0, 28)[0],
        ends_at=mondays(23, 28)[0],
        reason="holiday",
    )
    return taken


# --- booking a series ------------------------------------------------------------------------------


def test_preview_lists_every_date_with_its_verdict_and_writes_nothing(clinic, desk, busy):
    before = snapshot()
    response = post_book(desk, clinic)
    html = response.content.decode()
    assert response.status_code == 200
    assert table_rows(html) == [
        "Mon 7 Dec 2026 09:00 | Free",
        "Mon 14 Dec 2026 09:00 | Conflict: That time was just taken; pick another.",
        "Mon 21 Dec 2026 09:00 | Free",
        "Mon 28 Dec 2026 09:00 | Conflict: That time is outside the provider&#x27;s "
        "availability at this location: time off (Holiday).",
    ]
    assert "4 dates: 2 free, 2 with a conflict" in html
    assert 'name="confirm" value="series"' in html
    assert "Book the 2 free dates" in html
    assert snapshot() == before


def test_preview_by_until_date_counts_the_weeks(clinic, desk):
    response = post_book(desk, clinic, repeat_end="until", until="2026-12-21", interval_weeks="2")
    assert table_rows(response.content.decode()) == [
        "Mon 7 Dec 2026 09:00 | Free",
        "Mon 21 Dec 2026 09:00 | Free",
    ]


def test_booking_the_free_dates_reports_the_conflicts(clinic, desk, busy):
    response = post_book(desk, clinic, confirm="series")
    html = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Trigger"] == "schedule-changed"
    series = AppointmentSeries.objects.get()
    rows = Appointment.objects.filter(series=series).order_by("starts_at")
    assert [(a.starts_at, a.patient_id) for a in rows] == [
        (s, clinic.patient.pk) for s in mondays(9, 7, 21)
    ]
    assert "Booked 2 visits for MRN" in html
    assert "Not booked (2):" in html
    assert "Mon 14 Dec 2026 09:00: That time was just taken; pick another." in html
    assert "Mon 28 Dec 2026 09:00: That time is outside the provider" in html
    assert "at this location: time off (Holiday)." in html


def test_cancel_on_the_preview_books_nothing(clinic, desk, busy):
    before = snapshot()
    response = post_book(desk, clinic, confirm="cancel")
    assert response.status_code == 200
    assert "<tbody>" not in response.content.decode()
    assert snapshot() == before


def test_series_with_no_free_date_books_nothing_and_lists_every_date(clinic, desk):
    before = snapshot()
    response = post_book(desk, clinic, start="2026-12-07T13:00", count="2", confirm="series")
    html = response.content.decode()
    assert response.status_code == 409
    assert "No date of the series could be booked; nothing was." in html
    assert html.count("That time is outside the provider") == 2
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"count": ""}, "Give how many visits in all."),
        ({"count": "53"}, "A series has between 1 and 52 occurrences."),
        ({"interval_weeks": "x"}, "Give the number of weeks between visits."),
        ({"interval_weeks": "13"}, "Repeat every 1 to 12 weeks."),
        ({"repeat_end": "until", "until": ""}, "Give the date of the last visit."),
        (
            {"repeat_end": "until", "until": "2026-12-01"},
            "The last date cannot be before the first one.",
        ),
        (
            {"linked": "before", "linked_type": "1", "linked_provider": "1"},
            "Book a repeat or a linked appointment, not both at once.",
        ),
    ],
)
def test_bad_repeat_input_is_refused_and_writes_nothing(clinic, desk, data, field_message):
    before = snapshot()
    response = post_book(desk, clinic, **data)
    assert response.status_code == 422
    assert field_message in response.content.decode()
    assert snapshot() == before


def test_a_role_without_booking_cannot_preview_or_book(clinic, make_user):
    billing = client_for(make_user(Role.BILLING, clinic.location))
    before = snapshot()
    assert post_book(billing, clinic).status_code == 403
    assert post_book(billing, clinic, confirm="series").status_code == 403
    assert snapshot() == before


# --- the appointment panel of a series -------------------------------------------------------------


@pytest.fixture
def weekly(clinic: Any) -> list[Appointment]:
    result = series_book(
        actor=clinic.clerk,
        patient=clinic.patient,
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        first_start=monday(9),
        count=4,
    )
    return result.booked


def test_panel_shows_the_occurrence_and_the_scopes(desk, weekly):
    html = desk.get(reverse("scheduling:appointment", args=[weekly[2].pk])).content.decode()
    assert "Occurrence 3 of 4 booked · a series of 4 dates, every week" in html
    for scope in ("this", "following", "all"):
        assert f'id="cancel-scope-{scope}" name="scope" value="{scope}"' in html
        assert f'id="move-scope-{scope}" name="scope" value="{scope}"' in html


def statuses(rows: list[Appointment]) -> list[str]:
    return [Appointment.objects.get(pk=a.pk).status for a in rows]


CANCEL = {"reason": "patient_request", "cancelled_by": "patient"}


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("this", ["booked", "cancelled", "booked", "booked"]),
        ("following", ["booked", "cancelled", "cancelled", "cancelled"]),
        ("all", ["cancelled", "cancelled", "cancelled", "cancelled"]),
    ],
)
def test_cancel_scopes(desk, weekly, scope, expected):
    response = desk.post(
        reverse("scheduling:cancel", args=[weekly[1].pk]), {**CANCEL, "scope": scope}
    )
    assert response.status_code == 200
    assert statuses(weekly) == expected
    events = AuditEvent.objects.filter(category="schedule", detail__event="cancelled").count()
    assert events == expected.count("cancelled")


def test_cancel_following_lists_what_changed_and_what_was_left(clinic, desk, weekly):
    appointment_cancel(
        actor=clinic.clerk, appointment=weekly[3], reason="patient_ill", cancelled_by="patient"
    )
    response = desk.post(
        reverse("scheduling:cancel", args=[weekly[1].pk]), {**CANCEL, "scope": "following"}
    )
    html = response.content.decode()
    assert "Cancelled 2 appointments:" in html
    assert "Mon 14 Dec 2026 09:00 · Follow-up" in html
    assert "Mon 21 Dec 2026 09:00 · Follow-up" in html
    assert "Not changed (1):" in html
    assert "Mon 28 Dec 2026 09:00: left as it was (Cancelled)" in html


def test_cancel_with_a_scope_but_no_reason_changes_nothing(desk, weekly):
    before = snapshot()
    response = desk.post(reverse("scheduling:cancel", args=[weekly[0].pk]), {"scope": "all"})
    assert response.status_code == 422
    assert "Choose a cancellation reason." in response.content.decode()
    assert snapshot() == before


def test_move_following_shifts_the_time_of_each_date(desk, weekly):
    response = desk.post(
        reverse("scheduling:reschedule", args=[weekly[2].pk]),
        {"start": "2026-12-21T10:00", "scope": "following"},
    )
    assert response.status_code == 200
    assert "Moved 2 occurrences:" in response.content.decode()
    assert [Appointment.objects.get(pk=a.pk).starts_at for a in weekly] == [
        *mondays(9, 7, 14),
        *mondays(10, 21, 28),
    ]


def test_move_all_with_one_conflict_moves_nothing_and_names_the_date(clinic, desk, weekly, book):
    book(patient=PatientFactory(), starts_at=mondays(10, 21)[0])
    before = snapshot()
    response = desk.post(
        reverse("scheduling:reschedule", args=[weekly[0].pk]),
        {"start": "2026-12-07T10:00", "scope": "all"},
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "1 occurrence(s) cannot move to 10:00; nothing was moved." in html
    assert "Mon 21 Dec 2026 10:00: That time was just taken; pick another." in html
    assert snapshot() == before


def test_move_several_to_another_date_is_refused(desk, weekly):
    before = snapshot()
    response = desk.post(
        reverse("scheduling:reschedule", args=[weekly[0].pk]),
        {"start": "2026-12-08T10:00", "scope": "following"},
    )
    assert response.status_code == 422
    assert "keep the date and change only the time of day" in response.content.decode()
    assert snapshot() == before


# --- linked booking ----------------------------------------------------------------------------------


@pytest.fixture
def lab(clinic: Any) -> Any:
    """A phlebotomist open Mondays 08:00–12:00 and a 15-minute lab draw type."""
    drawer = ProviderFactory(last_name="Zzdrawer")
    drawer.locations.add(clinic.location)
    AvailabilityTemplateFactory(
        provider=drawer, location=clinic.location, start_time=dt.time(8), end_time=dt.time(12)
    )
    kind = AppointmentTypeFactory(name="Lab draw", code="lab-draw", duration_minutes=15)

    class Lab:
        provider = drawer
        type = kind

    return Lab


def linked_data(lab: Any, **data: Any) -> dict[str, Any]:
    return {
        "repeat": "",
        "linked": "before",
        "linked_type": lab.type.pk,
        "linked_provider": lab.provider.pk,
        "linked_minutes": "0",
        **data,
    }


def test_linked_booking_books_both_with_one_group(clinic, desk, lab):
    response = post_book(desk, clinic, **linked_data(lab))
    assert response.status_code == 200
    assert "Booked together on Mon 07 Dec: Lab draw 08:45 and Follow-up 09:00" in (
        response.content.decode()
    )
    rows = list(Appointment.objects.order_by("starts_at"))
    assert [(a.appointment_type_id, a.provider_id, a.starts_at) for a in rows] == [
        (lab.type.pk, lab.provider.pk, monday(8, 45)),
        (clinic.type.pk, clinic.provider.pk, monday(9)),
    ]
    assert rows[0].link_group is not None
    assert rows[0].link_group == rows[1].link_group


def test_linked_after_starts_after_the_visit_ends(clinic, desk, lab):
    response = post_book(desk, clinic, **linked_data(lab, linked="after", linked_minutes="10"))
    assert response.status_code == 200
    assert sorted(Appointment.objects.values_list("starts_at", flat=True)) == [
        monday(9),
        monday(9, 30),
    ]


def test_linked_part_taken_books_nothing_and_says_which(clinic, desk, lab, book):
    book(
        patient=PatientFactory(),
        provider=lab.provider,
        appointment_type=lab.type,
        starts_at=monday(8, 45),
    )
    before = snapshot()
    response = post_book(desk, clinic, **linked_data(lab))
    assert response.status_code == 409
    assert (
        "The linked Lab draw: That time was just taken; pick another. Nothing was booked."
        in response.content.decode()
    )
    assert snapshot() == before


def test_visit_part_failing_books_nothing_and_says_which(clinic, desk, lab):
    before = snapshot()
    response = post_book(desk, clinic, **linked_data(lab, start="2026-12-07T12:00"))
    assert response.status_code == 409
    assert "The visit: That time is outside the provider" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"linked_type": ""}, "Choose the linked appointment&#x27;s type."),
        ({"linked_provider": "999999"}, "Choose who sees the patient for the linked appointment."),
        ({"linked_minutes": "-5"}, "Give the minutes between the two visits (0 to 480)."),
    ],
)
def test_bad_linked_input_is_refused(clinic, desk, lab, data, message):
    before = snapshot()
    response = post_book(desk, clinic, **linked_data(lab, **data))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert snapshot() == before


def test_linked_panel_shows_the_partner_and_cancels_the_group(clinic, desk, lab):
    post_book(desk, clinic, **linked_data(lab))
    draw, visit = Appointment.objects.order_by("starts_at")
    html = desk.get(reverse("scheduling:appointment", args=[visit.pk])).content.decode()
    assert "Linked with (booked together):" in html
    assert "Lab draw Mon 7 Dec 08:45 · Zzdrawer," in html
    response = desk.post(
        reverse("scheduling:cancel", args=[visit.pk]), {**CANCEL, "scope": "group"}
    )
    assert response.status_code == 200
    assert "Cancelled 2 appointments:" in response.content.decode()
    assert statuses([draw, visit]) == ["cancelled", "cancelled"]


def test_linked_cancel_one_leaves_the_partner(clinic, desk, lab):
    post_book(desk, clinic, **linked_data(lab))
    draw, visit = Appointment.objects.order_by("starts_at")
    response = desk.post(reverse("scheduling:cancel", args=[visit.pk]), {**CANCEL, "scope": "one"})
    assert response.status_code == 200
    assert statuses([draw, visit]) == ["booked", "cancelled"]
