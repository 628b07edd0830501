"""Sending files to the clearinghouse and taking in what comes back, every file recorded once.

- ``exchange_send``: record and drop a batch file (837P, batch 270); disclosures for payment are
  recorded for the patients in it once it reached the clearinghouse.
- ``exchange_realtime``: a 270 out and its 271 back; both recorded, or the failure with its reason.
  Never raises for a transport failure: the screen that asked shows the failed exchange.
- ``inbox_poll``: collect the inbox, record each file once (by SHA-256), hand it to the handler
  registered for its kind; a handler's failure marks the exchange ``error`` and keeps the file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory, AuditOutcome
from frontdesk.audit.services import audit_record
from frontdesk.clearinghouse import handlers
from frontdesk.clearinghouse.choices import Direction, ExchangeStatus, Kind
from frontdesk.clearinghouse.envelopes import (  # noqa: F401  (re-exported for other apps)
    envelope_header,
    next_control_numbers,
)
from frontdesk.clearinghouse.models import Exchange
from frontdesk.clearinghouse.transports import (
    DEFAULT_TIMEOUT,
    Transport,
    TransportError,
    control_number_of,
    get_transport,
    safe_name,
    transaction_code_of,
)
from frontdesk.core import crypto
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from frontdesk.standards.x12.envelope import split_segments
from frontdesk.standards.x12.errors import X12Error

logger = logging.getLogger(__name__)

STORAGE_DIR = "clearinghouse"
OUTBOUND_KINDS = (Kind.ELIGIBILITY_INQUIRY, Kind.CLAIM)
MAX_ERROR = 2000
# What a disclosure says was sent, by kind.
DISCLOSED: dict[str, str] = {
    Kind.ELIGIBILITY_INQUIRY: "Eligibility inquiry (270): name, date of birth, member ID, payer",
    Kind.CLAIM: "Claim (837P): demographics, insurance, diagnoses, procedures, charges",
}


def realtime_timeout() -> float:
    """Seconds a real-time 270 waits for its 271 (``FRONTDESK_CLEARINGHOUSE_TIMEOUT``, default 20)."""
    raw = getattr(settings, "FRONTDESK_CLEARINGHOUSE_TIMEOUT", None)
    if raw is None:
        raw = os.environ.get("FRONTDESK_CLEARINGHOUSE_TIMEOUT", "")
    try:
        value = float(raw) if str(raw).strip() else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if 0 < value <= 120 else DEFAULT_TIMEOUT


def _store(content: bytes) -> str:
    """Encrypt and store ``content`` under a random name (the name says nothing about anyone)."""
    return default_storage.save(
        f"{STORAGE_DIR}/{secrets.token_hex(16)}.x12.enc",
        ContentFile(crypto.encrypt_bytes(content)),
    )


def _transport_or_error() -> tuple[Transport | None, str]:
    try:
        return get_transport(), ""
    except TransportError as exc:
        return None, exc.reason


def _kind_of(content: bytes) -> str:
    """The exchange kind of an inbound file from its envelope ("unknown" when not X12)."""
    code = transaction_code_of(content)
    if code == "277":
        return Kind.ACK_277CA
    if code == "837":
        return Kind.CLAIM
    return code if code in Kind.values else Kind.UNKNOWN


def _patient_ids(patient_ids: Iterable[Any]) -> list[int]:
    ids: set[int] = set()
    for value in patient_ids:
        try:
            ids.add(int(value))
        except (TypeError, ValueError):
            raise ValidationFailed(
                "Patient ids must be numbers.", field="patient_ids", code="patient_ids"
            ) from None
    return sorted(ids)


def _recipient(transport_name: str, payload: str) -> tuple[str, str]:
    """Who received the file: the payer(s) named in it, via the clearinghouse."""
    names: list[str] = []
    ids: list[str] = []
    try:
        for segment in split_segments(payload)[1]:
            if segment.id == "NM1" and segment.get(1) == "PR":
                if segment.get(3) and segment.get(3) not in names:
                    names.append(segment.get(3))
                if segment.get(9) and segment.get(9) not in ids:
                    ids.append(segment.get(9))
    except X12Error:
        pass
    via = "simulated payer" if transport_name == "simulated" else "clearinghouse"
    payer = ", ".join(names) or "payer"
    return f"{payer} (via {via})"[:200], ", ".join(ids)[:80]


def _disclose(*, actor: Any, exchange: Exchange, patient_ids: list[int], payload: str) -> None:
    if not patient_ids:
        return
    from frontdesk.disclosures.choices import Purpose
    from frontdesk.disclosures.services import DisclosureEntry, disclosures_record

    recipient, identifier = _recipient(exchange.transport, payload)
    disclosures_record(
        actor=actor,
        entries=[
            DisclosureEntry(
                patient_id=patient_id,
                recipient=recipient,
                recipient_identifier=identifier,
                purpose=Purpose.PAYMENT,
                description=DISCLOSED.get(exchange.kind, f"X12 {exchange.kind}"),
                reference=f"exchange:{exchange.pk}",
                at=exchange.created_at,
            )
            for patient_id in patient_ids
        ],
    )


def _outbound_filename(kind: str, control: str, filename: str) -> str:
    if filename:
        return safe_name(filename)
    # A "T" between date and time: fourteen digits in a row can pass the card-number check.
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    return f"{kind}-{stamp}-{control or 'x'}-{secrets.token_hex(4)}.x12"


def _check_outbound(kind: str, payload: str) -> None:
    if kind not in OUTBOUND_KINDS:
        raise ValidationFailed(
            f"Only {', '.join(OUTBOUND_KINDS)} files are sent to the clearinghouse.",
            field="kind",
            code="kind",
        )
    if not payload.strip():
        raise ValidationFailed("The file is empty.", field="payload", code="empty")


def _audit_exchange(*, actor: Any, exchange: Exchange, event: str, patients: int = 0) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT if exchange.direction == Direction.OUT else AuditAction.CREATE,
        category=AuditCategory.INSURANCE,
        object_type="exchange",
        object_id=exchange.pk,
        outcome=(
            AuditOutcome.FAILURE
            if exchange.status == ExchangeStatus.FAILED
            else AuditOutcome.SUCCESS
        ),
        detail={
            "event": event,
            "kind": exchange.kind,
            "status": exchange.status,
            "control_number": exchange.control_number,
            "transport": exchange.transport,
            "patients": patients,
        },
    )


def _record(
    *,
    actor: Any,
    direction: str,
    kind: str,
    content: bytes,
    filename: str,
    status: str,
    error: str = "",
    transport: str,
    request: Exchange | None = None,
    patient_ids: list[int] | None = None,
) -> Exchange:
    stored = _store(content) if content else ""
    exchange = Exchange.objects.create(
        direction=direction,
        kind=kind,
        filename=filename[:200],
        sha256=hashlib.sha256(content).hexdigest() if content else "",
        size=len(content),
        control_number=control_number_of(content)[:9] if content else "",
        stored_name=stored,
        status=status,
        error=error[:MAX_ERROR],
        transport=transport[:200],
        actor=actor if getattr(actor, "pk", None) else None,
        created_at=timezone.now(),
        request=request,
    )
    if patient_ids:
        exchange.patients.set(patient_ids)
    return exchange


def exchange_send(
    *,
    actor: Any,
    kind: str,
    payload: str,
    filename: str = "",
    patient_ids: Iterable[Any] = (),
) -> Exchange:
    """Record a batch file (837P or batch 270) and drop it for the clearinghouse.

    Returns the exchange: ``sent``, or ``failed`` with the transport's reason in ``error`` (nothing
    raised, so a batch screen can say what happened). Patients in it get a disclosure for payment
    once the file reached the clearinghouse.
    """
    _check_outbound(kind, payload)
    ids = _patient_ids(patient_ids)
    content = payload.encode("utf-8")
    name = _outbound_filename(kind, control_number_of(payload), filename)
    transport, reason = _transport_or_error()
    delivered = False
    if transport is not None:
        try:
            transport.submit(name, payload)
            delivered = True
        except TransportError as exc:
            reason, delivered = exc.reason, exc.delivered
    with transaction.atomic():
        exchange = _record(
            actor=actor,
            direction=Direction.OUT,
            kind=kind,
            content=content,
            filename=name,
            status=ExchangeStatus.SENT if delivered and not reason else ExchangeStatus.FAILED,
            error=reason,
            transport=transport.name if transport is not None else "",
            patient_ids=ids,
        )
        _audit_exchange(actor=actor, exchange=exchange, event="send", patients=len(ids))
        if delivered:
            _disclose(actor=actor, exchange=exchange, patient_ids=ids, payload=payload)
    if reason:
        logger.warning("clearinghouse send failed: exchange=%s kind=%s", exchange.pk, kind)
    return exchange


def exchange_realtime(
    *,
    actor: Any,
    kind: str = Kind.ELIGIBILITY_INQUIRY,
    payload: str,
    patient_ids: Iterable[Any] = (),
    timeout: float | None = None,
) -> tuple[Exchange, Exchange]:
    """Send a 270 and wait for its 271; record both (request, response).

    On failure (clearinghouse down, no answer in time, garbage) the response is an inbound 271
    exchange with status ``failed`` and the reason in ``error`` (holding whatever came back); the
    request is ``failed`` too when it never reached the clearinghouse. Nothing is raised for a
    transport failure.
    """
    if kind != Kind.ELIGIBILITY_INQUIRY:
        raise ValidationFailed("Only a 270 is sent in real time.", field="kind", code="kind")
    _check_outbound(kind, payload)
    ids = _patient_ids(patient_ids)
    control = control_number_of(payload)
    name = _outbound_filename(kind, control, "")
    transport, reason = _transport_or_error()
    answer = b""
    delivered = False
    if transport is not None:
        try:
            answer = transport.realtime(payload, timeout=timeout or realtime_timeout()).encode(
                "utf-8"
            )
            delivered = True
        except TransportError as exc:
            reason, delivered, answer = exc.reason, exc.delivered, exc.content
    transport_name = transport.name if transport is not None else ""
    with transaction.atomic():
        request = _record(
            actor=actor,
            direction=Direction.OUT,
            kind=kind,
            content=payload.encode("utf-8"),
            filename=name,
            status=ExchangeStatus.SENT if delivered else ExchangeStatus.FAILED,
            error="" if delivered else reason,
            transport=transport_name,
            patient_ids=ids,
        )
        response = _record(
            actor=actor,
            direction=Direction.IN,
            kind=Kind.ELIGIBILITY_RESPONSE,
            content=answer,
            filename=f"271-{control or request.pk}.x12" if answer else "",
            status=ExchangeStatus.FAILED if reason else ExchangeStatus.RECEIVED,
            error=reason,
            transport=transport_name,
            request=request,
        )
        _audit_exchange(actor=actor, exchange=request, event="realtime", patients=len(ids))
        if delivered:
            _disclose(actor=actor, exchange=request, patient_ids=ids, payload=payload)
    if reason:
        logger.warning("clearinghouse realtime failed: exchange=%s", request.pk)
    return request, response


def exchange_mark(
    *, exchange: Exchange, status: str, error: str = "", processed: bool = True
) -> Exchange:
    """Set an inbound exchange's processing status (a handler run by its own caller, e.g. realtime)."""
    if status not in (ExchangeStatus.PROCESSED, ExchangeStatus.ERROR, ExchangeStatus.RECEIVED):
        raise ValidationFailed("Unknown processing status.", field="status", code="status")
    now = timezone.now() if processed else None
    Exchange.objects.filter(pk=exchange.pk).update(
        status=status, error=error[:MAX_ERROR], processed_at=now
    )
    exchange.status, exchange.error, exchange.processed_at = status, error[:MAX_ERROR], now
    return exchange


