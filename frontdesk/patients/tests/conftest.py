"""Fixtures for the patients app: staff in the roles that register, merge and search."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.patients.services import patient_register


@pytest.fixture
def clerk(make_user: Callable[..., Any], location: Any) -> Any:
    return make_user(Role.FRONT_DESK, location)


@pytest.fixture
def manager(make_user: Callable[..., Any], location: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, location)


@pytest.fixture
def register(clerk: Any) -> Callable[..., Any]:
    """Register a patient through the service (keys, phones, MRN), overriding duplicates."""

    def make(
        first: str = "Robert",
        last: str = "Quuxley",
        dob: dt.date = dt.date(1960, 1, 2),
        *,
        phones: tuple[str, ...] = (),
        actor: Any = None,
        **fields: Any,
    ) -> Any:
        data = {
            "first_name": first,
            "last_name": last,
            "date_of_birth": dob,
            "sex_at_birth": "M",
            "phones": [{"number": n, "phone_type": "mobile", "sms_capable": True} for n in phones],
            **fields,
        }
        return patient_register(
            actor=actor or clerk, data=data, duplicate_override_reason="test setup"
        )

    return make
