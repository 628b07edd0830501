"""Writes of billing: charge entry, claims, the scrubber run, claim status moves, corrected/void and
secondary claims. (837P batches: ``batch_services``; acknowledgments: ``ack_services``.)

Charge entry: a provider (CHARGE_ENTER) enters a visit's codes; the encounter stays a draft until
someone who may post charges (CHARGE_POST) posts it, which writes one ledger charge per line (the
INSURANCE bucket when the patient has active coverage on the date of service, else PATIENT) and, for
an insured patient, creates the primary claim and scrubs it - all in one transaction. A user who holds
both actions (billing, practice manager) does it in one step. An appointment has one encounter, so a
resubmitted form is refused and charges are posted exactly once.

Every claim status move goes through ``claim_status_set``, which checks ``TRANSITIONS`` under the
claim's row lock and appends a ``ClaimStatusEvent``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.billing import adapters, scrubber
from frontdesk.billing.choices import (
    BILLED_STATUSES,
    TRANSITIONS,
    ClaimStatus,
    EncounterStatus,
    FrequencyCode,
    ResponsibilitySequence,
    Severity,
    StatusSource,
)
from frontdesk.billing.errors import ChargesAlreadyEntered, TransitionRefused
from frontdesk.billing.models import (
    MAX_DIAGNOSES,
    MAX_MODIFIERS,
    MAX_POINTERS,
    ChargeLine,
    Claim,
    ClaimLine,
    ClaimStatusEvent,
    Encounter,
    PayerClaimSettings,
    ScrubFinding,
)
from frontdesk.core.counters import counter_next
from frontdesk.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from frontdesk.core.money import MoneyError, parse_money
from frontdesk.ledger.choices import Bucket, ChargeCode, EntryKind
from frontdesk.ledger.models import LedgerEntry
from frontdesk.ledger.services import business_date, charge_post, entry_reverse
from frontdesk.patients.choices import CoverageStatus
from frontdesk.patients.models import Coverage, Patient
from frontdesk.practice.models import Organization, Provider
from frontdesk.scheduling.choices import AppointmentStatus
from frontdesk.scheduling.models import Appointment

ENTERABLE_STATUSES = frozenset(
    {AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN, AppointmentStatus.FULFILLED}
)


def _require(actor: Any, action: str) -> None:
    if actor is None or not actor.can(action):
        raise PermissionDenied()


def _audit(
    actor: Any, action: str, patient_id: int | None, object_type: str, pk: Any, **detail: Any
) -> None:
    audit_record(
        actor=actor,
        action=action,
        category=AuditCategory.FINANCIAL,
        patient_id=patient_id,
        object_type=object_type,
        object_id=pk,
        detail=detail,
    )


# --- identifiers ----------------------------------------------------------------------------------


def _check_char(digits: str) -> str:
    """Luhn check digit of ``digits`` (catches a mistyped claim number on the phone)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def claim_id_for(number: int) -> str:
    """CLM01: "FD" + 8 digits + check digit (11 characters, well under the 20 allowed)."""
    digits = f"{number:08d}"
    return f"FD{digits}{_check_char(digits)}"


def claim_id_valid(value: str) -> bool:
    return (
        len(value) >= 4
        and value.startswith("FD")
        and value[2:].isdigit()
        and _check_char(value[2:-1]) == value[-1]
    )


# --- coverage ------------------------------------------------------------------------------------


def coverage_on(patient: Patient, on: dt.date, priority: int = 1) -> Coverage | None:
    """The patient's active coverage at ``priority`` in force on ``on`` (dates inclusive)."""
    return (
        Coverage.objects.filter(patient=patient, status=CoverageStatus.ACTIVE, priority=priority)
        .filter(Q(effective_on__isnull=True) | Q(effective_on__lte=on))
        .filter(Q(terminates_on__isnull=True) | Q(terminates_on__gte=on))
        .select_related("payer", "plan", "subscriber_patient")
        .first()
    )


# --- charge entry --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    procedure_code: str
    charge: Any  # money text or Decimal
    units: Any = "1"
    modifiers: tuple[str, ...] = ()
    pointers: tuple[int, ...] = (1,)


@dataclass(frozen=True)
class EncounterInput:
    diagnoses: tuple[str, ...]
    lines: tuple[LineInput, ...]
    place_of_service: str = ""
    rendering_provider_id: int | None = None
    billing_organization_id: int | None = None
    service_date: dt.date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def appointment_service_date(appointment: Appointment) -> dt.date:
    """The date of service: the appointment's local date at its location."""
    return appointment.starts_at.astimezone(appointment.location.tzinfo).date()