def _error_text(exc: BaseException) -> str:
    message = str(getattr(exc, "message", "") or str(exc) or exc.__class__.__name__)
    fields = getattr(exc, "fields", None)  # a validation error: what is wrong, not "see the form"
    if isinstance(fields, dict) and fields:
        details = " ".join(str(m) for messages in fields.values() for m in messages)
        message = details if message.startswith("Please correct") else f"{message} {details}"
    return message[:MAX_ERROR]


def exchange_dispatch(exchange: Exchange) -> Exchange:
    """Run the handler registered for the exchange's kind, all-or-nothing; returns it updated.

    No handler: it stays ``received`` (a later poll hands it over once one is registered).
    """
    handler = handlers.handler_for(exchange.kind)
    if handler is None:
        return exchange
    try:
        with transaction.atomic():
            locked = (
                Exchange.objects.select_for_update()
                .filter(pk=exchange.pk, status=ExchangeStatus.RECEIVED)
                .first()
            )
            if locked is None:  # taken by a concurrent poll
                exchange.refresh_from_db()
                return exchange
            handler(locked)
            exchange_mark(exchange=locked, status=ExchangeStatus.PROCESSED)
    except Exception as exc:  # the handler's writes rolled back; keep the file and say why
        logger.warning(
            "clearinghouse handler failed: exchange=%s kind=%s error=%s",
            exchange.pk,
            exchange.kind,
            exc.__class__.__name__,
        )
        return exchange_mark(exchange=exchange, status=ExchangeStatus.ERROR, error=_error_text(exc))
    exchange.refresh_from_db()
    return exchange


