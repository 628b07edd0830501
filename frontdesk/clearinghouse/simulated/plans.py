"""The simulated payer's plans and members: every number derived from the payer ID and member ID.

A payer ID picks one of three plans (the SHA-256 of the ID, modulo 3); a member ID's last digits
decide how much of the deductible is met and whether the member exists at all. See
docs/simulated-payer.md for the table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
PAYER_NAME = "SIMULATED HEALTH PLAN"
SENDER_ID = "SIMPAYER"
PAYER_ADDRESS = ("100 EXAMPLE PLAZA", "ANYTOWN", "NY", "100010001")  # synthetic


@dataclass(frozen=True)
class Plan:
    """A plan's in-network benefits (out of network: no copay, coinsurance + 20 points, deductible x 2)."""

    name: str
    insurance_type: str  # EB04: PR preferred provider, HM HMO, HN high-deductible
    copay: Decimal  # office visit (service type 98), per visit
    coinsurance: Decimal  # the patient's share, 0.20 = 20 %
    deductible: Decimal  # individual, calendar year
    out_of_pocket: Decimal  # individual, calendar year
    allowed_fraction: Decimal  # allowed = charge x fraction (the fee schedule the payer applies)
    filing_indicator: str  # CLP06 in the 835


PLANS = (
    Plan("SIMULATED PPO GOLD", "PR", Decimal("20"), Decimal("0.2"), Decimal("500"),
         Decimal("3000"), Decimal("0.80"), "12"),
    Plan("SIMULATED HMO SILVER", "HM", Decimal("35"), Decimal("0.3"), Decimal("1500"),
         Decimal("5000"), Decimal("0.70"), "HM"),
    Plan("SIMULATED HDHP BRONZE", "HN", Decimal("0"), Decimal("0.4"), Decimal("3000"),
         Decimal("7000"), Decimal("0.60"), "15"),
)  # fmt: skip


def digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def plan_for(payer_id: str) -> Plan:
    """The payer's plan: one of ``PLANS`` chosen by the SHA-256 of the payer ID."""
    return PLANS[int(digest(payer_id.strip().upper())[:8], 16) % len(PLANS)]


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _digits(member_id: str) -> str:
    return re.sub(r"\D", "", member_id)


def member_not_found(member_id: str) -> bool:
    """Member IDs ending in 0000 (or with no member ID at all) are unknown to the payer."""
    return not member_id.strip() or member_id.strip().endswith("0000")


def member_inactive(member_id: str) -> bool:
    """Member IDs ending in 9999: coverage ended on the last day of the previous month."""
    return member_id.strip().endswith("9999")


def birth_date_mismatch(member_id: str) -> bool:
    """Member IDs ending in 8888: the date of birth on file differs from the one sent."""
    return member_id.strip().endswith("8888")


def claims_reject_subscriber(member_id: str) -> bool:
    """Member IDs ending in 7777: eligible, but claims come back rejected (subscriber not found)."""
    return member_id.strip().endswith("7777")


def deductible_met_fraction(member_id: str) -> Decimal:
    """How much of the deductible is met: the member ID's last two digits as a percentage."""
    digits = _digits(member_id)[-2:]
    return Decimal(int(digits) if digits else 0) / Decimal(100)


def deductible_remaining(plan: Plan, member_id: str) -> Decimal:
    return money(plan.deductible * (1 - deductible_met_fraction(member_id)))


def out_of_pocket_remaining(plan: Plan, member_id: str) -> Decimal:
    spent = plan.deductible - deductible_remaining(plan, member_id)
    return money(plan.out_of_pocket - spent)


def coverage_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """Every simulated plan runs by calendar year."""
    return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)


def terminated_on(today: dt.date) -> dt.date:
    """An inactive member's coverage ended on the last day of the previous month."""
    return today.replace(day=1) - dt.timedelta(days=1)


def payer_claim_number(payer_id: str, claim_id: str) -> str:
    """The payer's claim number (REF*1K in the 277CA, CLP07 in the 835): stable per claim."""
    return "SIM" + str(int(digest(payer_id, claim_id)[:15], 16) % 10**12).zfill(12)
