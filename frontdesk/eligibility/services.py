"""Writes of eligibility: run a check (270 out, 271 in), retry failed ones, import a 271 file, and the
batch of the next days' appointments.

A check is recorded *before* anything is sent, then sent outside any transaction (the payer may take
seconds), then completed or failed in a short transaction with its audit row. Nothing a clearinghouse
does (down, slow, garbage, a 271 for another member) raises to the caller: the check is marked failed
with the reason in plain words and, when trying again may help, a time to retry (backoff); the
periodic task ``eligibility.retry_due`` picks those up.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory, AuditOutcome
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import PermissionDenied, ValidationFailed
from frontdesk.core.money import MAX_AMOUNT
from frontdesk.eligibility.choices import (
    BatchStatus,
    CheckSource,
    CheckStatus,
    benefit_kind,
    level_of,
    network_of,
)
from frontdesk.eligibility.errors import EligibilityError, ImportMismatch, SendFailed
from frontdesk.eligibility.inquiry import (
    header_270,
    inquiry_build,
    normalized_id,
    normalized_name,
    service_date_of,
)
from frontdesk.eligibility.models import EligibilityBatch, EligibilityBenefit, EligibilityCheck
from frontdesk.patients.choices import CoverageStatus, SubscriberRelationship
from frontdesk.patients.models import Coverage
from frontdesk.scheduling.choices import AppointmentStatus
from frontdesk.scheduling.models import Appointment

logger = logging.getLogger(__name__)

# Waits before the 1st, 2nd, ... retry of a failed check; after the last one a person must retry.
RETRY_DELAYS = (
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=15),
    dt.timedelta(hours=1),
    dt.timedelta(hours=4),
    dt.timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
SYSTEM_USERNAME = "eligibility-system"
MSG_GARBAGE = "The clearinghouse answered with something that is not a readable 271"
MSG_WRONG_MEMBER = (
    "The payer answered for a different member than asked ({what} does not match): "
    "the answer was not attached to this patient. Check the member ID, name and date of birth."
)
BOOKED_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.PENDING)


def _require(actor: Any, action: str) -> None:
    if actor is None or not actor.can(action):
        raise PermissionDenied()


def eligibility_system_user() -> Any:
    """The service identity the batch and the retries write as (cannot log in)."""
    from frontdesk.accounts.choices import Role
    from frontdesk.accounts.models import User

    user, _ = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={
            "role": Role.BILLING,
            "is_service_account": True,
            "first_name": "Eligibility",
            "last_name": "(system)",
        },
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def trace_number_new() -> str:
    """Our TRN02: unique, not guessable, no PHI."""
    return "FD" + uuid.uuid4().hex[:22].upper()


def _audit(actor: Any, check: EligibilityCheck, action: str, event: str, **detail: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        category=AuditCategory.INSURANCE,
        patient_id=check.patient_id,
        object_type="eligibility_check",
        object_id=check.pk,
        outcome=detail.pop("outcome", AuditOutcome.SUCCESS),
        detail={"event": event, "status": check.status, **detail},
    )


# --- one check ------------------------------------------------------------------------------------


def eligibility_check(
    *,
    actor: Any,
    coverage: Coverage,
    date_of_service: dt.date | None = None,
    appointment: Appointment | None = None,
    source: str = CheckSource.REALTIME,
    batch: EligibilityBatch | None = None,
) -> EligibilityCheck:
    """Ask the payer whether ``coverage`` is in force on the date of service, and keep the answer.

    The date of service is the appointment's local date when an appointment is given (a different
    date is refused); never the policy's effective date. Returns the check, complete, rejected or
    failed: a clearinghouse problem never raises from here.
    """
    _require(actor, A.ELIGIBILITY_CHECK if source == CheckSource.REALTIME else A.ELIGIBILITY_BATCH)
    if appointment is not None:
        visit_day = service_date_of(appointment)
        if date_of_service is not None and date_of_service != visit_day:
            raise ValidationFailed(
                "The date of service is the appointment's date.",
                fields={"date_of_service": [f"The appointment is on {visit_day.isoformat()}."]},
            )
        if appointment.patient_id != coverage.patient_id:
            raise ValidationFailed(
                "The appointment is not this patient's.",
                fields={"appointment": ["Not this patient's."]},
            )
        date_of_service = visit_day
    if date_of_service is None:
        raise ValidationFailed(
            "A date of service is required.", fields={"date_of_service": ["Required."]}
        )
    with transaction.atomic():
        check = EligibilityCheck.objects.create(
            coverage=coverage,
            patient_id=coverage.patient_id,
            appointment=appointment,
            batch=batch,
            date_of_service=date_of_service,
            status=CheckStatus.QUEUED,
            source=source,
            trace_number=trace_number_new(),
            requested_at=timezone.now(),
            requested_by=actor,
        )
        _audit(actor, check, AuditAction.CREATE, "eligibility_requested", source=source)
    return _attempt(check, actor)


def eligibility_retry(*, actor: Any, check: EligibilityCheck) -> EligibilityCheck:
    """Send a failed (or stuck) check again, with the same trace number."""
    _require(actor, A.ELIGIBILITY_CHECK)
    if check.is_answered:
        return check
    return _attempt(check, actor)


def eligibility_retry_due(*, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Retry the failed checks whose time has come (the periodic task)."""
    now = now or timezone.now()
    actor = eligibility_system_user()
    due = list(
        EligibilityCheck.objects.filter(
            status=CheckStatus.FAILED, next_retry_at__isnull=False, next_retry_at__lte=now
        )
        .select_related("coverage__payer", "coverage__patient", "appointment__location")
        .order_by("next_retry_at", "pk")[:limit]
    )
    counts = {"retried": 0, "complete": 0, "failed": 0}
    for check in due:
        check = _attempt(check, actor)
        counts["retried"] += 1
        counts["complete" if check.is_answered else "failed"] += 1
    return counts


