"""Writing the review queue and the chart's documents: what a person does to an inbox item before and
after it is filed.

Before filing (``document.file``): change a segment's type, title, date, patient, urgency, assignee and
work queue; split a segment in two, merge two; rotate, delete and restore pages; delete a part or a
whole arrival (with a reason; the bytes stay). After filing: sign a document off
(``document.sign``), add a corrected scan as a new version (``document.file``; the first stays).

Every write is atomic and audited (codes and identifiers only, never a title or a name), and works on
locked rows: the item's row first, then the segment's, so two people working the same item take
turns, and the second is told plainly what the first already did.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.core.queryset import get_restricted
from frontdesk.documents import blobs
from frontdesk.documents.choices import (
    WORK_QUEUE_BY_TYPE,
    DocType,
    ItemStatus,
    Kind,
    SegmentStatus,
    WorkQueue,
)
from frontdesk.documents.matching import SUGGESTIONS, page_suggestions
from frontdesk.documents.models import (
    Document,
    DocumentVersion,
    InboxItem,
    InboxPage,
    InboxSegment,
)
from frontdesk.documents.services import document_limits
from frontdesk.documents.sniff import safe_display_name, sniff

# Document types that start work elsewhere: the segment lands in that team's work queue.
WORK_QUEUES: dict[str, str] = WORK_QUEUE_BY_TYPE
WORK_QUEUE_LABELS: dict[str, str] = {str(value): str(label) for value, label in WorkQueue.choices}
ROTATIONS = (90, 180, 270)
TITLE_MAX = 200
REASON_MAX = 200

# Keyword arguments of ``segment_update`` left out mean "leave as it is".
_UNSET: Any = object()


def work_queue_for(doc_type: str) -> str:
    """The work queue a document type is routed to ("" for none)."""
    return WORK_QUEUES.get(doc_type, "")


def _require(actor: Any, action: str) -> None:
    if actor is None or not actor.can(action):
        raise PermissionDenied()


def _item_locked(actor: Any, item_id: Any, action: str = A.DOCUMENT_FILE) -> InboxItem:
    """The item, row-locked, if the actor may work on it (NotFound otherwise)."""
    _require(actor, action)
    pk = get_restricted(InboxItem.objects.all(), actor, action, pk=item_id).pk
    return InboxItem.objects.select_for_update().get(pk=pk)


def _segment_locked(actor: Any, segment_id: Any) -> tuple[InboxItem, InboxSegment]:
    """The segment and its item, both row-locked (the item first), if the actor may file it."""
    _require(actor, A.DOCUMENT_FILE)
    found = get_restricted(InboxSegment.objects.all(), actor, A.DOCUMENT_FILE, pk=segment_id)
    item = InboxItem.objects.select_for_update().get(pk=found.item_id)
    segment = InboxSegment.objects.select_for_update().get(pk=found.pk)
    return item, segment


def _still_in_review(segment: InboxSegment) -> None:
    if segment.status == SegmentStatus.FILED:
        raise ValidationFailed(
            f"This part was already filed (chart document #{segment.document_id}); "
            "it cannot be changed here any more.",
            code="already_filed",
        )
    if segment.status != SegmentStatus.REVIEW:
        raise ValidationFailed("This part was deleted; it cannot be changed.", code="deleted")


def _item_in_review(item: InboxItem) -> None:
    if item.status != ItemStatus.REVIEW:
        raise ValidationFailed(
            f"Inbox item #{item.pk} is not waiting for review (it is {item.get_status_display()}).",
            code="not_in_review",
        )


def _audit(
    actor: Any,
    action: str,
    object_type: str,
    object_id: Any,
    detail: dict[str, Any],
    patient_id: int | None = None,
) -> None:
    audit_record(
        actor=actor,
        action=action,
        category=AuditCategory.DOCUMENTS,
        patient_id=patient_id,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )


def _clean_patient(actor: Any, patient_id: Any) -> int | None:
    if patient_id in (None, ""):
        return None
    from frontdesk.patients.models import Patient

    try:
        patient = get_restricted(Patient.objects.all(), actor, A.PATIENT_VIEW, pk=patient_id)
    except NotFound:
        raise ValidationFailed("Choose a patient you can see.", field="patient") from None
    if patient.merged_into_id is not None:
        raise ValidationFailed(
            f"That record was merged into patient #{patient.merged_into_id}; choose that one.",
            field="patient",
        )
    return int(patient.pk)


def _clean_assignee(assigned_to_id: Any) -> int | None:
    if assigned_to_id in (None, ""):
        return None
    from frontdesk.accounts.models import User

    user = User.objects.filter(pk=assigned_to_id, is_active=True).first()
    if user is None or getattr(user, "is_service_account", False) or not user.can(A.DOCUMENT_SIGN):
        raise ValidationFailed(
            "Assign it to a person who signs documents off.", field="assigned_to"
        )
    return int(user.pk)


@transaction.atomic
def segment_update(
    *,
    actor: Any,
    segment_id: int,
    doc_type: str = _UNSET,
    title: str = _UNSET,
    document_date: dt.date | None = _UNSET,
    patient_id: int | None = _UNSET,
    urgent: bool = _UNSET,
    assigned_to_id: int | None = _UNSET,
    work_queue: str = _UNSET,
) -> InboxSegment:
    """Change what a part waiting for review says before it is filed; arguments left out stay.

    A new type routes the part to its work queue (records requests to ``records_release``, referrals
    to ``referrals``) unless ``work_queue`` is given too. Only the names of the changed fields are
    audited (a title may name the patient).
    """
    item, segment = _segment_locked(actor, segment_id)
    _still_in_review(segment)
    changes: dict[str, Any] = {}
    if doc_type is not _UNSET:
        if doc_type not in DocType.values:
            raise ValidationFailed("Choose a document type.", field="doc_type")
        changes["doc_type"] = doc_type
        if work_queue is _UNSET:
            changes["work_queue"] = work_queue_for(doc_type)
    if title is not _UNSET:
        cleaned = " ".join((title or "").split())
        if len(cleaned) > TITLE_MAX:
            raise ValidationFailed(f"Keep the title to {TITLE_MAX} characters.", field="title")
        changes["title"] = cleaned
    if document_date is not _UNSET:
        if document_date is not None and document_date > timezone.localdate():
            raise ValidationFailed("The document's date cannot be in the future.", field="date")
        changes["document_date"] = document_date
    if patient_id is not _UNSET:
        changes["patient_id"] = _clean_patient(actor, patient_id)
    if urgent is not _UNSET:
        changes["urgent"] = bool(urgent)
    if assigned_to_id is not _UNSET:
        changes["assigned_to_id"] = _clean_assignee(assigned_to_id)
    if work_queue is not _UNSET:
        if work_queue and work_queue not in WORK_QUEUE_LABELS:
            raise ValidationFailed("Choose a work queue.", field="work_queue")
        changes["work_queue"] = work_queue or ""
    changed = sorted(name for name, value in changes.items() if getattr(segment, name) != value)
    for name, value in changes.items():
        setattr(segment, name, value)
    if changed:
        segment.save(update_fields=[*changed, "updated_at"])
        _audit(
            actor,
            AuditAction.UPDATE,
            "inbox_segment",
            segment.pk,
            {"item_id": item.pk, "fields": [name.removesuffix("_id") for name in changed]},
            patient_id=segment.patient_id,
        )
    return segment


def _resuggested(
    item: InboxItem, indexes: list[int], previous: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A part's suggestions after a split or merge: matched again from its own pages first, then the
    ones it had before (pages that name nobody keep what the whole packet suggested)."""
    fresh = page_suggestions(item.pk, indexes)
    seen = {s.get("patient_id") for s in fresh}
    kept = []
    for old in previous:
        if old.get("patient_id") not in seen:
            seen.add(old.get("patient_id"))
            kept.append(old)
    return [*fresh, *kept][:SUGGESTIONS]


