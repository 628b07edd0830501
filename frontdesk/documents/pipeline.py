"""The document pipeline: read an inbox item's pages, then file it or put it up for review.

Two stages, each resumable, each with one effect however often it runs:

1. **Pages** (``Stage.QUEUED`` -> ``Stage.PAGES``): every page is rendered, its text taken from the
   PDF's text layer or read by OCR (turned upright first), its barcodes read and its identifiers
   extracted; each page is saved as an ``InboxPage`` as soon as it is read, so a worker killed on
   page 40 of 60 resumes at page 40. Pages are read two (``FRONTDESK_DOCUMENT_OCR_THREADS``) at a
   time: OCR runs in Tesseract processes, one per core.
2. **Decide** (``Stage.PAGES`` -> ``Stage.DONE``), in one transaction under the item's row lock:
   the pages are cut into segments (a FrontDesk code starts one; otherwise a change of patient on
   the pages does), each segment is classified and matched, certain ones are filed into the chart
   (``filing.segment_file``) and the rest wait for review with their suggestions.

A run that fails records the error; after ``MAX_ATTEMPTS`` starts the item stops (``Stage.FAILED``)
and waits for a person with the error in words. ``documents_stalled_requeue`` (every few minutes by
the clock) starts again items whose worker died.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.documents import blobs, filing
from frontdesk.documents.analysis import barcodes, classify, extract, ocr, pages, segment
from frontdesk.documents.choices import DocType, FiledBy, ItemStatus, SegmentStatus, Stage
from frontdesk.documents.codes import InvalidDocumentCode, decode_document_code
from frontdesk.documents.errors import BlobCorrupt
from frontdesk.documents.matching import Evidence, MatchResult, match
from frontdesk.documents.models import InboxItem, InboxPage, InboxSegment
from frontdesk.patients.models import Patient
from frontdesk.printing.errors import InvalidFormCode
from frontdesk.printing.formcode import decode_form_code
from frontdesk.scheduling.models import Appointment

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
STALLED_AFTER = timedelta(minutes=10)
# A text layer with fewer letters than this is a scanned page with an OCR'd or empty layer: OCR it.
TEXT_LAYER_MIN_LETTERS = 40
WORK_QUEUES = {DocType.RECORDS_REQUEST: "records_release", DocType.REFERRAL: "referrals"}
URGENT_WORDS = ("stat", "critical value", "critical result", "urgent", "panic value")


def _threads() -> int:
    return max(
        1, int(getattr(settings, "FRONTDESK_DOCUMENT_OCR_THREADS", 0) or os.cpu_count() or 1)
    )


# --- Stage 1: pages --------------------------------------------------------------------------------


@dataclass
class PageReading:
    index: int
    text: str
    text_source: str
    confidence: float
    rotation: int
    codes: list[str]
    identifiers: dict[str, Any]


def identifiers_json(ids: extract.Identifiers) -> dict[str, Any]:
    return {
        "names": [{"first": n.first, "last": n.last} for n in ids.names],
        "dobs": [d.isoformat() for d in ids.dobs],
        "mrns": list(ids.mrns),
        "member_ids": list(ids.member_ids),
        "phones": list(ids.phones),
        "service_dates": [d.isoformat() for d in ids.service_dates],
        "sender": ids.sender,
    }


def _dates(values: list[Any]) -> list[dt.date]:
    found = []
    for value in values:
        try:
            found.append(dt.date.fromisoformat(value))
        except (TypeError, ValueError):
            continue
    return found


def identifiers_from_json(data: dict[str, Any]) -> extract.Identifiers:
    return extract.Identifiers(
        names=[
            extract.PersonName(
                first=str(n.get("first", "")),
                last=str(n.get("last", "")),
                raw=f"{n.get('first', '')} {n.get('last', '')}".strip(),
            )
            for n in data.get("names", [])
        ],
        dobs=_dates(data.get("dobs", [])),
        mrns=list(data.get("mrns", [])),
        member_ids=list(data.get("member_ids", [])),
        phones=list(data.get("phones", [])),
        service_dates=_dates(data.get("service_dates", [])),
        sender=data.get("sender"),
    )


def read_page(page: pages.Page) -> PageReading:
    """Text, upright rotation, codes and identifiers of one rendered page (pure; thread-safe)."""
    letters = sum(ch.isalpha() for ch in page.text_layer)
    if letters >= TEXT_LAYER_MIN_LETTERS:
        text, source, confidence, rotation = page.text_layer, "layer", 100.0, 0
        image = page.image
    elif ocr.ocr_available():
        result = ocr.ocr_image(page.image)
        text, source, confidence, rotation = result.text, "ocr", result.confidence, result.rotation
        image = ocr.upright(page.image, rotation)
    else:
        text, source, confidence, rotation, image = "", "none", 0.0, 0, page.image
    codes = barcodes.read_codes(image)
    return PageReading(
        index=page.index,
        text=text,
        text_source=source,
        confidence=round(float(confidence), 1),
        rotation=rotation % 360,
        codes=codes,
        identifiers=identifiers_json(extract.extract(text)),
    )


def _pages_to_read(item: InboxItem, data: bytes) -> Iterator[pages.Page]:
    done = set(InboxPage.objects.filter(item=item).values_list("index", flat=True))
    for page in pages.iter_pages(data, item.blob.kind):
        if page.index not in done:
            yield page


def _save_page(item: InboxItem, reading: PageReading) -> None:
    try:
        with transaction.atomic():
            InboxPage.objects.create(
                item=item,
                index=reading.index,
                text=reading.text,
                text_source=reading.text_source,
                ocr_confidence=reading.confidence,
                rotation=reading.rotation,
                codes=reading.codes,
                identifiers=reading.identifiers,
            )
    except IntegrityError:
        pass  # another worker read this page meanwhile: its reading stands
    # The heartbeat: an item whose worker died stops moving and is started again by the clock.
    InboxItem.objects.filter(pk=item.pk).update(updated_at=timezone.now())


def read_pages(item: InboxItem, data: bytes) -> None:
    """Stage 1: read and save every page not read yet (resumes where a killed run stopped)."""
    threads = _threads()
    pending = _pages_to_read(item, data)
    if threads == 1:
        for page in pending:
            _save_page(item, read_page(page))
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        window: list[Any] = []
        for page in pending:
            window.append(pool.submit(read_page, page))
            if len(window) >= threads * 2:
                _save_page(item, window.pop(0).result())
        for future in window:
            _save_page(item, future.result())


# --- Stage 2: decide ------------------------------------------------------------------------------


@dataclass
class CodeMark:
    """What a FrontDesk code on a page says."""

    patient_id: int
    doc_type: str
    appointment_id: int | None
    text: str


def _code_mark(codes: list[str]) -> CodeMark | None:
    for text in codes:
        try:
            code = decode_document_code(text)
        except InvalidDocumentCode:
            pass
        else:
            return CodeMark(code.patient_id, code.doc_type, code.appointment_id, text)
        try:
            appointment_id = decode_form_code(text)
        except InvalidFormCode:
            continue
        patient_id = (
            Appointment.objects.filter(pk=appointment_id)
            .values_list("patient_id", flat=True)
            .first()
        )
        if patient_id is not None:
            return CodeMark(patient_id, DocType.ENCOUNTER_FORM, appointment_id, text)
    return None


@dataclass
class Group:
    indexes: list[int]
    mark: CodeMark | None = None
    reasons: list[str] = field(default_factory=list)


def group_pages(page_rows: list[InboxPage]) -> list[Group]:
    """Cut the item's pages into documents: at FrontDesk codes, then at changes of patient."""
    groups: list[Group] = []
    run: list[InboxPage] = []

    def close_run() -> None:
        if not run:
            return
        ids = [identifiers_from_json(p.identifiers) for p in run]
        for start, end in segment.segment(ids):
            groups.append(Group([p.index for p in run[start:end]]))
        run.clear()

    for page in page_rows:
        mark = _code_mark(page.codes)
        if mark is not None:
            close_run()
            current = groups[-1] if groups else None
            if current is not None and current.mark is not None and current.mark.text == mark.text:
                current.indexes.append(page.index)  # the same form's next page
            else:
                groups.append(Group([page.index], mark))
        elif groups and groups[-1].mark is not None and not run:
            groups[-1].indexes.append(page.index)  # pages scanned behind a cover sheet
        else:
            run.append(page)
    close_run()
    return groups