def _attempt(check: EligibilityCheck, actor: Any) -> EligibilityCheck:
    from frontdesk.standards.x12.errors import X12BuildError

    coverage = (
        Coverage.objects.select_related("payer", "patient", "subscriber_patient")
        .filter(pk=check.coverage_id)
        .get()
    )
    appointment = None
    if check.appointment_id is not None:
        appointment = Appointment.objects.select_related("provider", "location").get(
            pk=check.appointment_id
        )
    try:
        inquiry = inquiry_build(
            coverage=coverage,
            date_of_service=check.date_of_service,
            trace_number=check.trace_number,
            appointment=appointment,
        )
        from frontdesk.standards.x12.eligibility import write_270

        payload = write_270([inquiry], header_270())
    except EligibilityError as exc:
        return _fail(check, actor, exc.message, retry=False)
    except X12BuildError as exc:
        return _fail(check, actor, f"The inquiry could not be written: {exc}", retry=False)
    except Exception:  # never raise to a screen (e.g. the X12 codec not installed)
        logger.exception("eligibility.inquiry_unexpected check=%s", check.pk)
        return _fail(
            check, actor, "The inquiry could not be written; it will be retried.", retry=True
        )
    with transaction.atomic():
        EligibilityCheck.objects.filter(pk=check.pk).update(
            status=CheckStatus.SENT,
            attempts=F("attempts") + 1,
            request_x12=payload,
            next_retry_at=None,
        )
        check.refresh_from_db()
    try:
        answer, request_id, response_id = _send(actor, payload, check.patient_id)
        response = interpret_271(check, coverage, answer)
    except SendFailed as exc:
        return _fail(check, actor, exc.reason, retry=exc.retry)
    except Exception:  # never raise to a screen; the reason is recorded, the stack trace logged
        logger.exception("eligibility.check_unexpected check=%s", check.pk)
        return _fail(check, actor, "Unexpected error while reading the payer's answer.", retry=True)
    return _store(
        check,
        actor,
        response,
        answer,
        request_exchange_id=request_id,
        response_exchange_id=response_id,
    )


def _fail(
    check: EligibilityCheck,
    actor: Any,
    reason: str,
    *,
    retry: bool,
) -> EligibilityCheck:
    now = timezone.now()
    with transaction.atomic():
        check.refresh_from_db()
        check.status = CheckStatus.FAILED
        check.failure_reason = (reason or "The check failed.")[:300]
        check.responded_at = None
        if retry and check.attempts < MAX_ATTEMPTS:
            delay = RETRY_DELAYS[min(max(check.attempts, 1), len(RETRY_DELAYS)) - 1]
            check.next_retry_at = now + delay
        else:
            check.next_retry_at = None
        check.save()
        _audit(
            actor,
            check,
            AuditAction.UPDATE,
            "eligibility_failed",
            outcome=AuditOutcome.FAILURE,
            attempts=check.attempts,
            retry=check.next_retry_at is not None,
        )
    return check


