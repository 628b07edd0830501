# mypy: disable-error-code="arg-type, attr-defined, misc, operator, union-attr"
# (factory_boy's metaclass __call__ is untyped: mypy sees factory instances, not model rows.)
"""Who gets in: API keys (bearer), staff sessions (CSRF, MFA), and what everyone else gets."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from frontdesk.accounts import apikeys
from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from tests.factories import LocationFactory, UserFactory, assign

pytestmark = pytest.mark.django_db

LOCATIONS = "/api/v1/locations"
UNAUTHENTICATED = {
    "code": "unauthenticated",
    "message": "Authentication required.",
    "fields": {},
}
INVALID_KEY = {
    "code": "unauthenticated",
    "message": "The API key is not valid or has been revoked.",
    "fields": {},
}


def test_no_credentials_is_401_with_a_bearer_challenge(client) -> None:
    response = client.get(LOCATIONS)
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    assert response["WWW-Authenticate"] == 'Bearer realm="FrontDesk API"'
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer fdk_nope",
        "Bearer fdk_0123456789ab_notthesecret",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer fdk_\u00e9\u00e9",
    ],
)
def test_malformed_or_unknown_key_is_401(client, header) -> None:
    response = client.get(LOCATIONS, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json() == INVALID_KEY


def test_revoked_key_is_401(key_client) -> None:
    caller = key_client(Role.FRONT_DESK)
    assert caller.get(LOCATIONS).status_code == 200
    apikeys.apikey_revoke(actor=None, api_key=caller.api_key)
    response = caller.get(LOCATIONS)
    assert response.status_code == 401
    assert response.json() == INVALID_KEY


def test_valid_key_records_last_use(key_client) -> None:
    caller = key_client(Role.FRONT_DESK)
    assert caller.api_key.last_used_at is None
    assert caller.get(LOCATIONS).status_code == 200
    caller.api_key.refresh_from_db()
    assert caller.api_key.last_used_at is not None


def test_a_bad_key_does_not_fall_back_to_the_session(client) -> None:
    user = UserFactory(role=Role.FRONT_DESK)
    client.force_login(user)
    response = client.get(LOCATIONS, headers={"Authorization": "Bearer fdk_bad"})
    assert response.status_code == 401


def test_role_without_the_action_is_403(key_client) -> None:
    # Nurses may not register patients.
    caller = key_client(Role.NURSE)
    response = caller.post("/api/v1/patients", {"first_name": "Ann"})
    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "message": "You do not have permission to do that.",
        "fields": {},
    }


def test_staff_session_reads_with_get() -> None:
    location = LocationFactory()
    user = assign(UserFactory(role=Role.FRONT_DESK), location)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.get(LOCATIONS)
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [str(location.pk)]


def test_staff_session_writes_need_the_csrf_token() -> None:
    user = UserFactory(role=Role.FRONT_DESK)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    body = json.dumps(
        {"first_name": "Ann", "last_name": "Zzexample", "date_of_birth": "1990-01-02"}
    )
    response = client.post("/api/v1/patients", body, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "CSRF" in response.json()["message"]
    assert AuditEvent.objects.count() == 0


def test_staff_session_without_mfa_when_required_is_401(settings) -> None:
    settings.REQUIRE_MFA = True
    user = UserFactory(role=Role.FRONT_DESK)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.force_login(user)
    assert client.get(LOCATIONS).status_code == 401


def test_service_user_sessions_are_ignored(key_client) -> None:
    caller = key_client(Role.FRONT_DESK)
    client = Client()
    client.force_login(caller.user)
    assert client.get(LOCATIONS).status_code == 401