def _clean_encounter(
    data: EncounterInput, appointment: Appointment
) -> tuple[list[str], list[dict[str, Any]]]:
    errors = FieldErrors()
    service_date = data.service_date or appointment_service_date(appointment)
    coverage = coverage_on(appointment.patient, service_date)
    payer_id = coverage.payer_id if coverage is not None else None
    diagnoses = [adapters.normalize_icd10(code) for code in data.diagnoses if code.strip()]
    if not diagnoses:
        errors.add("diagnoses", "Enter at least one diagnosis (ICD-10-CM).")
    if len(diagnoses) > MAX_DIAGNOSES:
        errors.add("diagnoses", f"A claim carries at most {MAX_DIAGNOSES} diagnoses.")
    if len(set(diagnoses)) != len(diagnoses):
        errors.add("diagnoses", "A diagnosis is listed twice.")
    for index, code in enumerate(diagnoses, start=1):
        if not (3 <= len(code) <= 7 and code.isalnum()):
            errors.add(f"diagnosis_{index}", f"{code} is not an ICD-10-CM code.")
    lines: list[dict[str, Any]] = []
    if not data.lines:
        errors.add("lines", "Enter at least one procedure.")
    if len(data.lines) > 50:
        errors.add("lines", "At most 50 procedures per visit.")
    for number, line in enumerate(data.lines, start=1):
        prefix = f"line_{number}"
        code = (line.procedure_code or "").strip().upper()
        if not adapters.PROCEDURE_RE.match(code):
            errors.add(f"{prefix}_procedure_code", "Enter a 5-character CPT or HCPCS code.")
        modifiers = tuple(m.strip().upper() for m in line.modifiers if m and m.strip())
        if len(modifiers) > MAX_MODIFIERS:
            errors.add(f"{prefix}_modifiers", "At most 4 modifiers per line.")
        for modifier in modifiers:
            problem = adapters.modifier_check(modifier)
            if problem:
                errors.add(f"{prefix}_modifiers", problem)
        charge_text = line.charge if line.charge is not None else ""
        if isinstance(charge_text, str) and not charge_text.strip() and code:
            fee = adapters.fee_for(
                code=code, modifiers=modifiers, payer_id=payer_id, on=service_date
            )
            if fee is None:
                errors.add(
                    f"{prefix}_charge",
                    f"CPT {code} has no fee in the fee schedule: enter the charge, or add the "
                    "code to the fee schedule.",
                )
                charge_text = "0"
            else:
                charge_text = fee
        try:
            charge = parse_money(charge_text)
            if charge <= 0 and f"{prefix}_charge" not in errors.fields:
                errors.add(f"{prefix}_charge", "Enter a charge greater than zero.")
        except MoneyError as exc:
            if f"{prefix}_charge" not in errors.fields:
                errors.add(f"{prefix}_charge", str(exc))
            charge = Decimal("0")
        try:
            units = Decimal(str(line.units).strip() or "1")
            if (
                not units.is_finite()
                or units <= 0
                or units > 9999
                or units != units.quantize(Decimal("0.001"))
            ):
                raise InvalidOperation
        except InvalidOperation:
            errors.add(f"{prefix}_units", "Enter the units as a number greater than zero.")
            units = Decimal("1")
        pointers = tuple(int(p) for p in line.pointers if p)
        if not pointers:
            errors.add(f"{prefix}_pointers", "Point the line at a diagnosis (1 = the first).")
        if len(pointers) > MAX_POINTERS:
            errors.add(f"{prefix}_pointers", "At most 4 diagnosis pointers per line.")
        for pointer in pointers:
            if not 1 <= pointer <= max(len(diagnoses), 1) or pointer > MAX_DIAGNOSES:
                errors.add(
                    f"{prefix}_pointers",
                    f"Pointer {pointer} does not point at one of the {len(diagnoses)} diagnoses.",
                )
        if len(set(pointers)) != len(pointers):
            errors.add(f"{prefix}_pointers", "A line points at the same diagnosis twice.")
        lines.append(
            {
                "line_number": number,
                "procedure_code": code,
                "modifiers": list(modifiers),
                "units": units,
                "charge": charge,
                "pointers": pointers,
            }
        )
    pos = (data.place_of_service or appointment.location.place_of_service or "").strip()
    if pos not in adapters.place_of_service_codes():
        errors.add("place_of_service", "Pick a place of service.")
    errors.raise_if_any()
    return diagnoses, lines


