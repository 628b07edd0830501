"""Helpers for the accounts tests: real logins through the login page, TOTP codes, audit rows."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from frontdesk.accounts.models import User
from frontdesk.audit.models import AuditEvent
from tests.factories import TEST_PASSWORD, UserFactory

LOGIN_URL = reverse("accounts:login")
MFA_URL = reverse("accounts:mfa")


def make_staff(role: str = "front_desk", **fields: Any) -> User:
    user: Any = UserFactory(role=role, **fields)
    return user


def password_login(
    client: Client, username: str, password: str = TEST_PASSWORD, ip: str = "127.0.0.2"
) -> Any:
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=ip)


def add_totp(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="test phone", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def audit_rows(*fields: str) -> list[tuple[Any, ...]]:
    return list(AuditEvent.objects.order_by("sequence").values_list(*fields))


def without_tokens(html: str) -> str:
    """Page text with per-request values (CSRF token) blanked, to compare two answers."""
    return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", html)


@pytest.fixture
def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)
