"""Reading the review queue and the chart's documents, scoped to the user.

The queue lists parts waiting for review without patient names (no PHI in a list). A page that
shows patients audits exactly one read: the indexing screen (its suggested patients), a patient's
documents, one document. Every read of a document's bytes - a page preview, a version download -
is audited too; the rows with object type "document" are also the document's "who viewed it".
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory, AuditOutcome
from frontdesk.audit.models import AuditEvent
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import NotFound, PermissionDenied
from frontdesk.core.queryset import get_restricted
from frontdesk.documents.blobs import blob_read
from frontdesk.documents.choices import DocType, ItemStatus, SegmentStatus
from frontdesk.documents.errors import BlobCorrupt
from frontdesk.documents.models import (
    Document,
    DocumentVersion,
    InboxItem,
    InboxPage,
    InboxSegment,
)

PREVIEW_DPI = 150
# The longest side of a page preview, in pixels (a readable page on a large screen).
PREVIEW_MAX = 1600
SEARCH_WORDS_MAX = 8


def _require(actor: Any, action: str) -> None:
    if actor is None or not actor.can(action):
        raise PermissionDenied()


def _audit_read(
    actor: Any,
    object_type: str,
    object_id: Any,
    detail: dict[str, Any],
    patient_id: int | None = None,
    outcome: str = AuditOutcome.SUCCESS,
) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.READ,
            category=AuditCategory.DOCUMENTS,
            patient_id=patient_id,
            object_type=object_type,
            object_id=object_id,
            outcome=outcome,
            detail=detail,
        )


# --- The review queue ---------------------------------------------------------------------------


def review_queue(
    *,
    actor: Any,
    doc_type: str = "",
    work_queue: str = "",
    assigned: str = "",
    location_id: int | None = None,
) -> QuerySet[InboxSegment]:
    """Parts waiting for review in the actor's locations: urgent first (the part or its arrival),
    then oldest arrival first, then in page order. Filters: a type, a work queue, ``assigned`` "me",
    "none" or a user id. No bytes, no patient names, no audit."""
    queryset = (
        InboxSegment.objects.restrict(actor, A.DOCUMENT_VIEW)
        .filter(status=SegmentStatus.REVIEW, item__status=ItemStatus.REVIEW)
        .select_related("item", "item__location", "assigned_to")
        .annotate(
            hot=Case(
                When(Q(urgent=True) | Q(item__urgent=True), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("hot", "item__received_at", "item_id", "position")
    )
    if doc_type:
        queryset = queryset.filter(doc_type=doc_type)
    if work_queue:
        queryset = queryset.filter(work_queue=work_queue)
    if assigned == "me":
        queryset = queryset.filter(assigned_to=actor.pk)
    elif assigned == "none":
        queryset = queryset.filter(assigned_to__isnull=True)
    elif assigned.isdigit():
        queryset = queryset.filter(assigned_to=int(assigned))
    if location_id:
        queryset = queryset.filter(item__location=location_id)
    return queryset


def review_next(*, actor: Any, after: int | None = None, **filters: Any) -> InboxSegment | None:
    """The first part of the queue other than ``after`` (the one just done), or None."""
    queryset = review_queue(actor=actor, **filters)
    if after is not None:
        queryset = queryset.exclude(pk=after)
    return queryset.first()


@dataclass
class Suggestion:
    patient: Any  # patients.Patient
    score: float
    reasons: list[str]


@dataclass
class SegmentReview:
    """Everything the indexing screen shows of one part."""

    segment: InboxSegment
    item: InboxItem
    pages: list[InboxPage]  # the part's pages, in its order (deleted ones included, marked)
    suggestions: list[Suggestion]
    patient: Any  # the chosen or suggested patient (scoped), or None
    other_segments: list[InboxSegment] = field(default_factory=list)  # the item's other parts

    @property
    def next_segment(self) -> InboxSegment | None:
        later = [s for s in self.other_segments if s.position > self.segment.position]
        return later[0] if later else None


def segment_review_get(*, actor: Any, segment_id: Any, audit: bool = True) -> SegmentReview:
    """One part with its pages and its suggested patients (only those the actor may see); audits
    one read naming the patients shown. NotFound when absent or out of scope."""
    from frontdesk.patients.models import Patient

    segment: InboxSegment = get_restricted(
        InboxSegment.objects.select_related("item", "item__blob", "item__location", "assigned_to"),
        actor,
        A.DOCUMENT_VIEW,
        pk=segment_id,
    )
    item = segment.item
    by_index = {page.index: page for page in InboxPage.objects.filter(item=item)}
    pages = [by_index[i] for i in segment.page_indexes if i in by_index]
    wanted: list[int] = []
    for entry in segment.suggestions or []:
        try:
            wanted.append(int(entry["patient_id"]))
        except (KeyError, TypeError, ValueError):
            continue
    if segment.patient_id is not None:
        wanted.append(segment.patient_id)
    visible = {
        p.pk: p
        for p in Patient.objects.restrict(actor, A.PATIENT_VIEW).filter(
            pk__in=wanted, merged_into__isnull=True
        )
    }
    suggestions: list[Suggestion] = []
    for entry in segment.suggestions or []:
        try:
            patient = visible.get(int(entry["patient_id"]))
        except (KeyError, TypeError, ValueError):
            continue
        if patient is None or any(s.patient.pk == patient.pk for s in suggestions):
            continue
        suggestions.append(
            Suggestion(
                patient=patient,
                score=float(entry.get("score") or 0),
                reasons=[str(r) for r in entry.get("reasons") or []],
            )
        )
    patient = visible.get(segment.patient_id) if segment.patient_id else None
    others = list(
        InboxSegment.objects.filter(item=item).exclude(pk=segment.pk).order_by("position")
    )
    if audit:
        shown = [p.pk for p in ([patient] if patient else []) + [s.patient for s in suggestions]]
        _audit_read(
            actor,
            "inbox_segment",
            segment.pk,
            {"item_id": item.pk, "patients_shown": sorted(set(shown))},
            patient_id=(
                patient.pk if patient else (suggestions[0].patient.pk if suggestions else None)
            ),
        )
    return SegmentReview(
        segment=segment,
        item=item,
        pages=pages,
        suggestions=suggestions,
        patient=patient,
        other_segments=others,
    )


def page_png(*, actor: Any, item_id: Any, index: Any) -> bytes:
    """One page of an arrival, upright, as a PNG no larger than PREVIEW_MAX; audited (a failed read
    too, with outcome "failure": BlobCorrupt is raised and no picture is made)."""
    from frontdesk.documents.filing import page_image

    item: InboxItem = get_restricted(
        InboxItem.objects.select_related("blob"), actor, A.DOCUMENT_VIEW, pk=item_id
    )
    if item.is_quarantined:
        raise NotFound("A quarantined arrival has no preview.")
    try:
        number = int(index)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 <= number < max(item.blob.pages, 1):
        raise NotFound(f"Inbox item #{item.pk} has no page {number + 1}.")
    detail = {"blob_id": item.blob_id, "page": number, "preview": True}
    try:
        data = blob_read(item.blob)
    except BlobCorrupt as exc:
        _audit_read(
            actor,
            "inbox_item",
            item.pk,
            {**detail, "error": exc.code},
            outcome=AuditOutcome.FAILURE,
        )
        raise
    picture = _png(page_image(item=item, index=number, data=data))
    _audit_read(actor, "inbox_item", item.pk, detail)
    return picture


# --- The chart's documents ----------------------------------------------------------------------


def _words(query: str) -> list[str]:
    return [w for w in (query or "").split() if w][:SEARCH_WORDS_MAX]


def _version_matches(word: str) -> QuerySet[DocumentVersion]:
    """Versions whose text holds ``word``: icontains, or PostgreSQL's full-text search (the simple
    configuration, the word as a prefix) where that runs."""
    lexeme = word.lower()
    if connection.vendor == "postgresql" and re.fullmatch(r"[a-z0-9]+", lexeme):
        from django.contrib.postgres.search import SearchQuery, SearchVector

        return DocumentVersion.objects.annotate(
            search=SearchVector("text", config="simple")
        ).filter(search=SearchQuery(f"{lexeme}:*", search_type="raw", config="simple"))
    return DocumentVersion.objects.filter(text__icontains=word)


def document_search(queryset: QuerySet[Document], query: str) -> QuerySet[Document]:
    """Documents whose title or any version's text holds every word of ``query``."""
    for word in _words(query):
        queryset = queryset.filter(
            Q(title__icontains=word) | Q(pk__in=_version_matches(word).values("document_id"))
        )
    return queryset


