"""Pure readiness rules: given the facts about one visit, the chart-prep checklist.

No database access here: ``selectors.readiness_compute`` loads the facts for many visits in a constant
number of queries and calls ``checklist`` for each. Every item is ``ok``, ``missing`` or ``unknown``
with a message a person can act on; ``unknown`` never counts as ready or as missing (it says what the
system cannot check yet).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from frontdesk.chartprep.choices import (
    AuthorizationKind,
    AuthorizationStatus,
    ConsentKind,
    ItemStatus,
    ReadinessItem,
)
from frontdesk.core.money import format_money

MSG_ELIGIBILITY_UNKNOWN = "Unknown: eligibility not checked for this visit date yet."
ELIGIBILITY_FRESH_DAYS = 7  # an answer older than this (before the visit) is checked again
MSG_BALANCE_NONE = "No balance due."


@dataclass(frozen=True)
class CoverageFact:
    payer_id: int
    plan_id: int | None
    plan_requires_referral: bool
    effective_on: dt.date | None
    terminates_on: dt.date | None


@dataclass(frozen=True)
class AuthorizationFact:
    kind: str
    status: str
    payer_id: int | None
    valid_from: dt.date
    valid_until: dt.date | None
    units_left: int | None  # None: not limited
    appointment_type_ids: frozenset[int]  # empty: every type


@dataclass(frozen=True)
class EligibilityFact:
    """One eligibility check (270/271) of the patient's active coverages (newest first)."""

    coverage_id: int
    priority: int
    status: str  # queued / sent / complete / rejected / failed
    active: bool | None
    date_of_service: dt.date
    checked_on: dt.date
    coverage_end: dt.date | None = None
    reason: str = ""  # failure reason or the payer's first rejection message


@dataclass(frozen=True)
class RecordsFact:
    requested_from: str
    requested_on: dt.date


@dataclass
class VisitFacts:
    """What readiness needs to know about one appointment (``day`` is the visit's local date)."""

    day: dt.date
    appointment_type_id: int
    type_requires_referral: bool
    type_requires_prior_auth: bool
    coverages: Sequence[CoverageFact] = ()
    authorizations: Sequence[AuthorizationFact] = ()
    consents: Mapping[str, dt.date] = field(default_factory=dict)  # kind -> latest acknowledged
    open_records: Sequence[RecordsFact] = ()
    # The guarantor's patient-responsibility balance (None: no account, nothing ever posted).
    balance: Decimal | None = None
    eligibility: Sequence[EligibilityFact] = ()  # newest first
    eligibility_fresh_days: int = ELIGIBILITY_FRESH_DAYS


def _item(key: ReadinessItem, status: ItemStatus, message: str) -> dict[str, str]:
    return {"key": key.value, "label": key.label, "status": status.value, "message": message}


def _active_on(coverage: CoverageFact, day: dt.date) -> bool:
    if coverage.effective_on is not None and coverage.effective_on > day:
        return False
    return coverage.terminates_on is None or coverage.terminates_on >= day


def coverage_item(facts: VisitFacts) -> dict[str, str]:
    if any(_active_on(c, facts.day) for c in facts.coverages):
        return _item(ReadinessItem.COVERAGE, ItemStatus.OK, "Active coverage on file.")
    if facts.coverages:
        message = "Coverage on file is not in effect on the visit date: update the insurance."
    else:
        message = "No active insurance on file: add the coverage (or note self-pay)."
    return _item(ReadinessItem.COVERAGE, ItemStatus.MISSING, message)


def _eligibility_for_visit(facts: VisitFacts) -> EligibilityFact | None:
    """The latest check of the primary coverage in force for the visit's date: one made for that
    date, else a recent one for an earlier date whose coverage does not end before the visit."""
    active = [c for c in facts.eligibility if c.date_of_service <= facts.day]
    if not active:
        return None
    primary = min(c.priority for c in active)
    mine = [c for c in active if c.priority == primary]
    exact = [c for c in mine if c.date_of_service == facts.day]
    if exact:
        return exact[0]
    window = facts.day - dt.timedelta(days=facts.eligibility_fresh_days)
    earlier = [
        c
        for c in mine
        if c.date_of_service >= window
        and c.status in ("complete", "rejected")
        and (c.coverage_end is None or c.coverage_end >= facts.day)
    ]
    return earlier[0] if earlier else None


def eligibility_item(facts: VisitFacts) -> dict[str, str]:
    # Only a payer's 271 answer counts: the desk's Verification (card seen) is not an eligibility
    # check, and passing it off as one would be a fake pass.
    check = _eligibility_for_visit(facts)
    if check is None:
        return _item(ReadinessItem.ELIGIBILITY, ItemStatus.UNKNOWN, MSG_ELIGIBILITY_UNKNOWN)
    checked = check.checked_on.isoformat()
    if check.status == "failed":
        why = f" ({check.reason})" if check.reason else ""
        return _item(
            ReadinessItem.ELIGIBILITY,
            ItemStatus.UNKNOWN,
            f"Unknown: the check of {checked} failed{why}; it is retried, or check again.",
        )
    if check.status in ("queued", "sent"):
        return _item(
            ReadinessItem.ELIGIBILITY,
            ItemStatus.UNKNOWN,
            "Unknown: the check is waiting for the payer.",
        )
    if check.status == "rejected" or check.active is None:
        why = check.reason or "the payer could not answer"
        return _item(
            ReadinessItem.ELIGIBILITY,
            ItemStatus.MISSING,
            f"The payer rejected the check of {checked}: {why}",
        )
    if check.active is False:
        return _item(
            ReadinessItem.ELIGIBILITY,
            ItemStatus.MISSING,
            f"Coverage inactive for the visit date (payer's answer of {checked}): "
            "update the insurance or note self-pay.",
        )
    if check.checked_on < facts.day - dt.timedelta(days=facts.eligibility_fresh_days):
        return _item(
            ReadinessItem.ELIGIBILITY,
            ItemStatus.UNKNOWN,
            f"Unknown: last confirmed {checked}, more than "
            f"{facts.eligibility_fresh_days} days before the visit: check again.",
        )
    return _item(
        ReadinessItem.ELIGIBILITY, ItemStatus.OK, f"Active for the visit date (checked {checked})."
    )


