"""Reads of chart prep: readiness facts in bulk (constant queries), the not-ready worklist, a patient's
authorizations / consents / records requests.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Max, QuerySet
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.chartprep import readiness as rules
from frontdesk.chartprep.models import (
    Authorization,
    ConsentAcknowledgement,
    Readiness,
    RecordsRequest,
)
from frontdesk.core.queryset import get_restricted
from frontdesk.ledger.selectors import balances_for_patients
from frontdesk.patients.choices import CoverageStatus
from frontdesk.patients.models import Coverage, Patient
from frontdesk.practice.models import Location
from frontdesk.scheduling.choices import ACTIVE_STATUSES, AppointmentStatus
from frontdesk.scheduling.models import Appointment, AppointmentQuerySet

# Visits still to come: checked-in or finished ones need no chart prep.
PREP_STATUSES: tuple[str, ...] = tuple(
    s for s in ACTIVE_STATUSES if s not in (AppointmentStatus.FULFILLED,)
)


def required_consents() -> dict[str, int]:
    return dict(getattr(settings, "CHARTPREP_REQUIRED_CONSENTS", {}))


def readiness_days() -> int:
    return int(getattr(settings, "CHARTPREP_READINESS_DAYS", 3))


def upcoming_window(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    now = now or timezone.now()
    return now, now + dt.timedelta(days=readiness_days())


def appointments_in_window(start: dt.datetime, end: dt.datetime) -> AppointmentQuerySet:
    return Appointment.objects.filter(
        starts_at__gte=start, starts_at__lt=end, status__in=PREP_STATUSES
    )


@dataclass(frozen=True)
class Computed:
    appointment_id: int
    location_id: int
    starts_at: dt.datetime
    items: list[dict[str, str]]

    @property
    def missing(self) -> list[str]:
        return rules.missing_keys(self.items)


def eligibility_fresh_days() -> int:
    from frontdesk.eligibility.selectors import fresh_days

    return fresh_days()


def eligibility_facts(patients: Any) -> dict[int, list[rules.EligibilityFact]]:
    """The patients' recent eligibility checks (one query, ``patients`` a subquery), newest first."""
    from frontdesk.eligibility.selectors import readiness_facts

    return {
        patient_id: [
            rules.EligibilityFact(
                coverage_id=f.coverage_id,
                priority=f.priority,
                status=f.status,
                active=f.active,
                date_of_service=f.date_of_service,
                checked_on=f.checked_on,
                coverage_end=f.coverage_end,
                reason=f.reason,
            )
            for f in checks
        ]
        for patient_id, checks in readiness_facts(patient_ids=patients).items()
    }


