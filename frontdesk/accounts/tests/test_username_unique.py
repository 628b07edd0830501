"""Usernames are unique regardless of case, in the database and when two creations race."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from frontdesk.accounts import services
from frontdesk.accounts.models import User
from frontdesk.accounts.tests.conftest import make_staff
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import ValidationFailed
from tests.factories import TEST_PASSWORD, LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_username_differing_only_in_case() -> None:
    UserFactory(username="Casey")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="casey")
    assert list(
        User.objects.filter(username__iexact="casey").values_list("username", flat=True)
    ) == ["Casey"]


def test_a_creation_that_loses_the_race_is_a_form_error_not_a_second_account(
    monkeypatch: Any,
) -> None:
    manager = make_staff("practice_manager")
    location = LocationFactory()
    validate = services.password_validation.validate_password

    def validate_while_another_manager_creates(password: str, user: Any = None) -> None:
        # After user_create's own "is it taken?" check: another request creates the same name.
        UserFactory(username="CASEY")
        validate(password, user=user)

    monkeypatch.setattr(
        services.password_validation, "validate_password", validate_while_another_manager_creates
    )
    audit_rows = AuditEvent.objects.count()

    with pytest.raises(ValidationFailed) as raised:
        services.user_create(
            actor=manager,
            username="casey",
            first_name="Casey",
            last_name="Example",
            email="casey@example.com",
            role="front_desk",
            location_ids=[location.pk],
            password=TEST_PASSWORD,
        )

    assert raised.value.fields == {"username": ["That username is taken."]}
    assert list(
        User.objects.filter(username__iexact="casey").values_list("username", flat=True)
    ) == ["CASEY"]
    assert AuditEvent.objects.count() == audit_rows
