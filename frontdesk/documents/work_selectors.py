"""Reading the document worklists: filed chart documents that start work elsewhere (a referral to
put on file, a request for our records to answer), scoped to the person's locations and patients.

A worklist shows patients ("Last, F." and MRN), so reading one audits one read naming the patients
shown. The chart document's work panel (its queue, what the work produced, the patient's open
chart-prep records requests) is read under the chart document's own audited view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import PermissionDenied
from frontdesk.documents.choices import WorkQueue
from frontdesk.documents.models import Document, InboxPage
from frontdesk.documents.review_services import RECORDS_ARRIVAL_TYPES

WORKLIST_MAX = 300


def _require(actor: Any, action: str) -> None:
    if actor is None or not actor.can(action):
        raise PermissionDenied()


def work_locations(*, actor: Any) -> list[Any]:
    """The active locations whose documents the actor may work (the worklist's location filter)."""
    from frontdesk.practice.models import Location

    return list(
        Location.objects.restrict(actor, A.DOCUMENT_VIEW).filter(is_active=True).order_by("name")
    )


def _work_documents(actor: Any, location_id: int | None) -> QuerySet[Document]:
    from frontdesk.practice.models import Location

    locations = Location.objects.scope_for(actor)
    if location_id:
        locations = locations.filter(pk=location_id)
    return Document.objects.restrict(actor, A.DOCUMENT_VIEW).filter(
        location__in=locations.values("pk")
    )


def work_counts(*, actor: Any, location_id: int | None = None) -> dict[str, int]:
    """Open documents per work queue (every queue, zeros included). Counts only: no audit."""
    _require(actor, A.DOCUMENT_VIEW)
    counts = {str(queue): 0 for queue in WorkQueue.values}
    rows = (
        _work_documents(actor, location_id)
        .filter(work_done_at__isnull=True)
        .exclude(work_queue="")
        .order_by()
        .values("work_queue")
        .annotate(n=Count("pk"))
        .values_list("work_queue", "n")
    )
    counts.update(dict(rows))
    return counts


@dataclass(frozen=True)
class WorkRow:
    document: Document  # patient, location, work_done_by selected
    received_at: dt.datetime  # when its arrival came in (when it was filed, without one)
    age_days: int  # whole days since then


def document_worklist(
    *,
    actor: Any,
    queue: str,
    location_id: int | None = None,
    done: bool = False,
    audit: bool = True,
    now: dt.datetime | None = None,
) -> list[WorkRow]:
    """The documents of one work queue at the actor's locations (one of them with ``location_id``):
    the open ones oldest arrival first, or (``done``) the ones done, latest first. At most
    WORKLIST_MAX rows. Audits one read naming the patients shown."""
    _require(actor, A.DOCUMENT_VIEW)
    if queue not in WorkQueue.values:
        return []
    queryset = (
        _work_documents(actor, location_id)
        .filter(work_queue=queue, work_done_at__isnull=not done)
        .select_related("patient", "location", "work_done_by")
        .annotate(received=Coalesce(F("source_item__received_at"), F("created_at")))
    )
    ordering = ("-work_done_at", "-pk") if done else ("received", "pk")
    documents = list(queryset.order_by(*ordering)[:WORKLIST_MAX])
    now = now or timezone.now()
    rows = [
        WorkRow(
            document=document,
            received_at=document.received,  # type: ignore[attr-defined]
            age_days=max(0, (now - document.received).days),  # type: ignore[attr-defined]
        )
        for document in documents
    ]
    if audit:
        shown = sorted({row.document.patient_id for row in rows})
        audit_record(
            actor=actor,
            action=AuditAction.READ,
            category=AuditCategory.DOCUMENTS,
            # A list of one patient's documents is a read of that patient.
            patient_id=shown[0] if len(shown) == 1 else None,
            object_type="document_worklist",
            object_id=queue,
            detail={
                "work_queue": queue,
                "done": done,
                "location_id": location_id,
                "rows": len(rows),
                "patients_shown": shown,
            },
        )
    return rows


@dataclass
class DocumentWork:
    """The work panel of a chart document."""

    queue_label: str  # "" when the document is in no work queue
    authorization_id: int | None  # what "Record referral" put on file
    records_request_id: int | None  # the records request this document answered
    open_records: list[Any] = field(default_factory=list)  # chartprep RecordsRequest, oldest first
    records_arrival: bool = False  # the document may be the outside records they wait for
    workable: bool = False  # the actor files documents at the location it came in to
    can_record_referral: bool = False  # ... and puts authorizations on file
    can_mark_received: bool = False  # ... and updates patients (marks records received)


def _reference(document: Document, kind: str) -> int | None:
    prefix, _, value = document.work_reference.partition(":")
    return int(value) if prefix == kind and value.isdigit() else None


def document_work(*, actor: Any, document: Document) -> DocumentWork:
    """The chart document's work panel: its queue, what its work produced, and the patient's open
    chart-prep records requests. Read under the caller's audited view of the document (no audit)."""
    from frontdesk.chartprep.models import RecordsRequest
    from frontdesk.practice.models import Location

    workable = (
        actor.can(A.DOCUMENT_FILE)
        and Location.objects.scope_for(actor).filter(pk=document.location_id).exists()
    )
    open_records = list(
        RecordsRequest.objects.restrict(actor, A.PATIENT_VIEW)
        .filter(patient_id=document.patient_id, received_at__isnull=True)
        .order_by("requested_at", "pk")
    )
    return DocumentWork(
        queue_label=str(WorkQueue(document.work_queue).label) if document.work_queue else "",
        authorization_id=_reference(document, "authorization"),
        records_request_id=_reference(document, "records_request"),
        open_records=open_records,
        records_arrival=document.doc_type in RECORDS_ARRIVAL_TYPES,
        workable=workable,
        can_record_referral=workable and actor.can(A.AUTHORIZATION_EDIT),
        can_mark_received=workable and actor.can(A.PATIENT_UPDATE),
    )


def referral_form_document(*, actor: Any, document_id: Any) -> Document:
    """The document a "Record referral" form is for (its patient is shown: audited as one read of
    the document, event "referral_form"). NotFound out of the actor's locations or patients."""
    from frontdesk.core.queryset import get_restricted
    from frontdesk.practice.models import Location

    _require(actor, A.DOCUMENT_FILE)
    mine = Document.objects.filter(
        location__in=Location.objects.scope_for(actor).values("pk")
    ).select_related("patient", "work_done_by")
    document: Document = get_restricted(mine, actor, A.DOCUMENT_FILE, pk=document_id)
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        category=AuditCategory.DOCUMENTS,
        patient_id=document.patient_id,
        object_type="document",
        object_id=document.pk,
        detail={"event": "referral_form"},
    )
    return document


def referral_prefill(*, document: Document) -> dict[str, Any]:
    """What the "Record referral" form starts with: the sender the pipeline read on the document's
    pages as the referring provider (when it read one), valid from the document's date (else today).
    The extractor reads no NPI, referral number or visit count: those stay blank."""
    sender = ""
    segment = getattr(document, "segment", None) if document.source_item_id else None
    if segment is not None:
        pages = InboxPage.objects.filter(
            item_id=segment.item_id, index__in=segment.page_indexes
        ).order_by("index")
        for identifiers in pages.values_list("identifiers", flat=True):
            if isinstance(identifiers, dict) and identifiers.get("sender"):
                sender = str(identifiers["sender"])[:120]
                break
    return {
        "referring_provider_name": sender,
        "valid_from": document.document_date or timezone.localdate(),
    }
