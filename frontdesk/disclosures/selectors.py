"""Reading the disclosure log (an audited PHI read: the accounting of disclosures of one patient)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import NotFound
from frontdesk.core.queryset import get_restricted
from frontdesk.disclosures.models import Disclosure
from frontdesk.patients.models import Patient


def disclosure_patient_get(*, user: Any, patient_id: int) -> Patient:
    """The patient whose disclosures ``user`` may read (the privacy officer's audit right), or 404."""
    if not user.can(A.AUDIT_VIEW):
        raise NotFound()
    # The audit right reads any record the user's scope shows (restricted charts stay hidden unless
    # the role may see them).
    return get_restricted(Patient.objects.all(), user, A.AUDIT_VIEW, pk=patient_id)


def disclosures_for_patient(
    *,
    user: Any,
    patient: Patient,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[Disclosure]:
    """Every disclosure of ``patient`` between ``since`` and ``until`` (newest first); audited."""
    queryset = Disclosure.objects.restrict(user, A.AUDIT_VIEW).filter(patient=patient)
    if since is not None:
        queryset = queryset.filter(disclosed_at__gte=since)
    if until is not None:
        queryset = queryset.filter(disclosed_at__lt=until)
    queryset = queryset.select_related("actor").order_by("-disclosed_at", "-pk")
    audit_record(
        actor=user,
        action=AuditAction.READ,
        category=AuditCategory.AUDIT,
        patient_id=patient.pk,
        object_type="disclosure_log",
        object_id=patient.pk,
        detail={"view": "disclosures", "since": bool(since), "until": bool(until)},
    )
    return queryset
