# mypy: disable-error-code="arg-type, attr-defined, misc, operator"
# (factory_boy's metaclass __call__ is untyped: mypy sees factory instances, not model rows.)
"""Practice configuration services: validation messages, audit rows, nothing written on failure."""

from __future__ import annotations

from datetime import time

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import PermissionDenied, ValidationFailed
from frontdesk.practice import services
from frontdesk.practice.models import Equipment, Location, OpeningHours, Payer, Plan, Provider, Room
from frontdesk.practice.services import HoursInterval
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
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(role=Role.PRACTICE_MANAGER)


def _location_data(**overrides):
    data = {
        "name": "Northside Clinic (synthetic)",
        "code": "north",
        "timezone": "America/Chicago",
        "phone": "(202) 555-0101",
        "fax": "202-555-0102",
        "address_line1": "10 Example Road",
        "city": "Springfield",
        "state": "il",
        "postal_code": "62701",
    }
    data.update(overrides)
    return data


def _fields_of(exc_info):
    return exc_info.value.fields


def _audit_rows():
    return list(
        AuditEvent.objects.order_by("sequence").values_list(
            "action", "category", "object_type", "detail"
        )
    )


# --- locations --------------------------------------------------------------------------------


def test_location_create_normalises_values_stores_hours_and_audits(manager):
    organization = OrganizationFactory()
    hours = [
        HoursInterval(0, time(8, 0), time(12, 0)),
        HoursInterval(0, time(13, 0), time(17, 0)),
        HoursInterval(2, time(9, 0), time(15, 30)),
    ]
    location = services.location_create(
        actor=manager, organization=organization, data=_location_data(), hours=hours
    )

    location.refresh_from_db()
    assert location.phone == "+12025550101"
    assert location.fax == "+12025550102"
    assert location.state == "IL"
    assert list(
        OpeningHours.objects.filter(location=location).values_list(
            "weekday", "opens_at", "closes_at"
        )
    ) == [(0, time(8), time(12)), (0, time(13), time(17)), (2, time(9), time(15, 30))]
    event = AuditEvent.objects.get()
    assert (event.action, event.category, event.object_type, event.object_id) == (
        "create",
        "configuration",
        "practice.location",
        str(location.pk),
    )
    assert event.detail == {
        "fields": [
            "address_line1",
            "city",
            "code",
            "fax",
            "hours",
            "name",
            "phone",
            "postal_code",
            "state",
            "timezone",
        ]
    }
    assert event.actor_id == manager.pk
    assert event.patient_id is None


def test_location_create_reports_every_bad_field_and_writes_nothing(manager):
    organization = OrganizationFactory()
    LocationFactory(organization=organization, code="taken")
    data = _location_data(
        name="",
        code="taken",
        timezone="Mars/Olympus_Mons",
        phone="12",
        state="Illinois",
        postal_code="6270",
        npi="1234567890",
    )

    with pytest.raises(ValidationFailed) as exc_info:
        services.location_create(
            actor=manager,
            organization=organization,
            data=data,
            hours=[
                HoursInterval(1, time(17, 0), time(8, 0)),
                HoursInterval(3, time(8, 0), time(12, 0)),
                HoursInterval(3, time(11, 0), time(14, 0)),
            ],
        )

    assert _fields_of(exc_info) == {
        "name": ["This field is required."],
        "code": ["Another location already uses this code."],
        "timezone": ["Choose a timezone from the list, e.g. America/New_York."],
        "phone": ["Enter a US phone number with area code, e.g. (202) 555-0123."],
        "state": ["Use the two-letter USPS state code, e.g. IL."],
        "postal_code": ["Enter a ZIP code as 12345 or 12345-6789."],
        "npi": ["This NPI's check digit is wrong; check for a typo."],
        "hours_1": ["Closing time must be after opening time."],
        "hours_3": ["Opening intervals on the same day must not overlap."],
    }
    assert Location.objects.count() == 1
    assert OpeningHours.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_location_update_audits_only_changed_field_names_and_replaces_hours(manager):
    location = LocationFactory(phone="+12025550101")
    OpeningHours.objects.create(location=location, weekday=0, opens_at=time(8), closes_at=time(17))

    services.location_update(
        actor=manager,
        location=location,
        data={"name": location.name, "phone": "(202) 555-0101", "city": "Shelbyville"},
        hours=[HoursInterval(4, time(7, 30), time(11, 0))],
    )

    location.refresh_from_db()
    assert location.city == "Shelbyville"
    assert list(location.opening_hours.values_list("weekday", "opens_at", "closes_at")) == [
        (4, time(7, 30), time(11))
    ]
    assert _audit_rows() == [
        ("update", "configuration", "practice.location", {"fields": ["city", "hours"]})
    ]


def test_location_update_without_changes_writes_no_audit_row(manager):
    location = LocationFactory()
    services.location_update(actor=manager, location=location, data={"name": location.name})
    assert AuditEvent.objects.count() == 0


