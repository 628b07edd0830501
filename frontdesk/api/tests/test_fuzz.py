# mypy: disable-error-code="arg-type, attr-defined, misc, operator, union-attr"
# (factory_boy's metaclass __call__ is untyped: mypy sees factory instances, not model rows.)
"""Fuzzing the JSON API from its own OpenAPI document (schemathesis): bad input is a 4xx, never a 5xx.

Every operation gets up to 50 generated requests (valid and schema-violating bodies, query strings and
paths) sent with an authorized key; path ids point at real objects so updates reach the services.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from frontdesk.accounts.choices import Role
from frontdesk.api.root import api
from frontdesk.api.tests.support import key_client_for
from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    CoverageFactory,
    LocationFactory,
    PatientFactory,
    PlanFactory,
    ProviderFactory,
    SlotHoldFactory,
)

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
APP = WSGIHandler()


@pytest.fixture
def world(db):
    # Like Django's test client: a request must not close the test's database connection (the test
    # runs inside a transaction that is rolled back afterwards).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    location = LocationFactory()
    patient = PatientFactory(first_name="Fuzzy", last_name="Zzexample")
    plan = PlanFactory()
    coverage = CoverageFactory(patient=patient, payer=plan.payer, plan=plan)
    caller = key_client_for(Role.PRACTICE_MANAGER, location)
    provider = ProviderFactory()
    provider.locations.add(location)
    visit = AppointmentTypeFactory()
    appointment = AppointmentFactory(
        patient=patient, provider=provider, location=location, appointment_type=visit
    )
    hold = SlotHoldFactory(
        provider=provider, location=location, appointment_type=visit, held_by=caller.user
    )
    yield {
        "headers": {"Authorization": f"Bearer {caller.key}"},
        "ids": {
            "patient_id": patient.pk,
            "coverage_id": coverage.pk,
            "location_id": location.pk,
            "appointment_id": appointment.pk,
            "hold_id": hold.pk,
        },
        "body_ids": {
            "payer_id": str(plan.payer_id),
            "plan_id": str(plan.pk),
            "subscriber_patient_id": str(patient.pk),
            "guarantor_patient_id": str(patient.pk),
            "patient_id": str(patient.pk),
            "provider_id": str(provider.pk),
            "location_id": str(location.pk),
            "appointment_type_id": str(visit.pk),
        },
    }
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_makes_the_api_fail(case, world) -> None:
    for name, value in world["ids"].items():
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = value
    if isinstance(case.body, dict):
        # Ids named in a body point at real objects too, so generated bodies get past the lookups.
        for name, value in world["body_ids"].items():
            if isinstance(case.body.get(name), str):
                case.body[name] = value
    response = case.call(app=APP, headers=world["headers"])
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code == 405:
        # An unsupported method (schemathesis tries them): django-ninja answers before any of our
        # code runs, with the Allow header.
        assert "allow" in {name.lower() for name in response.headers}
    elif response.status_code >= 400:
        body = response.json()
        assert set(body) >= {"code", "message", "fields"}, body