@dataclass
class ChartDocuments:
    patient: Any
    categories: list[tuple[str, str, int]]  # (doc_type, label, count) for every type with documents
    documents: list[Any]  # Document rows, versions prefetched, newest date first
    total: int


def patient_documents(
    *, actor: Any, patient_id: Any, doc_type: str = "", query: str = "", audit: bool = True
) -> ChartDocuments:
    """A patient's chart documents by category and date, optionally one type and a full-text
    search over titles and every version's text; audits one read of the patient's documents."""
    from frontdesk.patients.errors import PatientMerged
    from frontdesk.patients.models import Patient

    _require(actor, A.DOCUMENT_VIEW)
    patient = get_restricted(Patient.objects.all(), actor, A.PATIENT_VIEW, pk=patient_id)
    if patient.merged_into_id is not None:
        raise PatientMerged(survivor_id=patient.merged_into_id)
    base = Document.objects.restrict(actor, A.DOCUMENT_VIEW).filter(patient=patient)
    labels = dict(DocType.choices)
    counts = dict(base.values_list("doc_type").annotate(n=Count("pk")).values_list("doc_type", "n"))
    categories = [
        (value, labels[value], counts[value]) for value in DocType.values if value in counts
    ]
    listed: QuerySet[Document] = base
    if doc_type:
        listed = listed.filter(doc_type=doc_type)
    listed = document_search(listed, query)
    documents = list(
        listed.select_related("filed_by_user", "assigned_to", "signed_off_by")
        .prefetch_related(Prefetch("versions", queryset=DocumentVersion.objects.order_by("number")))
        .annotate(
            category=Case(
                *(When(doc_type=value, then=Value(n)) for n, value in enumerate(DocType.values)),
                default=Value(len(DocType.values)),
                output_field=IntegerField(),
            )
        )
        .order_by("category", F("document_date").desc(nulls_last=True), "-pk")
    )
    if audit:
        _audit_read(
            actor,
            "patient_documents",
            patient.pk,
            {
                "doc_type": doc_type,
                "searched": bool(_words(query)),
                "results": len(documents),
            },
            patient_id=patient.pk,
        )
    return ChartDocuments(
        patient=patient, categories=categories, documents=documents, total=sum(counts.values())
    )


