"""Invariants the database itself enforces on appointment types."""

import pytest
from django.db import IntegrityError, transaction

from tests.factories import AppointmentTypeFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"duration_minutes": 0}, "apptype_duration_range"),
        ({"duration_minutes": 721}, "apptype_duration_range"),
        ({"buffer_before_minutes": 241}, "apptype_buffers_range"),
        ({"buffer_after_minutes": 241}, "apptype_buffers_range"),
    ],
)
def test_appointment_type_bounds_are_enforced_by_the_database(fields, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        AppointmentTypeFactory(**fields)


def test_longest_allowed_type_is_accepted():
    kind = AppointmentTypeFactory(
        duration_minutes=720, buffer_before_minutes=240, buffer_after_minutes=240
    )
    assert kind.pk is not None