def _record_inbound(*, actor: Any, file: Any, transport_name: str) -> Exchange | None:
    """Record one collected file; None when the same bytes were recorded before."""
    digest = hashlib.sha256(file.content).hexdigest()
    if Exchange.objects.filter(
        direction=Direction.IN, request__isnull=True, sha256=digest
    ).exists():
        return None
    kind = _kind_of(file.content)
    error = "" if kind != Kind.UNKNOWN else "The file is not an X12 interchange FrontDesk reads."
    try:
        with transaction.atomic():
            exchange = _record(
                actor=actor,
                direction=Direction.IN,
                kind=kind,
                content=file.content,
                filename=file.name,
                status=ExchangeStatus.RECEIVED if not error else ExchangeStatus.ERROR,
                error=error,
                transport=transport_name,
            )
            _audit_exchange(actor=actor, exchange=exchange, event="collect")
    except IntegrityError:  # recorded concurrently by another poll
        return None
    return exchange


DISPATCH_ORDER = {Kind.TA1: 0, Kind.ACK_999: 1, Kind.ACK_277CA: 2, Kind.REMITTANCE: 3}


def inbox_poll(*, actor: Any = None) -> list[Exchange]:
    """Collect the inbox: record each new file once, dispatch it; returns the exchanges recorded.

    A file already recorded (same SHA-256) is only taken out of the inbox. Exchanges left
    ``received`` by an earlier poll (no handler then) are dispatched again.
    """
    transport, reason = _transport_or_error()
    if transport is None:
        logger.warning("clearinghouse poll: no transport (%s)", reason)
        return []
    try:
        files = transport.collect()
    except TransportError as exc:
        logger.warning("clearinghouse poll failed: %s", exc.reason)
        return []
    recorded: list[Exchange] = []
    for file in files:
        exchange = _record_inbound(actor=actor, file=file, transport_name=transport.name)
        # Out of the inbox only once recorded (or known): a crash before this line collects it
        # again next time, and the SHA-256 makes that harmless.
        transport.done(file)
        if exchange is not None:
            recorded.append(exchange)
    waiting = Exchange.objects.filter(
        direction=Direction.IN,
        status=ExchangeStatus.RECEIVED,
        request__isnull=True,
        kind__in=handlers.registered_kinds(),
    ).order_by("created_at", "pk")
    by_pk = {e.pk: e for e in recorded}
    # Acknowledgments before the payer's decisions: files collected together may sit in the inbox
    # in any order (a 999 named after the 835 it precedes), and a claim must be acknowledged,
    # then accepted, then paid.
    for exchange in sorted(waiting, key=lambda e: DISPATCH_ORDER.get(e.kind, len(DISPATCH_ORDER))):
        by_pk[exchange.pk] = exchange_dispatch(by_pk.get(exchange.pk, exchange))
    return [by_pk[e.pk] for e in recorded]