def consents_item(facts: VisitFacts, required: Mapping[str, int]) -> dict[str, str]:
    labels = dict(ConsentKind.choices)
    problems: list[str] = []
    for kind, days in required.items():
        label = labels.get(kind, kind)
        signed = facts.consents.get(kind)
        if signed is None:
            problems.append(f"{label} never acknowledged")
        elif signed + dt.timedelta(days=days) < facts.day:
            problems.append(
                f"{label} last acknowledged {signed.isoformat()} (older than {days} days)"
            )
    if problems:
        return _item(ReadinessItem.CONSENTS, ItemStatus.MISSING, "; ".join(problems) + ".")
    if not required:
        return _item(ReadinessItem.CONSENTS, ItemStatus.OK, "No forms are required.")
    return _item(ReadinessItem.CONSENTS, ItemStatus.OK, "Required forms are current.")


def _covers(auth: AuthorizationFact, facts: VisitFacts, payer_ids: set[int]) -> bool:
    if auth.status != AuthorizationStatus.ACTIVE:
        return False
    if auth.valid_from > facts.day or (
        auth.valid_until is not None and auth.valid_until < facts.day
    ):
        return False
    if auth.units_left is not None and auth.units_left <= 0:
        return False
    if auth.appointment_type_ids and facts.appointment_type_id not in auth.appointment_type_ids:
        return False
    return auth.payer_id is None or not payer_ids or auth.payer_id in payer_ids


def _why_not(kind: str, auths: list[AuthorizationFact], facts: VisitFacts) -> str:
    label = dict(AuthorizationKind.choices)[kind]
    mine = [a for a in auths if a.kind == kind and a.status == AuthorizationStatus.ACTIVE]
    if not mine:
        return f"{label} required: none on file."
    if all(a.valid_until is not None and a.valid_until < facts.day for a in mine):
        return f"{label} required: the one on file expired."
    if all(a.valid_from > facts.day for a in mine):
        return f"{label} required: the one on file starts after the visit."
    if all(a.units_left is not None and a.units_left <= 0 for a in mine):
        return f"{label} required: no units (visits) left."
    return f"{label} required: none on file covers this appointment type or payer."


def authorization_item(facts: VisitFacts) -> dict[str, str]:
    active = [c for c in facts.coverages if _active_on(c, facts.day)]
    needs: list[str] = []
    if facts.type_requires_prior_auth:
        needs.append(AuthorizationKind.PRIOR_AUTH)
    if facts.type_requires_referral or any(c.plan_requires_referral for c in active):
        needs.append(AuthorizationKind.REFERRAL)
    if not needs:
        return _item(ReadinessItem.AUTHORIZATION, ItemStatus.OK, "Not required for this visit.")
    payer_ids = {c.payer_id for c in active}
    auths = list(facts.authorizations)
    problems = [
        _why_not(kind, auths, facts)
        for kind in needs
        if not any(a.kind == kind and _covers(a, facts, payer_ids) for a in auths)
    ]
    if problems:
        return _item(ReadinessItem.AUTHORIZATION, ItemStatus.MISSING, " ".join(problems))
    return _item(ReadinessItem.AUTHORIZATION, ItemStatus.OK, "On file, valid, with units left.")


def records_item(facts: VisitFacts) -> dict[str, str]:
    if not facts.open_records:
        return _item(ReadinessItem.RECORDS, ItemStatus.OK, "No outside records outstanding.")
    waiting = "; ".join(
        f"from {r.requested_from} (requested {r.requested_on.isoformat()})"
        for r in facts.open_records
    )
    return _item(ReadinessItem.RECORDS, ItemStatus.MISSING, f"Not yet arrived: {waiting}.")


def balance_item(facts: VisitFacts) -> dict[str, str]:
    balance = facts.balance
    if balance is None or balance == 0:
        return _item(ReadinessItem.BALANCE, ItemStatus.OK, MSG_BALANCE_NONE)
    if balance < 0:
        return _item(
            ReadinessItem.BALANCE,
            ItemStatus.OK,
            f"No balance due; {format_money(-balance)} credit on the account.",
        )
    return _item(
        ReadinessItem.BALANCE,
        ItemStatus.MISSING,
        f"Prior balance {format_money(balance)} due: collect it at check-in or offer a payment plan.",
    )


def checklist(facts: VisitFacts, *, required_consents: Mapping[str, int]) -> list[dict[str, str]]:
    """The visit's checklist, one item per ``ReadinessItem`` in order."""
    return [
        coverage_item(facts),
        eligibility_item(facts),
        consents_item(facts, required_consents),
        authorization_item(facts),
        records_item(facts),
        balance_item(facts),
    ]


def missing_keys(items: Sequence[Mapping[str, Any]]) -> list[str]:
    return [item["key"] for item in items if item["status"] == ItemStatus.MISSING]