def test_location_update_bad_hours_keep_the_old_hours(manager):
    location = LocationFactory()
    OpeningHours.objects.create(location=location, weekday=0, opens_at=time(8), closes_at=time(17))

    with pytest.raises(ValidationFailed) as exc_info:
        services.location_update(
            actor=manager,
            location=location,
            data={"city": "Shelbyville"},
            hours=[HoursInterval(0, time(9), time(9))],
        )

    assert _fields_of(exc_info) == {"hours_0": ["Closing time must be after opening time."]}
    location.refresh_from_db()
    assert location.city == "Springfield"
    assert list(location.opening_hours.values_list("weekday", "opens_at", "closes_at")) == [
        (0, time(8), time(17))
    ]
    assert AuditEvent.objects.count() == 0


def test_services_refuse_staff_without_practice_manage():
    front_desk = UserFactory(role=Role.FRONT_DESK)
    organization = OrganizationFactory()
    with pytest.raises(PermissionDenied):
        services.location_create(actor=front_desk, organization=organization, data=_location_data())
    with pytest.raises(PermissionDenied):
        services.payer_create(actor=front_desk, data={"name": "X", "payer_id": "X1"})
    assert Location.objects.count() == 0
    assert Payer.objects.count() == 0
    assert AuditEvent.objects.count() == 0


# --- rooms and equipment ----------------------------------------------------------------------


def test_room_create_and_update_are_audited(manager):
    location = LocationFactory()
    room = services.room_create(
        actor=manager, location=location, data={"name": "Exam 1", "kind": "exam"}
    )
    services.room_update(actor=manager, room=room, data={"name": "Exam 1A", "is_active": False})

    room.refresh_from_db()
    assert (room.name, room.kind, room.is_active) == ("Exam 1A", "exam", False)
    assert _audit_rows() == [
        ("create", "configuration", "practice.room", {"fields": ["kind", "name"]}),
        ("update", "configuration", "practice.room", {"fields": ["is_active", "name"]}),
    ]


def test_room_name_must_be_unique_per_location_only(manager):
    location, other = LocationFactory(), LocationFactory()
    RoomFactory(location=location, name="Exam 1")

    with pytest.raises(ValidationFailed) as exc_info:
        services.room_create(
            actor=manager, location=location, data={"name": "exam 1", "kind": "exam"}
        )
    assert _fields_of(exc_info) == {"name": ["This location already has a room with this name."]}

    services.room_create(actor=manager, location=other, data={"name": "Exam 1", "kind": "exam"})
    assert Room.objects.filter(name="Exam 1").count() == 2


def test_room_kind_must_be_known(manager):
    with pytest.raises(ValidationFailed) as exc_info:
        services.room_create(
            actor=manager, location=LocationFactory(), data={"name": "Spa", "kind": "spa"}
        )
    assert _fields_of(exc_info) == {"kind": ["Choose a room kind from the list."]}
    assert Room.objects.count() == 0


def test_equipment_requires_name_and_kind(manager):
    location = LocationFactory()
    with pytest.raises(ValidationFailed) as exc_info:
        services.equipment_create(actor=manager, location=location, data={"name": " "})
    assert _fields_of(exc_info) == {
        "name": ["This field is required."],
        "kind": ["This field is required."],
    }
    equipment = EquipmentFactory(location=location, name="ECG 1")
    services.equipment_update(actor=manager, equipment=equipment, data={"kind": "spirometer"})
    assert Equipment.objects.get(pk=equipment.pk).kind == "spirometer"
    assert _audit_rows() == [
        ("update", "configuration", "practice.equipment", {"fields": ["kind"]})
    ]


# --- providers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "This field is required."),
        ("123456789", "An NPI is exactly 10 digits."),
        ("12345678AB", "An NPI is exactly 10 digits."),
        ("3234567893", "An NPI starts with 1 or 2."),
        ("1234567890", "This NPI's check digit is wrong; check for a typo."),
    ],
)
def test_provider_npi_is_validated_with_a_clear_message(manager, value, message):
    with pytest.raises(ValidationFailed) as exc_info:
        services.provider_create(
            actor=manager, data={"first_name": "Ada", "last_name": "Examplar", "npi": value}
        )
    assert _fields_of(exc_info) == {"npi": [message]}
    assert Provider.objects.count() == 0


@pytest.mark.parametrize("code", ["207Q0000X", "207Q00000Y", "207q-0000X", "ABCDEFGHIX"])
def test_provider_taxonomy_code_format(manager, code):
    with pytest.raises(ValidationFailed) as exc_info:
        services.provider_create(
            actor=manager,
            data={
                "first_name": "Ada",
                "last_name": "Examplar",
                "npi": npi.make("123456789"),
                "taxonomy_code": code,
            },
        )
    assert _fields_of(exc_info) == {
        "taxonomy_code": [
            "A taxonomy code is 10 characters: 9 letters or digits then X, like 207Q00000X."
        ]
    }