# --- the exchange ---------------------------------------------------------------------------------


def _send(actor: Any, payload: str, patient_id: int) -> tuple[str, int | None, int | None]:
    """Send the 270 through the clearinghouse (which logs both files and records the disclosure
    for payment); the 271's text and the Exchange ids. Raises SendFailed only."""
    from frontdesk.clearinghouse.services import exchange_realtime

    try:
        request, response = exchange_realtime(
            actor=actor, kind="270", payload=payload, patient_ids=[patient_id]
        )
    except Exception:
        logger.exception("eligibility.exchange_unexpected")
        raise SendFailed("The clearinghouse exchange failed; it will be retried.") from None
    if response.error or response.status == "failed":
        raise SendFailed((response.error or "The clearinghouse did not answer.")[:300])
    try:
        answer = response.read_text()
    except Exception:  # an unreadable stored file (keys, storage): the check fails, it is retried
        logger.exception("eligibility.exchange_unreadable exchange=%s", response.pk)
        raise SendFailed("The clearinghouse's answer could not be read back.") from None
    return answer, request.pk, response.pk


# --- reading the answer ---------------------------------------------------------------------------


def interpret_271(check: EligibilityCheck, coverage: Coverage, answer: str | bytes) -> Any:
    """The 271 response that answers this check, verified to be for the member asked about.

    Raises SendFailed: garbage or a 271 answering another inquiry (retry may help), or a 271 for a
    different member (a person must look: no retry)."""
    from frontdesk.standards.x12.eligibility import read_271
    from frontdesk.standards.x12.errors import X12ParseError

    try:
        responses = read_271(answer)
    except X12ParseError as exc:
        raise SendFailed(f"{MSG_GARBAGE}: {exc}"[:300]) from None
    if not responses:
        raise SendFailed(f"{MSG_GARBAGE}: it holds no eligibility response.")
    mine = [r for r in responses if check.trace_number in r.trace_numbers]
    if not mine:
        raise SendFailed(
            f"The 271 does not answer this inquiry: our trace number {check.trace_number} is not in it."
        )
    response = mine[0]
    verify_member(coverage, response)
    return response


def verify_member(coverage: Coverage, response: Any) -> None:
    """Refuse a 271 for another member than the coverage's (member ID, name or date of birth)."""
    returned_id = normalized_id(response.subscriber.member_id)
    if returned_id and returned_id != normalized_id(coverage.member_id):
        raise SendFailed(MSG_WRONG_MEMBER.format(what="the member ID"), retry=False)
    patient = coverage.patient
    pairs: list[tuple[Any, str, str, dt.date | None]]
    if coverage.relationship == SubscriberRelationship.SELF:
        pairs = [
            (response.subscriber, patient.last_name, patient.first_name, patient.date_of_birth)
        ]
    else:
        pairs = []
        if response.dependent is not None:
            pairs.append(
                (response.dependent, patient.last_name, patient.first_name, patient.date_of_birth)
            )
        subscriber = coverage.subscriber_patient
        if subscriber is not None:
            pairs.append(
                (
                    response.subscriber,
                    subscriber.last_name,
                    subscriber.first_name,
                    subscriber.date_of_birth,
                )
            )
        elif coverage.subscriber_last_name:
            pairs.append(
                (
                    response.subscriber,
                    coverage.subscriber_last_name,
                    coverage.subscriber_first_name,
                    coverage.subscriber_date_of_birth,
                )
            )
    for person, last, first, born in pairs:
        if person.last_name and normalized_name(person.last_name) != normalized_name(last):
            raise SendFailed(MSG_WRONG_MEMBER.format(what="the name"), retry=False)
        given, ours = normalized_name(person.first_name), normalized_name(first)
        if given and ours and given[0] != ours[0]:
            raise SendFailed(MSG_WRONG_MEMBER.format(what="the name"), retry=False)
        if person.date_of_birth is not None and born is not None and person.date_of_birth != born:
            raise SendFailed(MSG_WRONG_MEMBER.format(what="the date of birth"), retry=False)


