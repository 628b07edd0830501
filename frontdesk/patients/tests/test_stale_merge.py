"""Writes aimed at a chart that was merged after the caller loaded it (check-then-act).

A clerk opens a patient, a manager merges that chart into another meanwhile, then the clerk submits:
the write must notice the merge under the row lock, not attach data to the retired chart.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from frontdesk.audit.models import AuditEvent
from frontdesk.patients.errors import PatientMerged
from frontdesk.patients.models import Coverage, Patient, Verification
from frontdesk.patients.services import coverage_create, patient_merge, verification_record
from tests.factories import PayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stale(register: Any, manager: Any) -> tuple[Patient, Patient]:
    """(the clerk's copy of a chart that has since been merged, the survivor)."""
    survivor = register("Robert", "Quibley", dt.date(1960, 1, 2))
    merged = register("Bob", "Quibley", dt.date(1960, 2, 1))
    clerk_copy = Patient.objects.get(pk=merged.pk)
    patient_merge(actor=manager, survivor=survivor, merged=merged, reason="same person")
    return clerk_copy, survivor


def test_verification_of_a_chart_merged_meanwhile_is_refused(clerk: Any, stale: Any) -> None:
    clerk_copy, survivor = stale
    audit_rows = AuditEvent.objects.count()

    with pytest.raises(PatientMerged) as raised:
        verification_record(
            actor=clerk, patient=clerk_copy, demographics_confirmed=True, insurance_confirmed=True
        )

    assert raised.value.survivor_id == survivor.pk
    assert Verification.objects.count() == 0
    assert AuditEvent.objects.count() == audit_rows


def test_coverage_for_a_chart_merged_meanwhile_is_refused(clerk: Any, stale: Any) -> None:
    clerk_copy, survivor = stale
    audit_rows = AuditEvent.objects.count()

    with pytest.raises(PatientMerged) as raised:
        coverage_create(
            actor=clerk, patient=clerk_copy, data={"payer": PayerFactory(), "member_id": "M9"}
        )

    assert raised.value.survivor_id == survivor.pk
    assert Coverage.objects.count() == 0
    assert AuditEvent.objects.count() == audit_rows
