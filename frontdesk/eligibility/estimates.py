"""Patient cost estimates for a planned visit, and the Good Faith Estimate for self-pay patients.

``estimate_compute`` is pure: priced lines (the coding app's fee schedule: the payer's allowed amount,
else the practice's standard charge) and the plain-language benefits of the latest eligibility answer
give what the patient is expected to owe. The rule, in the order a payer applies it to an
in-network office visit:

1. A visit with an office-visit copay: the patient owes the copay (capped at the allowed total); the
   deductible and coinsurance are not applied to it (the common PPO office-visit design; the screen
   says so).
2. Otherwise the allowed total first goes to what remains of the deductible, then the coinsurance
   percentage of the rest; the patient's share never exceeds what remains of the out-of-pocket
   maximum.
3. Self-pay, no active answer, or no coverage: the patient owes the practice's standard charges.

``estimate_for_visit`` loads the fees and the latest answer (one audited read). The Good Faith
Estimate (``good_faith_estimate``) carries the content 45 CFR 149.610(c) requires of a convening
provider for an uninsured or self-pay individual; the printable page is ``eligibility/gfe.html``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import DomainError, FieldErrors, PermissionDenied
from frontdesk.eligibility.summary import BenefitSummary
from frontdesk.standards.codes import PLANNED_PROCEDURE_RE

CENT = Decimal("0.01")
PROCEDURE_CODE = PLANNED_PROCEDURE_RE  # CPT or HCPCS Level II (the appointment types' codes too)
MODIFIER = re.compile(r"^[0-9A-Z]{2}$")
ZERO = Decimal("0.00")
DISPUTE_THRESHOLD = Decimal("400.00")  # 45 CFR 149.620: billed charges at least $400 above the GFE

GFE_DISCLAIMERS = (
    "There may be additional items or services the provider or facility recommends as part of the "
    "course of care that must be scheduled or requested separately and are not reflected in this "
    "Good Faith Estimate.",
    "This Good Faith Estimate is not a contract and does not require you to obtain the items or "
    "services from any of the providers or facilities identified in it.",
    "This Good Faith Estimate shows the costs of items and services that are reasonably expected "
    "for your health care needs. The estimate is based on information known at the time it was "
    "created. It does not include any unknown or unexpected costs that may arise during treatment. "
    "You could be charged more if complications or special circumstances occur.",
)
GFE_DISPUTE_NOTICE = (
    "If you are billed for more than this Good Faith Estimate, you have the right to dispute the "
    "bill. You may contact the health care provider or facility listed to let them know the billed "
    "charges are higher than the Good Faith Estimate. You can ask them to update the bill to match "
    "the Good Faith Estimate, ask to negotiate the bill, or ask if there is financial assistance "
    "available. You may also start a dispute resolution process with the U.S. Department of Health "
    "and Human Services (HHS). If you choose to use the dispute resolution process, you must start "
    "the dispute process within 120 calendar days (about 4 months) of the date on the original bill. "
    "There is a $25 fee to use the dispute process. If the agency reviewing your dispute agrees with "
    "you, you will have to pay the price on this Good Faith Estimate. If the agency disagrees with "
    "you and agrees with the health care provider or facility, you will have to pay the higher "
    "amount. To learn more and get a form to start the process, go to www.cms.gov/nosurprises or "
    "call 1-800-985-3059. For questions or more information about your right to a Good Faith "
    "Estimate or the dispute process, visit www.cms.gov/nosurprises or call 1-800-985-3059. Keep a "
    "copy of this Good Faith Estimate in a safe place or take pictures of it. You may need it if you "
    "are billed a higher amount."
)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PlannedService:
    """One item or service planned for the visit."""

    code: str
    units: Decimal = Decimal("1")
    modifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class PricedLine:
    code: str
    modifiers: tuple[str, ...]
    units: Decimal
    description: str
    standard_charge: Decimal | None  # per unit
    allowed: Decimal | None  # per unit (the payer's schedule), None: not in it
    note: str = ""

    @property
    def charge_total(self) -> Decimal:
        return _money((self.standard_charge or ZERO) * self.units)

    @property
    def expected_total(self) -> Decimal:
        """What the payer is expected to allow (the standard charge when it has no schedule entry)."""
        unit = self.allowed if self.allowed is not None else self.standard_charge
        return _money((unit or ZERO) * self.units)


@dataclass(frozen=True)
class CostEstimate:
    lines: tuple[PricedLine, ...]
    self_pay: bool
    total_charges: Decimal
    expected_allowed: Decimal
    copay: Decimal = ZERO
    deductible_applied: Decimal = ZERO
    coinsurance: Decimal = ZERO
    patient_owes: Decimal = ZERO
    insurance_pays: Decimal = ZERO
    notes: tuple[str, ...] = field(default_factory=tuple)


def estimate_compute(
    lines: Sequence[PricedLine], summary: BenefitSummary | None, *, self_pay: bool
) -> CostEstimate:
    """What the patient is expected to owe for these lines under these benefits (pure)."""
    charges = _money(sum((line.charge_total for line in lines), ZERO))
    notes = [line.note for line in lines if line.note]
    missing = [line.code for line in lines if line.standard_charge is None and line.allowed is None]
    if missing:
        notes.append(f"No price on file for {', '.join(missing)}: not included in the totals.")
    if self_pay or summary is None or summary.active is not True:
        if not self_pay:
            notes.append(
                "No active eligibility answer for the date: estimated at the standard charges."
            )
        return CostEstimate(
            lines=tuple(lines),
            self_pay=True,
            total_charges=charges,
            expected_allowed=charges,
            patient_owes=charges,
            notes=tuple(notes),
        )
    allowed = _money(sum((line.expected_total for line in lines), ZERO))
    if summary.office_copay is not None:
        copay = min(summary.office_copay, allowed)
        notes.append("The office-visit copay applies; deductible and coinsurance are not applied.")
        return CostEstimate(
            lines=tuple(lines),
            self_pay=False,
            total_charges=charges,
            expected_allowed=allowed,
            copay=_money(copay),
            patient_owes=_money(copay),
            insurance_pays=_money(allowed - copay),
            notes=tuple(notes),
        )
    remaining = summary.deductible_remaining
    if remaining is None:
        remaining = ZERO
        if summary.deductible:
            notes.append("The payer did not say what remains of the deductible: assumed met.")
    deductible = min(remaining, allowed)
    rate = (summary.coinsurance_percent or ZERO) / Decimal(100)
    coinsurance = _money((allowed - deductible) * rate)
    owes = deductible + coinsurance
    if summary.out_of_pocket_remaining is not None and owes > summary.out_of_pocket_remaining:
        owes = summary.out_of_pocket_remaining
        notes.append("Capped at what remains of the out-of-pocket maximum.")
    owes = _money(owes)
    return CostEstimate(
        lines=tuple(lines),
        self_pay=False,
        total_charges=charges,
        expected_allowed=allowed,
        deductible_applied=_money(deductible),
        coinsurance=coinsurance,
        patient_owes=owes,
        insurance_pays=_money(allowed - owes),
        notes=tuple(notes),
    )


def parse_services(text: str) -> list[PlannedService]:
    """ "99213, 36415 x2, 99214-25" -> planned services (codes upper-cased; refused with field errors)."""
    errors = FieldErrors()
    services: list[PlannedService] = []
    for raw in text.replace("\n", ",").split(","):
        item = raw.strip().upper()
        if not item:
            continue
        units = Decimal("1")
        if " X" in item:
            item, _, count = item.rpartition(" X")
            try:
                units = Decimal(count.strip())
            except ArithmeticError:
                errors.add("services", f"Not a number of units: {count.strip()!r}.")
                continue
            if not Decimal("0") < units <= Decimal("99"):
                errors.add("services", f"Units must be 1 to 99: {count.strip()!r}.")
                continue
        code, *modifiers = [part.strip() for part in item.strip().split("-")]
        if not PROCEDURE_CODE.match(code) or not all(MODIFIER.match(m) for m in modifiers):
            errors.add("services", f"Not a procedure code with modifiers: {raw.strip()!r}.")
            continue
        services.append(PlannedService(code=code, units=units, modifiers=tuple(modifiers[:4])))
    if not services and not errors.fields:
        errors.add("services", "Name at least one procedure code.")
    errors.raise_if_any()
    return services


def price_lines(
    services: Sequence[PlannedService], *, payer_id: int | None, on: dt.date
) -> list[PricedLine]:
    from frontdesk.coding.selectors import fee_for, procedure_lookup

    lines: list[PricedLine] = []
    for service in services:
        quote = fee_for(code=service.code, modifiers=service.modifiers, payer_id=payer_id, on=on)
        procedure = procedure_lookup(service.code)
        lines.append(
            PricedLine(
                code=service.code,
                modifiers=service.modifiers,
                units=service.units,
                description=procedure.description if procedure is not None else "",
                standard_charge=quote.standard_charge,
                allowed=quote.allowed,
                note=quote.message,
            )
        )
    return lines


@dataclass(frozen=True)
class VisitEstimate:
    patient: Any
    coverage: Any
    on: dt.date
    estimate: CostEstimate
    summary: BenefitSummary | None
    check: Any


def estimate_for_visit(
    *,
    user: Any,
    patient: Any,
    services: Sequence[PlannedService],
    on: dt.date,
    self_pay: bool = False,
    event: str = "estimate_viewed",
) -> VisitEstimate:
    """The estimate for a planned visit of ``patient`` on ``on`` (the patient's primary coverage in
    force that day and its latest eligibility answer; self-pay prices the standard charges)."""
    from frontdesk.eligibility.selectors import latest_answer, summary_of
    from frontdesk.patients.choices import CoverageStatus

    if user is None or not user.can(A.ESTIMATE_CREATE):
        raise PermissionDenied()
    coverage = None
    if not self_pay:
        coverage = (
            patient.coverages.filter(status=CoverageStatus.ACTIVE)
            .exclude(effective_on__gt=on)
            .exclude(terminates_on__lt=on)
            .select_related("payer")
            .order_by("priority", "pk")
            .first()
        )
    check = latest_answer(coverage_id=coverage.pk, day=on) if coverage is not None else None
    summary = summary_of(check) if check is not None else None
    lines = price_lines(services, payer_id=coverage.payer_id if coverage else None, on=on)
    estimate = estimate_compute(lines, summary, self_pay=self_pay or coverage is None)
    audit_record(
        actor=user,
        action=AuditAction.PRINT if event == "good_faith_estimate_printed" else AuditAction.READ,
        category=AuditCategory.FINANCIAL,
        patient_id=patient.pk,
        object_type="patient",
        object_id=patient.pk,
        detail={"event": event, "codes": [s.code for s in services], "self_pay": estimate.self_pay},
    )
    return VisitEstimate(
        patient=patient,
        coverage=coverage,
        on=on,
        estimate=estimate,
        summary=summary,
        check=check,
    )


@dataclass(frozen=True)
class AppointmentEstimate:
    """The estimate panel of an appointment: its type's planned codes priced for its date of service.

    ``visit`` is None when the type plans no codes (``codes`` empty) or its codes cannot be read
    (``problem`` says why); the panel then points to the full estimate page."""

    appointment: Any
    on: dt.date
    codes: str
    visit: VisitEstimate | None
    problem: str = ""

    @property
    def patient(self) -> Any:
        return self.appointment.patient

    @property
    def uninsured(self) -> bool:
        """No coverage in force on the date: a self-pay patient (the Good Faith Estimate applies)."""
        return self.visit is not None and self.visit.coverage is None


def estimate_for_appointment(*, user: Any, appointment: Any) -> AppointmentEstimate:
    """What the patient of ``appointment`` is expected to owe for it: the codes its type plans, the
    fee schedule, the primary coverage in force on the date of service and its latest eligibility
    answer (``estimate_for_visit``). Records one read of the patient, codes or not."""
    from frontdesk.eligibility.inquiry import service_date_of

    if user is None or not user.can(A.ESTIMATE_CREATE):
        raise PermissionDenied()
    on = service_date_of(appointment)
    codes = (appointment.appointment_type.estimate_codes or "").strip()
    planned: list[PlannedService] = []
    problem = ""
    if codes:
        try:
            planned = parse_services(codes)
        except DomainError as exc:
            problem = " ".join(exc.fields.get("services", [])) or exc.message
    if not planned:
        audit_record(
            actor=user,
            action=AuditAction.READ,
            category=AuditCategory.FINANCIAL,
            patient_id=appointment.patient_id,
            object_type="patient",
            object_id=appointment.patient_id,
            detail={"event": "appointment_estimate_viewed", "codes": [], "self_pay": False},
        )
        return AppointmentEstimate(
            appointment=appointment, on=on, codes=codes, visit=None, problem=problem
        )
    visit = estimate_for_visit(
        user=user,
        patient=appointment.patient,
        services=planned,
        on=on,
        event="appointment_estimate_viewed",
    )
    return AppointmentEstimate(appointment=appointment, on=on, codes=codes, visit=visit)


@dataclass(frozen=True)
class GoodFaithEstimate:
    """The content of a Good Faith Estimate (45 CFR 149.610(c)) for one convening provider."""

    issued_on: dt.date
    patient_name: str
    patient_date_of_birth: dt.date
    service_description: str
    scheduled_on: dt.date | None
    diagnosis_codes: tuple[str, ...]
    lines: tuple[PricedLine, ...]
    total: Decimal
    provider_name: str
    provider_npi: str
    provider_tin: str
    facility_name: str
    facility_npi: str
    facility_address: str
    co_provider_items: tuple[str, ...]
    separately_scheduled: tuple[str, ...]
    disclaimers: tuple[str, ...] = GFE_DISCLAIMERS
    dispute_notice: str = GFE_DISPUTE_NOTICE


def good_faith_estimate(
    *,
    visit: VisitEstimate,
    location: Any,
    provider: Any = None,
    description: str = "",
    diagnosis_codes: Sequence[str] = (),
    co_provider_items: Sequence[str] = (),
    separately_scheduled: Sequence[str] = (),
) -> GoodFaithEstimate:
    """The Good Faith Estimate of a self-pay visit (its lines priced at the standard charges)."""
    organization = location.organization
    patient = visit.patient
    address = ", ".join(
        part
        for part in (
            location.address_line1,
            location.city,
            f"{location.state} {location.postal_code}".strip(),
        )
        if part
    )
    return GoodFaithEstimate(
        issued_on=timezone.localdate(),
        patient_name=patient.display_name,
        patient_date_of_birth=patient.date_of_birth,
        service_description=description or "Office visit",
        scheduled_on=visit.on,
        diagnosis_codes=tuple(diagnosis_codes),
        lines=visit.estimate.lines,
        total=visit.estimate.total_charges,
        provider_name=provider.display_name if provider is not None else organization.name,
        provider_npi=provider.npi if provider is not None else organization.npi,
        provider_tin=organization.tax_id,
        facility_name=f"{organization.name} — {location.name}",
        facility_npi=location.npi or organization.npi,
        facility_address=address,
        co_provider_items=tuple(co_provider_items),
        separately_scheduled=tuple(separately_scheduled),
    )
