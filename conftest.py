"""Fixtures shared by every test: isolated file storage, users per role, a logged-in client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from frontdesk.accounts.choices import Role
from tests.factories import LocationFactory, UserFactory, assign


def pytest_configure(config: Any) -> None:
    from django.conf import settings

    # The demo's money history goes through the real payment services (about 25 ms a visit): a
    # month takes over a minute, so tests that load the demo build two days of it.
    settings.DEMO_MONEY_DAYS = 2
    settings.DEMO_ELIGIBILITY_CHECKS = 3  # each is a real 270/271 round trip, audited


@pytest.fixture(autouse=True)
def _isolated_media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture
def location(db: None) -> Any:
    return LocationFactory()


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    def make(role: str = Role.FRONT_DESK, *locations: Any, **fields: Any) -> Any:
        user = UserFactory(role=role, **fields)
        assign(user, *locations)
        return user

    return make


@pytest.fixture
def staff_client(make_user: Callable[..., Any], location: Any) -> Callable[..., Client]:
    """A test client logged in as a user of ``role`` at ``location`` (MFA not required in tests)."""

    def make(role: str = Role.FRONT_DESK, *, user: Any = None) -> Client:
        client = Client()
        client.force_login(user or make_user(role, location))
        return client

    return make
