"""Sample data for coding tests (and the policy matrix): a small ICD-10-CM release, a fee schedule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from frontdesk.coding.models import FeeSchedule, FeeScheduleEntry
from frontdesk.standards.icd10cm import Icd10Entry, format_order_file

# A small FY2027-like release for tests: E11.9 stays, U00.9 is new, J45.909 is gone (invented changes).
FY2027_ENTRIES = (
    Icd10Entry("E11", "Type 2 diabetes mellitus", False),
    Icd10Entry("E119", "Type 2 diabetes mellitus without complications", True),
    Icd10Entry("U00", "Sample category added for tests", False),
    Icd10Entry("U009", "Sample condition added for tests", True),
    Icd10Entry("I10", "Essential (primary) hypertension", True),
    Icd10Entry("J45", "Asthma", False),
    Icd10Entry("J459", "Other and unspecified asthma", False),
    Icd10Entry("J4590", "Unspecified asthma", False),
    Icd10Entry("J45901", "Unspecified asthma with (acute) exacerbation", True),
)


def fy2027_order_file() -> bytes:
    return format_order_file(FY2027_ENTRIES).encode("utf-8")


def sample_schedule(objects: dict[str, Any] | None = None) -> FeeSchedule:
    """A payer's schedule with one price (the policy walk's sample)."""
    objects = objects if objects is not None else {}
    if "fee_schedule" not in objects:
        payer = objects.get("payer")
        if payer is None:
            from tests.factories import PayerFactory

            payer = PayerFactory()
        schedule = FeeSchedule.objects.create(
            name="Sample allowed amounts", payer=payer, effective_from=dt.date(2026, 1, 1)
        )
        objects["fee_entry"] = FeeScheduleEntry.objects.create(
            schedule=schedule, code="99213", amount=Decimal("92.00")
        )
        objects["fee_schedule"] = schedule
    return objects["fee_schedule"]


def sample_entry(objects: dict[str, Any]) -> FeeScheduleEntry:
    sample_schedule(objects)
    return objects["fee_entry"]
