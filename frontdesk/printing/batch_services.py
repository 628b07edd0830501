"""Writes of the background encounter-form batch: request it, build it (the task), expire it.

A big day (hundreds of forms) takes seconds to draw, too long for a request: the Print page asks
for a batch, a worker draws the PDF and stores it Fernet-encrypted through Django's storage API
(local disk or S3), the requester's progress page polls until it is ready and then downloads it.
Batches and their files are deleted ``BATCH_LIFETIME`` after they were asked for (periodic task).

Audit: building writes one row (the forms' PHI went into storage, for the requester); each
download writes one ``print`` row naming the appointment ids; the purge writes one row per sweep.
Single forms and the ``frontdesk print encounter-forms`` command stay synchronous (``printouts``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core import crypto
from frontdesk.core.errors import DomainError, NotFound, PermissionDenied
from frontdesk.practice.models import Location
from frontdesk.printing.choices import BatchStatus
from frontdesk.printing.models import EncounterFormBatch
from frontdesk.printing.printouts import draw_encounter_forms
from frontdesk.printing.selectors import appointments_to_print

log = logging.getLogger(__name__)

BATCH_LIFETIME = dt.timedelta(hours=24)
STORAGE_DIR = "printing/batches"
SYSTEM_NAME = "system (print batches)"
# Progress is written about this many times per batch (each write is one UPDATE).
PROGRESS_STEPS = 20


class BatchError(DomainError):
    """The batch cannot be built or downloaded (the message is safe to show)."""


def _require(actor: Any, action: str) -> None:
    if actor is None or not actor.can(action):
        raise PermissionDenied()


def _failure_text(exc: BaseException) -> str:
    if isinstance(exc, DomainError):
        return exc.message[:200]
    return "The forms could not be built; ask IT to look at the worker log."


@transaction.atomic
def encounter_form_batch_request(
    *, actor: Any, location: Location, day: dt.date
) -> EncounterFormBatch:
    """Ask for the whole day's encounter forms of ``location`` as one PDF, built in the background.

    A second request for the same day while the first is still queued or building returns that
    one (a double click is a no-op). The task is enqueued after commit.
    """
    _require(actor, A.FORMS_PRINT)
    allowed = Location.objects.restrict(actor, A.FORMS_PRINT).filter(pk=location.pk, is_active=True)
    if not allowed.exists():
        raise NotFound()
    now = timezone.now()
    pending = (
        EncounterFormBatch.objects.select_for_update()
        .filter(
            requested_by=actor,
            location=location,
            day=day,
            status__in=(BatchStatus.QUEUED, BatchStatus.RUNNING),
        )
        .first()
    )
    if pending is not None and pending.expires_at > now:
        return pending
    if pending is not None:
        # Never built in its lifetime (its worker died): close it so a new one can start.
        pending.status = BatchStatus.FAILED
        pending.error = "Not built in time; it was asked for again."
        pending.finished_at = now
        pending.save(update_fields=["status", "error", "finished_at", "updated_at"])
    try:
        with transaction.atomic():
            batch = EncounterFormBatch.objects.create(
                requested_by=actor, location=location, day=day, expires_at=now + BATCH_LIFETIME
            )
    except IntegrityError:
        # A concurrent request created it first (the one-pending constraint): join that one.
        return EncounterFormBatch.objects.get(
            requested_by=actor,
            location=location,
            day=day,
            status__in=(BatchStatus.QUEUED, BatchStatus.RUNNING),
        )
    from frontdesk.printing.tasks import encounter_form_batch

    transaction.on_commit(lambda: encounter_form_batch.enqueue(batch.pk))
    log.info("printing.batch_requested batch=%s location=%s", batch.pk, location.pk)
    return batch


def _claim(batch_id: int) -> EncounterFormBatch | None:
    """Move a queued batch to running; None when it is gone or another run already took it."""
    with transaction.atomic():
        batch = (
            EncounterFormBatch.objects.select_for_update(of=("self",))
            .select_related("requested_by", "location", "location__organization")
            .filter(pk=batch_id)
            .first()
        )
        if batch is None or batch.status != BatchStatus.QUEUED:
            return None
        batch.status = BatchStatus.RUNNING
        batch.started_at = timezone.now()
        batch.save(update_fields=["status", "started_at", "updated_at"])
    return batch


def encounter_form_batch_build(*, batch_id: int) -> EncounterFormBatch | None:
    """Draw, encrypt and store a queued batch's PDF, reporting progress; mark it ready or failed.

    Runs in the worker. Idempotent: a batch that is not queued (already built, building, or
    expired and deleted) is left alone and None is returned. The forms are selected with the
    requester's own scope, so a batch never prints more than its requester could.
    """
    batch = _claim(batch_id)
    if batch is None:
        return None
    stored = ""
    try:
        requester = batch.requested_by
        in_scope = (
            Location.objects.restrict(requester, A.FORMS_PRINT)
            .filter(pk=batch.location_id)
            .exists()
        )
        if not requester.is_active or not in_scope:
            raise BatchError(
                "The requester may no longer print forms at this location.", code="batch_scope"
            )
        appointments = appointments_to_print(user=requester, location=batch.location, day=batch.day)
        total = len(appointments)
        EncounterFormBatch.objects.filter(pk=batch.pk).update(form_count=total)
        step = max(1, total // PROGRESS_STEPS)

        def progress(done: int) -> None:
            if done % step == 0 and done < total:
                EncounterFormBatch.objects.filter(pk=batch.pk).update(forms_done=done)

        content, pages = draw_encounter_forms(
            appointments=appointments, location=batch.location, day=batch.day, progress=progress
        )
        ids = [a.pk for a in appointments]
        # A random name: the storage path says nothing about the practice or its patients.
        stored = default_storage.save(
            f"{STORAGE_DIR}/{batch.pk}-{secrets.token_hex(12)}.pdf.enc",
            ContentFile(crypto.encrypt_bytes(content)),
        )
        with transaction.atomic():
            finished = timezone.now()
            EncounterFormBatch.objects.filter(pk=batch.pk).update(
                status=BatchStatus.READY,
                form_count=total,
                forms_done=total,
                page_count=pages,
                appointment_ids=ids,
                file_name=stored,
                sha256=hashlib.sha256(content).hexdigest(),
                finished_at=finished,
                updated_at=finished,
            )
            audit_record(
                actor=requester,
                action=AuditAction.CREATE,
                category=AuditCategory.DEMOGRAPHICS,
                object_type="encounter_form_batch",
                object_id=batch.pk,
                detail={
                    "location_id": batch.location_id,
                    "date": batch.day.isoformat(),
                    "pages": pages,
                    "appointment_ids": ids,
                },
            )
    except Exception as exc:
        if stored:
            default_storage.delete(stored)
        finished = timezone.now()
        EncounterFormBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.FAILED,
            error=_failure_text(exc),
            finished_at=finished,
            updated_at=finished,
        )
        if not isinstance(exc, DomainError):
            log.exception("printing.batch_failed batch=%s", batch.pk)
            raise  # the task result records the failure too (the operations dashboard counts it)
        log.info("printing.batch_refused batch=%s code=%s", batch.pk, exc.code)
    batch.refresh_from_db()
    return batch


def encounter_form_batch_content(*, actor: Any, batch: EncounterFormBatch) -> bytes:
    """The decrypted PDF of a ready batch, audited as a print of its forms by ``actor``.

    The caller has already scoped ``batch`` to ``actor`` (selectors). Raises ``BatchError`` when
    it is not ready, has expired, or its stored file is missing or does not verify.
    """
    _require(actor, A.FORMS_PRINT)
    if batch.status != BatchStatus.READY or not batch.file_name:
        raise BatchError("These forms are not ready yet.", code="batch_not_ready")
    if batch.expires_at <= timezone.now():
        raise BatchError("These forms have expired; print them again.", code="batch_expired")
    try:
        with default_storage.open(batch.file_name, "rb") as handle:
            content = crypto.decrypt_bytes(handle.read())
    except (OSError, ValueError):
        log.warning("printing.batch_unreadable batch=%s", batch.pk)
        raise BatchError(
            "The stored forms could not be read; print them again.", code="batch_unreadable"
        ) from None
    if hashlib.sha256(content).hexdigest() != batch.sha256:
        log.warning("printing.batch_checksum batch=%s", batch.pk)
        raise BatchError(
            "The stored forms could not be read; print them again.", code="batch_unreadable"
        )
    audit_record(
        actor=actor,
        action=AuditAction.PRINT,
        category=AuditCategory.DEMOGRAPHICS,
        object_type="encounter_form_batch",
        object_id=batch.pk,
        detail={
            "view": "encounter_form_batch_download",
            "location_id": batch.location_id,
            "date": batch.day.isoformat(),
            "appointment_ids": list(batch.appointment_ids),
        },
    )
    return content


def encounter_form_batches_purge(*, now: dt.datetime | None = None) -> int:
    """Delete expired batches and their stored files; return how many went (periodic task)."""
    now = now or timezone.now()
    expired = list(
        EncounterFormBatch.objects.filter(expires_at__lte=now).values_list("pk", "file_name")
    )
    if not expired:
        return 0
    for _pk, name in expired:
        if name:
            # Files first: a row left behind is retried next time, a file left behind would not be.
            default_storage.delete(name)
    ids = [pk for pk, _name in expired]
    with transaction.atomic():
        EncounterFormBatch.objects.filter(pk__in=ids).delete()
        audit_record(
            actor=None,
            actor_name=SYSTEM_NAME,
            action=AuditAction.DELETE,
            category=AuditCategory.DEMOGRAPHICS,
            object_type="encounter_form_batch",
            detail={"deleted": len(ids), "batch_ids": ids},
        )
    return len(ids)