def test_provider_create_with_locations_and_duplicate_npi(manager):
    north, south = LocationFactory(), LocationFactory()
    valid = npi.make("123456789")
    provider = services.provider_create(
        actor=manager,
        data={
            "first_name": "Ada",
            "last_name": "Examplar",
            "credentials": "MD",
            "npi": f" {valid} ",
            "taxonomy_code": "207q00000x",
            "locations": [north, south],
        },
    )
    assert provider.npi == valid
    assert provider.taxonomy_code == "207Q00000X"
    assert set(provider.locations.all()) == {north, south}
    assert _audit_rows() == [
        (
            "create",
            "configuration",
            "practice.provider",
            {
                "fields": [
                    "credentials",
                    "first_name",
                    "last_name",
                    "locations",
                    "npi",
                    "taxonomy_code",
                ]
            },
        )
    ]

    with pytest.raises(ValidationFailed) as exc_info:
        services.provider_create(
            actor=manager, data={"first_name": "Bo", "last_name": "Examplar", "npi": valid}
        )
    assert _fields_of(exc_info) == {"npi": ["Another provider already has this NPI."]}
    assert Provider.objects.count() == 1


def test_provider_update_locations_change_is_audited(manager):
    north, south = LocationFactory(), LocationFactory()
    provider = ProviderFactory()
    provider.locations.set([north])

    services.provider_update(actor=manager, provider=provider, data={"locations": [south]})
    services.provider_update(actor=manager, provider=provider, data={"locations": [south]})

    assert list(provider.locations.all()) == [south]
    assert _audit_rows() == [
        ("update", "configuration", "practice.provider", {"fields": ["locations"]})
    ]


# --- payers and plans -------------------------------------------------------------------------


def test_payer_create_uppercases_payer_id_and_refuses_duplicates(manager):
    payer = services.payer_create(
        actor=manager,
        data={"name": "Example Mutual (synthetic)", "payer_id": "ex123", "payer_type": "medicare"},
    )
    assert (payer.payer_id, payer.payer_type) == ("EX123", "medicare")

    with pytest.raises(ValidationFailed) as exc_info:
        services.payer_create(
            actor=manager,
            data={"name": "Other", "payer_id": "EX123", "payer_type": "commercial"},
        )
    assert _fields_of(exc_info) == {"payer_id": ["Another payer already has this payer ID."]}
    assert Payer.objects.count() == 1
    assert _audit_rows() == [
        (
            "create",
            "configuration",
            "practice.payer",
            {"fields": ["name", "payer_id", "payer_type"]},
        )
    ]


def test_payer_type_and_id_format(manager):
    with pytest.raises(ValidationFailed) as exc_info:
        services.payer_create(
            actor=manager, data={"name": "X", "payer_id": "E X!", "payer_type": "barter"}
        )
    assert _fields_of(exc_info) == {
        "payer_type": ["Choose a payer type from the list."],
        "payer_id": ["A payer ID is 2 to 20 letters or digits, e.g. 60054."],
    }


def test_payer_update_may_keep_its_own_payer_id(manager):
    payer = PayerFactory(payer_id="EX1")
    services.payer_update(actor=manager, payer=payer, data={"payer_id": "ex1", "name": "Renamed"})
    payer.refresh_from_db()
    assert (payer.payer_id, payer.name) == ("EX1", "Renamed")
    assert _audit_rows() == [("update", "configuration", "practice.payer", {"fields": ["name"]})]


def test_plan_create_update_and_unique_name_per_payer(manager):
    payer = PayerFactory()
    plan = services.plan_create(
        actor=manager, payer=payer, data={"name": "Silver HMO", "plan_type": "HM"}
    )
    with pytest.raises(ValidationFailed) as exc_info:
        services.plan_create(
            actor=manager, payer=payer, data={"name": "silver hmo", "plan_type": "HM"}
        )
    assert _fields_of(exc_info) == {"name": ["This payer already has a plan with this name."]}

    other = PlanFactory(payer=payer)
    with pytest.raises(ValidationFailed):
        services.plan_update(actor=manager, plan=other, data={"name": "Silver HMO"})
    services.plan_update(actor=manager, plan=plan, data={"requires_referral": True})

    assert Plan.objects.filter(payer=payer).count() == 2
    assert _audit_rows() == [
        ("create", "configuration", "practice.plan", {"fields": ["name", "plan_type"]}),
        ("update", "configuration", "practice.plan", {"fields": ["requires_referral"]}),
    ]


# --- organization -----------------------------------------------------------------------------


def test_organization_update_validates_group_npi_and_tax_id(manager):
    organization = OrganizationFactory()
    with pytest.raises(ValidationFailed) as exc_info:
        services.organization_update(
            actor=manager,
            organization=organization,
            data={"name": "", "npi": "1234567890", "tax_id": "12-34"},
        )
    assert _fields_of(exc_info) == {
        "name": ["This field is required."],
        "npi": ["This NPI's check digit is wrong; check for a typo."],
        "tax_id": ["Enter the 9-digit EIN, e.g. 12-3456789."],
    }
    services.organization_update(
        actor=manager, organization=organization, data={"tax_id": "12-3456789"}
    )
    assert _audit_rows() == [
        ("update", "configuration", "practice.organization", {"fields": ["tax_id"]})
    ]