@transaction.atomic
def segment_split(*, actor: Any, segment_id: int, at_page_position: int) -> InboxSegment:
    """Split a part after its ``at_page_position``-th page (1-based count of pages kept); return the
    new part, placed right after it. The new part keeps the type and date but not the patient (a
    packet's second part is usually somebody else's); each part's suggestions are matched again from
    its own pages, followed by the ones the whole part had."""
    item, segment = _segment_locked(actor, segment_id)
    _still_in_review(segment)
    pages = list(segment.page_indexes)
    try:
        at = int(at_page_position)
    except (TypeError, ValueError):
        at = 0
    if not 1 <= at < len(pages):
        raise ValidationFailed(
            "Split between two pages of the part: after page 1 at the earliest and before the last.",
            field="at_page_position",
        )
    later = InboxSegment.objects.filter(item=item, position__gt=segment.position).order_by(
        "-position"
    )
    for other in later:  # from the end, so no two parts share a position on the way
        other.position += 1
        other.save(update_fields=["position", "updated_at"])
    previous = list(segment.suggestions)
    segment.page_indexes = pages[:at]
    segment.suggestions = _resuggested(item, segment.page_indexes, previous)
    segment.save(update_fields=["page_indexes", "suggestions", "updated_at"])
    new = InboxSegment.objects.create(
        item=item,
        position=segment.position + 1,
        page_indexes=pages[at:],
        doc_type=segment.doc_type,
        type_confidence=segment.type_confidence,
        type_reasons=segment.type_reasons,
        title=segment.title,
        document_date=segment.document_date,
        suggestions=_resuggested(item, pages[at:], previous),
        urgent=segment.urgent,
        work_queue=segment.work_queue,
    )
    _audit(
        actor,
        AuditAction.UPDATE,
        "inbox_segment",
        segment.pk,
        {"item_id": item.pk, "event": "split", "new_segment_id": new.pk, "pages": [at, len(pages)]},
        patient_id=segment.patient_id,
    )
    return new


