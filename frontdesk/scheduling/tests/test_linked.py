"""Linked appointments: booked together with one link_group, or none; cancel one or the group."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import ValidationFailed
from frontdesk.scheduling.linked import LinkedItemFailed, linked_book, linked_cancel, linked_group
from frontdesk.scheduling.models import Appointment, AppointmentEvent
from frontdesk.scheduling.tests.conftest import monday
from tests.factories import (
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    PatientFactory,
    ProviderFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(clinic: Any) -> Any:
    """A lab provider open Mondays 08:00–12:00 with a 15-minute draw type."""
    lab_provider = ProviderFactory()
    lab_provider.locations.add(clinic.location)
    AvailabilityTemplateFactory(
        provider=lab_provider, location=clinic.location, start_time=dt.time(8, 0)
    )
    draw = AppointmentTypeFactory(name="Lab draw", code="lab-draw", duration_minutes=15)
    return lab_provider, draw


def items(clinic: Any, lab: Any, visit_start: dt.datetime = monday(9)) -> list[Any]:
    lab_provider, draw = lab
    return [
        (lab_provider, clinic.location, draw, visit_start - dt.timedelta(minutes=15)),
        (clinic.provider, clinic.location, clinic.type, visit_start),
    ]


def test_linked_items_are_booked_together_with_one_group(clinic, lab):
    booked = linked_book(actor=clinic.clerk, patient=clinic.patient, items=items(clinic, lab))
    rows = Appointment.objects.order_by("starts_at")
    assert [(a.provider_id, a.starts_at, a.ends_at) for a in rows] == [
        (lab[0].pk, monday(8, 45), monday(9)),
        (clinic.provider.pk, monday(9), monday(9, 20)),
    ]
    groups = {a.link_group for a in rows}
    assert len(groups) == 1 and None not in groups
    assert [a.link_group for a in booked] == [rows[0].link_group] * 2
    assert [a.pk for a in linked_group(booked[1])] == [a.pk for a in rows]
    assert AuditEvent.objects.filter(category="schedule", detail__event="booked").count() == 2


def test_one_failing_item_books_nothing_and_the_error_names_it(clinic, lab, book):
    book(patient=PatientFactory(), starts_at=monday(9))  # the provider visit's time is taken
    before = (
        Appointment.objects.count(),
        AppointmentEvent.objects.count(),
        AuditEvent.objects.count(),
    )
    with pytest.raises(LinkedItemFailed) as caught:
        linked_book(actor=clinic.clerk, patient=clinic.patient, items=items(clinic, lab))
    assert caught.value.item == 2
    assert caught.value.cause_code == "slot_taken"
    assert caught.value.message == (
        "Linked appointment 2: That time was just taken; pick another. Nothing was booked."
    )
    assert caught.value.http_status == 409
    assert (
        Appointment.objects.count(),
        AppointmentEvent.objects.count(),
        AuditEvent.objects.count(),
    ) == before


def test_first_item_outside_availability_is_named(clinic, lab):
    bad = items(clinic, lab, visit_start=monday(8))  # the draw at 07:45 is before the lab opens
    with pytest.raises(LinkedItemFailed) as caught:
        linked_book(actor=clinic.clerk, patient=clinic.patient, items=bad)
    assert (caught.value.item, caught.value.cause_code) == (1, "invalid")
    assert Appointment.objects.count() == 0


def test_a_single_item_is_refused(clinic, lab):
    with pytest.raises(ValidationFailed):
        linked_book(actor=clinic.clerk, patient=clinic.patient, items=items(clinic, lab)[:1])
    assert Appointment.objects.count() == 0


def test_cancel_one_leaves_the_rest(clinic, lab):
    first, _second = linked_book(
        actor=clinic.clerk, patient=clinic.patient, items=items(clinic, lab)
    )
    cancelled = linked_cancel(
        actor=clinic.clerk,
        appointment=first,
        scope="one",
        reason="patient_request",
        cancelled_by="patient",
    )
    assert [a.pk for a in cancelled] == [first.pk]
    assert list(Appointment.objects.order_by("starts_at").values_list("status", flat=True)) == [
        "cancelled",
        "booked",
    ]


def test_cancel_group_cancels_every_linked_appointment(clinic, lab):
    first, second = linked_book(
        actor=clinic.clerk, patient=clinic.patient, items=items(clinic, lab)
    )
    cancelled = linked_cancel(
        actor=clinic.clerk,
        appointment=second,
        scope="group",
        reason="scheduling_conflict",
        cancelled_by="practice",
    )
    assert [a.pk for a in cancelled] == [first.pk, second.pk]
    assert set(Appointment.objects.values_list("status", "cancellation_reason")) == {
        ("cancelled", "scheduling_conflict")
    }
    assert AppointmentEvent.objects.filter(kind="cancelled").count() == 2


def test_cancel_with_a_bad_scope_changes_nothing(clinic, lab):
    first, _ = linked_book(actor=clinic.clerk, patient=clinic.patient, items=items(clinic, lab))
    with pytest.raises(ValidationFailed):
        linked_cancel(
            actor=clinic.clerk,
            appointment=first,
            scope="both",  # type: ignore[arg-type]
            reason="other",
            cancelled_by="practice",
        )
    assert set(Appointment.objects.values_list("status", flat=True)) == {"booked"}
