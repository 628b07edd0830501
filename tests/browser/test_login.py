"""Log in through a real browser, with and without a TOTP second factor."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_with_totp_reaches_home(page, live_server):
    user = UserFactory(username="desk.browser", first_name="Brenda", role="front_desk")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)

    page.goto("/")
    page.get_by_label("Username").fill("desk.browser")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_label("6-digit code").wait_for()
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Verify").click()

    page.get_by_role("heading", name="Good day, Brenda").wait_for()
    assert page.url == f"{live_server.url}/"


def test_wrong_password_shows_generic_error(page):
    UserFactory(username="desk.wrong", role="front_desk")

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("desk.wrong")
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Log in").click()

    alert = page.get_by_role("alert")
    assert alert.inner_text() == (
        "That username and password did not match, or the account is locked. Try again or ask a manager."
    )