@transaction.atomic
def segment_merge(*, actor: Any, segment_id: int, other_segment_id: int) -> InboxSegment:
    """Append the other part's pages to this one (both of one item, both in review); the other part
    is removed; the merged part's suggestions are matched again from all its pages, followed by the
    ones both parts had. Returns it."""
    item, segment = _segment_locked(actor, segment_id)
    _still_in_review(segment)
    other = InboxSegment.objects.select_for_update().filter(pk=other_segment_id).first()
    if other is None or other.item_id != item.pk or other.pk == segment.pk:
        raise ValidationFailed("Merge with another part of the same arrival.", field="other")
    _still_in_review(other)
    segment.page_indexes = [*segment.page_indexes, *other.page_indexes]
    if segment.patient_id is None and other.patient_id is not None:
        segment.patient_id = other.patient_id
    segment.urgent = segment.urgent or other.urgent
    segment.suggestions = _resuggested(
        item, segment.page_indexes, [*segment.suggestions, *other.suggestions]
    )
    segment.save(update_fields=["page_indexes", "patient", "urgent", "suggestions", "updated_at"])
    other_pk = other.pk
    other.delete()
    _audit(
        actor,
        AuditAction.UPDATE,
        "inbox_segment",
        segment.pk,
        {"item_id": item.pk, "event": "merge", "merged_segment_id": other_pk},
        patient_id=segment.patient_id,
    )
    return segment


def _page_locked(item: InboxItem, index: Any) -> InboxPage:
    page = InboxPage.objects.select_for_update().filter(item=item, index=index).first()
    if page is None:
        raise NotFound(f"Inbox item #{item.pk} has no page {index}.")
    return page


