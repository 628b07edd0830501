"""The posting plan: pure functions from an 835's claim payments to what goes on the ledger.

No database here: ``match_lines`` pairs the 835's service lines with a claim's lines, and
``plan_claim`` turns one CLP loop into per-line amounts (payment, write-offs, patient
responsibility, amounts left open) following the rules in docs/remittance.md:

- CO (contractual obligation) and PI (payer-initiated reduction): written off with a contractual
  adjustment in the insurance bucket; CR (correction): a correction adjustment.
- PR (patient responsibility: 1 deductible, 2 coinsurance, 3 copay, ...): moved from the insurance
  bucket to the patient bucket (a transfer), unless the patient has a secondary coverage: then the
  amount stays open in the insurance bucket for the secondary claim.
- OA (other adjustment; OI from pre-5010 senders), e.g. OA-23 (a prior payer's adjudication): left
  open in the insurance bucket for the secondary payer or a person to decide; never written off.
- A denied line (paid 0 with a payer refusal, not a deductible: ``nothing_paid_is_a_denial``; or
  CLP02 = 4 for the whole claim): its payer amounts stay open in the insurance bucket and go to
  the denial worklist; PR amounts still move.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from frontdesk.remittance.choices import LineMatch, Treatment

ZERO = Decimal("0.00")
DENIED_STATUS = "4"
REVERSAL_STATUS = "22"
PATIENT_GROUP = "PR"
WRITE_OFF_GROUPS = ("CO", "PI", "CR")


@dataclass(frozen=True)
class LineRef:
    """What matching needs of one of our claim lines."""

    id: int
    line_control_number: str
    procedure_code: str
    modifiers: tuple[str, ...]
    service_date: dt.date | None
    charge: Decimal


@dataclass(frozen=True)
class LineMatchResult:
    service_index: int  # position in ClaimPayment.service_lines
    line_id: int | None
    how: str  # LineMatch


def _norm(code: str) -> str:
    return (code or "").strip().upper()


def match_lines(services: Sequence[Any], lines: Sequence[LineRef]) -> list[LineMatchResult]:
    """Pair each SVC with one claim line: REF*6R line control number first, then procedure code +
    modifiers + date, then code + date when the payer dropped a modifier, then SVC06 (the code we
    sent, when the payer paid under another). A line is used once; ambiguous ties take the first."""
    free = {line.id: line for line in lines}
    by_control = {line.line_control_number: line for line in lines if line.line_control_number}
    results: dict[int, LineMatchResult] = {}

    def take(index: int, line: LineRef, how: str) -> None:
        free.pop(line.id, None)
        results[index] = LineMatchResult(index, line.id, how)

    for index, svc in enumerate(services):
        line = by_control.get((svc.line_control_number or "").strip())
        if line is not None and line.id in free:
            take(index, line, LineMatch.CONTROL_NUMBER)

    def same_date(svc: Any, line: LineRef) -> bool:
        return (
            svc.service_date is None
            or line.service_date is None
            or (svc.service_date == line.service_date)
        )

    passes = (
        (LineMatch.CODE_DATE, lambda svc, line: set(svc.modifiers) == set(line.modifiers)),
        (
            LineMatch.MODIFIER_DROPPED,
            lambda svc, line: set(svc.modifiers) <= set(line.modifiers),
        ),
    )
    for how, modifiers_ok in passes:
        for index, svc in enumerate(services):
            if index in results:
                continue
            for line in list(free.values()):
                if (
                    _norm(svc.procedure_code) == _norm(line.procedure_code)
                    and same_date(svc, line)
                    and modifiers_ok(svc, line)
                ):
                    take(index, line, how)
                    break
    for index, svc in enumerate(services):
        if index in results or not svc.submitted_procedure_code:
            continue
        for line in list(free.values()):
            if _norm(svc.submitted_procedure_code) == _norm(line.procedure_code) and same_date(
                svc, line
            ):
                take(index, line, LineMatch.SUBMITTED_CODE)
                break
    return [
        results.get(index, LineMatchResult(index, None, LineMatch.UNMATCHED))
        for index in range(len(services))
    ]


@dataclass(frozen=True)
class AdjustmentPlan:
    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None
    treatment: str  # Treatment
    service_index: int | None  # None: claim level


@dataclass
class LinePlan:
    """The money for one of our claim lines (amounts positive = what lowers insurance's share)."""

    line_id: int
    service_index: int | None
    paid: Decimal = ZERO
    written_off: list[tuple[str, str, Decimal]] = field(default_factory=list)  # (group, CARC, amt)
    to_patient: Decimal = ZERO
    patient_reasons: list[str] = field(default_factory=list)
    left_open: Decimal = ZERO
    denied: Decimal = ZERO
    denial_codes: list[str] = field(default_factory=list)


@dataclass
class ClaimPlan:
    lines: list[LinePlan]
    adjustments: list[AdjustmentPlan]
    denied: bool  # the whole claim (CLP02 = 4, or every line denied)
    warnings: list[str] = field(default_factory=list)


def treatment_for(group: str, *, denied: bool, has_secondary: bool) -> str:
    """The CARC-group-to-ledger rule (module docstring)."""
    if group == PATIENT_GROUP:
        return Treatment.LEFT_OPEN if has_secondary else Treatment.TO_PATIENT
    if denied:
        return Treatment.DENIED
    if group in WRITE_OFF_GROUPS:
        return Treatment.WRITTEN_OFF
    return Treatment.LEFT_OPEN  # OA / OI


# Reductions that are not refusals: the fee-schedule reduction (45), multiple-procedure reduction
# (59), a negotiated discount (131) and sequestration (253).
CONTRACTUAL_REASONS = frozenset({"45", "59", "131", "253"})


def nothing_paid_is_a_denial(paid: Decimal, adjustments: Sequence[Any]) -> bool:
    """Paid nothing, and the payer refused some of the charge (not merely reduced it).

    A line the payer adjudicated but paid nothing on because the allowed amount went to the
    patient's deductible (CO-45 for the fee-schedule reduction, PR-1 for the rest) is not a denial:
    nothing is left for the worklist. A refusal is any payer-side amount with another reason (CO-50
    not medically necessary, CO-96 non-covered, CO-197 no authorization, ...), or a contractual
    reduction with nothing moved to the patient.
    """
    if paid != 0:
        return False
    held = [a for a in adjustments if a.group != PATIENT_GROUP and a.amount > 0]
    if not held:
        return False
    to_patient = sum((a.amount for a in adjustments if a.group == PATIENT_GROUP), ZERO)
    reductions_only = all(a.group == "CO" and a.reason in CONTRACTUAL_REASONS for a in held)
    return not (reductions_only and to_patient > 0)


def line_is_denied(svc: Any) -> bool:
    """The service line was refused (see ``nothing_paid_is_a_denial``)."""
    return nothing_paid_is_a_denial(svc.paid, svc.adjustments)


def _apply(plan: LinePlan, group: str, reason: str, amount: Decimal, treatment: str) -> None:
    if treatment == Treatment.WRITTEN_OFF:
        plan.written_off.append((group, reason, amount))
    elif treatment == Treatment.TO_PATIENT:
        plan.to_patient += amount
        plan.patient_reasons.append(f"{group}-{reason}")
    elif treatment == Treatment.DENIED:
        plan.denied += amount
        plan.denial_codes.append(f"{group}-{reason}")
    else:
        plan.left_open += amount


def plan_claim(
    payment: Any,
    matches: Sequence[LineMatchResult],
    lines: Sequence[LineRef],
    *,
    has_secondary: bool,
) -> ClaimPlan:
    """Amounts per claim line for one CLP loop (not a reversal: see ``REVERSAL_STATUS``).

    Line-level SVC/CAS amounts go to the matched line. Claim-level CAS amounts (and the payment of a
    claim sent without SVC loops) are spread over the claim's lines in order, each line taking up to
    what is left of its charge, the last line taking any remainder.
    """
    claim_denied = payment.status == DENIED_STATUS
    plans: dict[int, LinePlan] = {}
    adjustments: list[AdjustmentPlan] = []
    warnings: list[str] = []
    for match in matches:
        svc = payment.service_lines[match.service_index]
        denied = claim_denied or line_is_denied(svc)
        for adj in svc.adjustments:
            treatment = (
                Treatment.NOT_POSTED
                if match.line_id is None
                else treatment_for(adj.group, denied=denied, has_secondary=has_secondary)
            )
            adjustments.append(
                AdjustmentPlan(
                    adj.group, adj.reason, adj.amount, adj.quantity, treatment, match.service_index
                )
            )
            if match.line_id is not None:
                plan = plans.setdefault(match.line_id, LinePlan(match.line_id, match.service_index))
                _apply(plan, adj.group, adj.reason, adj.amount, treatment)
        if match.line_id is None:
            warnings.append(
                f"Service line {svc.procedure_code} ({svc.paid}) matches no line of the claim; "
                "not posted."
            )
            continue
        plan = plans.setdefault(match.line_id, LinePlan(match.line_id, match.service_index))
        plan.paid += svc.paid
    # Claim-level money: spread over the lines in order.
    ordered = [plans.setdefault(line.id, LinePlan(line.id, None)) for line in lines]
    room = {
        line.id: line.charge
        - plans[line.id].paid
        - sum((a for _, _, a in plans[line.id].written_off), ZERO)
        - plans[line.id].to_patient
        - plans[line.id].left_open
        - plans[line.id].denied
        for line in lines
    }

    def spread(amount: Decimal, apply: Any) -> None:
        remaining = amount
        for index, plan in enumerate(ordered):
            if remaining == 0:
                break
            last = index == len(ordered) - 1
            take = (
                remaining
                if last or remaining < 0
                else min(remaining, max(room[plan.line_id], ZERO))
            )
            if take == 0:
                continue
            apply(plan, take)
            room[plan.line_id] -= take
            remaining -= take

    if not payment.service_lines and ordered:
        spread(payment.paid, lambda plan, amount: setattr(plan, "paid", plan.paid + amount))
    elif payment.service_lines:
        svc_paid = sum((svc.paid for svc in payment.service_lines), ZERO)
        if svc_paid != payment.paid:
            warnings.append(
                f"The claim pays {payment.paid} but its service lines {svc_paid}; "
                "the lines were posted."
            )
    whole_denied = claim_denied or nothing_paid_is_a_denial(payment.paid, _all_adjustments(payment))
    for adj in payment.adjustments:
        treatment = (
            treatment_for(adj.group, denied=whole_denied, has_secondary=has_secondary)
            if ordered
            else Treatment.NOT_POSTED
        )
        adjustments.append(
            AdjustmentPlan(adj.group, adj.reason, adj.amount, adj.quantity, treatment, None)
        )
        if ordered:
            spread(
                adj.amount,
                lambda plan, amount, g=adj.group, r=adj.reason, t=treatment: _apply(
                    plan, g, r, amount, t
                ),
            )
    return ClaimPlan(
        lines=[p for p in ordered if _has_money(p)],
        adjustments=adjustments,
        denied=whole_denied,
        warnings=warnings,
    )


def _all_adjustments(payment: Any) -> list[Any]:
    return [*payment.adjustments, *(a for svc in payment.service_lines for a in svc.adjustments)]


def _has_money(plan: LinePlan) -> bool:
    return bool(plan.paid or plan.written_off or plan.to_patient or plan.left_open or plan.denied)


def claim_outcome(payment: Any, plan: ClaimPlan) -> str:
    """The billing claim status an 835 claim sets: paid, partially_paid or denied."""
    if plan.denied:
        return "denied"
    if any(line.denied for line in plan.lines):
        return "partially_paid"
    return "paid"