def document_get(*, actor: Any, document_id: Any, audit: bool = True) -> Document:
    """One chart document with its patient and versions; audits a read of it (a "view")."""
    document: Document = get_restricted(
        Document.objects.select_related(
            "patient", "filed_by_user", "assigned_to", "signed_off_by", "source_item"
        ).prefetch_related(
            Prefetch(
                "versions",
                queryset=DocumentVersion.objects.select_related("blob", "created_by").order_by(
                    "number"
                ),
            )
        ),
        actor,
        A.DOCUMENT_VIEW,
        pk=document_id,
    )
    if audit:
        _audit_read(
            actor, "document", document.pk, {"event": "view"}, patient_id=document.patient_id
        )
    return document


def document_version_read(
    *, actor: Any, document_id: Any, number: Any, event: str = "download", page: Any = None
) -> tuple[DocumentVersion, bytes]:
    """One version's bytes, verified and audited (a failed read too, outcome "failure").

    ``event``: "download" (an attachment: audited as an export of the patient's document), "open"
    (shown in the browser: a read of it), "preview" (a page picture inside the document's page, which
    already audited the read of the patient: recorded against the document only).
    """
    document: Document = get_restricted(
        Document.objects.all(), actor, A.DOCUMENT_VIEW, pk=document_id
    )
    version = (
        DocumentVersion.objects.select_related("blob")
        .filter(document=document, number=number)
        .first()
    )
    if version is None:
        raise NotFound()
    detail: dict[str, Any] = {"event": event, "version": version.number, "blob_id": version.blob_id}
    if page is not None:
        try:
            page = int(page)
        except (TypeError, ValueError):
            raise NotFound() from None
        if not 0 <= page < version.pages:
            raise NotFound()
        detail["page"] = page
    action = AuditAction.EXPORT if event == "download" else AuditAction.READ
    patient_id = None if event == "preview" else document.patient_id

    def audit(extra: dict[str, Any], outcome: str = AuditOutcome.SUCCESS) -> None:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action=action,
                category=AuditCategory.DOCUMENTS,
                patient_id=patient_id,
                object_type="document",
                object_id=document.pk,
                outcome=outcome,
                detail={**detail, **extra},
            )

    try:
        data = blob_read(version.blob)
    except BlobCorrupt as exc:
        audit({"error": exc.code}, AuditOutcome.FAILURE)
        raise
    audit({})
    return version, data


