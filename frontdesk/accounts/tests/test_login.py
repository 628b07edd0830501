"""Password login: one generic answer for every failure, lockout per account+IP, audit rows."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from frontdesk.accounts.tests.conftest import (
    LOGIN_URL,
    audit_rows,
    make_staff,
    password_login,
    without_tokens,
)
from frontdesk.accounts.views import GENERIC_LOGIN_ERROR

pytestmark = pytest.mark.django_db

WRONG = "definitely not the password"


def test_login_with_right_password_logs_in_and_is_audited():
    user = make_staff("front_desk", username="ada")
    client = Client()

    response = password_login(client, "ada")

    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").status_code == 200
    assert audit_rows(
        "action",
        "category",
        "actor_id",
        "object_type",
        "object_id",
        "outcome",
        "detail",
        "source_ip",
    ) == [
        (
            "login",
            "security",
            user.pk,
            "user",
            str(user.pk),
            "success",
            {"stage": "password"},
            "127.0.0.2",
        )
    ]


def test_unknown_user_wrong_password_and_inactive_account_get_the_identical_page():
    make_staff("front_desk", username="ada")
    make_staff("front_desk", username="gone", is_active=False)

    unknown = password_login(Client(), "nobody-here", WRONG)
    wrong_password = password_login(Client(), "ada", WRONG)
    inactive = password_login(Client(), "gone")

    assert unknown.status_code == wrong_password.status_code == inactive.status_code == 200
    assert GENERIC_LOGIN_ERROR in unknown.content.decode()
    page = without_tokens(unknown.content.decode())
    assert without_tokens(wrong_password.content.decode()) == page
    assert without_tokens(inactive.content.decode()) == page
    # Failures are audited without naming the account tried.
    assert (
        audit_rows("action", "actor_id", "actor_name", "object_id", "outcome", "detail")
        == [("login-failed", None, "anonymous", "", "failure", {"stage": "password"})] * 3
    )


def test_sixth_attempt_with_the_correct_password_is_refused_with_the_same_message():
    make_staff("front_desk", username="ada")
    client = Client()
    failure_pages = [password_login(client, "ada", WRONG) for _ in range(5)]

    locked = password_login(client, "ada")

    assert locked.status_code == 200
    assert without_tokens(locked.content.decode()) == without_tokens(
        failure_pages[0].content.decode()
    )
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302
    assert audit_rows("action") == [("login-failed",)] * 6


def test_lockout_is_per_account_and_ip():
    make_staff("front_desk", username="ada")
    make_staff("front_desk", username="bea")
    for _ in range(5):
        password_login(Client(), "ada", WRONG, ip="127.0.0.2")

    same_account_other_ip = password_login(Client(), "ada", ip="127.0.0.3")
    other_account_same_ip = password_login(Client(), "bea", ip="127.0.0.2")
    same_account_same_ip = password_login(Client(), "ada", ip="127.0.0.2")

    assert same_account_other_ip.status_code == 302
    assert other_account_same_ip.status_code == 302
    assert same_account_same_ip.status_code == 200
    assert GENERIC_LOGIN_ERROR in same_account_same_ip.content.decode()


def test_a_successful_login_resets_the_failure_count():
    make_staff("front_desk", username="ada")
    for _ in range(4):
        password_login(Client(), "ada", WRONG)
    assert password_login(Client(), "ada").status_code == 302
    for _ in range(4):
        password_login(Client(), "ada", WRONG)

    # 8 failures in all, but never 5 in a row: still allowed.
    assert password_login(Client(), "ada").status_code == 302


def test_login_gives_a_new_session_key():
    make_staff("front_desk", username="ada")
    client = Client()
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    planted_key = session.session_key

    password_login(client, "ada")

    new_key = client.cookies["sessionid"].value
    assert new_key != planted_key
    assert not Session.objects.filter(session_key=planted_key).exists()
    assert Session.objects.filter(session_key=new_key).exists()


def test_login_refuses_an_integration_identity():
    make_staff("front_desk", username="svc-lab", is_service_account=True)

    response = password_login(Client(), "svc-lab")

    assert response.status_code == 200
    assert GENERIC_LOGIN_ERROR in response.content.decode()
    assert audit_rows("action") == [("login-failed",)]


def test_next_parameter_only_redirects_within_the_site():
    make_staff("front_desk", username="ada")

    inside = Client().post(
        LOGIN_URL,
        {
            "username": "ada",
            "password": "correct horse battery staple 42",
            "next": "/accounts/password/",
        },
    )
    outside = Client().post(
        LOGIN_URL,
        {
            "username": "ada",
            "password": "correct horse battery staple 42",
            "next": "https://evil.example.com/",
        },
    )

    assert inside["Location"] == "/accounts/password/"
    assert outside["Location"] == "/"


def test_logout_is_audited_and_requires_post():
    user = make_staff("front_desk", username="ada")
    client = Client()
    password_login(client, "ada")

    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert audit_rows("action", "actor_id", "object_id") == [
        ("login", user.pk, str(user.pk)),
        ("logout", user.pk, str(user.pk)),
    ]