def _money(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    try:
        value = Decimal(value).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError):
        return None
    if value < 0 or value > MAX_AMOUNT:
        return None
    return value


def _percent(value: Decimal | None) -> Decimal | None:
    """EB08 is a fraction (0.2 = 20 %); some payers send 20: read that as 20 %."""
    if value is None:
        return None
    try:
        value = Decimal(value)
    except (InvalidOperation, TypeError):
        return None
    if 1 < value <= 100:
        value = value / 100
    if value < 0 or value > 1:
        return None
    return value.quantize(Decimal("0.0001"))


def _quantity(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    try:
        value = Decimal(value).quantize(Decimal("0.001"))
    except (InvalidOperation, TypeError):
        return None
    return value if abs(value) < Decimal("1e12") else None


def benefit_rows(check: EligibilityCheck, benefits: Sequence[Any]) -> list[EligibilityBenefit]:
    """One row per EB loop and service type (unsaved)."""
    rows: list[EligibilityBenefit] = []
    for benefit in benefits:
        for service_type in benefit.service_types or ("",):
            rows.append(
                EligibilityBenefit(
                    eligibility_check=check,
                    service_type=service_type[:3],
                    code=benefit.code[:2],
                    kind=benefit_kind(benefit.code, benefit.time_period),
                    coverage_level=level_of(benefit.coverage_level),
                    network=network_of(benefit.in_network),
                    time_period=benefit.time_period[:2],
                    amount=_money(benefit.amount),
                    percent=_percent(benefit.percent),
                    insurance_type=benefit.insurance_type[:3],
                    plan_description=benefit.plan_description[:120],
                    quantity_qualifier=benefit.quantity_qualifier[:2],
                    quantity=_quantity(benefit.quantity),
                    authorization_required=benefit.authorization_required[:1],
                    procedure_code=benefit.procedure_code[:48],
                    messages=[str(m)[:264] for m in benefit.messages],
                )
            )
    return rows


def _store(
    check: EligibilityCheck,
    actor: Any,
    response: Any,
    answer: str | bytes,
    *,
    request_exchange_id: int | None = None,
    response_exchange_id: int | None = None,
    source: str | None = None,
) -> EligibilityCheck:
    text = answer.decode("utf-8", errors="replace") if isinstance(answer, bytes) else answer
    rejections = [
        {
            "loop": r.loop,
            "code": r.reason,
            "follow_up": r.follow_up,
            "message": r.message,
        }
        for r in response.rejections
    ]
    active = response.active
    begin = response.eligibility_begin or response.plan_begin
    end = response.eligibility_end or response.plan_end
    if begin is not None and end is not None and end < begin:
        end = None
    person = response.subscriber
    with transaction.atomic():
        check.refresh_from_db()
        check.status = (
            CheckStatus.REJECTED if rejections and active is None else CheckStatus.COMPLETE
        )
        check.responded_at = timezone.now()
        check.failure_reason = ""
        check.next_retry_at = None
        check.response_x12 = text
        if request_exchange_id is not None:
            check.request_exchange_id = request_exchange_id
        if response_exchange_id is not None:
            check.response_exchange_id = response_exchange_id
        if source is not None:
            check.source = source
        check.active = active
        check.plan_name = (response.plan_name or "")[:120]
        check.group_number = (person.group_number or "")[:50]
        check.group_name = (person.group_name or "")[:120]
        check.coverage_begin = begin
        check.coverage_end = end
        check.payer_name = (response.payer_name or "")[:120]
        check.member_id = (person.member_id or "")[:80]
        check.rejections = rejections
        check.save()
        check.benefits.all().delete()
        EligibilityBenefit.objects.bulk_create(benefit_rows(check, response.benefits))
        _audit(
            actor,
            check,
            AuditAction.UPDATE,
            "eligibility_answered",
            active=active,
            rejections=[r["code"] for r in rejections],
        )
    return check


# --- importing a 271 file -------------------------------------------------------------------------


def eligibility_import_271(
    *, actor: Any, data: str | bytes, exchange_id: int | None = None
) -> list[EligibilityCheck]:
    """Attach the answers of a 271 file to the checks waiting for them (by trace number).

    All or nothing: an answer naming no waiting check, or answering for a different member, is a
    clear error naming its trace number and nothing is changed."""
    from frontdesk.standards.x12.eligibility import read_271
    from frontdesk.standards.x12.errors import X12ParseError

    _require(actor, A.ELIGIBILITY_BATCH)
    try:
        responses = read_271(data)
    except X12ParseError as exc:
        raise ImportMismatch(f"Not a readable 271: {exc}", code="unreadable") from None
    if not responses:
        raise ImportMismatch("The file holds no eligibility response.", code="empty")
    matched: list[tuple[EligibilityCheck, Any]] = []
    for response in responses:
        traces = [t for t in response.trace_numbers if t]
        check = (
            EligibilityCheck.objects.select_related(
                "coverage__patient", "coverage__subscriber_patient"
            )
            .filter(trace_number__in=traces)
            .first()
            if traces
            else None
        )
        if check is None:
            named = ", ".join(traces) or "(none)"
            raise ImportMismatch(
                f"No eligibility check waits for trace number {named}: nothing was imported.",
                code="unmatched",
            )
        if check.is_answered:
            raise ImportMismatch(
                f"The check with trace number {check.trace_number} is already answered: "
                "nothing was imported.",
                code="already_answered",
            )
        try:
            verify_member(check.coverage, response)
        except SendFailed as exc:
            raise ImportMismatch(
                f"Trace number {check.trace_number}: {exc.reason}", code="wrong_member"
            ) from None
        matched.append((check, response))
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    with transaction.atomic():
        return [
            _store(
                check,
                actor,
                response,
                text,
                response_exchange_id=exchange_id,
                source=CheckSource.IMPORT,
            )
            for check, response in matched
        ]


def inbound_271_handle(exchange: Any) -> None:
    """The clearinghouse's handler of 271 files arriving in the inbox (batch answers)."""
    eligibility_import_271(
        actor=eligibility_system_user(), data=exchange.read_bytes(), exchange_id=exchange.pk
    )


def eligibility_request_270(*, actor: Any, coverage: Coverage, date_of_service: dt.date) -> str:
    """The 270 FrontDesk would send for this coverage and date (nothing is sent or recorded but the
    audit row of the export)."""
    from frontdesk.standards.x12.eligibility import write_270

    _require(actor, A.ELIGIBILITY_CHECK)
    inquiry = inquiry_build(
        coverage=coverage, date_of_service=date_of_service, trace_number=trace_number_new()
    )
    payload = write_270([inquiry], header_270())
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        category=AuditCategory.INSURANCE,
        patient_id=coverage.patient_id,
        object_type="coverage",
        object_id=coverage.pk,
        detail={"event": "eligibility_270_written", "trace_number": inquiry.trace_number},
    )
    return payload