def encounter_save(
    *, actor: Any, appointment: Appointment, data: EncounterInput, post: bool | None = None
) -> Encounter:
    """Enter a visit's charges; post them too when ``post`` (default: when the actor may).

    Refused when the visit already has charges (ChargesAlreadyEntered): charges post exactly once.
    """
    _require(actor, A.CHARGE_ENTER)
    if not Appointment.objects.restrict(actor, A.CHARGE_ENTER).filter(pk=appointment.pk).exists():
        raise NotFound()
    if (
        not Patient.objects.restrict(actor, A.PATIENT_VIEW)
        .filter(pk=appointment.patient_id)
        .exists()
    ):
        raise NotFound()
    if appointment.status not in ENTERABLE_STATUSES:
        raise Conflict(
            "Charges are entered for visits that happened (arrived, checked in or fulfilled).",
            code="visit_not_seen",
        )
    diagnoses, lines = _clean_encounter(data, appointment)
    provider: Provider | None = appointment.provider
    if data.rendering_provider_id and provider and data.rendering_provider_id != provider.pk:
        provider = Provider.objects.filter(pk=data.rendering_provider_id, is_active=True).first()
        if provider is None:
            raise Conflict(
                "Pick an active rendering provider.", code="provider", field="rendering_provider"
            )
    assert provider is not None
    organization = appointment.location.organization
    if data.billing_organization_id and data.billing_organization_id != organization.pk:
        found = Organization.objects.filter(pk=data.billing_organization_id).first()
        if found is None:
            raise Conflict(
                "Pick the billing organization.", code="organization", field="billing_organization"
            )
        organization = found
    service_date = data.service_date or appointment_service_date(appointment)
    should_post = actor.can(A.CHARGE_POST) if post is None else post
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if Encounter.objects.filter(appointment=locked).exists():
            raise ChargesAlreadyEntered()
        encounter = Encounter.objects.create(
            appointment=locked,
            patient_id=locked.patient_id,
            location_id=locked.location_id,
            rendering_provider=provider,
            billing_organization=organization,
            place_of_service=(data.place_of_service or locked.location.place_of_service).strip(),
            service_date=service_date,
            diagnoses=diagnoses,
            status=EncounterStatus.DRAFT,
            entered_by=actor,
        )
        for line in lines:
            pointers = list(line.pop("pointers")) + [None] * 4
            ChargeLine.objects.create(
                encounter=encounter,
                pointer_1=pointers[0],
                pointer_2=pointers[1],
                pointer_3=pointers[2],
                pointer_4=pointers[3],
                **line,
            )
        _audit(
            actor,
            AuditAction.CREATE,
            encounter.patient_id,
            "billing_encounter",
            encounter.pk,
            event="charges_entered",
            appointment=locked.pk,
            lines=len(lines),
        )
        if should_post:
            encounter_post(actor=actor, encounter=encounter)
    encounter.refresh_from_db()
    return encounter


def encounter_post(*, actor: Any, encounter: Encounter) -> Encounter:
    """Post a draft encounter's lines to the ledger and create (and scrub) its primary claim."""
    _require(actor, A.CHARGE_POST)
    with transaction.atomic():
        locked = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if locked.status != EncounterStatus.DRAFT:
            raise Conflict("These charges have already been posted.", code="already_posted")
        appointment = Appointment.objects.select_related("location", "patient").get(
            pk=locked.appointment_id
        )
        coverage = coverage_on(appointment.patient, locked.service_date)
        bucket = Bucket.INSURANCE if coverage is not None else Bucket.PATIENT
        now = timezone.now()
        for line in locked.lines.order_by("line_number"):
            modifiers = "-".join(line.modifiers)
            entry = charge_post(
                actor=actor,
                patient=appointment.patient,
                location=appointment.location,
                code=ChargeCode.VISIT,
                amount=line.charge,
                appointment=appointment,
                service_date=locked.service_date,
                description=f"{line.procedure_code}{'-' + modifiers if modifiers else ''}"
                f" x{line.units.normalize()}",
                bucket=bucket,
                at=now,
            )
            line.ledger_entry = entry
            line.save(update_fields=["ledger_entry"])
        if bucket == Bucket.INSURANCE:
            _copay_charges_replace(actor=actor, appointment=appointment, at=now)
        locked.status = EncounterStatus.READY
        locked.posted_at = now
        locked.posted_by = actor
        locked.save(update_fields=["status", "posted_at", "posted_by", "updated_at"])
        _audit(
            actor,
            AuditAction.CREATE,
            locked.patient_id,
            "billing_encounter",
            locked.pk,
            event="charges_posted",
            bucket=bucket,
        )
        if coverage is not None:
            claim = claim_create(actor=actor, encounter=locked, coverage=coverage)
            claim_scrub(actor=actor, claim=claim)
    return locked


COPAY_REPLACED = (
    "Replaced by the visit's charges: the payer's patient responsibility (835) takes its place"
)