def _page_segment(item: InboxItem, index: int) -> InboxSegment | None:
    for segment in InboxSegment.objects.filter(item=item).exclude(status=SegmentStatus.DELETED):
        if index in segment.page_indexes:
            return segment
    return None


def _page_editable(item: InboxItem, index: int) -> InboxSegment | None:
    _item_in_review(item)
    segment = _page_segment(item, index)
    if segment is not None and segment.status == SegmentStatus.FILED:
        raise ValidationFailed(
            f"Page {index + 1} is part of chart document #{segment.document_id}, already filed.",
            code="already_filed",
        )
    return segment


@transaction.atomic
def page_rotate(*, actor: Any, item_id: int, index: int, degrees: int) -> InboxPage:
    """Turn one page clockwise by 90, 180 or 270 degrees (-90 is 270) on top of its rotation."""
    item = _item_locked(actor, item_id)
    try:
        turn = int(degrees) % 360
    except (TypeError, ValueError):
        turn = 0
    if turn not in ROTATIONS:
        raise ValidationFailed("Rotate by 90, 180 or 270 degrees.", field="degrees")
    page = _page_locked(item, index)
    _page_editable(item, page.index)
    page.rotation = (page.rotation + turn) % 360
    page.save(update_fields=["rotation"])
    _audit(
        actor,
        AuditAction.UPDATE,
        "inbox_page",
        f"{item.pk}:{page.index}",
        {"item_id": item.pk, "index": page.index, "rotation": page.rotation},
    )
    return page


def _page_set_deleted(actor: Any, item_id: int, index: int, deleted: bool) -> InboxPage:
    item = _item_locked(actor, item_id)
    page = _page_locked(item, index)
    segment = _page_editable(item, page.index)
    if page.deleted == deleted:
        return page
    if deleted and segment is not None:
        kept = InboxPage.objects.filter(
            item=item, index__in=segment.page_indexes, deleted=False
        ).exclude(pk=page.pk)
        if not kept.exists():
            raise ValidationFailed(
                "This is the part's last page: delete the whole part instead.", code="last_page"
            )
    page.deleted = deleted
    page.save(update_fields=["deleted"])
    _audit(
        actor,
        AuditAction.DELETE if deleted else AuditAction.UPDATE,
        "inbox_page",
        f"{item.pk}:{page.index}",
        {"item_id": item.pk, "index": page.index, "deleted": deleted},
    )
    return page


@transaction.atomic
def page_delete(*, actor: Any, item_id: int, index: int) -> InboxPage:
    """Leave one page out of what is filed (a blank page, a cover sheet); it can be restored."""
    return _page_set_deleted(actor, item_id, index, True)


@transaction.atomic
def page_restore(*, actor: Any, item_id: int, index: int) -> InboxPage:
    """Put a deleted page back."""
    return _page_set_deleted(actor, item_id, index, False)


def _settle_item(item: InboxItem) -> None:
    """After a part left review: the item is filed once no part waits and one was filed."""
    segments = InboxSegment.objects.filter(item=item)
    if segments.filter(status=SegmentStatus.REVIEW).exists():
        return
    if segments.filter(status=SegmentStatus.FILED).exists():
        item.status = ItemStatus.FILED
        item.save(update_fields=["status", "updated_at"])
    else:
        item.status = ItemStatus.DELETED
        item.deleted_reason = "Every part was deleted in review."
        item.save(update_fields=["status", "deleted_reason", "updated_at"])


@transaction.atomic
def segment_delete(*, actor: Any, segment_id: int) -> InboxSegment:
    """Drop one part (junk, a duplicate cover sheet); its pages stay in the item's original."""
    item, segment = _segment_locked(actor, segment_id)
    _still_in_review(segment)
    segment.status = SegmentStatus.DELETED
    segment.save(update_fields=["status", "updated_at"])
    _audit(
        actor,
        AuditAction.DELETE,
        "inbox_segment",
        segment.pk,
        {"item_id": item.pk, "pages": len(segment.page_indexes)},
    )
    _settle_item(item)
    return segment


