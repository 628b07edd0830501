# mypy: disable-error-code="arg-type, attr-defined, misc, operator, union-attr"
# (factory_boy's metaclass __call__ is untyped: mypy sees factory instances, not model rows.)
"""API keys: creation shows the key once and stores only its hash; revocation; lookup; the commands."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connections
from django.utils import timezone

from frontdesk.accounts import apikeys
from frontdesk.accounts.choices import Role
from frontdesk.accounts.models import ApiKey, User
from frontdesk.audit.models import AuditEvent
from frontdesk.cli import main as cli_main
from frontdesk.core.errors import PermissionDenied, ValidationFailed
from frontdesk.practice.models import StaffLocation
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db

KEY_PATTERN = re.compile(r"^fdk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$")


def test_create_returns_the_key_once_and_stores_only_its_hash() -> None:
    admin = UserFactory(role=Role.ADMIN)
    north, south = LocationFactory(), LocationFactory()

    api_key, plaintext = apikeys.apikey_create(
        actor=admin, name="Lab interface", role=Role.FRONT_DESK, location_ids=[south.pk, north.pk]
    )

    match = KEY_PATTERN.match(plaintext)
    assert match is not None
    assert api_key.prefix == match.group(1)
    assert api_key.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert api_key.name == "Lab interface"
    assert api_key.created_by == admin
    assert api_key.revoked_at is None
    assert api_key.last_used_at is None
    stored = ApiKey.objects.values_list("name", "prefix", "key_hash").get()
    assert plaintext not in stored
    assert match.group(0)[len("fdk_") + 13 :] not in "".join(stored)

    user = api_key.service_user
    assert user.username == f"apikey-{api_key.prefix}"
    assert user.is_service_account is True
    assert user.is_active is True
    assert user.has_usable_password() is False
    assert user.role == Role.FRONT_DESK
    assert user.display_name == "API key: Lab interface"
    assert set(StaffLocation.objects.filter(user=user).values_list("location_id", flat=True)) == {
        north.pk,
        south.pk,
    }

    event = AuditEvent.objects.get()
    assert (event.action, event.category, event.outcome) == (
        "privilege-change",
        "security",
        "success",
    )
    assert (event.actor_id, event.actor_name, event.actor_role) == (
        admin.pk,
        admin.display_name,
        Role.ADMIN,
    )
    assert (event.object_type, event.object_id, event.patient_id) == (
        "api_key",
        str(api_key.pk),
        None,
    )
    assert event.detail == {
        "event": "apikey_created",
        "role": Role.FRONT_DESK,
        "location_ids": sorted([north.pk, south.pk]),
        "service_user_id": user.pk,
    }


def test_two_keys_differ() -> None:
    _, first = apikeys.apikey_create(actor=None, name="One", role=Role.BILLING)
    _, second = apikeys.apikey_create(actor=None, name="Two", role=Role.BILLING)
    assert first != second
    assert first.split("_")[1] != second.split("_")[1]


@pytest.mark.parametrize(
    ("name", "role", "locations", "expected"),
    [
        ("", Role.FRONT_DESK, [], {"name"}),
        ("   ", Role.FRONT_DESK, [], {"name"}),
        ("x" * 101, Role.FRONT_DESK, [], {"name"}),
        ("Feed\r\nInjected", Role.FRONT_DESK, [], {"name"}),
        ("Billing feed", "superuser", [], {"role"}),
        ("Billing feed", Role.BILLING, [987654], {"locations"}),
        ("", "nobody", [987654], {"name", "role", "locations"}),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(name, role, locations, expected) -> None:
    users_before = User.objects.count()
    with pytest.raises(ValidationFailed) as raised:
        apikeys.apikey_create(actor=None, name=name, role=role, location_ids=locations)
    assert set(raised.value.fields) == expected
    assert ApiKey.objects.count() == 0
    assert User.objects.count() == users_before
    assert AuditEvent.objects.count() == 0


def test_create_refuses_a_duplicate_name() -> None:
    apikeys.apikey_create(actor=None, name="Feed", role=Role.BILLING)
    with pytest.raises(ValidationFailed) as raised:
        apikeys.apikey_create(actor=None, name="Feed", role=Role.FRONT_DESK)
    assert raised.value.fields == {
        "name": ["A key with this name already exists; choose another name."]
    }
    assert ApiKey.objects.count() == 1
    assert AuditEvent.objects.count() == 1


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMIN])
def test_only_roles_with_apikey_manage_may_create_or_revoke(role) -> None:
    actor = UserFactory(role=role)
    with pytest.raises(PermissionDenied):
        apikeys.apikey_create(actor=actor, name="Sneaky", role=Role.ADMIN)
    assert ApiKey.objects.count() == 0
    api_key, _ = apikeys.apikey_create(actor=None, name="Feed", role=Role.BILLING)
    with pytest.raises(PermissionDenied):
        apikeys.apikey_revoke(actor=actor, api_key=api_key)
    api_key.refresh_from_db()
    assert api_key.revoked_at is None
    assert AuditEvent.objects.count() == 1


def test_authenticate_resolves_only_the_exact_active_key() -> None:
    api_key, plaintext = apikeys.apikey_create(actor=None, name="Feed", role=Role.BILLING)
    assert apikeys.apikey_authenticate(key=plaintext) == api_key.service_user
    wrong_secret = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    for bad in [
        wrong_secret,
        plaintext + "x",
        plaintext.upper(),
        "",
        "fdk_",
        f"fdk_{api_key.prefix}_",
        f"xyz_{api_key.prefix}_{plaintext.split('_', 2)[2]}",
        "fdk_000000000000_" + plaintext.split("_", 2)[2],
        "fdk_\x00\ud800_x",
    ]:
        assert apikeys.apikey_authenticate(key=bad) is None, bad


def test_revoked_key_stops_working_and_revoking_is_audited_once() -> None:
    admin = UserFactory(role=Role.ADMIN)
    api_key, plaintext = apikeys.apikey_create(actor=admin, name="Feed", role=Role.BILLING)

    apikeys.apikey_revoke(actor=admin, api_key=api_key)
    apikeys.apikey_revoke(actor=admin, api_key=api_key)

    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert api_key.service_user.is_active is False
    assert apikeys.apikey_authenticate(key=plaintext) is None
    events = list(AuditEvent.objects.order_by("sequence"))
    assert [(e.action, e.detail.get("event")) for e in events] == [
        ("privilege-change", "apikey_created"),
        ("privilege-change", "apikey_revoked"),
    ]
    assert (events[1].actor_id, events[1].object_id) == (admin.pk, str(api_key.pk))


def test_last_used_is_recorded_at_most_once_a_minute() -> None:
    api_key, plaintext = apikeys.apikey_create(actor=None, name="Feed", role=Role.BILLING)
    start = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        apikeys.apikey_authenticate(key=plaintext)
    api_key.refresh_from_db()
    assert api_key.last_used_at == start

    with time_machine.travel(start + dt.timedelta(seconds=59), tick=False):
        apikeys.apikey_authenticate(key=plaintext)
    api_key.refresh_from_db()
    assert api_key.last_used_at == start

    later = start + dt.timedelta(seconds=61)
    with time_machine.travel(later, tick=False):
        apikeys.apikey_authenticate(key=plaintext)
    api_key.refresh_from_db()
    assert api_key.last_used_at == later


def test_create_command_prints_the_key_once_with_a_warning(capsys) -> None:
    north = LocationFactory(code="north")

    call_command(
        "apikey_create", "--name", "Lab feed", "--role", "front_desk", "--location", "north"
    )

    out = capsys.readouterr().out
    keys = [line for line in out.splitlines() if KEY_PATTERN.match(line)]
    assert len(keys) == 1
    assert out.count(keys[0]) == 1
    assert "cannot be shown again" in out
    user = apikeys.apikey_authenticate(key=keys[0])
    assert user is not None and user.role == Role.FRONT_DESK
    event = AuditEvent.objects.get()
    assert (event.actor_id, event.actor_name, event.detail["event"]) == (
        None,
        "command line (frontdesk apikey)",
        "apikey_created",
    )
    assert list(StaffLocation.objects.filter(user=user).values_list("location_id", flat=True)) == [
        north.pk
    ]


def test_frontdesk_apikey_create_maps_to_the_command(capsys, monkeypatch) -> None:
    # run_from_argv closes every connection when a command ends; the test's transaction needs its own.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    cli_main(["apikey", "create", "--name", "CLI feed", "--role", "billing"])
    out = capsys.readouterr().out
    assert len([line for line in out.splitlines() if KEY_PATTERN.match(line)]) == 1
    assert ApiKey.objects.get().service_user.role == Role.BILLING


def test_create_command_refuses_unknown_location_and_bad_name() -> None:
    with pytest.raises(CommandError, match="Unknown location code"):
        call_command(
            "apikey_create", "--name", "Feed", "--role", "billing", "--location", "nowhere"
        )
    call_command("apikey_create", "--name", "Feed", "--role", "billing")
    with pytest.raises(CommandError, match="already exists"):
        call_command("apikey_create", "--name", "Feed", "--role", "billing")
    assert ApiKey.objects.count() == 1


def test_list_and_revoke_commands(capsys) -> None:
    LocationFactory(code="east")
    api_key, plaintext = apikeys.apikey_create(actor=None, name="Feed", role=Role.BILLING)
    capsys.readouterr()

    call_command("apikey_list")
    listing = capsys.readouterr().out
    assert api_key.prefix in listing and "Feed" in listing and "role=billing" in listing
    assert "active" in listing
    assert plaintext.split("_", 2)[2] not in listing

    call_command("apikey_revoke", api_key.prefix)
    assert "Revoked" in capsys.readouterr().out
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None

    call_command("apikey_list", "--active")
    assert capsys.readouterr().out.strip() == "No API keys."
    with pytest.raises(CommandError):
        call_command("apikey_revoke", "no-such-key")


def test_revoked_at_is_aware_utc() -> None:
    api_key, _ = apikeys.apikey_create(actor=None, name="Feed", role=Role.BILLING)
    apikeys.apikey_revoke(actor=None, api_key=api_key)
    api_key.refresh_from_db()
    assert timezone.is_aware(api_key.revoked_at)