def _copay_charges_replace(*, actor: Any, appointment: Appointment, at: dt.datetime) -> None:
    """Reverse the copay charged at check-in once the visit's real charges go to insurance.

    The desk charges the expected copay before anything is billed (so it can be collected and
    receipted); it stands in for the patient's share of the visit. When the visit's charges are
    posted to the insurance bucket, the payer's 835 moves the patient's share (PR-3 copay, PR-1
    deductible, PR-2 coinsurance) to the patient: keeping the check-in copay charge as well would
    bill the copay twice. The copay payment itself stays on the account as the patient's credit,
    which that patient responsibility consumes.
    """
    placeholders = LedgerEntry.objects.filter(
        appointment=appointment,
        kind=EntryKind.CHARGE,
        code=ChargeCode.COPAY,
        reverses__isnull=True,
        reversal__isnull=True,
    ).order_by("pk")
    for entry in placeholders:
        entry_reverse(
            actor=actor,
            entry=entry,
            reason=COPAY_REPLACED,
            location=appointment.location,
            at=at,
        )


# --- claims ----------------------------------------------------------------------------------------


def _new_claim(
    *,
    actor: Any,
    encounter: Encounter,
    coverage: Coverage,
    responsibility: str = ResponsibilitySequence.PRIMARY,
    frequency_code: str = FrequencyCode.ORIGINAL,
    original: Claim | None = None,
    primary: Claim | None = None,
    prior_adjudication: dict[str, Any] | None = None,
    source_lines: list[Any] | None = None,
) -> Claim:
    claim_id = claim_id_for(counter_next("billing.claim"))
    if source_lines is None:
        source_lines = list(encounter.lines.order_by("line_number"))
    total = sum((line.charge for line in source_lines), Decimal("0.00"))
    claim = Claim.objects.create(
        claim_id=claim_id,
        encounter=encounter,
        patient_id=encounter.patient_id,
        location_id=encounter.location_id,
        coverage=coverage,
        payer_id=coverage.payer_id,
        responsibility=responsibility,
        frequency_code=frequency_code,
        original_claim=original,
        original_payer_claim_number=original.payer_claim_number if original else "",
        primary_claim=primary,
        prior_adjudication=prior_adjudication or {},
        rendering_provider_id=encounter.rendering_provider_id,
        billing_organization_id=encounter.billing_organization_id,
        place_of_service=encounter.place_of_service,
        service_date=encounter.service_date,
        diagnoses=list(encounter.diagnoses),
        total_charge=total,
        created_by=actor if actor is not None else encounter.entered_by,
    )
    for number, line in enumerate(source_lines, start=1):
        is_charge_line = isinstance(line, ChargeLine)
        ClaimLine.objects.create(
            claim=claim,
            line_number=number,
            line_control_number=f"{claim_id}-{number}",
            procedure_code=line.procedure_code,
            modifiers=list(line.modifiers),
            units=line.units,
            charge=line.charge,
            service_date=encounter.service_date,
            pointer_1=line.pointer_1,
            pointer_2=line.pointer_2,
            pointer_3=line.pointer_3,
            pointer_4=line.pointer_4,
            charge_line=line if is_charge_line else line.charge_line,
            ledger_entry=line.ledger_entry,
        )
    ClaimStatusEvent.objects.create(
        claim=claim,
        status=ClaimStatus.CREATED,
        at=timezone.now(),
        source=StatusSource.USER,
        detail=_created_detail(frequency_code, responsibility, original),
        actor=actor,
    )
    _audit(
        actor,
        AuditAction.CREATE,
        claim.patient_id,
        "claim",
        claim.pk,
        event="claim_created",
        claim_id=claim_id,
        frequency=frequency_code,
        responsibility=responsibility,
    )
    return claim


def _created_detail(frequency_code: str, responsibility: str, original: Claim | None) -> str:
    if frequency_code == FrequencyCode.CORRECTED and original is not None:
        return f"Corrected claim (frequency 7) replacing {original.claim_id}."
    if frequency_code == FrequencyCode.VOID and original is not None:
        return f"Void claim (frequency 8) cancelling {original.claim_id}."
    if responsibility != ResponsibilitySequence.PRIMARY:
        return (
            f"{ResponsibilitySequence(responsibility).label} claim with the prior payer's payment."
        )
    return "Claim created from the visit's charges."


def claim_create(*, actor: Any, encounter: Encounter, coverage: Coverage | None = None) -> Claim:
    """Create the primary claim of a posted encounter (its coverage on the date of service)."""
    _require(actor, A.CHARGE_ENTER)
    with transaction.atomic():
        locked = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if locked.status == EncounterStatus.DRAFT:
            raise Conflict("Post the charges before billing them.", code="not_posted")
        coverage = coverage or coverage_on(locked.patient, locked.service_date)
        if coverage is None:
            raise Conflict(
                "The patient has no active coverage on the date of service; bill the patient.",
                code="no_coverage",
            )
        if (
            Claim.objects.filter(
                encounter=locked,
                payer_id=coverage.payer_id,
                frequency_code=FrequencyCode.ORIGINAL,
                responsibility=ResponsibilitySequence.PRIMARY,
            )
            .exclude(status=ClaimStatus.VOID)
            .exists()
        ):
            raise Conflict("This visit already has a claim for that payer.", code="claim_exists")
        claim = _new_claim(actor=actor, encounter=locked, coverage=coverage)
        locked.status = EncounterStatus.BILLED
        locked.save(update_fields=["status", "updated_at"])
    return claim