@transaction.atomic
def item_delete(*, actor: Any, item_id: int, reason: str) -> InboxItem:
    """Delete a whole arrival with a reason (junk fax, sent to the wrong practice). The original
    bytes are kept; its parts waiting for review are deleted with it. Not once a part is filed."""
    cleaned = " ".join((reason or "").split())
    if not cleaned:
        raise ValidationFailed("Say why it is deleted.", field="reason")
    item = _item_locked(actor, item_id)
    if item.status == ItemStatus.DELETED:
        raise ValidationFailed(f"Inbox item #{item.pk} is already deleted.", code="deleted")
    if item.status == ItemStatus.QUARANTINED:
        raise ValidationFailed(
            "A quarantined arrival stays in quarantine with its reason.", code="quarantined"
        )
    filed = InboxSegment.objects.filter(item=item, status=SegmentStatus.FILED).count()
    if filed or item.status == ItemStatus.FILED:
        raise ValidationFailed(
            f"Part of inbox item #{item.pk} is already in a chart; it cannot be deleted.",
            code="already_filed",
        )
    dropped = InboxSegment.objects.filter(item=item, status=SegmentStatus.REVIEW).update(
        status=SegmentStatus.DELETED, updated_at=timezone.now()
    )
    item.status = ItemStatus.DELETED
    item.deleted_reason = cleaned[:1000]
    item.save(update_fields=["status", "deleted_reason", "updated_at"])
    _audit(actor, AuditAction.DELETE, "inbox_item", item.pk, {"segments_deleted": dropped})
    return item


def _document_locked(actor: Any, document_id: Any, action: str) -> Document:
    _require(actor, action)
    pk = get_restricted(Document.objects.all(), actor, action, pk=document_id).pk
    return Document.objects.select_for_update().get(pk=pk)


@transaction.atomic
def document_sign_off(*, actor: Any, document_id: int) -> Document:
    """Sign a chart document off (a result, a letter read): once, by the person it is assigned to
    (anyone who signs documents off when it is assigned to nobody)."""
    document = _document_locked(actor, document_id, A.DOCUMENT_SIGN)
    if document.signed_off_at is not None:
        raise ValidationFailed(
            f"Chart document #{document.pk} was already signed off.", code="signed_off"
        )
    if document.assigned_to_id is not None and document.assigned_to_id != actor.pk:
        raise PermissionDenied("Only the person it is assigned to signs it off.")
    document.signed_off_at = timezone.now()
    document.signed_off_by = actor
    document.save(update_fields=["signed_off_at", "signed_off_by", "updated_at"])
    _audit(
        actor,
        AuditAction.UPDATE,
        "document",
        document.pk,
        {"event": "signed_off"},
        patient_id=document.patient_id,
    )
    return document


def _text_layer(data: bytes, kind: str) -> str:
    """The PDF's own text (a corrected scan without one is found by its title and type)."""
    if kind != Kind.PDF:
        return ""
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        return "\n".join((page.extract_text() or "") for page in reader.pages).strip()
    except Exception:  # a text layer is a bonus; the sniff already accepted the file
        return ""


