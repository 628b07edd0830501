"""Automatic logoff (idle and absolute), ending every session, cookie flags."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from frontdesk.accounts import services
from frontdesk.accounts.tests.conftest import audit_rows, make_staff, password_login

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def limits(settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 15
    settings.SESSION_MAX_AGE_HOURS = 12
    return settings


def _logged_in(time_machine, username: str = "ada") -> tuple[Client, str]:
    time_machine.move_to(START, tick=False)
    make_staff("front_desk", username=username)
    client = Client()
    password_login(client, username)
    return client, client.cookies["sessionid"].value


def test_idle_past_the_limit_logs_out_and_destroys_the_session(limits, time_machine):
    client, session_key = _logged_in(time_machine)
    time_machine.move_to(START + dt.timedelta(minutes=14), tick=False)
    assert client.get("/").status_code == 200

    time_machine.move_to(START + dt.timedelta(minutes=14 + 16), tick=False)
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Session.objects.filter(session_key=session_key).exists()
    assert client.get("/").status_code == 302


def test_background_polling_does_not_count_as_activity(limits, time_machine):
    client, _ = _logged_in(time_machine)
    for minute in (5, 10, 14):
        time_machine.move_to(START + dt.timedelta(minutes=minute), tick=False)
        assert client.get("/", headers={"X-FrontDesk-Background": "1"}).status_code == 200

    time_machine.move_to(START + dt.timedelta(minutes=16), tick=False)

    assert client.get("/").status_code == 302


def test_activity_keeps_the_session_until_the_absolute_lifetime(limits, time_machine):
    client, session_key = _logged_in(time_machine)
    minutes = 0
    while minutes < 12 * 60 - 10:
        minutes += 10
        time_machine.move_to(START + dt.timedelta(minutes=minutes), tick=False)
        assert client.get("/").status_code == 200, minutes

    time_machine.move_to(START + dt.timedelta(hours=12, minutes=1), tick=False)
    response = client.get("/")

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=session_key).exists()


def test_logout_ends_every_session_of_the_user(time_machine):
    time_machine.move_to(START, tick=False)
    user = make_staff("front_desk", username="ada")
    other = make_staff("front_desk", username="bea")
    desk, laptop, colleague = Client(), Client(), Client()
    password_login(desk, "ada")
    password_login(laptop, "ada")
    password_login(colleague, "bea")
    assert desk.get("/").status_code == laptop.get("/").status_code == 200

    desk.post("/accounts/logout/")

    assert desk.get("/").status_code == 302
    assert laptop.get("/").status_code == 302
    assert colleague.get("/").status_code == 200
    assert audit_rows("action", "actor_id") == [
        ("login", user.pk),
        ("login", user.pk),
        ("login", other.pk),
        ("logout", user.pk),
    ]


def test_deactivation_ends_every_session_and_blocks_login(time_machine):
    time_machine.move_to(START, tick=False)
    manager = make_staff("practice_manager", username="max")
    user = make_staff("front_desk", username="ada")
    first, second = Client(), Client()
    password_login(first, "ada")
    password_login(second, "ada")

    services.user_deactivate(actor=manager, user=user)

    assert first.get("/").status_code == 302
    assert second.get("/").status_code == 302
    assert password_login(Client(), "ada").status_code == 200
    user.refresh_from_db()
    assert user.is_active is False
    assert audit_rows("action", "actor_id", "object_id", "detail")[2] == (
        "privilege-change",
        manager.pk,
        str(user.pk),
        {"event": "deactivate", "is_active": [True, False]},
    )


def test_session_and_csrf_cookies_are_httponly_and_samesite():
    make_staff("front_desk", username="ada")
    client = Client()
    client.get("/accounts/login/")

    password_login(client, "ada")

    session_cookie = client.cookies["sessionid"]
    assert session_cookie["httponly"] is True
    assert session_cookie["samesite"] == "Lax"
    assert client.cookies["csrftoken"]["httponly"] is True
    assert client.cookies["csrftoken"]["samesite"] == "Lax"


def test_production_settings_make_cookies_secure_and_require_mfa(tmp_path: Path):
    env = {
        **os.environ,
        "FRONTDESK_ENV": "production",
        "FRONTDESK_DATA_DIR": str(tmp_path),
        "FRONTDESK_SECRET_KEY": "test-only-" + "x" * 50,
        "FRONTDESK_AUDIT_KEY": "ab" * 32,
        "FRONTDESK_ENCRYPTION_KEYS": "Gd0Tkk2ktPfOJb5D6ZbXf8nM3a8Lr3ZnB3Tq1kQeY5w=",
        "FRONTDESK_ALLOWED_HOSTS": "frontdesk.example.com",
        "DJANGO_SETTINGS_MODULE": "frontdesk.settings",
    }
    env.pop("FRONTDESK_REQUIRE_MFA", None)
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SESSION_COOKIE_SAMESITE, s.REQUIRE_MFA, s.SESSION_IDLE_TIMEOUT_MINUTES)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )

    assert result.stdout.split() == ["True", "True", "True", "Lax", "True", "15.0"]
