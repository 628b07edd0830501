"""Schedule-setup services: appointment types, weekly templates and time off.

Every write checks the permission, validates first (bad input changes nothing and audits nothing),
writes one configuration audit row, and every availability change returns exactly the booked
appointments it left outside availability (never moving them).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
import time_machine

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.scheduling import setup_rules as rules
from frontdesk.scheduling import setup_services as svc
from frontdesk.scheduling.models import (
    Appointment,
    AppointmentType,
    AvailabilityTemplate,
    ScheduleException,
)
from frontdesk.scheduling.slots import slot_check
from frontdesk.scheduling.tests.conftest import monday
from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    EquipmentFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    ScheduleExceptionFactory,
)

pytestmark = pytest.mark.django_db

NY = zoneinfo.ZoneInfo("America/New_York")


def config_audit() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (e.action, e.object_type, e.detail)
        for e in AuditEvent.objects.filter(category="configuration").order_by("sequence")
    ]


def state() -> dict[str, list[dict[str, Any]]]:
    """Everything the services may write (to prove a refused write changed nothing)."""
    return {
        "types": list(AppointmentType.objects.order_by("pk").values()),
        "type_providers": list(AppointmentType.providers.through.objects.order_by("pk").values()),
        "templates": list(AvailabilityTemplate.objects.order_by("pk").values()),
        "template_types": list(
            AvailabilityTemplate.appointment_types.through.objects.order_by("pk").values()
        ),
        "exceptions": list(ScheduleException.objects.order_by("pk").values()),
        "appointments": list(Appointment.objects.order_by("pk").values()),
        "audit": list(AuditEvent.objects.order_by("sequence").values("pk")),
    }


def booked(clinic, start, **extra):
    return AppointmentFactory(
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        patient=extra.pop("patient", None) or PatientFactory(),
        starts_at=start,
        **extra,
    )


# --- appointment types ---------------------------------------------------------------------------

TYPE_DATA = {
    "name": "Allergy injection",
    "duration_minutes": 15,
    "color": "#aa3300",
    "patient_kind": "established",
    "modality": "in_person",
    "specialties": [],
    "required_room_kind": "procedure",
    "required_equipment_kind": "",
    "buffer_before_minutes": 5,
    "buffer_after_minutes": 30,
    "daily_cap_per_provider": 12,
    "instructions": "Stay 30 minutes after the injection.",
    "requires_referral": True,
    "requires_prior_auth": False,
}


def test_type_create_writes_every_field_and_one_audit_row(manager):
    provider = ProviderFactory()
    kind = svc.appointment_type_create(actor=manager, data=TYPE_DATA, providers=[provider])

    kind.refresh_from_db()
    assert kind.code == "allergy-injection"
    assert (kind.name, kind.duration_minutes, kind.color, kind.patient_kind) == (
        "Allergy injection",
        15,
        "#aa3300",
        "established",
    )
    assert (kind.required_room_kind, kind.buffer_before_minutes, kind.buffer_after_minutes) == (
        "procedure",
        5,
        30,
    )
    assert (kind.daily_cap_per_provider, kind.requires_referral, kind.requires_prior_auth) == (
        12,
        True,
        False,
    )
    assert list(kind.providers.all()) == [provider]
    assert config_audit() == [
        (
            "create",
            "scheduling.appointmenttype",
            {
                "fields": [
                    "buffer_after_minutes",
                    "buffer_before_minutes",
                    "code",
                    "color",
                    "daily_cap_per_provider",
                    "duration_minutes",
                    "instructions",
                    "modality",
                    "name",
                    "patient_kind",
                    "providers",
                    "required_room_kind",
                    "requires_referral",
                ]
            },
        )
    ]


def test_type_code_is_derived_and_kept_unique(manager):
    AppointmentTypeFactory(code="allergy-injection", name="Old allergy shot")
    kind = svc.appointment_type_create(actor=manager, data=TYPE_DATA)
    assert kind.code == "allergy-injection-2"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("name", "Follow-up", "Another appointment type already has this name."),
        ("code", "Bad Code", rules.MSG_CODE),
        ("code", "follow-up", rules.MSG_CODE_TAKEN),
        ("duration_minutes", 0, "A visit lasts 1 to 720 minutes."),
        ("duration_minutes", 721, "A visit lasts 1 to 720 minutes."),
        ("duration_minutes", "", "This field is required."),
        ("buffer_before_minutes", 241, "A buffer is 0 to 240 minutes."),
        ("buffer_after_minutes", -1, "A buffer is 0 to 240 minutes."),
        ("daily_cap_per_provider", 0, "Leave empty for no limit, or enter 1 to 200."),
        ("color", "red", "Use a hex colour like #4a90d9."),
        ("patient_kind", "vip", "Choose new, established or any patient."),
        ("modality", "carrier-pigeon", "Choose in person or telehealth."),
        ("required_room_kind", "ballroom", "Choose a room kind from the list."),
        ("required_equipment_kind", "mri", "Choose a kind of equipment the practice has."),
        ("specialties", ["Astrology"], "Choose specialties from the providers' specialties."),
        ("instructions", "x" * 2001, "Keep instructions under 2000 characters."),
    ],
)
def test_type_create_refuses_bad_input_and_changes_nothing(
    manager, visit_type, field, value, message
):
    before = state()
    with pytest.raises(ValidationFailed) as caught:
        svc.appointment_type_create(actor=manager, data={**TYPE_DATA, field: value})
    assert caught.value.fields == {field: [message]}
    assert state() == before


def test_type_needs_providers_or_specialties_not_both(manager):
    provider = ProviderFactory(specialty="Cardiology")
    before = state()
    with pytest.raises(ValidationFailed) as caught:
        svc.appointment_type_create(
            actor=manager,
            data={**TYPE_DATA, "specialties": ["Cardiology"]},
            providers=[provider],
        )
    assert caught.value.fields == {"specialties": [rules.MSG_PROVIDERS_AND_SPECIALTIES]}
    assert state() == before


def test_telehealth_type_cannot_need_a_room(manager):
    with pytest.raises(ValidationFailed) as caught:
        svc.appointment_type_create(actor=manager, data={**TYPE_DATA, "modality": "telehealth"})
    assert caught.value.fields == {"modality": [rules.MSG_TELEHEALTH_ROOM]}


def test_type_with_known_equipment_and_specialty(manager):
    EquipmentFactory(kind="ecg")
    ProviderFactory(specialty="Cardiology")
    kind = svc.appointment_type_create(
        actor=manager,
        data={
            **TYPE_DATA,
            "required_equipment_kind": "ecg",
            "specialties": ["Cardiology"],
            "daily_cap_per_provider": None,
        },
    )
    assert (kind.required_equipment_kind, kind.specialties, kind.daily_cap_per_provider) == (
        "ecg",
        ["Cardiology"],
        None,
    )


def test_only_a_practice_manager_configures(make_user, location):
    clerk = make_user(Role.FRONT_DESK, location)
    before = state()
    with pytest.raises(PermissionDenied):
        svc.appointment_type_create(actor=clerk, data=TYPE_DATA)
    assert state() == before


def test_type_update_audits_changed_fields_only(manager, visit_type):
    changed = svc.appointment_type_update(
        actor=manager,
        appointment_type=visit_type,
        data={"duration_minutes": 30, "name": "Follow-up", "buffer_after_minutes": 0},
    )
    assert changed == ["duration_minutes"]
    assert visit_type.duration_minutes == 30
    assert config_audit() == [
        ("update", "scheduling.appointmenttype", {"fields": ["duration_minutes"]})
    ]
    # The same values again: nothing written, nothing audited.
    assert (
        svc.appointment_type_update(
            actor=manager, appointment_type=visit_type, data={"duration_minutes": 30}
        )
        == []
    )
    assert len(config_audit()) == 1


def test_deactivating_a_type_never_touches_booked_appointments(clinic, manager):
    appointment = booked(clinic, monday(9))
    before = list(Appointment.objects.values())

    assert svc.appointment_type_set_active(
        actor=manager, appointment_type=clinic.type, is_active=False
    )
    assert AppointmentType.objects.get(pk=clinic.type.pk).is_active is False
    assert list(Appointment.objects.values()) == before
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"
    # Already inactive: nothing to do, nothing audited.
    assert not svc.appointment_type_set_active(
        actor=manager, appointment_type=clinic.type, is_active=False
    )
    assert svc.appointment_type_set_active(
        actor=manager, appointment_type=clinic.type, is_active=True
    )
    assert config_audit() == [
        (
            "update",
            "scheduling.appointmenttype",
            {"fields": ["is_active"], "is_active": False},
        ),
        ("update", "scheduling.appointmenttype", {"fields": ["is_active"], "is_active": True}),
    ]


# --- templates -----------------------------------------------------------------------------------

WINDOW = {
    "start_time": dt.time(13, 0),
    "end_time": dt.time(17, 0),
    "kind": "open",
    "effective_from": dt.date(2026, 12, 1),
    "effective_until": None,
    "release_minutes_before": None,
    "label": "",
}


def test_template_create_one_row_per_weekday_and_one_audit_row(clinic, manager):
    change = svc.template_create(
        actor=manager,
        provider=clinic.provider,
        location=clinic.location,
        weekdays=[2, 0],
        data=WINDOW,
    )
    rows = list(
        AvailabilityTemplate.objects.filter(start_time=dt.time(13, 0))
        .order_by("weekday")
        .values_list("weekday", "start_time", "end_time", "kind", "effective_from")
    )
    assert rows == [
        (0, dt.time(13), dt.time(17), "open", dt.date(2026, 12, 1)),
        (2, dt.time(13), dt.time(17), "open", dt.date(2026, 12, 1)),
    ]
    assert change.stranded == []
    assert change.ranges == [
        svc.ImpactRange(
            clinic.provider.pk, clinic.location.pk, dt.date(2026, 12, 1), dt.date(2027, 5, 29)
        )
    ]
    assert config_audit() == [
        (
            "create",
            "scheduling.availabilitytemplate",
            {
                "provider_id": clinic.provider.pk,
                "location_id": clinic.location.pk,
                "fields": ["effective_from", "end_time", "kind", "start_time", "weekday"],
                "template_ids": [t.pk for t in change.templates],
                "weekdays": [0, 2],
            },
        )
    ]


@pytest.mark.parametrize(
    ("overrides", "weekdays", "errors"),
    [
        ({"end_time": dt.time(13, 0)}, [1], {"end_time": [rules.MSG_END_AFTER_START]}),
        ({"end_time": dt.time(12, 0)}, [1], {"end_time": [rules.MSG_END_AFTER_START]}),
        (
            {"start_time": dt.time(13, 7)},
            [1],
            {"start_time": ["Use times on the 5-minute grid, e.g. 08:00 or 08:05."]},
        ),
        (
            {"effective_from": dt.date(2026, 11, 30)},
            [1],
            {
                "effective_from": [
                    "A template cannot start in the past; the earliest is today (1 Dec 2026)."
                ]
            },
        ),
        (
            {"effective_until": dt.date(2026, 12, 5), "effective_from": dt.date(2026, 12, 6)},
            [1],
            {"effective_until": [rules.MSG_UNTIL_BEFORE_FROM]},
        ),
        ({}, [], {"weekday": [rules.MSG_WEEKDAYS]}),
        ({}, [7], {"weekday": [rules.MSG_WEEKDAYS]}),
        ({"kind": "maybe"}, [1], {"kind": [rules.MSG_KIND]}),
        ({"kind": "reserved"}, [1], {"appointment_types": [rules.MSG_RESERVED_TYPES]}),
        (
            {"release_minutes_before": 60},
            [1],
            {"release_minutes_before": [rules.MSG_RELEASE_ONLY_RESERVED]},
        ),
        ({"label": "x" * 61}, [1], {"label": [rules.MSG_LABEL]}),
        # Monday 09:00-12:00 exists: an open 11:00-13:00 window for every type is the same thing.
        (
            {"start_time": dt.time(11, 0), "end_time": dt.time(13, 0)},
            [0],
            {
                "start_time": [
                    "Overlaps the open window Monday 09:00–12:00 (from 1 Jan 2026) that allows "
                    "the same appointment types; change that window instead."
                ]
            },
        ),
    ],
)
def test_template_create_refuses_bad_input_and_changes_nothing(
    clinic, manager, overrides, weekdays, errors
):
    before = state()
    with pytest.raises(ValidationFailed) as caught:
        svc.template_create(
            actor=manager,
            provider=clinic.provider,
            location=clinic.location,
            weekdays=weekdays,
            data={**WINDOW, **overrides},
        )
    assert caught.value.fields == errors
    assert state() == before


def test_block_with_types_and_provider_elsewhere_are_refused(clinic, manager):
    elsewhere = LocationFactory()
    before = state()
    with pytest.raises(ValidationFailed) as caught:
        svc.template_create(
            actor=manager,
            provider=clinic.provider,
            location=elsewhere,
            weekdays=[1],
            data={**WINDOW, "kind": "block"},
            appointment_types=[clinic.type],
        )
    assert caught.value.fields == {
        "location": [rules.MSG_PROVIDER_LOCATION],
        "appointment_types": [rules.MSG_BLOCK_TYPES],
    }
    assert state() == before


def test_overlaps_of_another_kind_or_type_set_are_allowed(clinic, manager):
    lunch = svc.template_create(
        actor=manager,
        provider=clinic.provider,
        location=clinic.location,
        weekdays=[0],
        data={**WINDOW, "start_time": dt.time(11, 0), "end_time": dt.time(12, 0), "kind": "block"},
    )
    urgent = svc.template_create(
        actor=manager,
        provider=clinic.provider,
        location=clinic.location,
        weekdays=[0],
        data={
            **WINDOW,
            "start_time": dt.time(9, 0),
            "end_time": dt.time(10, 0),
            "kind": "reserved",
            "release_minutes_before": 120,
        },
        appointment_types=[AppointmentTypeFactory(name="Urgent")],
    )
    assert len(lunch.templates) == len(urgent.templates) == 1


def test_denied_and_out_of_scope(clinic, make_user):
    clerk = make_user(Role.FRONT_DESK, clinic.location)
    before = state()
    with pytest.raises(PermissionDenied):
        svc.template_create(
            actor=clerk,
            provider=clinic.provider,
            location=clinic.location,
            weekdays=[1],
            data=WINDOW,
        )
    assert state() == before


def test_out_of_scope_location_looks_absent(clinic, manager, monkeypatch):
    from frontdesk.practice.models import Location

    monkeypatch.setattr(
        Location.objects.__class__, "restrict", lambda self, user, action: self.none()
    )
    with pytest.raises(NotFound):
        svc.template_create(
            actor=manager,
            provider=clinic.provider,
            location=clinic.location,
            weekdays=[1],
            data=WINDOW,
        )


def test_editing_a_template_that_applied_ends_it_and_starts_a_new_one(clinic, manager):
    early = booked(clinic, monday(9))
    late = booked(clinic, monday(11, 20))
    next_week = booked(clinic, monday(11, 0, day=14))
    template = AvailabilityTemplate.objects.get()

    change = svc.template_update(
        actor=manager,
        template=template,
        data={"end_time": dt.time(11, 0)},
        change_from=dt.date(2026, 12, 1),
    )

    old, new = change.templates
    assert (old.pk, old.effective_from, old.effective_until, old.end_time) == (
        template.pk,
        dt.date(2026, 1, 1),
        dt.date(2026, 11, 30),
        dt.time(12, 0),
    )
    assert (new.effective_from, new.effective_until, new.start_time, new.end_time) == (
        dt.date(2026, 12, 1),
        None,
        dt.time(9, 0),
        dt.time(11, 0),
    )
    assert [(s.appointment.pk, s.reason) for s in change.stranded] == [
        (late.pk, "outside_availability"),
        (next_week.pk, "outside_availability"),
    ]
    assert early.pk not in [s.appointment.pk for s in change.stranded]
    # Never moved.
    assert Appointment.objects.get(pk=late.pk).starts_at == monday(11, 20)
    assert config_audit() == [
        (
            "update",
            "scheduling.availabilitytemplate",
            {
                "provider_id": clinic.provider.pk,
                "location_id": clinic.location.pk,
                "fields": ["end_time"],
                "ended": template.pk,
                "replaced_by": new.pk,
                "change_from": "2026-12-01",
            },
        )
    ]


def test_editing_an_applied_template_from_the_past_is_refused(clinic, manager):
    template = AvailabilityTemplate.objects.get()
    before = state()
    with pytest.raises(ValidationFailed) as caught:
        svc.template_update(
            actor=manager,
            template=template,
            data={"end_time": dt.time(11, 0)},
            change_from=dt.date(2026, 11, 1),
        )
    assert caught.value.fields == {
        "change_from": ["Changes apply from today (1 Dec 2026) or later."]
    }
    with pytest.raises(ValidationFailed) as caught:
        svc.template_update(actor=manager, template=template, data={"end_time": dt.time(11, 0)})
    assert caught.value.fields == {"change_from": ["This field is required."]}
    assert state() == before


def test_a_future_template_is_edited_in_place(clinic, manager):
    template = AvailabilityTemplateFactory(
        provider=clinic.provider,
        location=clinic.location,
        weekday=3,
        effective_from=dt.date(2026, 12, 10),
    )
    change = svc.template_update(
        actor=manager,
        template=template,
        data={"start_time": dt.time(8, 0), "weekday": 4},
        appointment_types=[clinic.type],
    )
    assert [t.pk for t in change.templates] == [template.pk]
    template.refresh_from_db()
    assert (template.weekday, template.start_time) == (4, dt.time(8, 0))
    assert list(template.appointment_types.all()) == [clinic.type]
    assert change.changed == ["appointment_types", "start_time", "weekday"]
    assert AvailabilityTemplate.objects.count() == 2


def test_an_update_keeps_the_fields_it_is_not_given(clinic, manager):
    template = AvailabilityTemplateFactory(
        provider=clinic.provider,
        location=clinic.location,
        weekday=3,
        kind="reserved",
        release_minutes_before=90,
        label="Urgent",
        effective_from=dt.date(2026, 12, 10),
        effective_until=dt.date(2027, 6, 30),
    )
    template.appointment_types.add(clinic.type)
    svc.template_update(actor=manager, template=template, data={"start_time": dt.time(8, 0)})
    template.refresh_from_db()
    assert (
        template.start_time,
        template.release_minutes_before,
        template.label,
        template.effective_until,
        list(template.appointment_types.all()),
    ) == (dt.time(8, 0), 90, "Urgent", dt.date(2027, 6, 30), [clinic.type])


def test_a_label_only_change_is_made_in_place(clinic, manager):
    template = AvailabilityTemplate.objects.get()
    change = svc.template_update(actor=manager, template=template, data={"label": "Mornings"})
    assert change.changed == ["label"]
    assert AvailabilityTemplate.objects.count() == 1
    assert AvailabilityTemplate.objects.get().label == "Mornings"


def test_unchanged_template_writes_nothing(clinic, manager):
    template = AvailabilityTemplate.objects.get()
    before = state()
    change = svc.template_update(
        actor=manager, template=template, data={"end_time": dt.time(12, 0)}
    )
    assert change.changed == []
    assert state() == before


def test_end_a_template_lists_the_appointments_after_it(clinic, manager):
    before_end = booked(clinic, monday(9))
    after_end = booked(clinic, monday(10, day=14))
    template = AvailabilityTemplate.objects.get()

    change = svc.template_end(actor=manager, template=template, last_day=dt.date(2026, 12, 7))

    assert AvailabilityTemplate.objects.get().effective_until == dt.date(2026, 12, 7)
    assert [(s.appointment.pk, s.reason) for s in change.stranded] == [
        (after_end.pk, "outside_availability")
    ]
    assert before_end.pk not in [s.appointment.pk for s in change.stranded]
    assert change.ranges[0].first == dt.date(2026, 12, 8)
    assert config_audit()[-1] == (
        "update",
        "scheduling.availabilitytemplate",
        {
            "provider_id": clinic.provider.pk,
            "location_id": clinic.location.pk,
            "fields": ["effective_until"],
            "ended": template.pk,
        },
    )


@pytest.mark.parametrize(
    ("last_day", "message"),
    [
        (
            dt.date(2026, 11, 29),
            "The last day can be yesterday (30 Nov 2026) at the earliest: earlier days are history.",
        ),
    ],
)
def test_ending_in_the_past_is_refused(clinic, manager, last_day, message):
    template = AvailabilityTemplate.objects.get()
    before = state()
    with pytest.raises(ValidationFailed) as caught:
        svc.template_end(actor=manager, template=template, last_day=last_day)
    assert caught.value.fields == {"last_day": [message]}
    assert state() == before


def test_a_template_that_applied_cannot_be_deleted(clinic, manager):
    template = AvailabilityTemplate.objects.get()
    before = state()
    with pytest.raises(ValidationFailed) as caught:
        svc.template_delete(actor=manager, template=template)
    assert caught.value.message == rules.MSG_DELETE_APPLIED
    assert state() == before


def test_a_future_template_is_deleted_and_its_bookings_listed(clinic, manager):
    template = AvailabilityTemplateFactory(
        provider=clinic.provider,
        location=clinic.location,
        weekday=1,
        effective_from=dt.date(2026, 12, 8),
    )
    tuesday = booked(clinic, dt.datetime(2026, 12, 8, 10, 0, tzinfo=NY))
    change = svc.template_delete(actor=manager, template=template)
    assert not AvailabilityTemplate.objects.filter(pk=template.pk).exists()
    assert [(s.appointment.pk, s.reason) for s in change.stranded] == [
        (tuesday.pk, "outside_availability")
    ]
    assert config_audit()[-1] == (
        "delete",
        "scheduling.availabilitytemplate",
        {
            "provider_id": clinic.provider.pk,
            "location_id": clinic.location.pk,
            "fields": [],
            "weekday": 1,
            "kind": "open",
        },
    )


# --- time off ------------------------------------------------------------------------------------


def test_vacation_over_booked_appointments_lists_exactly_them(clinic, manager):
    first = booked(clinic, monday(9))
    second = booked(clinic, monday(11, 20))
    outside = booked(clinic, monday(9, day=14))
    other_provider = ProviderFactory()
    other_provider.locations.add(clinic.location)
    AvailabilityTemplateFactory(provider=other_provider, location=clinic.location)
    others = AppointmentFactory(
        provider=other_provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(9),
    )
    appointments_before = list(Appointment.objects.order_by("pk").values())

    change = svc.exception_create(
        actor=manager,
        provider=clinic.provider,
        location=clinic.location,
        starts_at=dt.datetime(2026, 12, 7, 0, 0, tzinfo=NY),
        ends_at=dt.datetime(2026, 12, 8, 0, 0, tzinfo=NY),
        reason="vacation",
        note="Ski trip",
    )

    assert [(s.appointment.pk, s.reason) for s in change.stranded] == [
        (first.pk, "blocked"),
        (second.pk, "blocked"),
    ]
    assert outside.pk not in [s.appointment.pk for s in change.stranded]
    assert others.pk not in [s.appointment.pk for s in change.stranded]
    assert change.ranges == [
        svc.ImpactRange(
            clinic.provider.pk, clinic.location.pk, dt.date(2026, 12, 7), dt.date(2026, 12, 7)
        )
    ]
    assert list(Appointment.objects.order_by("pk").values()) == appointments_before
    exception = ScheduleException.objects.get()
    assert (exception.provider, exception.location, exception.reason, exception.note) == (
        clinic.provider,
        clinic.location,
        "vacation",
        "Ski trip",
    )
    assert config_audit() == [
        (
            "create",
            "scheduling.scheduleexception",
            {
                "fields": ["ends_at", "location", "note", "provider", "reason", "starts_at"],
                "provider_id": clinic.provider.pk,
                "location_id": clinic.location.pk,
                "reason": "vacation",
            },
        )
    ]


def test_a_location_holiday_lists_every_providers_appointments(clinic, manager):
    other_provider = ProviderFactory()
    other_provider.locations.add(clinic.location)
    AvailabilityTemplateFactory(provider=other_provider, location=clinic.location)
    mine = booked(clinic, monday(10))
    theirs = AppointmentFactory(
        provider=other_provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(9),
    )
    change = svc.exception_create(
        actor=manager,
        provider=None,
        location=clinic.location,
        starts_at=dt.datetime(2026, 12, 7, 0, 0, tzinfo=NY),
        ends_at=dt.datetime(2026, 12, 8, 0, 0, tzinfo=NY),
        reason="holiday",
    )
    assert [(s.appointment.pk, s.reason) for s in change.stranded] == [
        (theirs.pk, "blocked"),
        (mine.pk, "blocked"),
    ]


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (
            {"ends_at": dt.datetime(2026, 12, 7, 0, 0, tzinfo=NY)},
            {"ends_at": [rules.MSG_EXCEPTION_END]},
        ),
        (
            {
                "starts_at": dt.datetime(2026, 11, 1, tzinfo=NY),
                "ends_at": dt.datetime(2026, 11, 2, tzinfo=NY),
            },
            {"ends_at": [rules.MSG_EXCEPTION_PAST]},
        ),
        (
            {"ends_at": dt.datetime(2028, 1, 1, tzinfo=NY)},
            {"ends_at": [rules.MSG_EXCEPTION_LONG]},
        ),
        ({"ends_at": dt.datetime(2026, 12, 8)}, {"ends_at": [rules.MSG_AWARE]}),
        ({"reason": "nap"}, {"reason": [rules.MSG_REASON]}),
        ({"note": "x" * 201}, {"note": [rules.MSG_NOTE]}),
        ({"provider": None, "location": None}, {"provider": [rules.MSG_EXCEPTION_WHO]}),
    ],
)
def test_exception_create_refuses_bad_input_and_changes_nothing(clinic, manager, overrides, errors):
    args = {
        "provider": clinic.provider,
        "location": clinic.location,
        "starts_at": dt.datetime(2026, 12, 7, 0, 0, tzinfo=NY),
        "ends_at": dt.datetime(2026, 12, 8, 0, 0, tzinfo=NY),
        "reason": "vacation",
        "note": "",
    }
    args.update(overrides)
    before = state()
    with pytest.raises(ValidationFailed) as caught:
        svc.exception_create(actor=manager, **args)
    assert caught.value.fields == errors
    assert state() == before


def test_exception_for_a_provider_not_at_the_location_is_refused(clinic, manager):
    elsewhere = LocationFactory()
    with pytest.raises(ValidationFailed) as caught:
        svc.exception_create(
            actor=manager,
            provider=clinic.provider,
            location=elsewhere,
            starts_at=dt.datetime(2026, 12, 7, tzinfo=NY),
            ends_at=dt.datetime(2026, 12, 8, tzinfo=NY),
            reason="cme",
        )
    assert caught.value.fields == {"location": [rules.MSG_PROVIDER_LOCATION]}
    assert ScheduleException.objects.count() == 0


def test_remove_future_time_off_and_end_current_time_off(clinic, manager):
    future = ScheduleExceptionFactory(
        provider=clinic.provider,
        location=clinic.location,
        starts_at=monday(0),
        ends_at=monday(23),
    )
    current = ScheduleExceptionFactory(
        provider=clinic.provider,
        location=clinic.location,
        starts_at=clinic.now - dt.timedelta(hours=2),
        ends_at=clinic.now + dt.timedelta(days=2),
    )
    over = ScheduleExceptionFactory(
        provider=clinic.provider,
        location=clinic.location,
        starts_at=clinic.now - dt.timedelta(days=3),
        ends_at=clinic.now - dt.timedelta(days=2),
    )

    svc.exception_delete(actor=manager, exception=future)
    assert not ScheduleException.objects.filter(pk=future.pk).exists()

    with pytest.raises(ValidationFailed) as caught:
        svc.exception_delete(actor=manager, exception=current)
    assert caught.value.message == rules.MSG_EXCEPTION_STARTED
    svc.exception_end_now(actor=manager, exception=current)
    assert ScheduleException.objects.get(pk=current.pk).ends_at == clinic.now

    for service in (svc.exception_delete, svc.exception_end_now):
        with pytest.raises(ValidationFailed) as caught:
            service(actor=manager, exception=over)
        assert caught.value.message == rules.MSG_EXCEPTION_OVER
    assert [(a, t) for a, t, _ in config_audit()] == [
        ("delete", "scheduling.scheduleexception"),
        ("update", "scheduling.scheduleexception"),
    ]


# --- DST -----------------------------------------------------------------------------------------


def test_a_template_across_the_march_change_still_opens_at_local_eight(make_user):
    """America/New_York springs forward on Sunday 14 March 2027: Mondays 8 and 15 March both open
    at 08:00 local (13:00 UTC before, 12:00 UTC after)."""
    location = LocationFactory(timezone="America/New_York")
    manager = make_user(Role.PRACTICE_MANAGER, location)
    provider = ProviderFactory()
    provider.locations.add(location)
    kind = AppointmentTypeFactory(duration_minutes=20)
    with time_machine.travel(dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC), tick=False):
        svc.template_create(
            actor=manager,
            provider=provider,
            location=location,
            weekdays=[0],
            data={
                **WINDOW,
                "start_time": dt.time(8, 0),
                "end_time": dt.time(12, 0),
                "effective_from": dt.date(2027, 3, 1),
            },
        )
        now = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
        for day, utc_hour in ((8, 13), (15, 12)):
            eight = dt.datetime(2027, 3, day, 8, 0, tzinfo=NY)
            assert eight.astimezone(dt.UTC).hour == utc_hour
            check = {"provider_id": provider.pk, "location_id": location.pk}
            assert slot_check(**check, appointment_type=kind, starts_at=eight, now=now).ok
            assert (
                slot_check(
                    **check,
                    appointment_type=kind,
                    starts_at=eight - dt.timedelta(minutes=5),
                    now=now,
                ).reason
                == "outside_availability"
            )
        # A visit booked at 08:00 on the Monday after the change is inside availability.
        AppointmentFactory(
            provider=provider,
            location=location,
            appointment_type=kind,
            starts_at=dt.datetime(2027, 3, 15, 8, 0, tzinfo=NY),
        )
        template = AvailabilityTemplate.objects.get(provider=provider)
        change = svc.template_update(actor=manager, template=template, data={"label": "Mornings"})
        assert change.stranded == []
        ended = svc.template_end(actor=manager, template=template, last_day=dt.date(2027, 3, 14))
        assert [s.appointment.starts_at for s in ended.stranded] == [
            dt.datetime(2027, 3, 15, 12, 0, tzinfo=dt.UTC)
        ]