def document_new_version(
    *, actor: Any, document_id: int, data: bytes, reason: str, name: str = ""
) -> DocumentVersion:
    """Add a corrected scan to a chart document as version n+1; every earlier version stays.

    The file is judged by content like any arrival; refused content raises ValidationFailed with the
    sniff's reason and stores nothing.
    """
    cleaned = " ".join((reason or "").split())
    if not cleaned:
        raise ValidationFailed("Say why there is a new version.", field="reason")
    if len(cleaned) > REASON_MAX:
        raise ValidationFailed(f"Keep the reason to {REASON_MAX} characters.", field="reason")
    _require(actor, A.DOCUMENT_FILE)
    get_restricted(Document.objects.all(), actor, A.DOCUMENT_FILE, pk=document_id)
    if not isinstance(data, bytes | bytearray | memoryview) or not data:
        raise ValidationFailed("Choose the corrected file.", field="file")
    content = bytes(data)
    sniffed = sniff(content, name=safe_display_name(name), **document_limits())
    if not sniffed.accepted:
        raise ValidationFailed(sniffed.reason, field="file", code=sniffed.code)
    text = _text_layer(content, sniffed.kind)
    with transaction.atomic():
        document = _document_locked(actor, document_id, A.DOCUMENT_FILE)
        blob, created = blobs.blob_store(content, sniffed=sniffed)
        last = document.versions.aggregate(last=Max("number"))["last"] or 0
        version = DocumentVersion.objects.create(
            document=document,
            number=last + 1,
            blob=blob,
            pages=max(1, sniffed.pages),
            text=text,
            reason=cleaned,
            created_by=actor,
        )
        document.save(update_fields=["updated_at"])
        _audit(
            actor,
            AuditAction.CREATE,
            "document_version",
            version.pk,
            {
                "document_id": document.pk,
                "number": version.number,
                "blob_id": blob.pk,
                "blob_created": created,
                "kind": blob.kind,
                "pages": version.pages,
            },
            patient_id=document.patient_id,
        )
    return version


@transaction.atomic
def segment_accept(
    *,
    actor: Any,
    segment_id: int,
    patient_id: Any,
    doc_type: str,
    title: str = "",
    document_date: dt.date | None = None,
    urgent: bool = False,
    assigned_to_id: int | None = None,
    work_queue: str | None = None,
) -> Document:
    """What Enter does on the indexing screen: save the part's fields and file it to the patient's
    chart (``filing.segment_file``), in one transaction. The part's row is locked first, so when two
    people accept the same part the second is told it was already filed (ValidationFailed)."""
    if patient_id in (None, ""):
        raise ValidationFailed("Choose the patient this document belongs to.", field="patient")
    from frontdesk.documents.choices import FiledBy
    from frontdesk.documents.filing import segment_file

    segment = segment_update(
        actor=actor,
        segment_id=segment_id,
        doc_type=doc_type,
        title=title,
        document_date=document_date,
        patient_id=patient_id,
        urgent=urgent,
        assigned_to_id=assigned_to_id,
        **({} if work_queue is None else {"work_queue": work_queue}),
    )
    return segment_file(
        actor=actor,
        segment_id=segment.pk,
        patient_id=int(segment.patient_id),  # type: ignore[arg-type]
        doc_type=segment.doc_type,
        title=segment.title,
        document_date=segment.document_date,
        appointment_id=segment.appointment_id,
        filed_by=FiledBy.PERSON,
        urgent=segment.urgent,
        assigned_to_id=segment.assigned_to_id,
    )


@transaction.atomic
def document_reassign(*, actor: Any, document_id: int, patient_id: Any) -> Document:
    """Move a misfiled chart document to the right patient; audited against both patients (the one
    it left and the one it joined). Its versions and sign-off stay as they are."""
    document = _document_locked(actor, document_id, A.DOCUMENT_FILE)
    new_patient = _clean_patient(actor, patient_id)
    if new_patient is None:
        raise ValidationFailed("Choose the patient it belongs to.", field="patient")
    old_patient = document.patient_id
    if new_patient == old_patient:
        raise ValidationFailed("It is already in that patient's chart.", field="patient")
    document.patient_id = new_patient
    document.save(update_fields=["patient", "updated_at"])
    InboxSegment.objects.filter(document=document).update(
        patient_id=new_patient, updated_at=timezone.now()
    )
    for patient, event in ((old_patient, "reassigned_away"), (new_patient, "reassigned_here")):
        _audit(
            actor,
            AuditAction.UPDATE,
            "document",
            document.pk,
            {"event": event, "from_patient_id": old_patient, "to_patient_id": new_patient},
            patient_id=patient,
        )
    return document


