"""Schedule screens: day grid, change detection, booking / reschedule / cancel / no-show panels, week,
PDF print; exact audit rows and a constant number of SQL queries for the day view."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.scheduling.models import Appointment
from frontdesk.scheduling.tests.conftest import monday
from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
DAY = "2026-12-07"


def schedule_audit() -> list[dict[str, Any]]:
    return list(
        AuditEvent.objects.filter(category="schedule")
        .order_by("sequence")
        .values("action", "patient_id", "object_type", "object_id", "detail")
    )


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def day_url(location: Any, day: str = DAY) -> str:
    return f"{reverse('scheduling:day')}?location={location.pk}&date={day}"


@pytest.fixture
def desk(clinic: Any) -> Client:
    return client_for(clinic.clerk)


# --- day view ------------------------------------------------------------------------------------


def test_day_view_shows_providers_appointments_and_writes_one_audit_row(clinic, desk):
    patient = PatientFactory(first_name="Quentin", last_name="Zzdayview", mrn="T9990001")
    appointment = AppointmentFactory(
        patient=patient,
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(10),
    )

    response = desk.get(day_url(clinic.location))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Zzdayview, Q." in html
    assert "MRN T9990001" in html
    assert "Quentin" not in html  # minimum necessary: initial only
    assert f'data-appointment="{appointment.pk}"' in html
    # 10:00 is 2 hours after the 08:00 grid start: row 2 + 24; 20 minutes span 4 rows.
    assert f"sched-appt t-{clinic.type.pk} s-booked r-26 rs-4" in html
    # Open 09:00-12:00: 08:00-09:00 is shaded (12 rows from row 2); a slot at 09:00 is bookable.
    assert "sched-off r-2 rs-12" in html
    assert 'aria-label="Book Example at 09:00"' in html
    # Live updates: a poll every 5 s that does not count as user activity.
    assert 'hx-trigger="every 5s, schedule-changed from:body"' in html
    assert """hx-headers='{"X-FrontDesk-Background": "1"}'""" in html
    assert schedule_audit() == [
        {
            "action": "query",
            "patient_id": None,
            "object_type": "appointment",
            "object_id": "",
            "detail": {
                "view": "day",
                "location_id": clinic.location.pk,
                "date": DAY,
                "results": 1,
            },
        }
    ]


def test_day_view_of_a_location_out_of_scope_is_404_and_not_audited(clinic, desk):
    other = LocationFactory()
    response = desk.get(day_url(other))
    assert response.status_code == 404
    assert schedule_audit() == []


def test_viewer_without_booking_permission_gets_no_slot_buttons(clinic, make_user):
    billing = make_user(Role.BILLING, clinic.location)
    if not billing.can("schedule.view"):
        pytest.skip("billing cannot see the schedule in this policy")
    html = client_for(billing).get(day_url(clinic.location)).content.decode()
    assert "sched-slot " not in html


def _add_providers(location: Any, kind: Any, count: int) -> None:
    for n in range(count):
        provider = ProviderFactory()
        provider.locations.add(location)
        AvailabilityTemplateFactory(provider=provider, location=location)
        room = RoomFactory(location=location)
        for hour in (9, 10, 11):
            AppointmentFactory(
                provider=provider,
                location=location,
                appointment_type=kind,
                starts_at=monday(hour),
                room=room if hour == 9 else None,
            )


def _add_appointments(clinic: Any, providers: list[Any], count: int) -> None:
    """``count`` 20-minute visits of other patients on the clinic's Monday, shared by the providers."""
    rooms = [RoomFactory(location=clinic.location) for _ in providers]  # one each: no overlap
    for n in range(count):
        AppointmentFactory(
            provider=providers[n % len(providers)],
            location=clinic.location,
            appointment_type=clinic.type,
            starts_at=monday(9) + dt.timedelta(minutes=20 * (n // len(providers))),
            room=rooms[n % len(providers)] if n % 3 else None,
        )


def _count_queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


GRID_URLS = {
    "day page, provider columns": lambda location: day_url(location),
    "day page, room columns": lambda location: day_url(location) + "&columns=rooms",
    "grid partial, provider columns": lambda location: (
        f"{reverse('scheduling:grid')}?location={location.pk}&date={DAY}"
    ),
    "grid partial, room columns": lambda location: (
        f"{reverse('scheduling:grid')}?location={location.pk}&date={DAY}&columns=rooms"
    ),
}


@pytest.mark.parametrize("which", list(GRID_URLS))
def test_day_view_runs_the_same_number_of_queries_for_1_and_10_providers(
    clinic, desk, django_assert_num_queries, which
):
    AppointmentFactory(
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(9),
    )
    url = GRID_URLS[which](clinic.location)
    desk.get(url)  # warm the session
    one = _count_queries(desk, url)
    _add_providers(clinic.location, clinic.type, 9)
    with django_assert_num_queries(one):
        response = desk.get(url)
    html = response.content.decode()
    assert html.count('data-appointment="') == 28
    if "room" in which:
        # 9 rooms and the "No room" column (the clinic's visit and the 10:00/11:00 ones).
        assert html.count('class="sched-col"') == 10
        assert 'data-column="room-none"' in html
    else:
        assert html.count('class="sched-col"') == 10


@pytest.mark.parametrize("which", list(GRID_URLS))
def test_day_view_runs_the_same_number_of_queries_for_5_and_50_appointments(
    clinic, desk, django_assert_num_queries, which
):
    other = ProviderFactory()
    other.locations.add(clinic.location)
    AvailabilityTemplateFactory(provider=other, location=clinic.location)
    _add_appointments(clinic, [clinic.provider, other], 5)
    url = GRID_URLS[which](clinic.location)
    desk.get(url)  # warm the session
    five = _count_queries(desk, url)
    Appointment.objects.all().delete()
    _add_appointments(clinic, [clinic.provider, other], 50)
    with django_assert_num_queries(five):
        response = desk.get(url)
    assert response.content.decode().count('data-appointment="') == 50


def test_room_columns_place_appointments_by_booked_room_and_unassigned_last(clinic, desk):
    exam_b = RoomFactory(location=clinic.location, name="Exam B")
    exam_a = RoomFactory(location=clinic.location, name="Exam A")
    RoomFactory(location=clinic.location, name="Old exam", is_active=False)
    RoomFactory(name="Exam elsewhere")  # another location's room: not a column here
    in_a = AppointmentFactory(
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(10),
        room=exam_a,
    )
    roomless = AppointmentFactory(
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(11),
    )

    response = desk.get(day_url(clinic.location) + "&columns=rooms")

    html = response.content.decode()
    assert response.status_code == 200
    columns = [part.split('"')[0] for part in html.split('data-column="')[1:]]
    assert columns == [f"room-{exam_a.pk}", f"room-{exam_b.pk}", "room-none"]
    in_column = {
        key: [
            int(chunk.split('"')[0])
            for chunk in html.split(f'data-column="{key}"')[1]
            .split('class="sched-end')[0]
            .split('data-appointment="')[1:]
        ]
        for key in columns
    }
    assert in_column == {
        f"room-{exam_a.pk}": [in_a.pk],
        f"room-{exam_b.pk}": [],
        "room-none": [roomless.pk],
    }
    assert "Old exam" not in html
    assert "sched-slot " not in html  # no bookable times without a provider column
    # The provider is named on each block, and the poll keeps asking for room columns.
    assert f"{clinic.provider.last_name}, {clinic.provider.first_name[:1]}." in html
    assert "&amp;columns=rooms&amp;v=" in html
    assert schedule_audit()[-1]["detail"] == {
        "view": "day",
        "location_id": clinic.location.pk,
        "date": DAY,
        "results": 2,
        "columns": "rooms",
    }


def test_an_unknown_columns_value_shows_provider_columns(clinic, desk):
    html = desk.get(day_url(clinic.location) + "&columns=%27%3Bdrop").content.decode()
    assert f'data-column="provider-{clinic.provider.pk}"' in html
    assert 'data-columns="providers"' in html


def test_open_appointments_are_movable_and_others_are_not(clinic, desk):
    booked = AppointmentFactory(
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(9),
    )
    cancelled = AppointmentFactory(
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(10),
        status="cancelled",
        cancellation_reason="patient_ill",
        cancelled_by="patient",
    )
    html = desk.get(day_url(clinic.location)).content.decode()
    assert f'data-appointment="{booked.pk}" data-row="14" data-span="4" data-movable="1"' in html
    assert f'data-appointment="{cancelled.pk}" data-row="26" data-span="4"\n' in html
    assert 'data-move-url="/scheduling/appointments/{id}/reschedule/"' in html
    # An empty slot under an active appointment is not offered; the free 09:30 is.
    assert 'aria-label="Book Example at 09:00"' not in html
    assert 'aria-label="Book Example at 09:30"' in html


def test_a_viewer_who_cannot_book_gets_no_move_handles(clinic, make_user):
    AppointmentFactory(
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(9),
    )
    billing = make_user(Role.BILLING, clinic.location)
    if not billing.can("schedule.view"):
        pytest.skip("billing cannot see the schedule in this policy")
    html = client_for(billing).get(day_url(clinic.location)).content.decode()
    assert "data-movable" not in html
    assert "data-move-url" not in html


# --- change detection ----------------------------------------------------------------------------


def test_changes_answers_204_while_unchanged_and_the_grid_after_a_booking(clinic, desk, book):
    response = desk.get(day_url(clinic.location))
    version = response.content.decode().split('data-version="')[1].split('"')[0]
    changes = (
        f"{reverse('scheduling:changes')}?location={clinic.location.pk}&date={DAY}&v={version}"
    )
    before = len(schedule_audit())

    unchanged = desk.get(changes, headers={"X-FrontDesk-Background": "1"})
    assert unchanged.status_code == 204
    assert len(schedule_audit()) == before  # no PHI shown, nothing audited

    book(starts_at=monday(11))
    changed = desk.get(changes, headers={"X-FrontDesk-Background": "1"})
    assert changed.status_code == 200
    assert 'id="sched-grid"' in changed.content.decode()
    assert schedule_audit()[-1]["detail"]["view"] == "day"


# --- booking -------------------------------------------------------------------------------------


def _book_post(client: Client, clinic: Any, **data: Any) -> Any:
    payload = {
        "location": clinic.location.pk,
        "provider": clinic.provider.pk,
        "patient": clinic.patient.pk,
        "appointment_type": clinic.type.pk,
        "start": "2026-12-07T09:40",
    }
    payload.update(data)
    return client.post(reverse("scheduling:book"), payload, headers={"HX-Request": "true"})


def test_booking_panel_opens_for_an_empty_slot(clinic, desk):
    url = (
        f"{reverse('scheduling:book')}?location={clinic.location.pk}&provider={clinic.provider.pk}"
        f"&start=2026-12-07T14:40:00%2B00:00"
    )
    response = desk.get(url)
    assert response.status_code == 200
    assert 'value="2026-12-07T09:40"' in response.content.decode()


def test_patient_search_partial_lists_the_patient_minimally(clinic, desk):
    PatientFactory(first_name="Ursula", last_name="Zzpicker", mrn="T9990002")
    response = desk.post(reverse("scheduling:patient_pick"), {"q": "Zzpicker"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Zzpicker, U. · MRN T9990002" in html
    assert "Ursula" not in html


def test_booking_through_the_view(clinic, desk):
    response = _book_post(desk, clinic)

    assert response.status_code == 200
    assert response["HX-Trigger"] == "schedule-changed"
    row = Appointment.objects.get()
    assert row.starts_at == dt.datetime(2026, 12, 7, 14, 40, tzinfo=UTC)
    assert row.patient == clinic.patient
    assert row.booked_by == clinic.clerk
    assert f"for MRN {clinic.patient.mrn}" in response.content.decode()
    assert [(r["action"], r["detail"]["event"]) for r in schedule_audit()] == [("create", "booked")]


def test_booking_a_taken_slot_says_so_and_offers_the_next_times(clinic, desk, book):
    taken = book(starts_at=monday(9, 40), patient=PatientFactory())

    response = _book_post(desk, clinic)

    assert response.status_code == 409
    html = response.content.decode()
    assert "That time was just taken; pick another." in html
    assert 'name="pick" value="2026-12-07T10:00"' in html  # the next open times after 09:40
    assert list(Appointment.objects.values_list("pk", flat=True)) == [taken.pk]


def test_picking_an_offered_time_books_it(clinic, desk, book):
    book(starts_at=monday(9, 40), patient=PatientFactory())
    response = _book_post(desk, clinic, pick="2026-12-07T10:00")
    assert response.status_code == 200
    assert Appointment.objects.filter(patient=clinic.patient).get().starts_at == monday(10)


def test_booking_with_missing_fields_shows_errors_beside_them_and_writes_nothing(clinic, desk):
    response = _book_post(desk, clinic, patient="", appointment_type="")
    html = response.content.decode()
    assert response.status_code == 422
    assert "Search for and pick a patient." in html
    assert "Choose an appointment type." in html
    assert Appointment.objects.count() == 0


def test_booking_outside_availability_is_refused_with_the_services_message(clinic, desk):
    response = _book_post(desk, clinic, start="2026-12-07T13:00")
    assert response.status_code == 422
    assert "outside the provider&#x27;s availability" in response.content.decode()
    assert Appointment.objects.count() == 0


def test_overbooking_needs_the_permission(clinic, desk, book, make_user):
    book(starts_at=monday(9, 40), patient=PatientFactory())
    # A front-desk clerk has no overbook field: a reason posted anyway is ignored -> slot taken.
    refused = _book_post(desk, clinic, overbook_reason="Urgent")
    assert refused.status_code == 409
    assert Appointment.objects.count() == 1

    manager = client_for(make_user(Role.PRACTICE_MANAGER, clinic.location))
    allowed = _book_post(manager, clinic, overbook_reason="Urgent: fever")
    assert allowed.status_code == 200
    over = Appointment.objects.get(patient=clinic.patient)
    assert over.is_overbook is True
    assert over.overbook_reason == "Urgent: fever"


# --- appointment panel ---------------------------------------------------------------------------


def test_appointment_panel_is_audited_as_a_read_of_that_patient(clinic, desk, book):
    appointment = book()
    before = len(schedule_audit())
    response = desk.get(reverse("scheduling:appointment", args=[appointment.pk]))
    assert response.status_code == 200
    assert schedule_audit()[before:] == [
        {
            "action": "read",
            "patient_id": clinic.patient.pk,
            "object_type": "appointment",
            "object_id": str(appointment.pk),
            "detail": {"view": "appointment_panel"},
        }
    ]


def test_reschedule_through_the_view(clinic, desk, book):
    appointment = book()
    response = desk.post(
        reverse("scheduling:reschedule", args=[appointment.pk]), {"start": "2026-12-07T11:00"}
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "schedule-changed"
    appointment.refresh_from_db()
    assert appointment.starts_at == monday(11)


def test_reschedule_into_a_taken_time_changes_nothing(clinic, desk, book):
    appointment = book()
    book(starts_at=monday(11), patient=PatientFactory())
    response = desk.post(
        reverse("scheduling:reschedule", args=[appointment.pk]), {"start": "2026-12-07T11:00"}
    )
    assert response.status_code == 409
    assert "That time was just taken; pick another." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.starts_at == monday(9)


def test_reschedule_to_another_provider_as_the_grid_move_posts_it(clinic, desk, book):
    other = ProviderFactory(last_name="Zzother")
    other.locations.add(clinic.location)
    AvailabilityTemplateFactory(provider=other, location=clinic.location)
    appointment = book()

    response = desk.post(
        reverse("scheduling:reschedule", args=[appointment.pk]),
        {"start": "2026-12-07T15:30:00.000Z", "provider": other.pk},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "schedule-changed"
    assert "Moved to Mon 07 Dec 10:30 with Zzother," in response.content.decode()
    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.provider_id) == (monday(10, 30), other.pk)
    event = appointment.events.get(kind="rescheduled")
    assert (event.old_starts_at, event.detail["old_provider_id"], event.detail["provider_id"]) == (
        monday(9),
        clinic.provider.pk,
        other.pk,
    )
    assert [(r["action"], r["detail"]["event"]) for r in schedule_audit()] == [
        ("create", "booked"),
        ("update", "rescheduled"),
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not-a-number", "That provider cannot be picked here."),
        ("999999", "That provider cannot be picked here."),
        ("elsewhere", "That time is outside the provider&#x27;s availability at this location."),
    ],
)
def test_reschedule_to_an_unknown_or_unavailable_provider_changes_nothing(
    clinic, desk, book, raw, message
):
    appointment = book()
    if raw == "elsewhere":
        elsewhere = ProviderFactory()
        elsewhere.locations.add(LocationFactory())
        raw = str(elsewhere.pk)
    response = desk.post(
        reverse("scheduling:reschedule", args=[appointment.pk]),
        {"start": "2026-12-07T10:00", "provider": raw},
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.provider_id) == (monday(9), clinic.provider.pk)
    assert [r["detail"]["event"] for r in schedule_audit()] == ["booked"]


def test_cancel_through_the_view(clinic, desk, book):
    appointment = book()
    response = desk.post(
        reverse("scheduling:cancel", args=[appointment.pk]),
        {"reason": "patient_ill", "cancelled_by": "patient"},
    )
    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert appointment.cancellation_reason == "patient_ill"
    assert appointment.cancelled_by == "patient"
    assert schedule_audit()[-1]["detail"]["event"] == "cancelled"


def test_cancel_without_a_reason_shows_both_field_errors_and_changes_nothing(clinic, desk, book):
    appointment = book()
    response = desk.post(reverse("scheduling:cancel", args=[appointment.pk]), {})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Choose a cancellation reason." in html
    assert "Say who cancelled: the patient or the practice." in html
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_no_show_only_after_the_start(clinic, desk, book):
    appointment = book()
    early = desk.post(reverse("scheduling:no_show", args=[appointment.pk]))
    assert early.status_code == 422
    assert "only after its start time" in early.content.decode()
    with time_machine.travel(dt.datetime(2026, 12, 7, 15, 0, tzinfo=UTC), tick=False):
        late = client_for(clinic.clerk).post(reverse("scheduling:no_show", args=[appointment.pk]))
    assert late.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == "noshow"


def test_appointment_out_of_scope_is_404_and_unchanged(clinic, book, make_user):
    appointment = book()
    stranger = client_for(make_user(Role.FRONT_DESK, LocationFactory()))
    response = stranger.post(
        reverse("scheduling:cancel", args=[appointment.pk]),
        {"reason": "patient_ill", "cancelled_by": "patient"},
    )
    assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == "booked"


# --- week and print ------------------------------------------------------------------------------


def test_week_view_lists_the_providers_week(clinic, desk, book):
    book(starts_at=monday(9))
    response = desk.get(
        f"{reverse('scheduling:week')}?location={clinic.location.pk}"
        f"&provider={clinic.provider.pk}&date=2026-12-09"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f"MRN {clinic.patient.mrn}" in html
    assert schedule_audit()[-1]["detail"] == {
        "view": "week",
        "location_id": clinic.location.pk,
        "provider_id": clinic.provider.pk,
        "date": DAY,
        "results": 1,
    }


def test_print_is_a_pdf_audited_as_print(clinic, desk, book):
    book(starts_at=monday(9))
    response = desk.get(
        f"{reverse('scheduling:print')}?location={clinic.location.pk}"
        f"&provider={clinic.provider.pk}&date={DAY}"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert schedule_audit()[-1] == {
        "action": "print",
        "patient_id": None,
        "object_type": "appointment",
        "object_id": "",
        "detail": {
            "view": "day_pdf",
            "location_id": clinic.location.pk,
            "provider_id": clinic.provider.pk,
            "date": DAY,
            "results": 1,
        },
    }


def test_grid_css_has_row_classes_and_type_colours(clinic, desk):
    kind = AppointmentTypeFactory(color="#123abc")
    css = desk.get(reverse("scheduling:grid_css")).content.decode()
    assert ".r-26{grid-row-start:26}" in css
    assert ".rs-4{grid-row-end:span 4}" in css
    assert f".t-{kind.pk}{{--type-color:#123abc}}" in css


def test_cancel_tells_the_waitlist_about_the_opened_slot_when_it_is_installed(
    clinic, desk, book, monkeypatch
):
    import sys
    import types

    calls: list[dict[str, Any]] = []
    package = types.ModuleType("frontdesk.waitlist")
    module = types.ModuleType("frontdesk.waitlist.services")
    module.waitlist_slot_opened = lambda **kwargs: calls.append(kwargs) or []  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "frontdesk.waitlist", package)
    monkeypatch.setattr("frontdesk.scheduling.views._waitlist_installed", lambda: True)
    monkeypatch.setitem(sys.modules, "frontdesk.waitlist.services", module)
    appointment = book()

    desk.post(
        reverse("scheduling:cancel", args=[appointment.pk]),
        {"reason": "patient_request", "cancelled_by": "patient"},
    )

    assert calls == [
        {
            "provider_id": clinic.provider.pk,
            "location_id": clinic.location.pk,
            "starts_at": monday(9),
            "ends_at": monday(9, 20),
            "appointment_type_id": clinic.type.pk,
        }
    ]


def test_a_refused_cancel_does_not_tell_the_waitlist(clinic, desk, book, monkeypatch):
    import sys
    import types

    calls: list[Any] = []
    module = types.ModuleType("frontdesk.waitlist.services")
    module.waitlist_slot_opened = lambda **kwargs: calls.append(kwargs) or []  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "frontdesk.waitlist", types.ModuleType("frontdesk.waitlist"))
    monkeypatch.setattr("frontdesk.scheduling.views._waitlist_installed", lambda: True)
    monkeypatch.setitem(sys.modules, "frontdesk.waitlist.services", module)
    appointment = book()
    desk.post(reverse("scheduling:cancel", args=[appointment.pk]), {"reason": "nonsense"})
    assert calls == []


@pytest.mark.parametrize("columns", ["providers", "rooms"])
def test_grid_blocks_escape_patient_and_type_text(clinic, desk, columns):
    hostile = "<img src=x onerror=alert(1)>\"'"
    kind = AppointmentTypeFactory(name=f"Type {hostile}")
    AppointmentFactory(
        patient=PatientFactory(first_name="<b>", last_name=hostile, mrn="T9990009"),
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=kind,
        starts_at=monday(10),
    )
    html = desk.get(day_url(clinic.location) + f"&columns={columns}").content.decode()
    escaped = "&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;"
    assert f'<span class="sched-patient">{escaped}, &lt;.</span>' in html
    assert f'<span class="sched-type">Type {escaped}' in html
    assert "<img" not in html


def test_times_are_the_locations_wall_times_not_the_servers(clinic, make_user):
    """A Chicago location seen by a server set to New York time: 10:00 in Chicago stays 10:00."""
    chicago = LocationFactory(timezone="America/Chicago")
    provider = ProviderFactory()
    provider.locations.add(chicago)
    AvailabilityTemplateFactory(provider=provider, location=chicago)
    appointment = AppointmentFactory(
        provider=provider,
        location=chicago,
        appointment_type=clinic.type,
        starts_at=dt.datetime(2026, 12, 7, 16, 0, tzinfo=UTC),  # 10:00 CST, 11:00 EST
    )
    client = client_for(make_user(Role.FRONT_DESK, chicago))

    grid_html = client.get(day_url(chicago)).content.decode()
    panel_html = client.get(
        reverse("scheduling:appointment", args=[appointment.pk])
    ).content.decode()

    assert '<span class="sched-time">10:00</span>' in grid_html
    assert "Mon 7 Dec 2026 10:00–10:20" in panel_html


def test_a_new_patient_type_for_a_seen_patient_asks_for_a_reason_then_books_with_it(clinic, desk):
    from frontdesk.scheduling.models import AppointmentEvent
    from tests.factories import AppointmentFactory

    AppointmentFactory(
        patient=clinic.patient,
        provider=clinic.provider,
        location=clinic.location,
        starts_at=clinic.now - dt.timedelta(days=200),
        status="fulfilled",
    )
    clinic.type.patient_kind = "new"
    clinic.type.save(update_fields=["patient_kind"])

    refused = _book_post(desk, clinic)

    html = refused.content.decode()
    assert refused.status_code == 422
    assert "choose an established-patient type, or give a reason to override." in html
    assert 'name="patient_kind_override_reason"' in html
    assert Appointment.objects.filter(status="booked").count() == 0

    booked = _book_post(
        desk, clinic, patient_kind_override_reason="Last seen for a different problem"
    )

    assert booked.status_code == 200
    row = Appointment.objects.get(status="booked")
    event = AppointmentEvent.objects.get(appointment=row, kind="booked")
    assert event.detail["patient_kind_override"] == "patient_not_new"
    assert event.detail["patient_kind_override_reason"] == "Last seen for a different problem"


def test_a_fitting_booking_form_shows_no_override_field(clinic, desk):
    response = desk.get(
        f"{reverse('scheduling:book')}?location={clinic.location.pk}&provider={clinic.provider.pk}"
        f"&start=2026-12-07T14:40:00%2B00:00"
    )
    assert 'name="patient_kind_override_reason"' not in response.content.decode()


def test_a_patient_with_three_no_shows_this_year_is_flagged_in_the_pick_list_and_the_panel(
    clinic, desk
):
    from tests.factories import AppointmentFactory

    flagged = PatientFactory(first_name="Nora", last_name="Zznoshow", mrn="T9990003")
    PatientFactory(first_name="Olga", last_name="Zznoshow", mrn="T9990004")
    for days in (30, 90, 300):
        AppointmentFactory(
            patient=flagged,
            provider=clinic.provider,
            location=clinic.location,
            starts_at=clinic.now - dt.timedelta(days=days),
            status="noshow",
        )
    AppointmentFactory(  # older than 12 months: not counted
        patient=flagged,
        provider=clinic.provider,
        location=clinic.location,
        starts_at=clinic.now - dt.timedelta(days=400),
        status="noshow",
    )

    html = desk.post(reverse("scheduling:patient_pick"), {"q": "Zznoshow"}).content.decode()

    assert html.count("no-shows in the last 12 months") == 1
    assert "3 no-shows in the last 12 months (policy: 3)" in html
    panel = desk.get(
        f"{reverse('scheduling:book')}?location={clinic.location.pk}&provider={clinic.provider.pk}"
        f"&start=2026-12-07T14:40:00%2B00:00&patient={flagged.pk}"
    ).content.decode()
    assert "3 no-shows in the last 12 months (policy: 3)" in panel
