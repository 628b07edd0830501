"""Every audit URL x role x method, generated from the URL list and the policy table; CSRF on POSTs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.accounts.middleware import SESSION_LOGIN_AT
from frontdesk.accounts.policy import can
from frontdesk.audit import urls as audit_urls
from frontdesk.audit.models import AuditEvent, EmergencyAccessGrant
from frontdesk.audit.tests.conftest import logged_in_client, make_staff

pytestmark = pytest.mark.django_db

# url name -> (allowed methods, policy action, needs a grant id)
ROUTES: dict[str, tuple[tuple[str, ...], str, bool]] = {
    "report": (("GET",), "audit.view", False),
    "export": (("GET",), "audit.export", False),
    "emergency_access": (("GET",), "breakglass.review", False),
    "emergency_review": (("POST",), "breakglass.review", True),
}


def _view(name: str) -> Any:
    for pattern in audit_urls.urlpatterns:
        if isinstance(pattern, URLPattern) and pattern.name == name:
            return pattern.callback
    raise AssertionError(name)


def _ended_grant() -> EmergencyAccessGrant:
    now = timezone.now()
    return EmergencyAccessGrant.objects.create(
        user=make_staff(Role.NURSE),
        reason="Synthetic emergency",
        started_at=now - dt.timedelta(hours=2),
        expires_at=now - dt.timedelta(hours=1),
    )


def _url(name: str) -> str:
    if ROUTES[name][2]:
        return reverse(f"audit:{name}", args=[_ended_grant().pk])
    return reverse(f"audit:{name}")


def test_every_audit_url_is_in_the_table_and_declares_its_action():
    names = {str(p.name) for p in audit_urls.urlpatterns if isinstance(p, URLPattern)}
    assert names == set(ROUTES)
    for name in names:
        assert _view(name).required_action == ROUTES[name][1], name


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_anonymous_users_are_sent_to_login_and_nothing_is_written(name):
    url = _url(name)
    for method in ROUTES[name][0]:
        response = Client().generic(method, url, "note=x", "application/x-www-form-urlencoded")
        assert response.status_code == 302, (name, method)
        assert response["Location"].startswith(reverse("accounts:login"))
    assert AuditEvent.objects.count() == 0
    assert EmergencyAccessGrant.objects.filter(reviewed_at__isnull=False).count() == 0


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_each_role_gets_what_the_policy_table_says(name, role):
    methods, action, _ = ROUTES[name]
    user = make_staff(role)
    client = logged_in_client(user)
    url = _url(name)
    for method in ("GET", "POST"):
        before = AuditEvent.objects.count()
        response = client.generic(
            method, url, "note=Reviewed.", "application/x-www-form-urlencoded"
        )
        if not can(user, action):
            assert response.status_code == 403, (name, role, method)
            assert AuditEvent.objects.count() == before
        elif method not in methods:
            assert response.status_code == 405, (name, role, method)
            assert AuditEvent.objects.count() == before
        else:
            assert response.status_code == (302 if method == "POST" else 200), (name, role, method)
            assert AuditEvent.objects.count() == before + 1


def test_review_post_without_csrf_token_is_refused():
    grant = _ended_grant()
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_staff(Role.PRIVACY_OFFICER))
    session = client.session
    session[SESSION_LOGIN_AT] = timezone.now().timestamp()
    session.save()
    response = client.post(reverse("audit:emergency_review", args=[grant.pk]), {"note": "x"})
    assert response.status_code == 403
    grant.refresh_from_db()
    assert (grant.reviewed_at, grant.review_note) == (None, "")
    assert AuditEvent.objects.count() == 0
