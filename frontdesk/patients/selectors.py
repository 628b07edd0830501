"""Reading patients: search, the duplicate check, one patient's page data and its change history.

Every function takes the user and scopes through ``Patient.objects.restrict(user, action)``, so
out-of-scope records look exactly like missing ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Prefetch

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.models import FieldChange
from frontdesk.audit.selectors import field_change_list
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import NotFound
from frontdesk.core.queryset import get_restricted
from frontdesk.patients.duplicates import DuplicateCandidate, find_duplicates
from frontdesk.patients.errors import PatientMerged
from frontdesk.patients.models import Coverage, Patient, PatientPhone, Verification
from frontdesk.patients.search import PatientHit, load_hits, parse_query, run_search

__all__ = [
    "DuplicateCandidate",
    "PatientHit",
    "coverage_read_record",
    "patient_change_history",
    "patient_duplicates",
    "patient_get",
    "patient_search",
]

RECENT_VERIFICATIONS = 5


def patient_search(*, user: Any, query: str, limit: int = 25) -> list[PatientHit]:
    """Search the one box (name fragments, DOB, phone, MRN, member ID); best matches first.

    Writes one audit row (action "query") naming the kind of search and the number of results, never
    the text typed.
    """
    limit = max(1, min(limit, 100))
    parsed = parse_query(query)
    scoped = Patient.objects.restrict(user, "patient.search")
    hits = (
        load_hits(scoped, run_search(scoped, parsed, limit=limit)) if parsed.kind != "empty" else []
    )
    audit_record(
        actor=user,
        action=AuditAction.QUERY,
        category=AuditCategory.DEMOGRAPHICS,
        object_type="patient",
        detail={"kind": parsed.kind, "results": len(hits)},
    )
    return hits


def patient_duplicates(
    *,
    user: Any,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    phones: Sequence[str] = (),
    email: str = "",
    exclude_id: int | None = None,
    limit: int = 10,
    ssn: str = "",
) -> list[DuplicateCandidate]:
    """Existing patients who may be this person, highest score first (not audited by itself).

    Scoped like search: records the user may not find (restricted charts) are not offered.
    ``ssn`` (optional, 9 digits) adds "same SSN" evidence, and "different SSN" against (twins).
    """
    scoped = Patient.objects.restrict(user, "patient.search")
    return find_duplicates(
        scoped,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        phones=phones,
        email=email,
        ssn=ssn,
        exclude_id=exclude_id,
        limit=limit,
    )


def patient_get(*, user: Any, patient_id: int, audit: bool = True) -> Patient:
    """One patient with everything the patient page shows, in a constant number of queries.

    Prefetched: ``phones`` (by rank), ``coverages`` (with payer and plan, active first, by priority),
    ``recent_verifications`` (a list: the latest five, with who verified); ``primary_coverage`` is the active primary
    coverage or None. Raises NotFound when absent or out of scope, PatientMerged for a merged record.
    """
    queryset = Patient.objects.select_related("guarantor_patient").prefetch_related(
        Prefetch("phones", queryset=PatientPhone.objects.order_by("rank", "id")),
        Prefetch(
            "coverages",
            queryset=Coverage.objects.select_related(
                "payer", "plan", "subscriber_patient"
            ).order_by("status", "priority", "-effective_on", "id"),
        ),
        Prefetch(
            "verifications",
            queryset=Verification.objects.select_related("verified_by").order_by(
                "-verified_at", "-id"
            )[:RECENT_VERIFICATIONS],
            to_attr="recent_verifications",  # a sliced prefetch needs its own attribute
        ),
    )
    patient: Patient = get_restricted(queryset, user, "patient.view", pk=patient_id)
    if patient.merged_into_id is not None:
        raise PatientMerged(survivor_id=patient.merged_into_id)
    patient.primary_coverage = next(
        (c for c in patient.coverages.all() if c.status == "active" and c.priority == 1), None
    )
    if audit:
        audit_record(
            actor=user,
            action=AuditAction.READ,
            category=AuditCategory.DEMOGRAPHICS,
            patient_id=patient.pk,
            object_type="patient",
            object_id=patient.pk,
        )
    return patient


def coverage_read_record(*, user: Any, patient_id: int, coverage_id: int | None = None) -> None:
    """Audit that ``user`` was shown a coverage (or, without ``coverage_id``, all coverages) of an
    already scoped patient: one insurance read."""
    audit_record(
        actor=user,
        action=AuditAction.READ,
        category=AuditCategory.INSURANCE,
        patient_id=patient_id,
        object_type="coverage",
        object_id="" if coverage_id is None else coverage_id,
    )


def patient_change_history(
    *, user: Any, patient_id: int, limit: int | None = None
) -> list[FieldChange]:
    """Field-level changes to the patient and its coverages, newest first (with who and when).

    Each row's ``audit_event`` is loaded (actor name, time); at most ``limit`` rows when given.
    Scoped like ``patient_get``.
    """
    visible = Patient.objects.restrict(user, "patient.view").filter(pk=patient_id)
    if not visible.exists():
        raise NotFound()
    return field_change_list(patient_id=patient_id, limit=limit)
