"""Schedule-setup screens: who may open them, forms with errors beside fields, htmx partials, the
list of stranded appointments after a change (audited) and constant query counts for the lists."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.scheduling.models import AppointmentType, AvailabilityTemplate, ScheduleException
from frontdesk.scheduling.tests.conftest import monday
from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    PatientFactory,
    ProviderFactory,
    ScheduleExceptionFactory,
)

pytestmark = pytest.mark.django_db

NY = zoneinfo.ZoneInfo("America/New_York")


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def office(clinic: Any, manager: Any) -> Client:
    return client_for(manager)


def week_url(clinic: Any) -> str:
    return (
        f"{reverse('scheduling:setup_templates')}"
        f"?location={clinic.location.pk}&provider={clinic.provider.pk}"
    )


# --- access --------------------------------------------------------------------------------------

PAGES = [
    "scheduling:setup",
    "scheduling:setup_types",
    "scheduling:setup_type_create",
    "scheduling:setup_templates",
    "scheduling:setup_exceptions",
    "scheduling:setup_exception_create",
]


@pytest.mark.parametrize("name", PAGES)
def test_practice_manager_opens_every_page_and_front_desk_is_refused(clinic, office, name):
    assert office.get(reverse(name)).status_code == 200
    assert client_for(clinic.clerk).get(reverse(name)).status_code == 403


def test_nav_shows_schedule_setup_only_to_those_who_may(clinic, office):
    assert 'href="/scheduling/setup/"' in office.get("/").content.decode()
    assert 'href="/scheduling/setup/"' not in client_for(clinic.clerk).get("/").content.decode()


def test_only_the_pages_own_section_is_marked_current(clinic, office):
    import re

    def current(path: str) -> list[str]:
        html = office.get(path).content.decode()
        return re.findall(r'<a href="([^"]+)" aria-current="page">', html)

    assert current(reverse("scheduling:setup_types")) == ["/scheduling/setup/"]
    assert current(f"{reverse('scheduling:day')}?location={clinic.location.pk}") == ["/scheduling/"]


# --- appointment types ---------------------------------------------------------------------------


def test_type_list_filters_and_answers_htmx_with_the_table_only(clinic, office):
    AppointmentTypeFactory(name="Retired visit", is_active=False)
    page = office.get(reverse("scheduling:setup_types")).content.decode()
    assert "Follow-up" in page and "Retired visit" not in page
    assert "<html" in page

    partial = office.get(
        reverse("scheduling:setup_types") + "?show=inactive", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in partial
    assert "Retired visit" in partial and "Follow-up" not in partial


def test_type_create_form_saves_and_bad_input_shows_errors_beside_fields(clinic, office):
    url = reverse("scheduling:setup_type_create")
    form = {
        "name": "Flu shot",
        "code": "",
        "duration_minutes": "800",
        "color": "#00aa00",
        "patient_kind": "any",
        "modality": "in_person",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "0",
        "daily_cap_per_provider": "",
        "instructions": "",
        "required_room_kind": "",
        "required_equipment_kind": "",
    }
    response = office.post(url, form)
    assert response.status_code == 400
    assert "A visit lasts 1 to 720 minutes." in response.content.decode()
    assert not AppointmentType.objects.filter(name="Flu shot").exists()

    response = office.post(
        url, {**form, "duration_minutes": "10", "providers": [clinic.provider.pk]}
    )
    assert response.status_code == 302
    created = AppointmentType.objects.get(name="Flu shot")
    assert (created.code, created.duration_minutes, list(created.providers.all())) == (
        "flu-shot",
        10,
        [clinic.provider],
    )


def test_type_edit_and_deactivate(clinic, office):
    url = reverse("scheduling:setup_type_edit", args=[clinic.type.pk])
    assert 'value="Follow-up"' in office.get(url).content.decode()
    response = office.post(
        reverse("scheduling:setup_type_active", args=[clinic.type.pk]), {"is_active": "0"}
    )
    assert response.status_code == 302
    assert AppointmentType.objects.get(pk=clinic.type.pk).is_active is False
    # GET never changes anything.
    assert (
        office.get(reverse("scheduling:setup_type_active", args=[clinic.type.pk])).status_code
        == 405
    )


# --- templates -----------------------------------------------------------------------------------


def test_weekly_table_and_htmx_partial(clinic, office):
    AvailabilityTemplateFactory(
        provider=clinic.provider,
        location=clinic.location,
        weekday=0,
        kind="block",
        start_time=dt.time(10, 0),
        end_time=dt.time(10, 30),
        label="Huddle",
    )
    page = office.get(week_url(clinic)).content.decode()
    assert "09:00–12:00" in page and "10:00–10:30" in page and "Huddle" in page
    assert "Not working" in page  # the other six days
    partial = office.get(week_url(clinic), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "09:00–12:00" in partial


def test_switching_location_shows_that_locations_first_provider(clinic, office):
    from tests.factories import LocationFactory

    north = LocationFactory(name="Zz North")
    doctor = ProviderFactory(first_name="Nora", last_name="Zznorth")
    doctor.locations.add(north)
    url = (
        f"{reverse('scheduling:setup_templates')}?location={north.pk}&provider={clinic.provider.pk}"
    )
    partial = office.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'<option value="{doctor.pk}" selected>Zznorth, Nora</option>' in partial
    assert f"{clinic.provider.last_name}, {clinic.provider.first_name}" not in partial
    assert "Nora Zznorth, MD at Zz North" in partial


def test_weekly_table_runs_a_constant_number_of_queries(
    clinic, office, django_assert_max_num_queries
):
    for weekday in range(1, 5):
        AvailabilityTemplateFactory(
            provider=clinic.provider, location=clinic.location, weekday=weekday
        ).appointment_types.add(clinic.type)
    with django_assert_max_num_queries(14):
        assert office.get(week_url(clinic)).status_code == 200


def test_type_list_runs_a_constant_number_of_queries(clinic, office, django_assert_max_num_queries):
    for n in range(10):
        AppointmentTypeFactory().providers.add(ProviderFactory())
    with django_assert_max_num_queries(10):
        assert office.get(reverse("scheduling:setup_types")).status_code == 200


def test_template_create_form(clinic, office):
    url = reverse("scheduling:setup_template_create")
    form = {
        "location": clinic.location.pk,
        "provider": clinic.provider.pk,
        "weekdays": ["1", "3"],
        "kind": "open",
        "start_time": "13:00",
        "end_time": "12:00",
        "effective_from": "2026-12-01",
    }
    response = office.post(url, form)
    assert response.status_code == 400
    assert "End time must be after start time." in response.content.decode()
    assert AvailabilityTemplate.objects.count() == 1

    response = office.post(url, {**form, "end_time": "17:00"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Added 2 weekly windows" in html
    assert "No booked appointment is outside availability" in html
    assert sorted(
        AvailabilityTemplate.objects.filter(start_time=dt.time(13)).values_list(
            "weekday", flat=True
        )
    ) == [1, 3]


def test_editing_an_applied_template_asks_from_when(clinic, office):
    template = AvailabilityTemplate.objects.get()
    stranded = AppointmentFactory(
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        patient=PatientFactory(first_name="Ursula", last_name="Zzstranded", mrn="T7770001"),
        starts_at=monday(11, 20),
    )
    url = reverse("scheduling:setup_template_edit", args=[template.pk])
    page = office.get(url).content.decode()
    assert "Changes apply from" in page and 'name="effective_from"' not in page
    response = office.post(
        url,
        {
            "weekday": "0",
            "kind": "open",
            "start_time": "09:00",
            "end_time": "11:00",
            "change_from": "2026-12-01",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The old pattern applies until 30 Nov 2026; the new one from 1 Dec 2026." in html
    assert "Zzstranded, Ursula" in html and "MRN T7770001" in html
    day_link = f"/scheduling/?location={clinic.location.pk}&amp;date=2026-12-07"
    assert day_link in html
    assert f'data-stranded="{stranded.pk}"' in html
    assert AvailabilityTemplate.objects.count() == 2


def test_end_and_delete_pages(clinic, office):
    template = AvailabilityTemplate.objects.get()
    page = office.get(reverse("scheduling:setup_template_delete", args=[template.pk]))
    assert "End it instead" in page.content.decode()
    response = office.post(reverse("scheduling:setup_template_delete", args=[template.pk]))
    assert response.status_code == 400
    assert AvailabilityTemplate.objects.filter(pk=template.pk).exists()

    response = office.post(
        reverse("scheduling:setup_template_end", args=[template.pk]), {"last_day": "2026-11-01"}
    )
    assert response.status_code == 400
    assert "earlier days are history" in response.content.decode()
    response = office.post(
        reverse("scheduling:setup_template_end", args=[template.pk]), {"last_day": "2026-12-31"}
    )
    assert response.status_code == 200
    assert AvailabilityTemplate.objects.get().effective_until == dt.date(2026, 12, 31)

    future = AvailabilityTemplateFactory(
        provider=clinic.provider,
        location=clinic.location,
        weekday=2,
        effective_from=dt.date(2027, 1, 6),
    )
    response = office.post(reverse("scheduling:setup_template_delete", args=[future.pk]))
    assert response.status_code == 200
    assert not AvailabilityTemplate.objects.filter(pk=future.pk).exists()


def test_impact_check_partial_is_audited(clinic, office):
    AppointmentFactory(
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(14),
    )
    url = (
        f"{reverse('scheduling:setup_impact')}?location={clinic.location.pk}"
        f"&provider={clinic.provider.pk}"
    )
    response = office.get(url, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert "1 booked appointment now outside availability" in html
    assert "Outside the provider&#x27;s hours" in html
    assert list(
        AuditEvent.objects.filter(category="schedule").values_list(
            "action", "object_type", "detail"
        )
    ) == [("query", "appointment", {"view": "schedule_setup_check", "results": 1})]


# --- time off ------------------------------------------------------------------------------------


def test_vacation_form_lists_the_stranded_appointment_and_audits_the_read(clinic, office):
    appointment = AppointmentFactory(
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        patient=PatientFactory(first_name="Vera", last_name="Zzvacation", mrn="T7770002"),
        starts_at=monday(10),
    )
    url = reverse("scheduling:setup_exception_create")
    form = {
        "applies_to": "provider",
        "location": clinic.location.pk,
        "provider": clinic.provider.pk,
        "start_date": "2026-12-07",
        "reason": "vacation",
    }
    response = office.post(url, {**form, "start_date": "2026-11-02"})
    assert response.status_code == 400
    assert "Time off must end in the future." in response.content.decode()
    assert ScheduleException.objects.count() == 0

    response = office.post(url, form)
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 booked appointment now outside availability" in html
    assert f'data-stranded="{appointment.pk}"' in html
    assert "Zzvacation, Vera" in html
    assert "Blocked or time off" in html
    exception = ScheduleException.objects.get()
    assert (exception.starts_at, exception.ends_at) == (
        dt.datetime(2026, 12, 7, 0, 0, tzinfo=NY),
        dt.datetime(2026, 12, 8, 0, 0, tzinfo=NY),
    )
    assert list(AuditEvent.objects.filter(category="schedule").values_list("action", "detail")) == [
        ("query", {"view": "schedule_setup_change", "results": 1})
    ]


def test_time_off_list_shows_local_times_and_remove(clinic, office):
    future = ScheduleExceptionFactory(
        provider=clinic.provider,
        location=clinic.location,
        starts_at=monday(13),
        ends_at=monday(17),
        note="Dentist",
    )
    page = office.get(reverse("scheduling:setup_exceptions")).content.decode()
    assert "Mon 7 Dec 2026 13:00" in page and "Dentist" in page
    remove = reverse("scheduling:setup_exception_remove", args=[future.pk])
    assert "Remove it" in office.get(remove).content.decode()
    assert office.post(remove).status_code == 200
    assert ScheduleException.objects.count() == 0


def test_holiday_for_a_whole_location(clinic, office):
    response = office.post(
        reverse("scheduling:setup_exception_create"),
        {
            "applies_to": "location",
            "location": clinic.location.pk,
            "start_date": "2026-12-24",
            "end_date": "2026-12-25",
            "reason": "holiday",
        },
    )
    assert response.status_code == 200
    exception = ScheduleException.objects.get()
    assert (exception.provider, exception.location) == (None, clinic.location)
    assert exception.ends_at == dt.datetime(2026, 12, 26, 0, 0, tzinfo=NY)


def test_times_show_in_the_locations_zone_not_the_servers(make_user):
    """A Chicago clinic's time off and stranded visits read in Chicago time (the server runs in
    New York time): templates must not convert the local values again."""
    from frontdesk.scheduling import setup_services as svc
    from tests.factories import LocationFactory

    chicago_zone = zoneinfo.ZoneInfo("America/Chicago")
    chicago = LocationFactory(timezone="America/Chicago")
    manager = make_user(Role.PRACTICE_MANAGER, chicago)
    doctor = ProviderFactory()
    doctor.locations.add(chicago)
    day = (dt.datetime.now(chicago_zone) + dt.timedelta(days=3)).date()
    AvailabilityTemplateFactory(provider=doctor, location=chicago, weekday=day.weekday())
    AppointmentFactory(
        provider=doctor,
        location=chicago,
        starts_at=dt.datetime.combine(day, dt.time(9, 0), tzinfo=chicago_zone),
    )
    ScheduleExceptionFactory(
        provider=doctor,
        location=chicago,
        starts_at=dt.datetime.combine(day, dt.time(13, 0), tzinfo=chicago_zone),
        ends_at=dt.datetime.combine(day, dt.time(17, 0), tzinfo=chicago_zone),
    )
    client = client_for(manager)
    listing = client.get(reverse("scheduling:setup_exceptions")).content.decode()
    assert f"{day:%d}".lstrip("0") + f" {day:%b %Y} 13:00" in listing
    change = svc.exception_create(
        actor=manager,
        provider=doctor,
        location=chicago,
        starts_at=dt.datetime.combine(day, dt.time(8, 0), tzinfo=chicago_zone),
        ends_at=dt.datetime.combine(day, dt.time(12, 0), tzinfo=chicago_zone),
        reason="meeting",
    )
    assert len(change.stranded) == 1
    check = client.get(
        f"{reverse('scheduling:setup_impact')}?location={chicago.pk}&provider={doctor.pk}",
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "09:00–09:20" in check