# --- the batch ------------------------------------------------------------------------------------


def batch_days() -> int:
    return int(getattr(settings, "ELIGIBILITY_BATCH_DAYS", 3))


def recent_hours() -> int:
    return int(getattr(settings, "ELIGIBILITY_RECENT_HOURS", 24))


def batch_start(*, actor: Any, days: int | None = None) -> EligibilityBatch:
    """Record a batch over the next ``days`` days of booked appointments and enqueue it."""
    return _batch_record(actor=actor, days=days, enqueue=True)


def _batch_record(*, actor: Any, days: int | None, enqueue: bool) -> EligibilityBatch:
    _require(actor, A.ELIGIBILITY_BATCH)
    days = days or batch_days()
    today = timezone.localdate()
    with transaction.atomic():
        batch = EligibilityBatch.objects.create(
            started_at=timezone.now(),
            first_day=today,
            last_day=today + dt.timedelta(days=days - 1),
            requested_by=actor,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            category=AuditCategory.INSURANCE,
            object_type="eligibility_batch",
            object_id=batch.pk,
            detail={"event": "eligibility_batch_started", "days": days},
        )
        if enqueue:
            transaction.on_commit(partial(_enqueue_batch, batch.pk))
    return batch


def _enqueue_batch(batch_id: int) -> None:
    from frontdesk.eligibility.tasks import eligibility_batch_run

    eligibility_batch_run.enqueue(batch_id)


