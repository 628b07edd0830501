"""Every accounts URL x role x method, generated from the URL list and the policy table; CSRF on POSTs."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from frontdesk.accounts import urls as account_urls
from frontdesk.accounts.choices import Role
from frontdesk.accounts.models import User
from frontdesk.accounts.policy import can
from frontdesk.accounts.tests.conftest import add_totp, audit_rows, make_staff
from frontdesk.audit.models import AuditEvent, EmergencyAccessGrant

pytestmark = pytest.mark.django_db

# url name -> (methods, needs a target user id). The view's own decorator says who may use it.
ROUTES: dict[str, tuple[tuple[str, ...], bool]] = {
    "login": (("GET", "POST"), False),
    "mfa": (("GET", "POST"), False),
    "mfa_setup": (("GET", "POST"), False),
    "logout": (("POST",), False),
    "password": (("GET", "POST"), False),
    "user_list": (("GET",), False),
    "user_create": (("GET", "POST"), False),
    "user_detail": (("GET", "POST"), True),
    "user_deactivate": (("POST",), True),
    "user_reactivate": (("POST",), True),
    "user_mfa_reset": (("POST",), True),
    "emergency_access": (("GET", "POST"), False),
    "emergency_access_end": (("POST",), False),
}


def _view(name: str) -> Any:
    for pattern in account_urls.urlpatterns:
        if isinstance(pattern, URLPattern) and pattern.name == name:
            return pattern.callback
    raise AssertionError(name)


def _url(name: str, target: User | None) -> str:
    if ROUTES[name][1]:
        assert target is not None
        return reverse(f"accounts:{name}", kwargs={"user_id": target.pk})
    return reverse(f"accounts:{name}")


def test_every_accounts_url_is_in_the_table_and_declares_who_may_use_it():
    names = {str(p.name) for p in account_urls.urlpatterns if isinstance(p, URLPattern)}
    assert names == set(ROUTES)
    for name in names:
        view = _view(name)
        assert getattr(view, "is_public", False) or getattr(view, "required_action", None), name


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_anonymous_users_are_sent_to_login(name):
    target = make_staff("front_desk", username="target")
    client = Client()
    view = _view(name)
    for method in ROUTES[name][0]:
        response = client.generic(method, _url(name, target))
        if getattr(view, "is_public", False):
            assert response.status_code == 200, (name, method)
        else:
            assert response.status_code == 302, (name, method)
            assert response["Location"].startswith("/accounts/login/?next="), (name, method)
    # Only the login POST (without credentials) writes a row.
    assert audit_rows("action") == ([("login-failed",)] if name == "login" else [])


def _role_gated_routes() -> list[str]:
    return sorted(
        name
        for name in ROUTES
        if not getattr(_view(name), "is_public", False)
        and _view(name).required_action != "authenticated"
    )


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("name", _role_gated_routes())
def test_each_role_gets_403_or_in_by_the_policy_table(role, name):
    target = make_staff("front_desk", username="target")
    user = make_staff(role, username=f"u-{role}")
    client = Client()
    client.force_login(user)
    action = _view(name).required_action
    allowed = can(user, action)
    rows_before = AuditEvent.objects.count()
    users_before = list(User.objects.order_by("pk").values_list("pk", "role", "is_active"))

    for method in ROUTES[name][0]:
        response = client.generic(method, _url(name, target))
        if not allowed:
            assert response.status_code == 403, (role, name, method)
        elif method == "GET":
            assert response.status_code == 200, (role, name, method)
        else:
            # An empty POST: refused as a form error (200), a redirect after success, or 404 for
            # "no such grant" — never a server error and never a 403.
            assert response.status_code in (200, 302, 404), (role, name, method)

    if not allowed:
        assert AuditEvent.objects.count() == rows_before
        assert (
            list(User.objects.order_by("pk").values_list("pk", "role", "is_active")) == users_before
        )


@pytest.mark.parametrize("name", ["mfa", "mfa_setup", "logout"])
def test_the_mfa_steps_and_logout_are_open_to_any_logged_in_role(name):
    for role in Role.values:
        user = make_staff(role, username=f"u-{role}")
        if name == "mfa":
            add_totp(user)  # so that the page asks for a code instead of sending on
        client = Client()
        client.force_login(user)
        method = ROUTES[name][0][0]
        response = client.generic(method, _url(name, None))
        expected = 302 if name == "logout" else 200
        assert response.status_code == expected, (role, name)


@pytest.mark.parametrize(
    "name",
    ["logout", "user_deactivate", "user_reactivate", "user_mfa_reset", "emergency_access_end"],
)
def test_post_only_endpoints_refuse_get_and_change_nothing(name):
    target = make_staff("front_desk", username="target")
    manager = make_staff("practice_manager", username="max")
    client = Client()
    client.force_login(manager)

    response = client.get(_url(name, target))

    assert response.status_code == 405
    target.refresh_from_db()
    assert target.is_active is True
    assert client.get("/").status_code == 200  # still logged in
    assert audit_rows("action") == []


POST_BODIES: dict[str, dict[str, Any]] = {
    "login": {"username": "max", "password": "correct horse battery staple 42"},
    "mfa": {"token": "123456"},
    "mfa_setup": {"token": "123456"},
    "logout": {},
    "password": {
        "current_password": "correct horse battery staple 42",
        "new_password": "a brand new passphrase for max",
        "new_password_again": "a brand new passphrase for max",
    },
    "user_create": {
        "username": "created",
        "first_name": "Cy",
        "last_name": "Created",
        "role": "front_desk",
        "password": "seven lanterns over a quiet harbour",
    },
    "user_detail": {"role": "billing"},
    "user_deactivate": {},
    "user_reactivate": {},
    "user_mfa_reset": {},
    "emergency_access": {"reason": "Unconscious patient, need allergy history"},
    "emergency_access_end": {"grant": "1"},
}


def _state() -> tuple[Any, ...]:
    return (
        list(
            User.objects.order_by("pk").values_list(
                "pk", "role", "is_active", "password", "session_epoch"
            )
        ),
        EmergencyAccessGrant.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("name", sorted(POST_BODIES))
def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(name):
    assert set(POST_BODIES) == {n for n, (methods, _) in ROUTES.items() if "POST" in methods}
    target = make_staff("front_desk", username="target")
    # Practice manager: may manage staff and break the glass, so only CSRF stands in the way.
    manager = make_staff("practice_manager", username="max")
    client = Client(enforce_csrf_checks=True)
    if name != "login":
        client.force_login(manager)
    before = _state()

    response = client.post(_url(name, target), POST_BODIES[name])

    assert response.status_code == 403
    assert _state() == before


def test_a_post_with_the_csrf_token_goes_through():
    target = make_staff("front_desk", username="target")
    manager = make_staff("practice_manager", username="max")
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    client.get(_url("user_detail", target))
    token = client.cookies["csrftoken"].value

    response = client.post(_url("user_deactivate", target), {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_active is False