def readiness_compute(appointments: QuerySet[Appointment]) -> list[Computed]:
    """The checklist of every appointment in ``appointments``, in seven queries whatever their number.

    The related facts are read with ``patient_id IN (subquery)`` instead of a list of ids, so 9,000
    visits stay within SQLite's parameter limit and one round trip each.
    """
    visits = list(
        appointments.values(
            "pk",
            "patient_id",
            "location_id",
            "starts_at",
            "appointment_type_id",
            "appointment_type__requires_referral",
            "appointment_type__requires_prior_auth",
            "location__timezone",
        )
    )
    if not visits:
        return []
    patients = appointments.values("patient_id")
    coverages: dict[int, list[rules.CoverageFact]] = defaultdict(list)
    for row in Coverage.objects.filter(
        patient_id__in=patients, status=CoverageStatus.ACTIVE
    ).values(
        "patient_id",
        "payer_id",
        "plan_id",
        "plan__requires_referral",
        "effective_on",
        "terminates_on",
    ):
        coverages[row["patient_id"]].append(
            rules.CoverageFact(
                payer_id=row["payer_id"],
                plan_id=row["plan_id"],
                plan_requires_referral=bool(row["plan__requires_referral"]),
                effective_on=row["effective_on"],
                terminates_on=row["terminates_on"],
            )
        )
    types_of: dict[int, set[int]] = defaultdict(set)
    through = Authorization.appointment_types.through
    for link in through.objects.filter(authorization__patient_id__in=patients).values_list(
        "authorization_id", "appointmenttype_id"
    ):
        types_of[link[0]].add(link[1])
    authorizations: dict[int, list[rules.AuthorizationFact]] = defaultdict(list)
    for auth_row in Authorization.objects.filter(patient_id__in=patients).values(
        "pk",
        "patient_id",
        "kind",
        "status",
        "payer_id",
        "valid_from",
        "valid_until",
        "units_approved",
        "units_used",
    ):
        approved = auth_row["units_approved"]
        authorizations[auth_row["patient_id"]].append(
            rules.AuthorizationFact(
                kind=auth_row["kind"],
                status=auth_row["status"],
                payer_id=auth_row["payer_id"],
                valid_from=auth_row["valid_from"],
                valid_until=auth_row["valid_until"],
                units_left=None if approved is None else approved - auth_row["units_used"],
                appointment_type_ids=frozenset(types_of.get(auth_row["pk"], ())),
            )
        )
    consents: dict[int, dict[str, dt.datetime]] = defaultdict(dict)
    for consent_row in (
        ConsentAcknowledgement.objects.filter(patient_id__in=patients)
        .values("patient_id", "kind")
        .annotate(latest=Max("acknowledged_at"))
        .order_by()
    ):
        consents[consent_row["patient_id"]][consent_row["kind"]] = consent_row["latest"]
    records: dict[int, list[rules.RecordsFact]] = defaultdict(list)
    for record_row in (
        RecordsRequest.objects.filter(patient_id__in=patients, received_at__isnull=True)
        .order_by("requested_at", "pk")
        .values("patient_id", "requested_from", "requested_at")
    ):
        records[record_row["patient_id"]].append(
            rules.RecordsFact(
                requested_from=record_row["requested_from"],
                requested_on=record_row["requested_at"].date(),
            )
        )
    balances = balances_for_patients(patient_ids=patients)
    eligibility = eligibility_facts(patients)
    required = required_consents()
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    result: list[Computed] = []
    for visit in visits:
        tz = zones.setdefault(
            visit["location__timezone"], zoneinfo.ZoneInfo(visit["location__timezone"])
        )
        patient_id = visit["patient_id"]
        facts = rules.VisitFacts(
            day=visit["starts_at"].astimezone(tz).date(),
            appointment_type_id=visit["appointment_type_id"],
            type_requires_referral=visit["appointment_type__requires_referral"],
            type_requires_prior_auth=visit["appointment_type__requires_prior_auth"],
            coverages=coverages.get(patient_id, ()),
            authorizations=authorizations.get(patient_id, ()),
            consents={
                kind: at.astimezone(tz).date() for kind, at in consents.get(patient_id, {}).items()
            },
            open_records=records.get(patient_id, ()),
            balance=balances.get(patient_id),
            eligibility=eligibility.get(patient_id, ()),
            eligibility_fresh_days=eligibility_fresh_days(),
        )
        result.append(
            Computed(
                appointment_id=visit["pk"],
                location_id=visit["location_id"],
                starts_at=visit["starts_at"],
                items=rules.checklist(facts, required_consents=required),
            )
        )
    return result


# --- the worklist -------------------------------------------------------------------------------


@dataclass
class WorklistRow:
    appointment: Appointment
    items: list[dict[str, Any]]
    missing: list[str]
    owners: dict[str, Any]
    computed_at: dt.datetime | None  # None: computed for this page (no stored row yet)
    local_start: dt.datetime


def readiness_worklist(
    *,
    user: Any,
    location_ids: list[int] | None = None,
    start: dt.datetime,
    end: dt.datetime,
    provider_id: int | None = None,
    item: str = "",
    not_ready_only: bool = True,
    audit: bool = True,
) -> list[WorklistRow]:
    """Upcoming visits at the user's locations with their checklist, by appointment time.

    Stored readiness rows are read; visits booked since the last recompute (no row yet) are computed
    for this page without writing (a GET changes nothing), in the same constant number of queries.
    """
    appointments = (
        appointments_in_window(start, end)
        .restrict(user, A.READINESS_VIEW)
        .filter(patient__in=Patient.objects.all().scope_for(user).values("pk"))
        .select_related("patient", "provider", "location", "appointment_type")
    )
    if location_ids is not None:
        appointments = appointments.filter(location_id__in=location_ids)
    if provider_id is not None:
        appointments = appointments.filter(provider_id=provider_id)
    appointment_list = list(appointments.order_by("starts_at", "pk"))
    stored = {
        row.appointment_id: row
        for row in Readiness.objects.filter(appointment__in=appointments.values("pk"))
    }
    fresh_ids = [a.pk for a in appointment_list if a.pk not in stored]
    fresh: dict[int, Computed] = {}
    if fresh_ids:
        fresh = {
            c.appointment_id: c
            for c in readiness_compute(appointments.filter(readiness__isnull=True))
        }
    rows: list[WorklistRow] = []
    for appointment in appointment_list:
        row = stored.get(appointment.pk)
        if row is not None:
            items, missing, owners, at = row.items, list(row.missing), row.owners, row.computed_at
        elif appointment.pk in fresh:
            computed = fresh[appointment.pk]
            items, missing, owners, at = computed.items, computed.missing, {}, None
        else:
            continue
        if not_ready_only and not missing:
            continue
        if item and item not in missing:
            continue
        rows.append(
            WorklistRow(
                appointment=appointment,
                items=items,
                missing=missing,
                owners=owners,
                computed_at=at,
                local_start=appointment.starts_at.astimezone(appointment.location.tzinfo),
            )
        )
    if audit:
        audit_record(
            actor=user,
            action=AuditAction.QUERY,
            category=AuditCategory.SCHEDULE,
            object_type="readiness",
            detail={
                "event": "readiness_worklist",
                "rows": len(rows),
                "locations": sorted(location_ids or []),
            },
        )
    return rows


