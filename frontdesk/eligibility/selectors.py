"""Reads of eligibility: the panel the registration and check-in screens include, a check with its
benefits, the recent checks (failures first), the batches, and the facts chart prep and check-in
use (the latest answer for a coverage and a date of service)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import NotFound
from frontdesk.eligibility.choices import CheckStatus
from frontdesk.eligibility.inquiry import service_date_of
from frontdesk.eligibility.models import EligibilityBatch, EligibilityBenefit, EligibilityCheck
from frontdesk.eligibility.summary import BenefitSummary, summarize
from frontdesk.patients.models import Coverage, Patient
from frontdesk.scheduling.models import Appointment


def fresh_days() -> int:
    """How old an answer may be and still count for chart prep and check-in."""
    return int(getattr(settings, "ELIGIBILITY_FRESH_DAYS", 7))


def coverage_get(*, user: Any, coverage_id: int, action: str = A.ELIGIBILITY_CHECK) -> Coverage:
    """A coverage of a patient the user may act on (the restricted-chart rule applies), or NotFound."""
    coverage: Coverage | None = (
        Coverage.objects.filter(patient__in=Patient.objects.restrict(user, action).values("pk"))
        .select_related("payer", "plan", "patient", "subscriber_patient")
        .filter(pk=coverage_id)
        .first()
    )
    if coverage is None:
        raise NotFound()
    return coverage


def patient_get(*, user: Any, patient_id: int, action: str = A.ELIGIBILITY_CHECK) -> Patient:
    """The patient a page is about, scoped to the user; the page shows them, so the read is audited."""
    patient: Patient | None = Patient.objects.restrict(user, action).filter(pk=patient_id).first()
    if patient is None:
        raise NotFound()
    audit_record(
        actor=user,
        action=AuditAction.READ,
        category=AuditCategory.INSURANCE,
        patient_id=patient.pk,
        object_type="patient",
        object_id=patient.pk,
        detail={"event": "estimate_viewed"},
    )
    return patient


def appointment_for(*, user: Any, coverage: Coverage, appointment_id: Any) -> Appointment | None:
    """The coverage patient's appointment, scoped to the user's locations (None if not given)."""
    if appointment_id in (None, ""):
        return None
    try:
        pk = int(appointment_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    appointment: Appointment | None = (
        Appointment.objects.restrict(user, A.SCHEDULE_VIEW)
        .select_related("provider", "location")
        .filter(pk=pk, patient_id=coverage.patient_id)
        .first()
    )
    if appointment is None:
        raise NotFound()
    return appointment


def appointment_for_estimate(*, user: Any, appointment_id: int) -> Appointment:
    """An appointment at a location the user may see, of a patient they may see (the restricted-chart
    rule applies), with its type, or NotFound. Not audited: the estimate built from it is."""
    appointment: Appointment | None = (
        Appointment.objects.restrict(user, A.ESTIMATE_CREATE)
        .filter(
            pk=appointment_id,
            patient__in=Patient.objects.restrict(user, A.ESTIMATE_CREATE).values("pk"),
        )
        .select_related("appointment_type", "location", "provider", "patient")
        .first()
    )
    if appointment is None:
        raise NotFound()
    return appointment


def summary_of(check: EligibilityCheck) -> BenefitSummary:
    return summarize(check.benefits.all(), active=check.active, plan_name=check.plan_name)


def latest_check(
    *, coverage_id: int, date_of_service: dt.date | None = None
) -> EligibilityCheck | None:
    checks = EligibilityCheck.objects.filter(coverage_id=coverage_id)
    if date_of_service is not None:
        checks = checks.filter(date_of_service=date_of_service)
    return checks.order_by("-requested_at", "-pk").prefetch_related("benefits").first()


def latest_answer(*, coverage_id: int, day: dt.date) -> EligibilityCheck | None:
    """The latest answered check saying something about ``day``: for that date, else a recent one
    (within the freshness window) for an earlier date whose coverage dates include ``day``."""
    answered = EligibilityCheck.objects.filter(
        coverage_id=coverage_id, status__in=[CheckStatus.COMPLETE, CheckStatus.REJECTED]
    ).prefetch_related("benefits")
    exact = answered.filter(date_of_service=day).order_by("-requested_at", "-pk").first()
    if exact is not None:
        return exact
    earlier = (
        answered.filter(
            date_of_service__lt=day,
            date_of_service__gte=day - dt.timedelta(days=fresh_days()),
        )
        .order_by("-requested_at", "-pk")
        .first()
    )
    if earlier is not None and (earlier.coverage_end is None or earlier.coverage_end >= day):
        return earlier
    return None


def copay_for_visit(*, coverage: Coverage | None, day: dt.date) -> Decimal | None:
    """The office-visit copay of the latest active answer for the coverage and day (None: no
    active answer or it gave no copay; the caller falls back to the coverage's copay fields)."""
    if coverage is None:
        return None
    check = latest_answer(coverage_id=coverage.pk, day=day)
    if check is None or check.active is not True:
        return None
    return summary_of(check).office_copay


@dataclass
class Panel:
    """What the eligibility panel of the registration and check-in screens shows."""

    coverage: Coverage
    date_of_service: dt.date
    appointment: Appointment | None
    check: EligibilityCheck | None
    summary: BenefitSummary | None
    can_check: bool

    @property
    def state(self) -> str:
        if self.check is None:
            return "never"
        return self.check.status


def panel_for(
    *,
    user: Any,
    coverage: Coverage,
    appointment: Appointment | None = None,
    today: dt.date | None = None,
    audit: bool = True,
) -> Panel:
    """The latest check for the coverage and date of service (the appointment's local date, else
    today). Reading benefits is an insurance read: audited."""
    day = (
        service_date_of(appointment) if appointment is not None else (today or timezone.localdate())
    )
    check = latest_check(coverage_id=coverage.pk, date_of_service=day)
    if audit:
        audit_record(
            actor=user,
            action=AuditAction.READ,
            category=AuditCategory.INSURANCE,
            patient_id=coverage.patient_id,
            object_type="coverage",
            object_id=coverage.pk,
            detail={"view": "eligibility_panel", "check_id": check.pk if check else None},
        )
    return Panel(
        coverage=coverage,
        date_of_service=day,
        appointment=appointment,
        check=check,
        summary=summary_of(check) if check is not None and check.is_answered else None,
        can_check=bool(user.can(A.ELIGIBILITY_CHECK)),
    )


def check_get(*, user: Any, check_id: int, audit: bool = True) -> EligibilityCheck:
    """One check with its coverage and benefits, scoped to the user's patients; the read is audited."""
    check: EligibilityCheck | None = (
        EligibilityCheck.objects.restrict(user, A.ELIGIBILITY_CHECK)
        .select_related(
            "coverage__payer", "coverage__plan", "patient", "appointment", "requested_by"
        )
        .prefetch_related("benefits")
        .filter(pk=check_id)
        .first()
    )
    if check is None:
        raise NotFound()
    if audit:
        audit_record(
            actor=user,
            action=AuditAction.READ,
            category=AuditCategory.INSURANCE,
            patient_id=check.patient_id,
            object_type="eligibility_check",
            object_id=check.pk,
            detail={"view": "eligibility_check"},
        )
    return check


def benefits_by_service_type(check: EligibilityCheck) -> list[tuple[str, list[EligibilityBenefit]]]:
    """The check's benefits grouped by service type (30 and 98 first, then the others in order)."""
    groups: dict[str, list[EligibilityBenefit]] = defaultdict(list)
    for benefit in check.benefits.all():
        groups[benefit.service_type].append(benefit)
    first = [key for key in ("30", "98") if key in groups]
    rest = sorted(key for key in groups if key not in first)
    return [(key, groups[key]) for key in first + rest]


def raw_271_read(*, user: Any, check: EligibilityCheck) -> str:
    """The 271 as received, for download (an export of insurance data: audited)."""
    audit_record(
        actor=user,
        action=AuditAction.EXPORT,
        category=AuditCategory.INSURANCE,
        patient_id=check.patient_id,
        object_type="eligibility_check",
        object_id=check.pk,
        detail={"event": "raw_271_downloaded"},
    )
    return check.response_x12


def check_list(*, user: Any, limit: int = 100) -> list[EligibilityCheck]:
    """Recent checks the user may see, failures (and rejections) first, then newest first."""
    urgency = Case(
        When(status=CheckStatus.FAILED, then=Value(0)),
        When(status=CheckStatus.REJECTED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    since = timezone.now() - dt.timedelta(days=fresh_days())
    return list(
        EligibilityCheck.objects.restrict(user, A.ELIGIBILITY_CHECK)
        .filter(requested_at__gte=since)
        .select_related("patient", "coverage__payer")
        .annotate(urgency=urgency)
        .order_by("urgency", "-requested_at", "-pk")[:limit]
    )


def patient_checks(*, user: Any, patient: Patient, limit: int = 50) -> QuerySet[EligibilityCheck]:
    audit_record(
        actor=user,
        action=AuditAction.READ,
        category=AuditCategory.INSURANCE,
        patient_id=patient.pk,
        object_type="patient",
        object_id=patient.pk,
        detail={"view": "eligibility_checks"},
    )
    return (
        EligibilityCheck.objects.filter(patient=patient)
        .select_related("coverage__payer")
        .prefetch_related("benefits")
        .order_by("-requested_at", "-pk")[:limit]
    )


def batch_list(*, user: Any, limit: int = 20) -> list[EligibilityBatch]:
    return list(EligibilityBatch.objects.restrict(user, A.ELIGIBILITY_BATCH)[:limit])


def batch_get(*, user: Any, batch_id: int) -> EligibilityBatch:
    batch: EligibilityBatch | None = (
        EligibilityBatch.objects.restrict(user, A.ELIGIBILITY_BATCH).filter(pk=batch_id).first()
    )
    if batch is None:
        raise NotFound()
    return batch


def batch_failures(*, user: Any, batch: EligibilityBatch) -> list[EligibilityCheck]:
    return list(
        EligibilityCheck.objects.restrict(user, A.ELIGIBILITY_CHECK)
        .filter(batch=batch, status__in=[CheckStatus.FAILED, CheckStatus.REJECTED])
        .select_related("patient", "coverage__payer")
        .order_by("pk")
    )


# --- facts for chart prep (batched: a constant number of queries whatever the number of visits) ----


@dataclass(frozen=True)
class CheckFact:
    coverage_id: int
    priority: int
    status: str
    active: bool | None
    date_of_service: dt.date
    checked_on: dt.date
    coverage_end: dt.date | None
    reason: str  # the failure reason or the first rejection message


def readiness_facts(*, patient_ids: Iterable[int] | QuerySet[Any]) -> dict[int, list[CheckFact]]:
    """The checks of these patients' active coverages from the freshness window on, newest first
    (one query; ``patient_ids`` may be a subquery)."""
    since = timezone.now() - dt.timedelta(days=fresh_days() + 1)
    facts: dict[int, list[CheckFact]] = defaultdict(list)
    rows = (
        EligibilityCheck.objects.filter(
            patient_id__in=patient_ids, requested_at__gte=since, coverage__status="active"
        )
        .order_by("-requested_at", "-pk")
        .values(
            "patient_id",
            "coverage_id",
            "coverage__priority",
            "status",
            "active",
            "date_of_service",
            "requested_at",
            "coverage_end",
            "failure_reason",
            "rejections",
        )
    )
    for row in rows:
        rejections = row["rejections"] or []
        reason = row["failure_reason"] or (rejections[0].get("message", "") if rejections else "")
        facts[row["patient_id"]].append(
            CheckFact(
                coverage_id=row["coverage_id"],
                priority=row["coverage__priority"],
                status=row["status"],
                active=row["active"],
                date_of_service=row["date_of_service"],
                checked_on=timezone.localtime(row["requested_at"]).date(),
                coverage_end=row["coverage_end"],
                reason=str(reason),
            )
        )
    return facts
