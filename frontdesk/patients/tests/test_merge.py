"""patient_merge: everything moves to the survivor, the merge is recorded and audited on both."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from frontdesk.patients.errors import PatientMerged
from frontdesk.patients.models import Coverage, Patient, PatientMerge, PatientPhone, Verification
from frontdesk.patients.selectors import patient_get, patient_search
from frontdesk.patients.services import coverage_create, patient_merge, verification_record
from tests.factories import PayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(register: Any, clerk: Any) -> tuple[Any, Any]:
    survivor = register("Robert", "Quibley", dt.date(1960, 1, 2), phones=("202-555-0100",))
    merged = register(
        "Bob", "Quibley", dt.date(1960, 2, 1), phones=("202-555-0100", "312-555-0142")
    )
    coverage_create(
        actor=clerk, patient=survivor, data={"payer": PayerFactory(), "member_id": "S1"}
    )
    coverage_create(actor=clerk, patient=merged, data={"payer": PayerFactory(), "member_id": "M1"})
    coverage_create(
        actor=clerk,
        patient=merged,
        data={"payer": PayerFactory(), "member_id": "M2", "priority": 2},
    )
    verification_record(
        actor=clerk, patient=merged, demographics_confirmed=True, insurance_confirmed=True
    )
    return survivor, merged


def test_merge_moves_everything_and_records_it(
    manager: Any, register: Any, pair: tuple[Any, Any], clerk: Any
) -> None:
    survivor, merged = pair
    child = register(
        "Tim", "Quibley", dt.date(2010, 5, 5), guarantor_kind="patient", guarantor_patient=merged
    )
    spouse = register("Zelda", "Quibley", dt.date(1962, 3, 3))
    spouse_coverage = coverage_create(
        actor=clerk,
        patient=spouse,
        data={
            "payer": PayerFactory(),
            "member_id": "SP1",
            "relationship": "01",
            "subscriber_patient": merged,
        },
    )
    before = AuditEvent.objects.count()

    record = patient_merge(
        actor=manager, survivor=survivor, merged=merged, reason="Same person, registered twice"
    )

    assert record.moved == {
        "phones": 1,
        "coverages": 2,
        "coverages_cancelled": 1,
        "verifications": 1,
        "subscriber_links": 1,
        "guarantor_links": 1,
        "earlier_merges": 0,
    }
    assert (record.survivor_id, record.merged_id, record.merged_by_id, record.reason) == (
        survivor.pk,
        merged.pk,
        manager.pk,
        "Same person, registered twice",
    )
    assert list(
        PatientPhone.objects.filter(patient=survivor).order_by("rank").values_list("number", "rank")
    ) == [("+12025550100", 1), ("+13125550142", 2)]
    assert not PatientPhone.objects.filter(patient=merged).exists()
    assert sorted(
        Coverage.objects.filter(patient=survivor).values_list("member_id", "status", "priority")
    ) == [("M1", "cancelled", 1), ("M2", "active", 2), ("S1", "active", 1)]
    assert Verification.objects.filter(patient=survivor).count() == 1
    assert Patient.objects.get(pk=child.pk).guarantor_patient_id == survivor.pk
    assert Coverage.objects.get(pk=spouse_coverage.pk).subscriber_patient_id == survivor.pk
    merged.refresh_from_db()
    assert (merged.merged_into_id, merged.is_active) == (survivor.pk, False)

    events = list(AuditEvent.objects.filter(sequence__gt=before).order_by("sequence"))
    assert [(e.action, e.category, e.patient_id) for e in events] == [
        ("merge", "demographics", survivor.pk),
        ("merge", "demographics", merged.pk),
    ]
    assert events[0].detail["survivor_id"] == survivor.pk
    assert events[0].detail["merged_id"] == merged.pk


def test_merged_record_redirects_and_search_finds_survivor(
    manager: Any, clerk: Any, pair: tuple[Any, Any]
) -> None:
    survivor, merged = pair
    patient_merge(actor=manager, survivor=survivor, merged=merged, reason="duplicate")

    with pytest.raises(PatientMerged) as caught:
        patient_get(user=clerk, patient_id=merged.pk)
    assert caught.value.survivor_id == survivor.pk
    assert caught.value.code == "patient_merged"
    assert [hit.patient.pk for hit in patient_search(user=clerk, query="quibley")] == [survivor.pk]
    assert [hit.patient.pk for hit in patient_search(user=clerk, query=merged.mrn)] == [survivor.pk]


def test_merging_an_already_merged_record_conflicts(
    manager: Any, register: Any, pair: tuple[Any, Any]
) -> None:
    survivor, merged = pair
    patient_merge(actor=manager, survivor=survivor, merged=merged, reason="duplicate")
    third = register("Zed", "Plonk")
    before = AuditEvent.objects.count()

    with pytest.raises(Conflict) as caught:
        patient_merge(actor=manager, survivor=third, merged=merged, reason="again")
    assert caught.value.code == "already_merged"
    with pytest.raises(Conflict):
        patient_merge(actor=manager, survivor=merged, merged=third, reason="into merged")
    assert PatientMerge.objects.count() == 1
    assert AuditEvent.objects.count() == before
    assert Patient.objects.get(pk=third.pk).merged_into_id is None


def test_earlier_merges_follow_to_the_new_survivor(
    manager: Any, register: Any, pair: tuple[Any, Any]
) -> None:
    survivor, merged = pair
    older = register("Bobby", "Quibley", dt.date(1960, 1, 2))
    patient_merge(actor=manager, survivor=merged, merged=older, reason="first merge")
    record = patient_merge(actor=manager, survivor=survivor, merged=merged, reason="second merge")
    assert record.moved["earlier_merges"] == 1
    assert Patient.objects.get(pk=older.pk).merged_into_id == survivor.pk


@pytest.mark.parametrize("reason", ["", "   "])
def test_reason_required(manager: Any, pair: tuple[Any, Any], reason: str) -> None:
    survivor, merged = pair
    with pytest.raises(ValidationFailed) as caught:
        patient_merge(actor=manager, survivor=survivor, merged=merged, reason=reason)
    assert caught.value.fields == {"reason": ["Give the reason for the merge."]}
    assert Patient.objects.get(pk=merged.pk).merged_into_id is None
    assert PatientMerge.objects.count() == 0


def test_cannot_merge_into_itself(manager: Any, pair: tuple[Any, Any]) -> None:
    survivor, _merged = pair
    with pytest.raises(ValidationFailed):
        patient_merge(actor=manager, survivor=survivor, merged=survivor, reason="x")


def test_front_desk_may_not_merge(clerk: Any, pair: tuple[Any, Any]) -> None:
    survivor, merged = pair
    phones_before = PatientPhone.objects.filter(patient=merged).count()
    with pytest.raises(PermissionDenied):
        patient_merge(actor=clerk, survivor=survivor, merged=merged, reason="duplicate")
    assert Patient.objects.get(pk=merged.pk).merged_into_id is None
    assert PatientPhone.objects.filter(patient=merged).count() == phones_before
    assert not AuditEvent.objects.filter(action="merge").exists()


def test_survivor_guaranteed_by_merged_becomes_self(manager: Any, register: Any) -> None:
    merged = register("Bob", "Quibley", dt.date(1960, 2, 1))
    survivor = register(
        "Robert", "Quibley", dt.date(1960, 1, 2), guarantor_kind="patient", guarantor_patient=merged
    )
    patient_merge(actor=manager, survivor=survivor, merged=merged, reason="same person")
    survivor.refresh_from_db()
    assert (survivor.guarantor_kind, survivor.guarantor_patient_id) == ("self", None)
    assert manager.role == Role.PRACTICE_MANAGER