def _evidence(rows: dict[int, InboxPage], indexes: list[int]) -> Evidence:
    return Evidence.from_json(
        [rows[i].identifiers for i in indexes], text="\n".join(rows[i].text for i in indexes)
    )


def _service_date(rows: dict[int, InboxPage], indexes: list[int]) -> dt.date | None:
    for index in indexes:
        for value in rows[index].identifiers.get("service_dates", []):
            try:
                return dt.date.fromisoformat(value)
            except (TypeError, ValueError):
                continue
    return None


def _sender(rows: dict[int, InboxPage], indexes: list[int]) -> str | None:
    for index in indexes:
        sender = rows[index].identifiers.get("sender")
        if sender:
            return str(sender)
    return None


@dataclass
class Decision:
    group: Group
    doc_type: str
    type_confidence: float
    type_reasons: list[str]
    result: MatchResult | None
    patient_id: int | None  # certain (code or match) or the top suggestion
    certain_by: str  # FiledBy.CODE / FiledBy.MATCH / "" (review)
    reasons: list[str]
    appointment_id: int | None
    score: float


def decide(group: Group, rows: dict[int, InboxPage]) -> Decision:
    text = "\n".join(rows[i].text for i in group.indexes)
    classification = classify.classify(text)
    evidence = _evidence(rows, group.indexes)
    if group.mark is not None:
        mark = group.mark
        live = Patient.objects.filter(pk=mark.patient_id, merged_into__isnull=True).exists()
        behind = [i for i in group.indexes[1:] if not _code_mark(rows[i].codes)]
        conflict = _behind_conflict(mark.patient_id, _evidence(rows, behind)) if behind else ""
        doc_type = mark.doc_type if mark.doc_type in DocType.values else classification.doc_type
        if live and not conflict:
            return Decision(
                group, doc_type, 1.0, ["FrontDesk code on the page"], None, mark.patient_id,
                FiledBy.CODE, ["FrontDesk code on the page"], mark.appointment_id, 1.0,
            )  # fmt: skip
        reasons = [conflict] if conflict else ["the code names a patient no longer in the practice"]
        return Decision(
            group, doc_type, 1.0, ["FrontDesk code on the page"], None,
            mark.patient_id if live else None, "", reasons, mark.appointment_id, 0.0,
        )  # fmt: skip
    result = match(evidence)
    certain = result.certain
    top = result.candidates[0] if result.candidates else None
    return Decision(
        group=group,
        doc_type=classification.doc_type,
        type_confidence=classification.confidence,
        type_reasons=classification.reasons,
        result=result,
        patient_id=certain.patient_id if certain else (top.patient_id if top else None),
        certain_by=FiledBy.MATCH if certain else "",
        reasons=result.reasons,
        appointment_id=None,
        score=top.score if top else 0.0,
    )


