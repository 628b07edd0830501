"""Reads of billing, scoped to what the user may see; reads of one patient's claim are audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.billing import adapters
from frontdesk.billing.choices import ClaimStatus
from frontdesk.billing.models import Claim, ClaimBatch, ClaimStatusEvent, Encounter, ScrubFinding
from frontdesk.patients.models import Patient
from frontdesk.practice.models import Location, Provider
from frontdesk.scheduling.choices import AppointmentStatus
from frontdesk.scheduling.models import Appointment

DAY_STATUSES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.FULFILLED,
)


def day_bounds(location: Location, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = location.tzinfo
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def day_visits(*, user: Any, location: Location, day: dt.date) -> list[Appointment]:
    """The location's visits of ``day`` with their charge entry (``billing_encounter``) if any."""
    start, end = day_bounds(location, day)
    rows = (
        Appointment.objects.restrict(user, A.CHARGE_ENTER)
        .filter(patient__in=Patient.objects.restrict(user, A.PATIENT_VIEW).values("pk"))
        .filter(location=location, starts_at__gte=start, starts_at__lt=end)
        .filter(status__in=DAY_STATUSES)
        .select_related("patient", "provider", "appointment_type", "billing_encounter")
        .order_by("starts_at", "pk")
    )
    return list(rows)


def appointment_for_charges(*, user: Any, pk: int) -> Appointment | None:
    return (
        Appointment.objects.restrict(user, A.CHARGE_ENTER)
        .filter(patient__in=Patient.objects.restrict(user, A.PATIENT_VIEW).values("pk"))
        .select_related("patient", "provider", "location", "location__organization")
        .filter(pk=pk)
        .first()
    )


def encounter_get(*, user: Any, pk: int) -> Encounter | None:
    return (
        Encounter.objects.restrict(user, A.CHARGE_ENTER)
        .select_related("appointment", "patient", "rendering_provider", "location")
        .prefetch_related("lines")
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class FavouriteCode:
    code: str
    label: str
    kind: str  # "procedure" or "diagnosis"
    modifier: str = ""


def favourite_codes(provider: Provider) -> list[FavouriteCode]:
    """The codes on the provider's encounter form (their own, else their specialty's), in order."""
    from frontdesk.printing.selectors import EncounterFormConfigs

    config = EncounterFormConfigs().for_provider(provider)
    if config is None:
        return []
    out: list[FavouriteCode] = []
    for section in config.sections or []:
        kind = str(section.get("kind", ""))
        for entry in section.get("codes", []):
            code = str(entry.get("code", "")).strip().upper()
            if not code:
                continue
            if kind == "diagnosis":
                code = adapters.normalize_icd10(code)
            out.append(
                FavouriteCode(
                    code=code,
                    label=str(entry.get("label", "")),
                    kind=kind,
                    modifier=str(entry.get("modifier", "") or ""),
                )
            )
    return out


def _claims(user: Any, action: str = A.CLAIM_VIEW) -> QuerySet[Claim]:
    return Claim.objects.restrict(user, action)


def claim_list(
    *, user: Any, status: str = "", payer_id: int | None = None, limit: int = 200
) -> list[Claim]:
    """The claims worklist: held claims first (with their error count), then newest first."""
    queryset = _claims(user).select_related("patient", "payer", "rendering_provider")
    if status:
        queryset = queryset.filter(status=status)
    if payer_id:
        queryset = queryset.filter(payer_id=payer_id)
    queryset = queryset.annotate(
        error_count=Count("findings", filter=Q(findings__severity="error")),
        held_first=Case(
            When(status=ClaimStatus.HELD, then=Value(0)),
            When(status=ClaimStatus.REJECTED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
    ).order_by("held_first", "-service_date", "-pk")
    return list(queryset[:limit])


def claim_get(*, user: Any, pk: int) -> Claim | None:
    """One claim with lines, findings and history; the read is audited (it shows PHI)."""
    claim = (
        _claims(user)
        .select_related(
            "patient",
            "payer",
            "coverage",
            "rendering_provider",
            "billing_organization",
            "original_claim",
            "primary_claim",
            "batch",
        )
        .prefetch_related(
            "lines",
            Prefetch("events", queryset=ClaimStatusEvent.objects.select_related("actor")),
            Prefetch("findings", queryset=ScrubFinding.objects.order_by("severity", "pk")),
            "replacements",
        )
        .filter(pk=pk)
        .first()
    )
    if claim is not None:
        audit_record(
            actor=user,
            action=AuditAction.READ,
            category=AuditCategory.FINANCIAL,
            patient_id=claim.patient_id,
            object_type="claim",
            object_id=claim.pk,
            detail={"event": "claim_viewed"},
        )
    return claim


def claim_counts(*, user: Any) -> dict[str, int]:
    rows = _claims(user).values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def batch_list(*, user: Any, limit: int = 20) -> list[ClaimBatch]:
    return list(
        ClaimBatch.objects.restrict(user, A.CLAIM_VIEW).select_related("payer", "created_by")[
            :limit
        ]
    )


def ready_summary(*, user: Any) -> list[dict[str, Any]]:
    """Ready claims per payer: what a batch would carry."""
    from frontdesk.core.money import money_sum, summed

    rows = list(
        _claims(user, A.CLAIM_SUBMIT)
        .filter(status=ClaimStatus.READY)
        .values("payer_id", "payer__name")
        .annotate(n=Count("pk"), total=money_sum("total_charge"))
        .order_by("payer__name")
    )
    for row in rows:
        row["total"] = summed(row["total"])
    return rows


def payer_filing_windows() -> list[dict[str, Any]]:
    """Every active payer with its timely-filing window: the practice's setting, else the default
    for its payer type (the scrubber's rule), and which of the two applies."""
    from frontdesk.billing.models import PayerClaimSettings
    from frontdesk.billing.scrubber import TIMELY_FILING_DEFAULTS
    from frontdesk.practice.models import Payer

    configured = dict(PayerClaimSettings.objects.values_list("payer_id", "timely_filing_days"))
    rows = []
    for payer in Payer.objects.filter(is_active=True).order_by("name", "pk"):
        default = TIMELY_FILING_DEFAULTS.get(payer.payer_type, 90)
        days = configured.get(payer.pk)
        rows.append(
            {
                "payer": payer,
                "days": days if days is not None else default,
                "default": default,
                "is_set": days is not None,
            }
        )
    return rows