@dataclass(frozen=True)
class Viewer:
    actor_id: int | None
    name: str
    role: str
    views: int
    last_viewed_at: datetime


def render_page(data: bytes, kind: str, index: int) -> Any:
    """One page of a stored (already sniffed) file as a PIL image, as it is stored (not turned).
    The pipeline's renderer: it holds the process-wide PDFium lock (PDFium is not thread-safe)."""
    from frontdesk.documents.analysis.pages import render_page as render

    try:
        return render(data, kind, index, dpi=PREVIEW_DPI).image
    except IndexError:
        raise NotFound() from None


def _png(image: Any) -> bytes:
    image.thumbnail((PREVIEW_MAX, PREVIEW_MAX))
    if image.mode not in ("RGB", "L", "1"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def version_page_png(*, actor: Any, document_id: Any, number: Any, index: Any) -> bytes:
    """One page of a chart document's version as a PNG; audited as a read of the document."""
    version, data = document_version_read(
        actor=actor, document_id=document_id, number=number, event="preview", page=index
    )
    return _png(render_page(data, version.blob.kind, int(index)))


def document_viewers(*, actor: Any, document_id: Any) -> list[Viewer]:
    """Who opened or downloaded the document, from the audit log (reads and exports): one row per person, the latest
    first. Scoped like the document itself."""
    document: Document = get_restricted(
        Document.objects.all(), actor, A.DOCUMENT_VIEW, pk=document_id
    )
    rows = (
        AuditEvent.objects.filter(
            object_type="document",
            object_id=str(document.pk),
            action__in=[AuditAction.READ, AuditAction.EXPORT],
            outcome=AuditOutcome.SUCCESS,
        )
        .exclude(detail__event="preview")  # the viewer's page pictures are part of its one view
        .values("actor_id", "actor_name", "actor_role")
        .annotate(views=Count("pk"), last=Max("occurred_at"))
        .order_by("-last")
    )
    return [
        Viewer(
            actor_id=row["actor_id"],
            name=row["actor_name"],
            role=row["actor_role"],
            views=row["views"],
            last_viewed_at=row["last"],
        )
        for row in rows
    ]


def documents_to_sign(*, actor: Any) -> QuerySet[Document]:
    """Chart documents assigned to the actor and not yet signed off, oldest first (no audit)."""
    return (
        Document.objects.restrict(actor, A.DOCUMENT_SIGN)
        .filter(assigned_to=actor.pk, signed_off_at__isnull=True)
        .order_by("created_at", "pk")
    )


def sign_off_people(*, location_id: int) -> QuerySet[Any]:
    """Active people who sign documents off and work at the location: who a part may be assigned to."""
    from frontdesk.accounts.models import User
    from frontdesk.accounts.policy import ALL_LOCATION_ROLES, POLICY

    roles = [role for role, actions in POLICY.items() if A.DOCUMENT_SIGN in actions]
    return (
        User.objects.filter(is_active=True, is_service_account=False, role__in=roles)
        .filter(Q(location_assignments__location_id=location_id) | Q(role__in=ALL_LOCATION_ROLES))
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )
