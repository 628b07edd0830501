"""Shared builders for the X12 tests (pure Python: no database needed)."""

from __future__ import annotations

import datetime as dt

import pytest

from frontdesk.standards.x12.eligibility import EligibilityInquiry, Person
from frontdesk.standards.x12.envelope import EnvelopeHeader

PROVIDER_NPI = "1234567893"  # a valid check digit


def header(
    functional_id: str = "HS", version: str = "005010X279A1", **kw: object
) -> EnvelopeHeader:
    values: dict[str, object] = {
        "sender_id": "FRONTDESK",
        "receiver_id": "PAYERSIM",
        "interchange_control_number": 101,
        "group_control_number": 7,
        "functional_id": functional_id,
        "version": version,
        "created_at": dt.datetime(2026, 11, 27, 4, 30, tzinfo=dt.UTC),
        "usage": "T",
    }
    values.update(kw)
    return EnvelopeHeader(**values)  # type: ignore[arg-type]


def subscriber(**kw: object) -> Person:
    values: dict[str, object] = {
        "last_name": "TESTPATIENT",
        "first_name": "ALEX",
        "middle_name": "Q",
        "member_id": "XZW123456789",
        "date_of_birth": dt.date(1980, 5, 17),
        "sex": "F",
        "group_number": "GRP0042",
        "group_name": "EXAMPLE WIDGETS INC",
        "address_line1": "12 EXAMPLE STREET",
        "city": "SPRINGFIELD",
        "state": "IL",
        "postal_code": "62701",
    }
    values.update(kw)
    return Person(**values)  # type: ignore[arg-type]


def inquiry(**kw: object) -> EligibilityInquiry:
    values: dict[str, object] = {
        "trace_number": "ELG-000123",
        "payer_name": "EXAMPLE HEALTH PLAN",
        "payer_id": "EXHP1",
        "provider_name": "SAMPLE FAMILY PRACTICE",
        "provider_npi": PROVIDER_NPI,
        "subscriber": subscriber(),
        "date_of_service": dt.date(2026, 12, 3),
        "service_types": ("30", "98"),
        "originator_id": "9FRONTDESK",
    }
    values.update(kw)
    return EligibilityInquiry(**values)  # type: ignore[arg-type]


@pytest.fixture
def x12_header() -> EnvelopeHeader:
    return header()
