"""Opening a coverage to edit it is recorded as a read of that insurance coverage, like the API's."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from tests.factories import CoverageFactory, LocationFactory, UserFactory, assign

pytestmark = pytest.mark.django_db


def test_the_coverage_edit_page_records_one_insurance_read_of_the_coverage() -> None:
    coverage = CoverageFactory()
    user = UserFactory(role=Role.FRONT_DESK)
    assign(user, LocationFactory())
    client = Client()
    client.force_login(user)
    before = AuditEvent.objects.count()

    response = client.get(
        reverse("patients:coverage_edit", args=[coverage.patient_id, coverage.pk])
    )

    assert response.status_code == 200
    rows = list(
        AuditEvent.objects.order_by("sequence")[before:].values_list(
            "action", "category", "patient_id", "object_type", "object_id"
        )
    )
    assert rows == [("read", "insurance", coverage.patient_id, "coverage", str(coverage.pk))]