def _behind_conflict(patient_id: int, evidence: Evidence) -> str:
    """A reason when the pages behind a coded cover sheet name somebody else."""
    if evidence.is_empty():
        return ""
    result = match(evidence)
    mine = next((c for c in result.candidates if c.patient_id == patient_id), None)
    if (
        mine is None
        or mine.conflicts
        or (evidence.names and mine.name in ("none", "last_only", "near"))
    ):
        return "the pages behind the FrontDesk code seem to be about someone else"
    return ""


def _urgent(text: str) -> bool:
    lowered = f" {text.lower()} "
    return any(f" {word} " in lowered or f"{word}:" in lowered for word in URGENT_WORDS)


def _top(decision: Decision) -> int | None:
    result = decision.result
    return result.candidates[0].patient_id if result is not None and result.candidates else None


def decide_groups(groups: list[Group], rows: dict[int, InboxPage]) -> list[Decision]:
    """Decide each group; then join neighbours cut apart by an OCR slip: two groups without a
    FrontDesk code whose best suggestion is the same patient are one document (a continuation page
    whose date of birth or name was misread), decided again as one. The joined document files
    itself only if its pages together are certain (a misread date of birth makes it wait)."""
    decisions = [decide(group, rows) for group in groups]
    joined: list[Decision] = []
    for decision in decisions:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and previous.group.mark is None
            and decision.group.mark is None
            and _top(previous) is not None
            and _top(previous) == _top(decision)
        ):
            group = Group(previous.group.indexes + decision.group.indexes)
            joined[-1] = decide(group, rows)
        else:
            joined.append(decision)
    return joined


def decide_item(item: InboxItem, data: bytes) -> dict[str, int]:
    """Stage 2 under the item's lock: segments, classification, matching, filing. One effect."""
    rows = {p.index: p for p in InboxPage.objects.filter(item=item).order_by("index")}
    decisions = decide_groups(group_pages(list(rows.values())), rows)
    filed = 0
    InboxSegment.objects.filter(item=item, status=SegmentStatus.REVIEW).delete()
    InboxItem.objects.filter(pk=item.pk).update(
        stage=Stage.DONE, status=ItemStatus.REVIEW, processed_at=timezone.now()
    )
    item.stage, item.status = Stage.DONE, ItemStatus.REVIEW
    for position, decision in enumerate(decisions):
        indexes = decision.group.indexes
        text = "\n".join(rows[i].text for i in indexes)
        sender = _sender(rows, indexes)
        created = InboxSegment.objects.create(
            item=item,
            position=position,
            page_indexes=indexes,
            doc_type=decision.doc_type,
            type_confidence=round(decision.type_confidence, 3),
            type_reasons=decision.type_reasons,
            title=filing.default_title(decision.doc_type, sender),
            document_date=_service_date(rows, indexes),
            patient_id=decision.patient_id,
            appointment_id=decision.appointment_id,
            match_score=round(decision.score, 3),
            suggestions=decision.result.suggestions() if decision.result else [],
            match_reasons=decision.reasons,
            urgent=_urgent(text),
            work_queue=WORK_QUEUES.get(decision.doc_type, ""),  # type: ignore[call-overload]
        )
        if decision.certain_by and decision.patient_id is not None:
            filing.segment_file(
                actor=None,
                segment_id=created.pk,
                patient_id=decision.patient_id,
                doc_type=decision.doc_type,
                title=created.title,
                document_date=created.document_date,
                appointment_id=decision.appointment_id,
                filed_by=decision.certain_by,
                urgent=created.urgent,
                data=data,
            )
            filed += 1
    filing.item_status_refresh(item)
    return {"segments": len(decisions), "filed": filed}