def claim_status_set(
    *,
    actor: Any,
    claim: Claim,
    status: str,
    source: str,
    detail: str = "",
    at: dt.datetime | None = None,
) -> ClaimStatusEvent:
    """Move a claim to ``status`` (checked against TRANSITIONS) and append the history event.

    ``actor`` may be None for system sources (an inbound 999/277CA/835 handled by the clearinghouse
    poller). Callers pass plain-language ``detail``; it is shown on the claim's history.
    """
    if status not in ClaimStatus.values:
        raise Conflict(f"{status!r} is not a claim status.", code="status_unknown")
    if source not in StatusSource.values:
        raise Conflict(f"{source!r} is not a status source.", code="source_unknown")
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if status not in TRANSITIONS[locked.status]:
            raise TransitionRefused(
                ClaimStatus(locked.status).label.lower(), ClaimStatus(status).label.lower()
            )
        when = at or timezone.now()
        event = ClaimStatusEvent.objects.create(
            claim=locked,
            status=status,
            previous_status=locked.status,
            at=when,
            source=source,
            detail=detail[:2000],
            actor=actor,
        )
        locked.status = status
        update = ["status", "updated_at"]
        if status == ClaimStatus.SENT:
            locked.sent_at = when
            update.append("sent_at")
        locked.save(update_fields=update)
        claim.status = status
        audit_record(
            actor=actor,
            actor_name=None if actor is not None else f"billing:{source}",
            action=AuditAction.UPDATE,
            category=AuditCategory.FINANCIAL,
            patient_id=locked.patient_id,
            object_type="claim",
            object_id=locked.pk,
            detail={"event": "claim_status", "status": status, "source": source},
        )
    return event


def claim_status_set_many(
    *,
    actor: Any,
    updates: list[tuple[Claim, str, str]],
    source: str,
    at: dt.datetime | None = None,
    batch_size: int = 500,
) -> int:
    """Move many claims at once (an 835 with thousands of claims): ``updates`` is
    ``(claim, status, detail)``. Transitions are checked under the claims' row locks, one history
    event per claim is appended (bulk), and one audit row records the count. All or nothing.
    """
    if source not in StatusSource.values:
        raise Conflict(f"{source!r} is not a status source.", code="source_unknown")
    when = at or timezone.now()
    with transaction.atomic():
        ids = [claim.pk for claim, _, _ in updates]
        current: dict[int, str] = {}
        for start in range(0, len(ids), batch_size):
            current.update(
                Claim.objects.select_for_update()
                .filter(pk__in=ids[start : start + batch_size])
                .values_list("pk", "status")
            )
        events = []
        by_status: dict[str, list[int]] = {}
        known = frozenset(ClaimStatus.values)
        actor_id = actor.pk if actor is not None else None
        for claim, status, detail in updates:
            before = current[claim.pk]
            if status not in known or status not in TRANSITIONS[before]:
                raise TransitionRefused(before, status)
            events.append(
                ClaimStatusEvent(
                    claim_id=claim.pk,
                    status=status,
                    previous_status=before,
                    at=when,
                    source=source,
                    detail=detail[:2000],
                    actor_id=actor_id,
                )
            )
            by_status.setdefault(status, []).append(claim.pk)
            current[claim.pk] = claim.status = status
        ClaimStatusEvent.objects.bulk_create(events, batch_size=batch_size)
        for status, pks in by_status.items():
            for start in range(0, len(pks), batch_size):
                Claim.objects.filter(pk__in=pks[start : start + batch_size]).update(
                    status=status, updated_at=when
                )
        audit_record(
            actor=actor,
            actor_name=None if actor is not None else f"billing:{source}",
            action=AuditAction.UPDATE,
            category=AuditCategory.FINANCIAL,
            object_type="claim",
            object_id="many",
            detail={"event": "claim_status_many", "source": source, "claims": len(events)},
        )
    return len(events)


# --- scrubbing -------------------------------------------------------------------------------------


def _sex(value: str) -> str:
    return {"F": "F", "M": "M"}.get(value or "", "U" if value else "")


def _person_facts(
    *,
    last_name: str,
    first_name: str,
    date_of_birth: dt.date | None,
    sex: str,
    holder: Patient,
    member_id: str = "",
) -> scrubber.PersonFacts:
    return scrubber.PersonFacts(
        last_name=last_name,
        first_name=first_name,
        date_of_birth=date_of_birth,
        sex=_sex(sex),
        address=scrubber.PostalAddress(
            holder.address_line1, holder.city, holder.state, holder.postal_code
        ),
        member_id=member_id,
    )


