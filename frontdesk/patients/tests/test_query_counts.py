"""Query-count guards: the patient page's data and search results cost a constant number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from frontdesk.patients.selectors import patient_change_history, patient_get, patient_search
from frontdesk.patients.services import coverage_create, patient_update, verification_record
from tests.factories import PayerFactory, PlanFactory

pytestmark = pytest.mark.django_db


def _grow(clerk: Any, patient: Any, size: int) -> None:
    phones = [
        {"number": f"202-555-01{n:02d}", "phone_type": "home", "sms_capable": False}
        for n in range(size)
    ]
    patient_update(actor=clerk, patient=patient, data={"phones": phones})
    for priority in range(1, min(size, 3) + 1):
        plan = PlanFactory()
        coverage_create(
            actor=clerk,
            patient=patient,
            data={
                "payer": plan.payer,
                "plan": plan,
                "member_id": f"Q{priority}",
                "priority": priority,
            },
        )
    for n in range(size):
        verification_record(
            actor=clerk,
            patient=patient,
            demographics_confirmed=True,
            insurance_confirmed=bool(n % 2),
        )
        patient_update(actor=clerk, patient=patient, data={"employer_name": f"Employer {n}"})


def _page_queries(clerk: Any, patient_id: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        patient = patient_get(user=clerk, patient_id=patient_id)
        # Touch everything the page shows.
        [phone.number for phone in patient.phones.all()]
        [(c.payer.name, c.plan.name if c.plan else "") for c in patient.coverages.all()]
        [v.verified_by.display_name for v in patient.recent_verifications]
        _ = patient.primary_coverage
        history = patient_change_history(user=clerk, patient_id=patient_id)
        [(h.audit_event.actor_name, h.field) for h in history]
    return len(captured)


def test_patient_page_queries_do_not_grow_with_related_rows(clerk: Any, register: Any) -> None:
    small = register("Robert", "Quibley", dt.date(1960, 1, 2))
    large = register("Zelda", "Vexham", dt.date(1970, 1, 2))
    _grow(clerk, small, 1)
    _grow(clerk, large, 6)

    small_count = _page_queries(clerk, small.pk)
    large_count = _page_queries(clerk, large.pk)

    assert small_count == large_count


def test_patient_page_query_budget(
    clerk: Any, register: Any, django_assert_max_num_queries: Any
) -> None:
    patient = register("Zelda", "Vexham", dt.date(1970, 1, 2))
    _grow(clerk, patient, 4)
    # patient + grant check + 3 prefetches + audit write (grant, head lock, insert, head update,
    # savepoints) + history (grant check, exists, rows).
    with django_assert_max_num_queries(16):
        patient = patient_get(user=clerk, patient_id=patient.pk)
        [phone.number for phone in patient.phones.all()]
        [(c.payer.name, c.plan.name if c.plan else "") for c in patient.coverages.all()]
        [v.verified_by.display_name for v in patient.recent_verifications]
        [
            (h.audit_event.actor_name, h.field)
            for h in patient_change_history(user=clerk, patient_id=patient.pk)
        ]


def test_search_result_queries_do_not_grow_with_hits(clerk: Any, register: Any) -> None:
    payer = PayerFactory()
    for n in range(8):
        patient = register(
            f"Ann{'a' * n}", "Vexley", dt.date(1950 + n, 1, 1), phones=(f"202-555-01{n:02d}",)
        )
        coverage_create(actor=clerk, patient=patient, data={"payer": payer, "member_id": f"V{n}"})

    def count(limit: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            hits = patient_search(user=clerk, query="vexley", limit=limit)
            for hit in hits:
                [p.number for p in hit.patient.phones.all()]
                _ = hit.patient.primary_coverage and hit.patient.primary_coverage.payer.name
        assert len(hits) == limit
        return len(captured)

    assert count(2) == count(8)


def test_patient_page_reads_only_the_history_rows_it_shows(clerk: Any, register: Any) -> None:
    from django.test import Client
    from django.urls import reverse

    from frontdesk.audit.models import FieldChange
    from frontdesk.patients.views import HISTORY_ROWS

    patient = register()
    for n in range(HISTORY_ROWS + 5):
        patient_update(actor=clerk, patient=patient, data={"employer_name": f"Employer {n}"})
    assert FieldChange.objects.filter(patient_id=patient.pk).count() > HISTORY_ROWS
    client = Client()
    client.force_login(clerk)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("patients:detail", args=[patient.pk]))

    assert response.status_code == 200
    assert len(response.context["history"]) == HISTORY_ROWS
    history_queries = [q["sql"] for q in captured if 'FROM "audit_fieldchange"' in q["sql"]]
    assert len(history_queries) == 1
    assert f"LIMIT {HISTORY_ROWS}" in history_queries[0]
