# mypy: disable-error-code="arg-type, attr-defined, misc, operator, union-attr"
"""The one error shape, including for bugs (500) and for operations that forgot their action."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client, RequestFactory

from frontdesk.accounts.choices import Role
from frontdesk.api.auth import ApiKeyAuth, StaffSessionAuth, declared_action, requires
from frontdesk.api.tests.support import key_client_for
from frontdesk.core.errors import PermissionDenied
from frontdesk.patients import selectors
from frontdesk.patients.models import Patient
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_bug_answers_json_500_and_logs_no_phi(monkeypatch, caplog) -> None:
    caller = key_client_for(Role.FRONT_DESK)
    patient = PatientFactory(first_name="Canaryname")

    def broken(**kwargs):
        raise RuntimeError("Canaryname Zzexample 123-45-6789")

    monkeypatch.setattr(selectors, "patient_get", broken)
    with caplog.at_level(logging.INFO):
        response = caller.get(f"/api/v1/patients/{patient.pk}")
    assert response.status_code == 500
    assert response.json() == {
        "code": "server_error",
        "message": "Something went wrong on our side; quote the X-Request-ID header when reporting it.",
        "fields": {},
    }
    assert "Canaryname" not in caplog.text
    assert "123-45-6789" not in caplog.text
    assert f"request_id={response['X-Request-ID']}" in caplog.text
    assert "type=RuntimeError" in caplog.text


def test_an_operation_without_an_action_refuses_everyone() -> None:
    # What the API's default auth does for an operation that forgot ``auth=requires(...)``.
    request = RequestFactory().get("/api/v1/anything")
    request.user = UserFactory(role=Role.PRACTICE_MANAGER)
    request.session = {}
    with pytest.raises(PermissionDenied):
        StaffSessionAuth(None).authenticate(request, None)
    caller = key_client_for(Role.PRACTICE_MANAGER)
    with pytest.raises(PermissionDenied):
        ApiKeyAuth(None).authenticate(request, caller.key)


def test_declared_action_reads_the_auth_callbacks() -> None:
    assert declared_action(requires("patient.view")) == "patient.view"
    assert declared_action([ApiKeyAuth("patient.view"), StaffSessionAuth("patient.update")]) is None
    assert declared_action([]) is None
    with pytest.raises(KeyError):
        requires("patient.teleport")


def test_staff_session_writes_with_the_csrf_token_succeed() -> None:
    user = UserFactory(role=Role.FRONT_DESK)
    patient = PatientFactory(city="Springfield")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/api/v1/locations")  # any page sets the CSRF cookie
    token = client.get("/").cookies.get("csrftoken") or client.cookies.get("csrftoken")
    assert token is not None
    response = client.patch(
        f"/api/v1/patients/{patient.pk}",
        json.dumps({"city": "Shelbyville"}),
        content_type="application/json",
        headers={"X-CSRFToken": token.value},
    )
    assert response.status_code == 200, response.json()
    assert Patient.objects.get(pk=patient.pk).city == "Shelbyville"