# --- Work on filed documents (the referral and records-release worklists) -----------------------

WORK_NOTE_MAX = 500
# Documents that may be the outside records a patient's open chart-prep records request waits for.
RECORDS_ARRIVAL_TYPES: frozenset[str] = frozenset(
    {DocType.LAB_RESULT, DocType.IMAGING_REPORT, DocType.CONSULT_NOTE, DocType.OTHER}
)


def _clean_note(note: str) -> str:
    cleaned = " ".join((note or "").split())
    if len(cleaned) > WORK_NOTE_MAX:
        raise ValidationFailed(f"Keep the note to {WORK_NOTE_MAX} characters.", field="note")
    return cleaned


def _work_document_locked(actor: Any, document_id: Any) -> Document:
    """The document, row-locked, if the actor files documents, may see its patient and works at
    the location whose inbox it came in to (NotFound otherwise: out of scope looks like absent)."""
    from frontdesk.practice.models import Location

    _require(actor, A.DOCUMENT_FILE)
    mine = Document.objects.filter(location__in=Location.objects.scope_for(actor).values("pk"))
    pk = get_restricted(mine, actor, A.DOCUMENT_FILE, pk=document_id).pk
    return Document.objects.select_for_update().get(pk=pk)


def _work_open(document: Document, queue: str | None = None) -> None:
    """The document waits in a work queue (``queue`` when given) and its work is not done yet."""
    if not document.work_queue:
        raise ValidationFailed(
            f"Chart document #{document.pk} is in no work queue.", code="no_work_queue"
        )
    if queue is not None and document.work_queue != queue:
        raise ValidationFailed(
            f"Chart document #{document.pk} is not on the "
            f"{WORK_QUEUE_LABELS.get(queue, queue).lower()} worklist.",
            code="wrong_work_queue",
        )
    if document.work_done_at is not None:
        raise ValidationFailed(
            f"The work on chart document #{document.pk} was already done "
            f"({timezone.localtime(document.work_done_at):%Y-%m-%d %H:%M}).",
            code="work_done",
        )


def _work_mark_done(actor: Any, document: Document, note: str, reference: str = "") -> None:
    document.work_done_at = timezone.now()
    document.work_done_by = actor
    document.work_note = note
    document.work_reference = reference
    document.save(
        update_fields=[
            "work_done_at",
            "work_done_by",
            "work_note",
            "work_reference",
            "updated_at",
        ]
    )
    _audit(
        actor,
        AuditAction.UPDATE,
        "document",
        document.pk,
        {
            "event": "work_done",
            "work_queue": document.work_queue,
            "reference": reference,
            "noted": bool(note),
        },
        patient_id=document.patient_id,
    )


@transaction.atomic
def document_work_done(*, actor: Any, document_id: Any, note: str = "") -> Document:
    """Mark the work on a document in a work queue done (a records request for our records answered
    or passed on, a referral dealt with elsewhere), with an optional note; it leaves the worklist.
    The note is kept on the document, never in the audit log (it may name people)."""
    cleaned = _clean_note(note)
    document = _work_document_locked(actor, document_id)
    _work_open(document)
    _work_mark_done(actor, document, cleaned)
    return document


@transaction.atomic
def document_work_reopen(*, actor: Any, document_id: Any) -> Document:
    """Put a document whose work was marked done back on its worklist (what the work produced, an
    authorization, stays where it is; the audit log keeps the reference and who did it)."""
    document = _work_document_locked(actor, document_id)
    if not document.work_queue or document.work_done_at is None:
        raise ValidationFailed(
            f"The work on chart document #{document.pk} is not marked done.", code="work_open"
        )
    reference = document.work_reference
    done_by = document.work_done_by_id
    document.work_done_at = None
    document.work_done_by = None
    document.work_note = ""
    document.work_reference = ""
    document.save(
        update_fields=["work_done_at", "work_done_by", "work_note", "work_reference", "updated_at"]
    )
    _audit(
        actor,
        AuditAction.UPDATE,
        "document",
        document.pk,
        {
            "event": "work_reopened",
            "work_queue": document.work_queue,
            "reference": reference,
            "done_by_id": done_by,
        },
        patient_id=document.patient_id,
    )
    return document