def subscriber_facts(coverage: Coverage, patient: Patient) -> scrubber.PersonFacts:
    """The subscriber as the payer knows them: the patient (self), the subscriber's own record, or
    the coverage's subscriber fields (with the patient's address: the household's)."""
    if coverage.relationship == "18":
        return _person_facts(
            last_name=coverage.subscriber_last_name or patient.last_name,
            first_name=coverage.subscriber_first_name or patient.first_name,
            date_of_birth=patient.date_of_birth,
            sex=patient.sex_at_birth,
            holder=patient,
            member_id=coverage.member_id,
        )
    holder: Patient | None = coverage.subscriber_patient
    if holder is not None:
        return _person_facts(
            last_name=holder.last_name,
            first_name=holder.first_name,
            date_of_birth=holder.date_of_birth,
            sex=holder.sex_at_birth,
            holder=holder,
            member_id=coverage.member_id,
        )
    return _person_facts(
        last_name=coverage.subscriber_last_name,
        first_name=coverage.subscriber_first_name,
        date_of_birth=coverage.subscriber_date_of_birth,
        sex=coverage.subscriber_sex,
        holder=patient,
        member_id=coverage.member_id,
    )


def duplicate_claims(claim: Claim) -> list[str]:
    """Claim ids of other claims to the same payer for the same patient, date and codes."""
    if claim.frequency_code != FrequencyCode.ORIGINAL:
        return []
    codes = sorted((line.procedure_code, tuple(line.modifiers)) for line in claim.lines.all())
    others = (
        Claim.objects.filter(
            patient_id=claim.patient_id,
            payer_id=claim.payer_id,
            service_date=claim.service_date,
            responsibility=claim.responsibility,
            frequency_code=FrequencyCode.ORIGINAL,
            status__in=BILLED_STATUSES,
        )
        .exclude(pk=claim.pk)
        .exclude(replacements__frequency_code=FrequencyCode.VOID)
        .prefetch_related("lines")
        .order_by("pk")
    )
    found = []
    for other in others:
        other_codes = sorted(
            (line.procedure_code, tuple(line.modifiers)) for line in other.lines.all()
        )
        if other_codes == codes and other.pk < claim.pk:
            found.append(other.claim_id)
    return found


def claim_facts(claim: Claim, *, today: dt.date | None = None) -> scrubber.ClaimFacts:
    """Everything the scrubber looks at, gathered from the database."""
    coverage = claim.coverage
    patient = claim.patient
    organization = claim.billing_organization
    provider = claim.rendering_provider
    payer = claim.payer
    settings_row = PayerClaimSettings.objects.filter(payer=payer).first()
    subscriber = subscriber_facts(coverage, patient)
    dependent = None
    if coverage.relationship != "18":
        dependent = _person_facts(
            last_name=patient.last_name,
            first_name=patient.first_name,
            date_of_birth=patient.date_of_birth,
            sex=patient.sex_at_birth,
            holder=patient,
        )
    lines = tuple(
        scrubber.LineFacts(
            line_number=line.line_number,
            procedure_code=line.procedure_code,
            modifiers=tuple(line.modifiers),
            units=line.units,
            charge=line.charge,
            pointers=line.diagnosis_pointers,
            service_date=line.service_date,
        )
        for line in claim.lines.order_by("line_number")
    )
    return scrubber.ClaimFacts(
        claim_id=claim.claim_id,
        today=today or business_date(claim.location, timezone.now()),
        service_date=claim.service_date,
        place_of_service=claim.place_of_service,
        diagnoses=tuple(claim.diagnoses),
        lines=lines,
        billing_name=organization.name,
        billing_npi=organization.npi,
        billing_tax_id=organization.tax_id,
        billing_address=scrubber.PostalAddress(
            organization.address_line1,
            organization.city,
            organization.state,
            organization.postal_code,
        ),
        rendering_npi=provider.npi,
        rendering_name=provider.display_name,
        payer_name=payer.name,
        payer_id=payer.payer_id,
        payer_type=payer.payer_type,
        subscriber=subscriber,
        relationship=coverage.relationship,
        patient=dependent,
        frequency_code=claim.frequency_code,
        original_payer_claim_number=claim.original_payer_claim_number,
        timely_filing_days=settings_row.timely_filing_days if settings_row else None,
        duplicates=tuple(duplicate_claims(claim)),
        is_secondary=claim.responsibility != ResponsibilitySequence.PRIMARY,
        has_prior_adjudication=bool(claim.prior_adjudication),
    )


def default_lookups() -> scrubber.Lookups:
    return scrubber.Lookups(
        icd10_check=lambda code, on: adapters.icd10_check(code, on=on),
        modifier_check=adapters.modifier_check,
        procedure_known=adapters.procedure_known,
    )