@dataclass(frozen=True)
class BatchItem:
    coverage_id: int
    date_of_service: dt.date
    appointment_id: int


def batch_items(batch: EligibilityBatch) -> tuple[list[BatchItem], int]:
    """What the batch asks about (one per coverage and date) and how many it skips (checked within
    the last hours or in flight)."""
    start = dt.datetime.combine(batch.first_day, dt.time.min, tzinfo=dt.UTC) - dt.timedelta(days=1)
    end = dt.datetime.combine(batch.last_day, dt.time.max, tzinfo=dt.UTC) + dt.timedelta(days=1)
    appointments = (
        Appointment.objects.filter(starts_at__range=(start, end), status__in=BOOKED_STATUSES)
        .select_related("location")
        .order_by("starts_at", "pk")
    )
    wanted: dict[tuple[int, dt.date], int] = {}
    patient_days: dict[tuple[int, dt.date], int] = {}
    for appointment in appointments:
        day = service_date_of(appointment)
        if batch.first_day <= day <= batch.last_day:
            patient_days.setdefault((appointment.patient_id, day), appointment.pk)
    if not patient_days:
        return [], 0
    coverages: dict[int, list[Coverage]] = {}
    for coverage in Coverage.objects.filter(
        patient_id__in={p for p, _ in patient_days}, status=CoverageStatus.ACTIVE
    ).order_by("priority", "pk"):
        coverages.setdefault(coverage.patient_id, []).append(coverage)
    for (patient_id, day), appointment_id in patient_days.items():
        for coverage in coverages.get(patient_id, ()):
            if coverage.effective_on and coverage.effective_on > day:
                continue
            if coverage.terminates_on and coverage.terminates_on < day:
                continue
            wanted.setdefault((coverage.pk, day), appointment_id)
            break  # the primary coverage in force that day
    since = timezone.now() - dt.timedelta(hours=recent_hours())
    recent = set(
        EligibilityCheck.objects.filter(
            coverage_id__in={c for c, _ in wanted},
            date_of_service__range=(batch.first_day, batch.last_day),
        )
        .filter(
            Q(status__in=[CheckStatus.QUEUED, CheckStatus.SENT])
            | Q(
                status__in=[CheckStatus.COMPLETE, CheckStatus.REJECTED],
                requested_at__gte=since,
            )
        )
        .values_list("coverage_id", "date_of_service")
    )
    items = [
        BatchItem(coverage_id=c, date_of_service=d, appointment_id=a)
        for (c, d), a in sorted(wanted.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        if (c, d) not in recent
    ]
    return items, len(wanted) - len(items)


def batch_execute(*, batch_id: int) -> EligibilityBatch:
    """Run a recorded batch, counting done / failed / skipped as it goes (the progress page)."""
    actor = eligibility_system_user()
    batch = EligibilityBatch.objects.get(pk=batch_id)
    if batch.status in (BatchStatus.DONE, BatchStatus.FAILED):
        return batch
    try:
        items, skipped = batch_items(batch)
        EligibilityBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.RUNNING, total=len(items) + skipped, skipped=skipped
        )
        for item in items:
            coverage = Coverage.objects.select_related("payer", "patient").get(pk=item.coverage_id)
            appointment = Appointment.objects.select_related("provider", "location").get(
                pk=item.appointment_id
            )
            check = eligibility_check(
                actor=actor,
                coverage=coverage,
                appointment=appointment,
                source=CheckSource.BATCH,
                batch=batch,
            )
            counter = "done" if check.is_answered else "failed"
            EligibilityBatch.objects.filter(pk=batch.pk).update(**{counter: F(counter) + 1})
    except Exception:
        logger.exception("eligibility.batch_failed batch=%s", batch.pk)
        EligibilityBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.FAILED,
            finished_at=timezone.now(),
            error="The batch stopped on an unexpected error; see the server log.",
        )
        batch.refresh_from_db()
        return batch
    EligibilityBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.DONE, finished_at=timezone.now()
    )
    batch.refresh_from_db()
    return batch


def batch_nightly() -> EligibilityBatch:
    """The nightly batch (periodic): record it and run it in this worker."""
    batch = _batch_record(actor=eligibility_system_user(), days=None, enqueue=False)
    return batch_execute(batch_id=batch.pk)
