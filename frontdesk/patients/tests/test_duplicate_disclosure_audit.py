"""The duplicate warning shows other patients' charts (name, birth date, MRN): each shown candidate is
recorded, so registering look-alike names cannot be used to find people without a trace."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from frontdesk.audit.models import AuditEvent
from frontdesk.patients.errors import PossibleDuplicates
from frontdesk.patients.services import patient_register

pytestmark = pytest.mark.django_db


def test_each_candidate_shown_by_the_duplicate_warning_is_recorded(
    clerk: Any, register: Any
) -> None:
    existing = register("Robert", "Quuxley", dt.date(1960, 1, 2), phones=("202-555-0142",))
    before = AuditEvent.objects.count()

    with pytest.raises(PossibleDuplicates) as raised:
        patient_register(
            actor=clerk,
            data={
                "first_name": "Bob",
                "last_name": "Quuxley",
                "date_of_birth": dt.date(1960, 1, 2),
                "sex_at_birth": "M",
                "phones": [{"number": "202-555-0142", "phone_type": "mobile", "sms_capable": True}],
            },
        )

    assert [c.patient.pk for c in raised.value.candidates] == [existing.pk]
    rows = list(
        AuditEvent.objects.order_by("sequence")[before:].values_list(
            "actor_id", "action", "category", "patient_id", "object_type", "detail"
        )
    )
    assert rows == [
        (
            clerk.pk,
            "query",
            "demographics",
            existing.pk,
            "patient",
            {"event": "duplicate_candidate", "candidates": 1},
        )
    ]