SCRUBBABLE = frozenset(
    {ClaimStatus.CREATED, ClaimStatus.READY, ClaimStatus.HELD, ClaimStatus.REJECTED}
)


def claim_scrub(
    *, actor: Any, claim: Claim, lookups: scrubber.Lookups | None = None
) -> list[ScrubFinding]:
    """Run the scrubber; store its findings; move the claim to ready (no errors) or held.

    ``actor=None`` is the system (a secondary claim created from an 835 the inbox poller imported).
    """
    if actor is not None and not (actor.can(A.CHARGE_ENTER) or actor.can(A.CLAIM_SUBMIT)):
        raise PermissionDenied()
    with transaction.atomic():
        locked = (
            Claim.objects.select_for_update()
            .select_related(
                "coverage",
                "patient",
                "billing_organization",
                "rendering_provider",
                "payer",
                "location",
            )
            .get(pk=claim.pk)
        )
        if locked.status not in SCRUBBABLE:
            raise Conflict("Only claims not yet sent are scrubbed.", code="not_scrubbable")
        findings = scrubber.scrub(claim_facts(locked), lookups or default_lookups())
        now = timezone.now()
        ScrubFinding.objects.filter(claim=locked).delete()
        rows = ScrubFinding.objects.bulk_create(
            ScrubFinding(
                claim=locked,
                severity=f.severity,
                code=f.code,
                field=f.field[:80],
                message=f.message[:300],
                fix=f.fix[:300],
                created_at=now,
            )
            for f in findings
        )
        errors = [f for f in findings if f.severity == Severity.ERROR]
        warnings = len(findings) - len(errors)
        locked.scrubbed_at = now
        locked.save(update_fields=["scrubbed_at", "updated_at"])
        status = ClaimStatus.HELD if errors else ClaimStatus.READY
        detail = (
            f"Scrubbed: {len(errors)} error(s), {warnings} warning(s)."
            if findings
            else "Scrubbed: no findings."
        )
        if errors:
            detail += " " + "; ".join(f"{f.field}: {f.message}" for f in errors[:3])
        claim_status_set(
            actor=actor,
            claim=locked,
            status=status,
            source=StatusSource.SCRUBBER,
            detail=detail,
            at=now,
        )
        claim.status = locked.status
    return rows


# --- corrected, void and secondary claims ---------------------------------------------------------

REPLACEABLE = frozenset(
    {
        ClaimStatus.SENT,
        ClaimStatus.ACKNOWLEDGED,
        ClaimStatus.ACCEPTED,
        ClaimStatus.PAID,
        ClaimStatus.PARTIALLY_PAID,
        ClaimStatus.DENIED,
    }
)


def _replacement(*, actor: Any, claim: Claim, frequency_code: str, reason: str) -> Claim:
    _require(actor, A.CLAIM_SUBMIT)
    reason = (reason or "").strip()
    if not reason:
        raise Conflict("Give a reason.", code="reason_required", field="reason")
    if len(reason) > 200:
        raise Conflict("Keep the reason under 200 characters.", code="reason_long", field="reason")
    with transaction.atomic():
        locked = (
            Claim.objects.select_for_update()
            .select_related("encounter", "coverage")
            .get(pk=claim.pk)
        )
        if locked.status not in REPLACEABLE:
            raise Conflict(
                "Only a claim the payer has received can be corrected or voided; fix and "
                "re-scrub a claim that was not sent.",
                code="not_replaceable",
            )
        if (
            locked.replacements.exclude(status=ClaimStatus.VOID)
            .filter(frequency_code=FrequencyCode.VOID)
            .exists()
        ):
            raise Conflict("This claim has already been voided.", code="already_voided")
        new = _new_claim(
            actor=actor,
            encounter=locked.encounter,
            coverage=locked.coverage,
            responsibility=locked.responsibility,
            frequency_code=frequency_code,
            original=locked,
            primary=locked.primary_claim,
            prior_adjudication=locked.prior_adjudication,
            source_lines=list(locked.lines.order_by("line_number")),
        )
        ClaimStatusEvent.objects.create(
            claim=locked,
            status=locked.status,
            previous_status=locked.status,
            at=timezone.now(),
            source=StatusSource.USER,
            detail=f"{FrequencyCode(frequency_code).label} claim {new.claim_id} created: {reason}",
            actor=actor,
        )
        claim_scrub(actor=actor, claim=new)
    return new


def claim_correct(*, actor: Any, claim: Claim, reason: str) -> Claim:
    """A corrected (replacement, frequency 7) claim of ``claim``, to edit and send (REF*F8)."""
    return _replacement(
        actor=actor, claim=claim, frequency_code=FrequencyCode.CORRECTED, reason=reason
    )


def claim_void(*, actor: Any, claim: Claim, reason: str) -> Claim:
    """A void (frequency 8) claim cancelling ``claim`` at the payer (REF*F8)."""
    return _replacement(actor=actor, claim=claim, frequency_code=FrequencyCode.VOID, reason=reason)