MSG_NOT_REPROCESSABLE = "Only a received file whose processing failed can be processed again."
MSG_NO_HANDLER = "No part of FrontDesk processes {kind} files."


def exchange_reprocess(*, actor: Any, exchange: Exchange) -> Exchange:
    """Hand an inbound file whose processing failed to its handler again (after the cause was
    fixed: the claim created, the code added). Audited; the outcome is the exchange's new status."""
    if not actor.can(A.REMITTANCE_POST):
        raise PermissionDenied()
    if (
        exchange.direction != Direction.IN
        or exchange.status != ExchangeStatus.ERROR
        or exchange.request_id is not None
        or not exchange.stored_name
    ):
        raise Conflict(MSG_NOT_REPROCESSABLE, code="not_reprocessable")
    if handlers.handler_for(exchange.kind) is None:
        raise Conflict(MSG_NO_HANDLER.format(kind=exchange.kind), code="no_handler")
    with transaction.atomic():
        updated = Exchange.objects.filter(pk=exchange.pk, status=ExchangeStatus.ERROR).update(
            status=ExchangeStatus.RECEIVED, error="", processed_at=None
        )
        if not updated:
            raise Conflict(MSG_NOT_REPROCESSABLE, code="not_reprocessable")
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.INSURANCE,
            object_type="exchange",
            object_id=exchange.pk,
            detail={"event": "reprocess", "kind": exchange.kind},
        )
    exchange.refresh_from_db()
    return exchange_dispatch(exchange)


def exchange_download(*, actor: Any, exchange: Exchange) -> bytes:
    """The original file of an exchange, decrypted; every download is audited."""
    data = exchange.read_bytes()
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        category=AuditCategory.INSURANCE,
        object_type="exchange",
        object_id=exchange.pk,
        detail={"event": "download", "kind": exchange.kind, "size": len(data)},
    )
    return data
