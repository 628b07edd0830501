"""Sample chart-prep objects for generic tests (the policy matrix)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from frontdesk.chartprep.models import Authorization, NoShowCase, RecordsRequest
from tests.factories import AppointmentFactory, UserFactory


def sample_authorization(objects: dict[str, Any]) -> Authorization:
    if "authorization" not in objects:
        objects["authorization"] = Authorization.objects.create(
            patient=objects["patient"],
            kind="prior_auth",
            valid_from=timezone.localdate(),
            created_by=UserFactory(),
        )
    authorization: Authorization = objects["authorization"]
    return authorization


def sample_records_request(objects: dict[str, Any]) -> RecordsRequest:
    if "records_request" not in objects:
        objects["records_request"] = RecordsRequest.objects.create(
            patient=objects["patient"],
            requested_from="Zz Outside Clinic",
            requested_at=timezone.now(),
            requested_by=UserFactory(),
        )
    record: RecordsRequest = objects["records_request"]
    return record


def sample_case(objects: dict[str, Any]) -> NoShowCase:
    """An open no-show case at the sample location (its own missed appointment)."""
    if "noshow_case" not in objects:
        missed = AppointmentFactory(
            location=objects["location"], patient=objects["patient"], status="noshow"
        )
        objects["noshow_case"] = NoShowCase.objects.create(
            appointment=missed,
            patient=missed.patient,
            location=missed.location,
            kind="no_show",
            opened_at=timezone.now(),
        )
    case: NoShowCase = objects["noshow_case"]
    return case
