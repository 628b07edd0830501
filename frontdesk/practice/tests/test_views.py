# mypy: disable-error-code="arg-type, attr-defined, misc, operator"
# (factory_boy's metaclass __call__ is untyped: mypy sees factory instances, not model rows.)
"""Practice setup screens: authorization, location scoping, forms with errors beside fields."""

from __future__ import annotations

from datetime import time

import pytest
from django.test import Client
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.practice.models import Location, OpeningHours, Provider, Room
from frontdesk.standards import npi
from tests.factories import (
    EquipmentFactory,
    LocationFactory,
    OrganizationFactory,
    PayerFactory,
    PlanFactory,
    ProviderFactory,
    RoomFactory,
    UserFactory,
    assign,
)

pytestmark = pytest.mark.django_db


def _client(role: str, *locations) -> Client:
    user = UserFactory(role=role)
    assign(user, *locations)
    client = Client()
    client.force_login(user)
    return client


MANAGE_PAGES = [
    "practice:overview",
    "practice:organization_edit",
    "practice:location_create",
    "practice:provider_create",
    "practice:payer_create",
]


@pytest.mark.parametrize("name", MANAGE_PAGES)
def test_manage_pages_anonymous_front_desk_manager(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"

    assert _client(Role.FRONT_DESK, LocationFactory()).get(url).status_code == 403
    assert _client(Role.PRACTICE_MANAGER).get(url).status_code == 200
    assert _client(Role.ADMIN).get(url).status_code == 200


def test_front_desk_cannot_post_to_manage_pages():
    location = LocationFactory()
    response = _client(Role.FRONT_DESK, location).post(
        reverse("practice:room_create", args=[location.pk]), {"name": "Exam 9", "kind": "exam"}
    )
    assert response.status_code == 403
    assert Room.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_front_desk_sees_only_rooms_of_their_own_location():
    mine, theirs = LocationFactory(name="Mine Clinic"), LocationFactory(name="Theirs Clinic")
    RoomFactory(location=mine, name="Exam Mine")
    RoomFactory(location=theirs, name="Exam Theirs")
    client = _client(Role.FRONT_DESK, mine)

    own = client.get(reverse("practice:location_detail", args=[mine.pk]))
    assert own.status_code == 200
    assert "Exam Mine" in own.content.decode()
    assert "Exam Theirs" not in own.content.decode()
    assert client.get(reverse("practice:location_detail", args=[theirs.pk])).status_code == 404

    listing = client.get(reverse("practice:location_list")).content.decode()
    assert "Mine Clinic" in listing
    assert "Theirs Clinic" not in listing
    assert "New location" not in listing  # no manage links for a reader


def test_manager_sees_every_location_and_manage_links():
    LocationFactory(name="Alpha Clinic")
    LocationFactory(name="Beta Clinic")
    body = _client(Role.PRACTICE_MANAGER).get(reverse("practice:location_list")).content.decode()
    assert "Alpha Clinic" in body
    assert "Beta Clinic" in body
    assert "New location" in body


def test_manage_pages_of_missing_objects_are_404():
    client = _client(Role.PRACTICE_MANAGER)
    assert client.get(reverse("practice:room_edit", args=[999999])).status_code == 404
    assert client.get(reverse("practice:location_edit", args=[999999])).status_code == 404
    assert client.get(reverse("practice:payer_detail", args=[999999])).status_code == 404


def test_location_create_through_the_form():
    OrganizationFactory()
    client = _client(Role.PRACTICE_MANAGER)
    response = client.post(
        reverse("practice:location_create"),
        {
            "name": "Eastside Clinic (synthetic)",
            "code": "east",
            "timezone": "America/Denver",
            "place_of_service": "11",
            "phone": "(202) 555-0111",
            "is_active": "on",
            "hours_0": "08:00-12:00, 13:00-17:00",
            "hours_4": "9:00-13:00",
        },
    )
    location = Location.objects.get(code="east")
    assert response.status_code == 302
    assert response["Location"] == reverse("practice:location_detail", args=[location.pk])
    assert list(location.opening_hours.values_list("weekday", "opens_at", "closes_at")) == [
        (0, time(8), time(12)),
        (0, time(13), time(17)),
        (4, time(9), time(13)),
    ]
    assert AuditEvent.objects.filter(object_type="practice.location", action="create").count() == 1


def test_location_form_shows_errors_beside_fields_and_saves_nothing():
    OrganizationFactory()
    client = _client(Role.PRACTICE_MANAGER)
    response = client.post(
        reverse("practice:location_create"),
        {
            "name": "Eastside Clinic (synthetic)",
            "code": "east",
            "timezone": "America/Denver",
            "place_of_service": "11",
            "phone": "555",
            "hours_0": "17:00-08:00",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_phone_error"' in body
    assert "Enter a US phone number with area code, e.g. (202) 555-0123." in body
    assert 'id="id_hours_0_error"' in body
    response = client.post(
        reverse("practice:location_create"),
        {
            "name": "Eastside Clinic (synthetic)",
            "code": "east",
            "timezone": "America/Denver",
            "place_of_service": "11",
            "hours_1": "nine to five",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_hours_1_error"' in body
    assert "Write intervals as 08:00-12:00, separated by commas (24-hour clock)." in body
    assert Location.objects.count() == 0
    assert OpeningHours.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_location_form_close_before_open_message_beside_the_day():
    OrganizationFactory()
    response = _client(Role.PRACTICE_MANAGER).post(
        reverse("practice:location_create"),
        {
            "name": "Eastside Clinic (synthetic)",
            "code": "east",
            "timezone": "America/Denver",
            "place_of_service": "11",
            "hours_2": "17:00-08:00",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    error_at = body.index('id="id_hours_2_error"')
    assert "Closing time must be after opening time." in body[error_at : error_at + 200]
    assert Location.objects.count() == 0


def test_location_edit_prefills_hours_and_updates():
    location = LocationFactory()
    OpeningHours.objects.create(location=location, weekday=0, opens_at=time(8), closes_at=time(12))
    OpeningHours.objects.create(location=location, weekday=0, opens_at=time(13), closes_at=time(17))
    client = _client(Role.PRACTICE_MANAGER)
    url = reverse("practice:location_edit", args=[location.pk])
    assert 'value="08:00-12:00, 13:00-17:00"' in client.get(url).content.decode()

    response = client.post(
        url,
        {
            "name": location.name,
            "code": location.code,
            "timezone": "America/Los_Angeles",
            "place_of_service": "11",
            "is_active": "on",
            "address_line1": location.address_line1,
            "city": location.city,
            "state": location.state,
            "postal_code": location.postal_code,
            "hours_0": "08:00-12:00, 13:00-17:00",
        },
    )
    assert response.status_code == 302
    location.refresh_from_db()
    assert location.timezone == "America/Los_Angeles"
    assert AuditEvent.objects.get().detail == {"fields": ["timezone"]}


def test_provider_form_shows_npi_message_beside_the_field():
    response = _client(Role.PRACTICE_MANAGER).post(
        reverse("practice:provider_create"),
        {"first_name": "Ada", "last_name": "Examplar", "npi": "1234567890", "is_active": "on"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    error_at = body.index('id="id_npi_error"')
    assert (
        "This NPI&#x27;s check digit is wrong; check for a typo." in body[error_at : error_at + 200]
    )
    assert Provider.objects.count() == 0


def test_provider_create_with_locations():
    north = LocationFactory()
    response = _client(Role.PRACTICE_MANAGER).post(
        reverse("practice:provider_create"),
        {
            "first_name": "Ada",
            "last_name": "Examplar",
            "npi": npi.make("223456789"),
            "taxonomy_code": "207Q00000X",
            "locations": [str(north.pk)],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    provider = Provider.objects.get()
    assert list(provider.locations.all()) == [north]


def test_reference_lists_are_readable_by_front_desk():
    location = LocationFactory()
    provider = ProviderFactory(last_name="Listable")
    plan = PlanFactory(name="Listable Gold")
    client = _client(Role.FRONT_DESK, location)
    assert provider.npi in client.get(reverse("practice:provider_list")).content.decode()
    assert plan.payer.name in client.get(reverse("practice:payer_list")).content.decode()
    detail = client.get(reverse("practice:payer_detail", args=[plan.payer.pk])).content.decode()
    assert "Listable Gold" in detail
    assert "Edit payer" not in detail


def test_room_equipment_payer_plan_edit_flow():
    location = LocationFactory()
    room = RoomFactory(location=location, name="Exam 1")
    equipment = EquipmentFactory(location=location)
    payer = PayerFactory()
    plan = PlanFactory(payer=payer)
    client = _client(Role.PRACTICE_MANAGER)

    assert (
        client.post(
            reverse("practice:room_edit", args=[room.pk]), {"name": "Exam 2", "kind": "procedure"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            reverse("practice:equipment_edit", args=[equipment.pk]),
            {"name": "Spiro", "kind": "spirometer", "is_active": "on"},
        ).status_code
        == 302
    )
    response = client.post(
        reverse("practice:payer_edit", args=[payer.pk]),
        {"name": payer.name, "payer_id": payer.payer_id, "payer_type": "medicaid"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("practice:plan_edit", args=[plan.pk]),
        {"name": plan.name, "plan_type": "HM", "is_active": "on"},
    )
    assert response.status_code == 302
    assert sorted(AuditEvent.objects.values_list("object_type", flat=True)) == [
        "practice.equipment",
        "practice.payer",
        "practice.plan",
        "practice.room",
    ]


def test_duplicate_payer_id_message_beside_the_field():
    PayerFactory(payer_id="EX777")
    response = _client(Role.PRACTICE_MANAGER).post(
        reverse("practice:payer_create"),
        {"name": "Dup Payer", "payer_id": "ex777", "payer_type": "commercial", "is_active": "on"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    error_at = body.index('id="id_payer_id_error"')
    assert "Another payer already has this payer ID." in body[error_at : error_at + 200]


def test_location_list_runs_a_constant_number_of_queries(django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(Role.PRACTICE_MANAGER)
    client.get(reverse("practice:location_list"))  # warm the session
    for _ in range(2):
        loc = LocationFactory()
        RoomFactory(location=loc)
        OpeningHours.objects.create(location=loc, weekday=0, opens_at=time(8), closes_at=time(9))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("practice:location_list"))
    for _ in range(5):
        loc = LocationFactory()
        RoomFactory(location=loc)
        OpeningHours.objects.create(location=loc, weekday=0, opens_at=time(8), closes_at=time(9))
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(reverse("practice:location_list"))
