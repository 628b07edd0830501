"""Passwords: Argon2, 12+ characters, common ones refused, long passphrases allowed; change ends sessions."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import Client

from frontdesk.accounts.models import User
from frontdesk.accounts.tests.conftest import audit_rows, make_staff, password_login
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

URL = "/accounts/password/"
PASSPHRASE_100 = ("purple elephants juggle quietly beside " * 3)[:100]


def _change(client: Client, new: str, *, current: str = TEST_PASSWORD, again: str | None = None):
    return client.post(
        URL,
        {
            "current_password": current,
            "new_password": new,
            "new_password_again": new if again is None else again,
        },
    )


@pytest.fixture
def ada_client() -> tuple[User, Client]:
    user = make_staff("front_desk", username="ada", first_name="Ada", last_name="Testperson")
    client = Client()
    password_login(client, "ada")
    return user, client


def test_a_100_character_passphrase_is_accepted_and_hashed_with_argon2(ada_client):
    user, client = ada_client
    assert len(PASSPHRASE_100) == 100

    response = _change(client, PASSPHRASE_100)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSPHRASE_100)
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.password.startswith("argon2$argon2id$")
    # The session that changed it stays logged in.
    assert client.get(URL).status_code == 200
    assert audit_rows("action", "category", "actor_id", "object_id", "detail")[-1] == (
        "update",
        "security",
        user.pk,
        str(user.pk),
        {"event": "password-change"},
    )


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("short pass1", "at least 12 characters"),
        ("password1234", "too common"),
        ("123456789012345", "entirely numeric"),
    ],
)
def test_weak_passwords_are_refused_beside_the_field(ada_client, new_password, message):
    user, client = ada_client
    before = User.objects.get(pk=user.pk).password

    response = _change(client, new_password)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"].errors["new_password"]
    assert User.objects.get(pk=user.pk).password == before
    assert [row[0] for row in audit_rows("action")] == ["login"]


def test_wrong_current_password_and_mismatched_repeat_are_refused(ada_client):
    user, client = ada_client
    before = User.objects.get(pk=user.pk).password

    wrong_current = _change(client, PASSPHRASE_100, current="not my password at all")
    mismatch = _change(client, PASSPHRASE_100, again=PASSPHRASE_100 + "x")

    assert wrong_current.context["form"].errors["current_password"] == [
        "The current password is not right."
    ]
    assert mismatch.context["form"].errors["new_password_again"] == [
        "The two new passwords differ."
    ]
    assert User.objects.get(pk=user.pk).password == before


def test_changing_the_password_ends_the_other_sessions(ada_client):
    _user, client = ada_client
    other_device = Client()
    password_login(other_device, "ada")
    assert other_device.get("/").status_code == 200

    _change(client, PASSPHRASE_100)

    assert other_device.get("/").status_code == 302
    assert client.get("/").status_code == 200
    assert password_login(Client(), "ada", PASSPHRASE_100).status_code == 302
