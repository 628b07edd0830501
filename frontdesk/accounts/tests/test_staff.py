"""Staff management by practice managers and admins: create, change access, (de)activate, reset MFA."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from frontdesk.accounts import services
from frontdesk.accounts.models import User
from frontdesk.accounts.tests.conftest import audit_rows, make_staff
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.practice.models import StaffLocation
from tests.factories import LocationFactory, assign

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "seven lanterns over a quiet harbour"
# Session, user, TOTP and static devices (MFA check), emergency banner, users, their locations
# (one prefetch), then saving the session (savepoint, update, release): the same for 1 or 100 staff.
QUERIES_FOR_USER_LIST = 10


def _locations(user: User) -> list[int]:
    return sorted(StaffLocation.objects.filter(user=user).values_list("location_id", flat=True))


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def two_locations() -> tuple[Any, Any]:
    return LocationFactory(name="North Clinic"), LocationFactory(name="South Clinic")


def test_manager_creates_a_user_with_role_locations_and_an_argon2_password(two_locations):
    north, south = two_locations
    manager = make_staff("practice_manager", username="max")
    client = _client_for(manager)

    response = client.post(
        "/accounts/users/new/",
        {
            "username": "newnurse",
            "first_name": "Nova",
            "last_name": "Testnurse",
            "email": "newnurse@example.com",
            "role": "nurse",
            "location_ids": [north.pk, south.pk],
            "password": GOOD_PASSWORD,
        },
    )

    created = User.objects.get(username="newnurse")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/users/{created.pk}/"
    assert (created.role, created.email, created.is_active) == (
        "nurse",
        "newnurse@example.com",
        True,
    )
    assert created.password.startswith("argon2$")
    assert created.check_password(GOOD_PASSWORD)
    assert _locations(created) == sorted([north.pk, south.pk])
    assert audit_rows("action", "category", "actor_id", "object_type", "object_id", "detail") == [
        (
            "privilege-change",
            "security",
            manager.pk,
            "user",
            str(created.pk),
            {
                "event": "user-create",
                "role": [None, "nurse"],
                "location_ids": [[], sorted([north.pk, south.pk])],
            },
        )
    ]


def test_create_refuses_a_weak_password_and_a_taken_username_beside_the_fields():
    manager = make_staff("practice_manager", username="max")
    make_staff("front_desk", username="taken")
    client = _client_for(manager)
    users_before = User.objects.count()

    response = client.post(
        "/accounts/users/new/",
        {
            "username": "TAKEN",
            "first_name": "Tia",
            "last_name": "Test",
            "role": "front_desk",
            "password": "password1234",
        },
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["username"] == ["That username is taken."]
    assert errors["password"] == ["This password is too common."]
    assert User.objects.count() == users_before
    assert audit_rows("action") == []


def test_unknown_location_ids_are_refused_by_the_service():
    manager = make_staff("practice_manager", username="max")
    users_before = User.objects.count()

    with pytest.raises(ValidationFailed) as caught:
        services.user_create(
            actor=manager,
            username="x1",
            first_name="X",
            last_name="Y",
            email="",
            role="nurse",
            location_ids=[987654],
            password=GOOD_PASSWORD,
        )

    assert caught.value.fields == {"location_ids": ["Choose locations from the list."]}
    assert User.objects.count() == users_before
    assert audit_rows("action") == []


def test_changing_role_and_locations_is_audited_old_to_new(two_locations):
    north, south = two_locations
    manager = make_staff("practice_manager", username="max")
    member = make_staff("front_desk", username="fay")
    assign(member, north)

    response = _client_for(manager).post(
        f"/accounts/users/{member.pk}/", {"role": "scheduler", "location_ids": [south.pk]}
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == "scheduler"
    assert _locations(member) == [south.pk]
    assert audit_rows("action", "actor_id", "object_id", "detail") == [
        (
            "privilege-change",
            manager.pk,
            str(member.pk),
            {
                "event": "access-change",
                "role": ["front_desk", "scheduler"],
                "location_ids": [[north.pk], [south.pk]],
            },
        )
    ]


def test_saving_unchanged_access_writes_no_audit_row(two_locations):
    north, _ = two_locations
    manager = make_staff("practice_manager", username="max")
    member = make_staff("front_desk", username="fay")
    assign(member, north)

    changes = services.user_update_access(
        actor=manager, user=member, role="front_desk", location_ids=[north.pk]
    )

    assert changes == {}
    assert audit_rows("action") == []


def test_a_practice_manager_cannot_grant_or_touch_the_admin_role():
    manager = make_staff("practice_manager", username="max")
    member = make_staff("front_desk", username="fay")
    admin = make_staff("admin", username="ari")

    with pytest.raises(PermissionDenied):
        services.user_update_access(actor=manager, user=member, role="admin", location_ids=[])
    with pytest.raises(PermissionDenied):
        services.user_deactivate(actor=manager, user=admin)
    with pytest.raises(PermissionDenied):
        services.user_update_access(actor=manager, user=manager, role="admin", location_ids=[])

    member.refresh_from_db()
    admin.refresh_from_db()
    assert (member.role, admin.is_active) == ("front_desk", True)
    assert audit_rows("action") == []
    # An administrator may.
    services.user_update_access(actor=admin, user=member, role="admin", location_ids=[])
    member.refresh_from_db()
    assert member.role == "admin"


def test_a_manager_cannot_change_their_own_access_through_the_page():
    manager = make_staff("practice_manager", username="max")
    client = _client_for(manager)

    response = client.post(f"/accounts/users/{manager.pk}/", {"role": "admin", "location_ids": []})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "You cannot change your own access; ask another manager."
    ]
    manager.refresh_from_db()
    assert manager.role == "practice_manager"
    assert audit_rows("action") == []


def test_deactivate_and_reactivate_through_the_pages():
    manager = make_staff("practice_manager", username="max")
    member = make_staff("front_desk", username="fay")
    client = _client_for(manager)

    assert client.post(f"/accounts/users/{member.pk}/deactivate/").status_code == 302
    member.refresh_from_db()
    assert member.is_active is False
    # Resubmitting changes nothing and writes no second row.
    client.post(f"/accounts/users/{member.pk}/deactivate/")
    assert client.post(f"/accounts/users/{member.pk}/reactivate/").status_code == 302
    member.refresh_from_db()
    assert member.is_active is True
    assert audit_rows("action", "actor_id", "object_id", "detail") == [
        (
            "privilege-change",
            manager.pk,
            str(member.pk),
            {"event": "deactivate", "is_active": [True, False]},
        ),
        (
            "privilege-change",
            manager.pk,
            str(member.pk),
            {"event": "reactivate", "is_active": [False, True]},
        ),
    ]


def test_mfa_reset_page_removes_the_device():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    manager = make_staff("practice_manager", username="max")
    member = make_staff("nurse", username="nia")
    TOTPDevice.objects.create(user=member, name="phone", confirmed=True)

    response = _client_for(manager).post(f"/accounts/users/{member.pk}/mfa-reset/")

    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=member).count() == 0
    assert audit_rows("action", "detail") == [
        ("privilege-change", {"event": "mfa-reset", "devices_removed": 1})
    ]


def test_user_list_shows_staff_but_not_integration_identities(two_locations):
    north, _ = two_locations
    manager = make_staff("practice_manager", username="max")
    assign(
        make_staff("front_desk", username="fay", first_name="Fay", last_name="Deskperson"), north
    )
    make_staff("front_desk", username="svc-lab", is_service_account=True)

    response = _client_for(manager).get("/accounts/users/")

    assert response.status_code == 200
    listed = [user.username for user in response.context["users"]]
    assert sorted(listed) == ["fay", "max"]
    assert "North Clinic" in response.content.decode()


def test_user_list_query_count_does_not_grow_with_staff(two_locations, django_assert_num_queries):
    north, south = two_locations
    manager = make_staff("practice_manager", username="max")
    for index in range(10):
        assign(make_staff("front_desk", username=f"fd{index}"), north, south)
    client = _client_for(manager)

    with django_assert_num_queries(QUERIES_FOR_USER_LIST):
        response = client.get("/accounts/users/")

    assert len(response.context["users"]) == 11


def test_integration_identities_are_not_managed_here():
    manager = make_staff("practice_manager", username="max")
    service_user = make_staff("front_desk", username="svc-lab", is_service_account=True)

    assert _client_for(manager).get(f"/accounts/users/{service_user.pk}/").status_code == 404
    assert (
        _client_for(manager).post(f"/accounts/users/{service_user.pk}/deactivate/").status_code
        == 404
    )
    with pytest.raises(NotFound):
        services.user_deactivate(actor=manager, user=service_user)
    service_user.refresh_from_db()
    assert service_user.is_active is True