def _document_patient(document: Document) -> Any:
    from frontdesk.patients.models import Patient

    patient = Patient.objects.get(pk=document.patient_id)
    if patient.merged_into_id is not None:
        raise ValidationFailed(
            f"This chart was merged into patient #{patient.merged_into_id}: "
            "move the document to that chart first.",
            code="patient_merged",
        )
    return patient


@transaction.atomic
def document_referral_record(*, actor: Any, document_id: Any, data: dict[str, Any]) -> Any:
    """Put the referral a document on the referrals worklist brings on file for its patient (a
    chart-prep ``Authorization`` of kind referral, which chart prep validates and audits) and mark the
    document's work done with a reference to it. ``data``: referring_provider_name,
    referring_provider_npi, number, valid_from, valid_until, units_approved, note (the work note).
    Needs ``document.file`` and ``authorization.edit``. Returns the authorization."""
    from frontdesk.chartprep.choices import AuthorizationKind, AuthorizationStatus
    from frontdesk.chartprep.services import authorization_create

    _require(actor, A.DOCUMENT_FILE)
    _require(actor, A.AUTHORIZATION_EDIT)
    note = _clean_note(str(data.get("note") or ""))
    document = _work_document_locked(actor, document_id)
    _work_open(document, WorkQueue.REFERRALS)
    patient = _document_patient(document)
    authorization = authorization_create(
        actor=actor,
        patient=patient,
        data={
            "kind": AuthorizationKind.REFERRAL,
            "status": AuthorizationStatus.ACTIVE,
            "number": data.get("number") or "",
            "referring_provider_name": data.get("referring_provider_name") or "",
            "referring_provider_npi": data.get("referring_provider_npi") or "",
            "valid_from": data.get("valid_from"),
            "valid_until": data.get("valid_until"),
            "units_approved": data.get("units_approved"),
            "units_used": 0,
            "note": f"From chart document #{document.pk}",
        },
    )
    _work_mark_done(actor, document, note, f"authorization:{authorization.pk}")
    return authorization


@transaction.atomic
def document_records_received(*, actor: Any, document_id: Any, records_request_id: Any) -> Any:
    """The outside records a patient's open chart-prep records request waited for came in as this
    document (a result, a report, a letter): mark the request received (chart prep writes and audits
    it) and note the request on the document. Needs ``document.file`` and ``patient.update``.
    Returns the records request."""
    from frontdesk.chartprep.models import RecordsRequest
    from frontdesk.chartprep.services import records_request_mark_received

    _require(actor, A.DOCUMENT_FILE)
    _require(actor, A.PATIENT_UPDATE)
    document = _work_document_locked(actor, document_id)
    if document.doc_type not in RECORDS_ARRIVAL_TYPES:
        raise ValidationFailed(
            f"A {document.get_doc_type_display().lower()} is not outside records.",
            code="not_records",
        )
    record = (
        RecordsRequest.objects.restrict(actor, A.PATIENT_UPDATE)
        .filter(pk=records_request_id, patient_id=document.patient_id)
        .first()
    )
    if record is None:
        raise NotFound("The patient of this document has no such records request.")
    received = records_request_mark_received(actor=actor, record=record)
    reference = f"records_request:{received.pk}"
    if not document.work_reference:
        document.work_reference = reference
        document.save(update_fields=["work_reference", "updated_at"])
    _audit(
        actor,
        AuditAction.UPDATE,
        "document",
        document.pk,
        {"event": "records_request_received", "records_request_id": received.pk},
        patient_id=document.patient_id,
    )
    return received