def claim_line_update(
    *,
    actor: Any,
    claim: Claim,
    line_number: int,
    procedure_code: str,
    modifiers: tuple[str, ...],
    units: Any,
    pointers: tuple[int, ...],
) -> Claim:
    """Correct one line of a claim not yet sent (or of a corrected claim), then re-scrub it."""
    _require(actor, A.CLAIM_SUBMIT)
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if locked.status not in SCRUBBABLE:
            raise Conflict("Only claims not yet sent are edited.", code="not_editable")
        line = locked.lines.filter(line_number=line_number).first()
        if line is None:
            raise NotFound()
        data = EncounterInput(
            diagnoses=tuple(locked.diagnoses),
            lines=(LineInput(procedure_code, line.charge, units, modifiers, pointers),),
            place_of_service=locked.place_of_service,
        )
        _, cleaned = _clean_encounter(data, locked.encounter.appointment)
        values = cleaned[0]
        padded = list(values["pointers"]) + [None] * 4
        line.procedure_code = values["procedure_code"]
        line.modifiers = values["modifiers"]
        line.units = values["units"]
        line.pointer_1, line.pointer_2, line.pointer_3, line.pointer_4 = padded[:4]
        line.save()
        _audit(
            actor,
            AuditAction.UPDATE,
            locked.patient_id,
            "claim",
            locked.pk,
            event="claim_line_updated",
            line=line_number,
        )
        claim_scrub(actor=actor, claim=locked)
    return locked


def claim_secondary_create(
    *, actor: Any, primary_claim: Claim, adjudication: dict[str, Any]
) -> Claim | None:
    """The secondary claim of a primary the primary payer has adjudicated (COB), or None.

    ``adjudication`` is plain data from the primary's 835 (the remittance helper passes it)::

        {"payer_id": "PAYER1", "paid": "80.00", "adjudicated_on": "2026-01-15",
         "adjustments": [{"group": "PR", "reason": "2", "amount": "20.00"}],
         "lines": [{"line_control_number": "FD000000017-1", "procedure_code": "99213",
                    "modifiers": [], "units": "1", "paid": "80.00",
                    "adjustments": [{"group": "CO", "reason": "45", "amount": "20.00"}]}]}

    None when the patient has no secondary coverage on the date of service. A secondary claim for
    the same primary is created once (a repeated call returns the existing one). ``actor=None`` is
    the system (an 835 imported by the clearinghouse inbox poller).
    """
    if actor is not None:
        _require(actor, A.REMITTANCE_POST)
    errors = FieldErrors()
    try:
        parse_money(adjudication.get("paid", ""))
        dt.date.fromisoformat(str(adjudication.get("adjudicated_on", "")))
    except (MoneyError, ValueError):
        errors.add("adjudication", "The primary's paid amount and adjudication date are required.")
    errors.raise_if_any()
    with transaction.atomic():
        primary = (
            Claim.objects.select_for_update()
            .select_related("encounter", "patient")
            .get(pk=primary_claim.pk)
        )
        existing = Claim.objects.filter(
            primary_claim=primary, frequency_code=FrequencyCode.ORIGINAL
        ).first()
        if existing is not None:
            return existing
        next_priority = 2 if primary.responsibility == ResponsibilitySequence.PRIMARY else 3
        coverage = coverage_on(primary.patient, primary.service_date, priority=next_priority)
        if coverage is None:
            return None
        claim = _new_claim(
            actor=actor,
            encounter=primary.encounter,
            coverage=coverage,
            responsibility=(
                ResponsibilitySequence.SECONDARY
                if next_priority == 2
                else ResponsibilitySequence.TERTIARY
            ),
            primary=primary,
            prior_adjudication=_plain(adjudication),
            source_lines=list(primary.lines.order_by("line_number")),
        )
        claim_scrub(actor=actor, claim=claim)
    return claim


def _plain(value: Any) -> Any:
    """JSON-safe copy (Decimals and dates as text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (Decimal, dt.date)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


def payer_timely_filing_set(*, actor: Any, payer_id: int, days: int | None) -> None:
    """Set (or clear, with None) a payer's timely-filing window in days."""
    _require(actor, A.CLAIM_SUBMIT)
    with transaction.atomic():
        if days is None:
            PayerClaimSettings.objects.filter(payer_id=payer_id).delete()
        else:
            if not 1 <= days <= 3650:
                raise Conflict("Between 1 and 3650 days.", code="days_range", field="days")
            PayerClaimSettings.objects.update_or_create(
                payer_id=payer_id, defaults={"timely_filing_days": days}
            )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.CONFIGURATION,
            object_type="payer_claim_settings",
            object_id=payer_id,
            detail={"timely_filing_days": days},
        )
