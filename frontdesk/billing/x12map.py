"""Claims (models) -> the 837P codec's dataclasses (``standards.x12.claims``). Pure mapping, no writes.

Hierarchy: the billing provider (2000A) is the claim's billing organization (group NPI, EIN, address);
one subscriber group (2000B) per coverage, carrying its payer (2010BB), so one transaction can hold
several payers for a clearinghouse; the patient (2000C) only when the patient is not the subscriber.
A secondary claim carries the primary payer's adjudication (2320/2330 and 2430 per line).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings

from frontdesk.billing.models import Claim
from frontdesk.billing.services import subscriber_facts
from frontdesk.patients.models import Coverage, Patient
from frontdesk.practice.models import Organization
from frontdesk.standards.x12_codes import CLAIM_FILING_INDICATOR

VERSION = "005010X222A1"


def codec() -> Any:
    """The 837P codec module (``frontdesk.standards.x12.claims``)."""
    from frontdesk.standards.x12 import claims  # type: ignore[attr-defined,unused-ignore]

    return claims


def _digits(value: str) -> str:
    return "".join(ch for ch in value or "" if ch.isdigit())


def phone_number(value: str) -> str:
    """A stored phone (E.164, "+15185550100") as X12 wants it: the 10-digit NANP number, or ""."""
    digits = _digits(value)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) == 10 else ""


def sender_id(organization: Organization) -> str:
    from frontdesk.clearinghouse.envelopes import sender_id as configured

    return configured()


def receiver_id() -> str:
    from frontdesk.clearinghouse.envelopes import receiver_id as configured

    return configured()


def receiver_name() -> str:
    return str(getattr(settings, "FRONTDESK_X12_RECEIVER_NAME", "") or "FRONTDESK CLEARINGHOUSE")


def address(holder: Any) -> Any:
    x12 = codec()
    return x12.Address(
        line1=holder.address_line1,
        line2=holder.address_line2,
        city=holder.city,
        state=holder.state,
        postal_code=_digits(holder.postal_code),
    )


def billing_provider(organization: Organization) -> Any:
    x12 = codec()
    return x12.BillingProvider(
        name=organization.name,
        npi=organization.npi,
        tax_id=_digits(organization.tax_id),
        address=address(organization),
        phone=phone_number(organization.phone),
    )


def submitter(organization: Organization) -> Any:
    x12 = codec()
    return x12.Submitter(
        name=organization.name,
        identifier=sender_id(organization),
        contact_name="BILLING OFFICE",
        phone=phone_number(organization.phone) or "5555550100",
    )


def payer_of(claim: Claim) -> Any:
    x12 = codec()
    return x12.Payer(name=claim.payer.name, payer_id=claim.payer.payer_id)


def subscriber_of(coverage: Coverage, patient: Patient, responsibility: str) -> Any:
    x12 = codec()
    facts = subscriber_facts(coverage, patient)
    holder = coverage.subscriber_patient if coverage.relationship != "18" else patient
    holder = holder or patient
    return x12.Subscriber(
        member_id=facts.member_id,
        last_name=facts.last_name,
        first_name=facts.first_name,
        date_of_birth=facts.date_of_birth,
        sex=facts.sex or "U",
        address=address(holder),
        group_number=coverage.group_number,
        payer_responsibility=responsibility,
        claim_filing_indicator=CLAIM_FILING_INDICATOR.get(coverage.payer.payer_type, "CI"),
    )


def patient_of(coverage: Coverage, patient: Patient) -> Any:
    if coverage.relationship == "18":
        return None
    x12 = codec()
    return x12.PatientInfo(
        relationship=coverage.relationship,
        last_name=patient.last_name,
        first_name=patient.first_name,
        date_of_birth=patient.date_of_birth,
        sex={"F": "F", "M": "M"}.get(patient.sex_at_birth, "U"),
        address=address(patient),
    )


def _adjustments(rows: Sequence[dict[str, Any]]) -> tuple[Any, ...]:
    x12 = codec()
    return tuple(
        x12.Adjustment(
            group=str(row["group"]),
            reason=str(row["reason"]),
            amount=Decimal(str(row["amount"])),
            quantity=Decimal(str(row["quantity"])) if row.get("quantity") else None,
        )
        for row in rows
    )


def claim_of(claim: Claim) -> Any:
    """One CLM loop with its lines (and the prior payer's adjudication on a secondary claim)."""
    x12 = codec()
    adjudication = claim.prior_adjudication or {}
    prior_lines = {
        str(row.get("line_control_number", "")): row for row in adjudication.get("lines", [])
    }
    prior_by_code = {
        str(row.get("procedure_code", "")): row for row in adjudication.get("lines", [])
    }
    adjudicated_on = dt.date.fromisoformat(adjudication["adjudicated_on"]) if adjudication else None
    prior_payer_id = str(adjudication.get("payer_id", "")) if adjudication else ""
    primary = claim.primary_claim
    lines = []
    for line in claim.lines.all():
        prior: tuple[Any, ...] = ()
        if adjudication:
            source_lcn = ""
            if primary is not None and line.charge_line_id:
                source_lcn = next(
                    (
                        p.line_control_number
                        for p in primary.lines.all()
                        if p.charge_line_id == line.charge_line_id
                    ),
                    "",
                )
            row = prior_lines.get(source_lcn) or prior_by_code.get(line.procedure_code)
            if row is not None:
                prior = (
                    x12.LineAdjudication(
                        payer_id=prior_payer_id or (primary.payer.payer_id if primary else ""),
                        paid=Decimal(str(row.get("paid", "0"))),
                        procedure_code=str(row.get("procedure_code") or line.procedure_code),
                        units=Decimal(str(row.get("units") or line.units)),
                        adjudicated_on=adjudicated_on,
                        modifiers=tuple(row.get("modifiers") or ()),
                        adjustments=_adjustments(row.get("adjustments", [])),
                    ),
                )
        lines.append(
            x12.ServiceLine(
                procedure_code=line.procedure_code,
                charge=line.charge,
                units=line.units.normalize()
                if line.units == line.units.to_integral()
                else line.units,
                diagnosis_pointers=line.diagnosis_pointers,
                service_date=line.service_date,
                line_control_number=line.line_control_number,
                modifiers=tuple(line.modifiers),
                prior_adjudications=prior,
            )
        )
    other_payers: tuple[Any, ...] = ()
    if adjudication and primary is not None:
        other_payers = (
            x12.OtherPayer(
                payer=payer_of(primary),
                subscriber=subscriber_of(primary.coverage, primary.patient, primary.responsibility),
                paid=Decimal(str(adjudication["paid"])),
                adjudicated_on=adjudicated_on,
                adjustments=_adjustments(adjudication.get("adjustments", [])),
                relationship=primary.coverage.relationship,
            ),
        )
    provider = claim.rendering_provider
    return x12.Claim(
        claim_id=claim.claim_id,
        total_charge=claim.total_charge,
        place_of_service=claim.place_of_service,
        diagnoses=tuple(claim.diagnoses),
        lines=tuple(lines),
        frequency_code=claim.frequency_code,
        original_claim_number=claim.original_payer_claim_number,
        rendering_provider=x12.ProviderName(
            last_name=provider.last_name,
            first_name=provider.first_name,
            npi=provider.npi,
            taxonomy_code=provider.taxonomy_code,
        ),
        other_payers=other_payers,
    )


def codec_batch(
    *, reference: str, created_at: dt.datetime, organization: Organization, claims: Sequence[Claim]
) -> Any:
    """One 837P transaction: the organization's claims grouped by subscriber (coverage)."""
    x12 = codec()
    groups: dict[tuple[int, str], list[Claim]] = {}
    for claim in claims:
        groups.setdefault((claim.coverage_id, claim.responsibility), []).append(claim)
    codec_groups = []
    for members in groups.values():
        first = members[0]
        codec_groups.append(
            x12.ClaimGroup(
                subscriber=subscriber_of(first.coverage, first.patient, first.responsibility),
                payer=payer_of(first),
                claims=tuple(claim_of(claim) for claim in members),
                patient=patient_of(first.coverage, first.patient),
            )
        )
    return x12.ClaimBatch(
        reference=reference,
        created_at=created_at,
        submitter=submitter(organization),
        receiver=x12.Receiver(name=receiver_name(), identifier=receiver_id()),
        billing_provider=billing_provider(organization),
        groups=tuple(codec_groups),
    )