def location_choices(user: Any) -> list[Location]:
    return list(Location.objects.restrict(user, A.READINESS_VIEW).filter(is_active=True))


def appointment_get(*, user: Any, appointment_id: int) -> Appointment:
    appointment: Appointment = get_restricted(
        Appointment.objects.select_related("patient", "location", "appointment_type"),
        user,
        A.READINESS_VIEW,
        pk=appointment_id,
    )
    get_restricted(Patient.objects.all(), user, A.PATIENT_VIEW, pk=appointment.patient_id)
    return appointment


# --- a patient's chart-prep page ----------------------------------------------------------------


@dataclass
class PatientPrep:
    patient: Patient
    authorizations: list[Authorization]
    consents: list[ConsentAcknowledgement]
    records: list[RecordsRequest]
    consent_status: list[dict[str, Any]]


def consents_due(*, patient_id: int, on: dt.date) -> list[str]:
    """Labels of the required consents the patient has not acknowledged, or whose acknowledgement
    is older than its setting allows on ``on`` (the visit date). One query; not audited (the caller
    reads the patient under its own audit row)."""
    from frontdesk.chartprep.choices import ConsentKind

    labels = dict(ConsentKind.choices)
    latest: dict[str, dt.datetime] = {}
    rows = (
        ConsentAcknowledgement.objects.filter(patient_id=patient_id)
        .order_by("kind", "-acknowledged_at")
        .values_list("kind", "acknowledged_at")
    )
    for kind, at in rows:
        latest.setdefault(kind, at)
    due = []
    for kind, days in required_consents().items():
        at = latest.get(kind)
        if at is None or timezone.localdate(at) + dt.timedelta(days=days) < on:
            due.append(labels.get(kind, kind))
    return due


def patient_prep(*, user: Any, patient_id: int) -> PatientPrep:
    """What is on file for the patient's visits (audited as one read)."""
    patient: Patient = get_restricted(Patient.objects.all(), user, A.PATIENT_VIEW, pk=patient_id)
    authorizations = list(
        Authorization.objects.filter(patient=patient)
        .select_related("payer", "plan")
        .prefetch_related("appointment_types")
    )
    consents = list(
        ConsentAcknowledgement.objects.filter(patient=patient).select_related("recorded_by")[:50]
    )
    records = list(RecordsRequest.objects.filter(patient=patient).select_related("requested_by"))
    today = timezone.localdate()
    latest: dict[str, dt.datetime] = {}
    for consent in consents:
        latest.setdefault(consent.kind, consent.acknowledged_at)
    from frontdesk.chartprep.choices import ConsentKind

    labels = dict(ConsentKind.choices)
    status = []
    for kind, days in required_consents().items():
        at = latest.get(kind)
        current = at is not None and timezone.localdate(at) + dt.timedelta(days=days) >= today
        status.append({"kind": kind, "label": labels.get(kind, kind), "at": at, "current": current})
    audit_record(
        actor=user,
        action=AuditAction.READ,
        category=AuditCategory.INSURANCE,
        patient_id=patient.pk,
        object_type="chart_prep",
        object_id=patient.pk,
        detail={"event": "chart_prep_viewed"},
    )
    return PatientPrep(patient, authorizations, consents, records, status)


def patient_for_authorization(*, user: Any, patient_id: int) -> Patient:
    """The patient an authorization form is for (shown by name and MRN: audited as one read)."""
    patient: Patient = get_restricted(
        Patient.objects.active(), user, A.AUTHORIZATION_EDIT, pk=patient_id
    )
    audit_record(
        actor=user,
        action=AuditAction.READ,
        category=AuditCategory.INSURANCE,
        patient_id=patient.pk,
        object_type="authorization_form",
        object_id=patient.pk,
        detail={"event": "authorization_form_viewed"},
    )
    return patient


def authorization_get(*, user: Any, authorization_id: int) -> Authorization:
    authorization: Authorization = get_restricted(
        Authorization.objects.select_related("patient").prefetch_related("appointment_types"),
        user,
        A.AUTHORIZATION_EDIT,
        pk=authorization_id,
    )
    return authorization


def records_request_get(*, user: Any, request_id: int) -> RecordsRequest:
    record: RecordsRequest = get_restricted(
        RecordsRequest.objects.all(), user, A.PATIENT_UPDATE, pk=request_id
    )
    return record