# --- The run --------------------------------------------------------------------------------------


def document_process(*, item_id: int) -> InboxItem | None:
    """Run (or resume) the pipeline on one inbox item; returns it, or None when it is not there.

    Safe to call any number of times and from several workers at once: finished items are left as
    they are, pages are read once, the decision is taken once under the item's row lock.
    """
    started = time.monotonic()
    with transaction.atomic():
        item = (
            InboxItem.objects.select_for_update().select_related("blob").filter(pk=item_id).first()
        )
        if item is None:
            return None
        if item.status != ItemStatus.RECEIVED or item.stage in (Stage.DONE, Stage.FAILED):
            return item
        if item.duplicate_of_id is not None:
            # The same file is already in this inbox: accounted for, never filed twice.
            reason = (
                f"Duplicate of inbox item #{item.duplicate_of_id}: the same file arrived before; "
                "it is kept here but not filed twice."
            )
            InboxItem.objects.filter(pk=item.pk).update(
                stage=Stage.DONE,
                status=ItemStatus.DELETED,
                deleted_reason=reason,
                processed_at=timezone.now(),
            )
            audit_record(
                actor=None,
                actor_name="document pipeline",
                action=AuditAction.UPDATE,
                category=AuditCategory.DOCUMENTS,
                object_type="inbox_item",
                object_id=item.pk,
                detail={"duplicate_of": item.duplicate_of_id, "status": ItemStatus.DELETED},
            )
            item.refresh_from_db()
            return item
        InboxItem.objects.filter(pk=item.pk).update(attempts=item.attempts + 1)
        item.attempts += 1
    try:
        data = blobs.blob_read(item.blob)
        if item.stage == Stage.QUEUED:
            read_pages(item, data)
            InboxItem.objects.filter(pk=item.pk, stage=Stage.QUEUED).update(stage=Stage.PAGES)
        with transaction.atomic():
            locked = InboxItem.objects.select_for_update().select_related("blob").get(pk=item.pk)
            if locked.stage != Stage.PAGES:
                return locked
            outcome = decide_item(locked, data)
            seconds = round(time.monotonic() - started, 3)
            InboxItem.objects.filter(pk=item.pk).update(seconds=seconds, processing_error="")
            audit_record(
                actor=None,
                actor_name="document pipeline",
                action=AuditAction.UPDATE,
                category=AuditCategory.DOCUMENTS,
                object_type="inbox_item",
                object_id=item.pk,
                detail={"pages": len(locked.pages.all()), **outcome, "attempt": item.attempts},
            )
    except Exception as exc:  # recorded and retried; a person sees it after MAX_ATTEMPTS
        _record_failure(item, exc)
        if not isinstance(exc, BlobCorrupt):
            log.exception("document pipeline failed on inbox item %s", item.pk)
    item.refresh_from_db()
    return item


def _record_failure(item: InboxItem, exc: Exception) -> None:
    message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
    final = item.attempts >= MAX_ATTEMPTS or isinstance(exc, BlobCorrupt)
    update: dict[str, Any] = {"processing_error": str(message)[:2000]}
    if final:
        update.update(stage=Stage.FAILED, status=ItemStatus.REVIEW)
    InboxItem.objects.filter(pk=item.pk, status=ItemStatus.RECEIVED).update(**update)


def documents_stalled(now: dt.datetime | None = None) -> list[int]:
    """Items a worker started or should have started and left (killed, lost from the queue)."""
    now = now or timezone.now()
    return list(
        InboxItem.objects.filter(
            Q(stage__in=[Stage.QUEUED, Stage.PAGES]),
            status=ItemStatus.RECEIVED,
            updated_at__lt=now - STALLED_AFTER,
            attempts__lt=MAX_ATTEMPTS,
        ).values_list("pk", flat=True)
    )
