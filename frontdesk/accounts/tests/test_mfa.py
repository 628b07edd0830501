"""TOTP: enrolment by QR code, verification without replay, throttling, REQUIRE_MFA, reset."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from frontdesk.accounts import services
from frontdesk.accounts.tests.conftest import (
    MFA_URL,
    add_totp,
    audit_rows,
    current_code,
    make_staff,
    password_login,
)
from frontdesk.accounts.views import MFA_ERROR, MFA_THROTTLED, SESSION_PENDING_TOTP_KEY
from frontdesk.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SETUP_URL = "/accounts/mfa/setup/"
NOON = dt.datetime(2026, 11, 26, 12, 0, 5, tzinfo=dt.UTC)


def _code_for(key_hex: str, *, offset_steps: int = 0) -> str:
    return f"{totp(bytes.fromhex(key_hex), drift=offset_steps):06d}"


def test_setup_page_shows_a_qr_code_and_the_secret_and_writes_nothing(time_machine):
    time_machine.move_to(NOON, tick=False)
    user = make_staff("nurse", username="nia")
    client = Client()
    password_login(client, "nia")

    response = client.get(SETUP_URL)

    assert response.status_code == 200
    html = response.content.decode()
    key_hex = client.session[SESSION_PENDING_TOTP_KEY]
    assert re.search(r'<img class="qr-code" src="data:image/svg\+xml[^"]+"', html)
    secret = base64.b32encode(bytes.fromhex(key_hex)).decode().rstrip("=")
    shown = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', html)
    assert shown is not None
    assert shown.group(1).replace(" ", "") == secret
    assert "<script>" not in html and " style=" not in html
    assert TOTPDevice.objects.filter(user=user).count() == 0
    # Reloading keeps the same secret (a user may scan first and type later).
    client.get(SETUP_URL)
    assert client.session[SESSION_PENDING_TOTP_KEY] == key_hex


def test_confirming_the_first_code_enrols_a_confirmed_device_and_verifies_the_session(time_machine):
    time_machine.move_to(NOON, tick=False)
    user = make_staff("nurse", username="nia")
    client = Client()
    password_login(client, "nia")
    client.get(SETUP_URL)
    key_hex = client.session[SESSION_PENDING_TOTP_KEY]

    wrong = client.post(
        SETUP_URL, {"token": "000000" if _code_for(key_hex) != "000000" else "111111"}
    )
    assert wrong.status_code == 200
    assert TOTPDevice.objects.filter(user=user).count() == 0

    response = client.post(SETUP_URL, {"token": _code_for(key_hex)})

    assert response.status_code == 302
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is True
    assert device.key == key_hex
    assert SESSION_PENDING_TOTP_KEY not in client.session
    assert client.get("/accounts/password/").status_code == 200
    assert audit_rows("action", "actor_id", "object_id", "detail") == [
        ("login", user.pk, str(user.pk), {"stage": "password"}),
        ("privilege-change", user.pk, str(user.pk), {"event": "mfa-enrol", "device": "totp"}),
    ]


def test_the_enrolment_code_cannot_be_replayed_at_the_next_login(time_machine):
    time_machine.move_to(NOON, tick=False)
    make_staff("nurse", username="nia")
    client = Client()
    password_login(client, "nia")
    client.get(SETUP_URL)
    code = _code_for(client.session[SESSION_PENDING_TOTP_KEY])
    client.post(SETUP_URL, {"token": code})
    client.post("/accounts/logout/")

    second = Client()
    password_login(second, "nia")
    response = second.post(MFA_URL, {"token": code})

    assert response.status_code == 200
    assert MFA_ERROR in response.content.decode()


def test_setup_is_refused_once_a_device_exists():
    user = make_staff("nurse", username="nia")
    add_totp(user)
    client = Client()
    password_login(client, "nia")

    # A password-only session must not add a second device to get around the first.
    response = client.get(SETUP_URL)
    assert response.status_code == 302
    assert response["Location"] == MFA_URL
    with pytest.raises(Exception, match="already set up"):
        services.totp_enrol(user=user, key_hex="ab" * 20, token=_code_for("ab" * 20))
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_login_with_a_device_asks_for_the_code_and_only_then_reaches_pages(time_machine):
    time_machine.move_to(NOON, tick=False)
    user = make_staff("nurse", username="nia")
    device = add_totp(user)
    client = Client()

    response = password_login(client, "nia")

    assert response.status_code == 302
    assert response["Location"] == MFA_URL
    assert client.get("/").status_code == 302
    assert client.get("/accounts/password/")["Location"] == MFA_URL
    verified = client.post(MFA_URL, {"token": current_code(device)})
    assert verified.status_code == 302
    assert client.get("/").status_code == 200
    assert audit_rows("action", "actor_id", "detail") == [
        ("login", user.pk, {"stage": "password"}),
        ("login", user.pk, {"stage": "mfa"}),
    ]


def test_a_totp_code_cannot_be_replayed(time_machine):
    time_machine.move_to(NOON, tick=False)
    user = make_staff("nurse", username="nia")
    device = add_totp(user)
    code = current_code(device)
    first = Client()
    password_login(first, "nia")
    assert first.post(MFA_URL, {"token": code}).status_code == 302

    # Same code, same 30-second step, a second session (e.g. someone who watched it typed).
    time_machine.move_to(NOON + dt.timedelta(seconds=5), tick=False)
    second = Client()
    password_login(second, "nia")
    replay = second.post(MFA_URL, {"token": code})

    assert replay.status_code == 200
    assert MFA_ERROR in replay.content.decode()
    assert second.get("/").status_code == 302
    assert audit_rows("action", "outcome", "detail")[-1] == (
        "login-failed",
        "failure",
        {"stage": "mfa"},
    )
    # The next step's code works.
    time_machine.move_to(NOON + dt.timedelta(seconds=30), tick=False)
    assert second.post(MFA_URL, {"token": current_code(device)}).status_code == 302


def test_wrong_codes_are_throttled(time_machine):
    time_machine.move_to(NOON, tick=False)
    user = make_staff("nurse", username="nia")
    device = add_totp(user)
    client = Client()
    password_login(client, "nia")
    wrong = "000000" if current_code(device) != "000000" else "111111"
    for _ in range(3):
        client.post(MFA_URL, {"token": wrong})

    # After 3 failures the device waits 4 seconds: even the right code is refused meanwhile.
    throttled = client.post(MFA_URL, {"token": current_code(device)})
    assert throttled.status_code == 200
    assert MFA_THROTTLED in throttled.content.decode()

    time_machine.move_to(NOON + dt.timedelta(seconds=5), tick=False)
    assert client.post(MFA_URL, {"token": current_code(device)}).status_code == 302
    assert [row[0] for row in audit_rows("detail")] == [{"stage": "password"}] + [
        {"stage": "mfa"}
    ] * 5
    assert AuditEvent.objects.filter(action="login-failed").count() == 4


def test_require_mfa_sends_a_user_without_a_device_to_setup_before_anything(settings):
    settings.REQUIRE_MFA = True
    make_staff("practice_manager", username="max")
    client = Client()

    response = password_login(client, "max")
    assert response["Location"] == MFA_URL
    assert client.get(MFA_URL)["Location"] == SETUP_URL
    # A password-only session reaches no page but the MFA steps.
    for url in ["/", "/accounts/password/", "/accounts/users/", "/accounts/emergency-access/"]:
        answer = client.get(url)
        assert answer.status_code == 302, url
        assert answer["Location"] == MFA_URL, url
    assert client.get(SETUP_URL).status_code == 200


def test_without_require_mfa_a_user_without_a_device_needs_no_code(settings):
    settings.REQUIRE_MFA = False
    make_staff("front_desk", username="fay")
    client = Client()

    response = password_login(client, "fay")

    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_mfa_reset_removes_devices_ends_sessions_and_does_not_bypass_mfa(settings, time_machine):
    time_machine.move_to(NOON, tick=False)
    settings.REQUIRE_MFA = True
    manager = make_staff("practice_manager", username="max")
    nurse = make_staff("nurse", username="nia")
    device = add_totp(nurse)
    nurse_client = Client()
    password_login(nurse_client, "nia")
    nurse_client.post(MFA_URL, {"token": current_code(device)})
    assert nurse_client.get("/").status_code == 200

    removed = services.user_mfa_reset(actor=manager, user=nurse)

    assert removed == 1
    assert TOTPDevice.objects.filter(user=nurse).count() == 0
    assert nurse_client.get("/").status_code == 302  # the session ended
    again = Client()
    password_login(again, "nia")
    assert again.get("/")["Location"] == MFA_URL
    assert again.get(MFA_URL)["Location"] == SETUP_URL
    assert audit_rows("action", "actor_id", "object_id", "detail") == [
        ("login", nurse.pk, str(nurse.pk), {"stage": "password"}),
        ("login", nurse.pk, str(nurse.pk), {"stage": "mfa"}),
        (
            "privilege-change",
            manager.pk,
            str(nurse.pk),
            {"event": "mfa-reset", "devices_removed": 1},
        ),
        ("login", nurse.pk, str(nurse.pk), {"stage": "password"}),
    ]
