"""Card settlement import: the processor's settlement file matched to FrontDesk's card payments.

The file format is documented in docs/settlement-format.md (a sample is in
frontdesk/payments/fixtures/settlement-sample.csv): a CSV with a header row and the columns
``settlement_date, transaction_id, reference, amount, card_brand, last4, type`` (sale, refund, void).

Each row is matched by the processor's transaction id to a card/HSA tender (sale, void) or a card
refund, falling back to our reference (the ``CardAttempt.reference`` we sent as the processor's key).
The report lists every row as matched, missing in FrontDesk or amount mismatch, plus the card tenders
of completed payments in the file's date range that the file does not contain: missing at the
processor. Only the money of the given location is matched; without one, a person's import covers
the locations in their scope, and the command line (no person) covers every location. A malformed row is reported with its line number and the rest
still imports. A file is imported once: its SHA-256 is unique, and importing it again returns the
first import unchanged. Only the last four digits of a card are ever read; a row carrying anything
that looks like a card number is refused without storing it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.core.money import MoneyError, parse_money
from frontdesk.payments.choices import CARD_TENDERS, PaymentStatus, RefundMethod
from frontdesk.payments.drawer_models import MatchResult, SettlementImport, SettlementLine
from frontdesk.payments.models import CardAttempt, Refund, Tender
from frontdesk.practice.models import Location
from frontdesk.standards.pan import contains_card_number

COLUMNS = (
    "settlement_date",
    "transaction_id",
    "reference",
    "amount",
    "card_brand",
    "last4",
    "type",
)
TYPES = ("sale", "refund", "void")
MSG_EMPTY = "The file is empty."
MSG_ENCODING = "The file is not UTF-8 text (export it from the processor as CSV)."
MSG_HEADER = "The first row must name the columns: {columns}. Missing: {missing}."
MSG_TOO_BIG = "The file is too large."


@dataclass
class _Row:
    line: int
    date: dt.date
    transaction_id: str
    reference: str
    amount: Decimal
    brand: str
    last4: str
    kind: str


@dataclass
class _Parsed:
    rows: list[_Row] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _parse(data: bytes) -> _Parsed:
    if len(data) > settings.MAX_UPLOAD_BYTES:
        raise ValidationFailed(MSG_TOO_BIG, field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(MSG_ENCODING, field="file") from None
    if not text.strip():
        raise ValidationFailed(MSG_EMPTY, field="file")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ValidationFailed(
            MSG_HEADER.format(columns=", ".join(COLUMNS), missing=", ".join(missing)), field="file"
        )
    index = {c: header.index(c) for c in COLUMNS}
    parsed = _Parsed()
    seen: dict[tuple[str, str], int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        problems: list[str] = []
        if any(contains_card_number(c) for c in cells):
            # Never keep or echo it: the row is refused as a whole.
            parsed.errors.append(
                {"line": line, "message": "The row contains what looks like a card number."}
            )
            continue
        if len(cells) < len(header):
            parsed.errors.append(
                {"line": line, "message": f"Expected {len(header)} columns, found {len(cells)}."}
            )
            continue
        value = {c: cells[i].strip() for c, i in index.items()}
        date: dt.date | None = None
        try:
            date = dt.date.fromisoformat(value["settlement_date"])
        except ValueError:
            problems.append("settlement_date must be YYYY-MM-DD")
        amount = Decimal("0")
        try:
            amount = parse_money(value["amount"])
            if amount <= 0:
                problems.append("amount must be greater than zero")
        except MoneyError:
            problems.append("amount must be an amount like 25.00")
        kind = value["type"].lower()
        if kind not in TYPES:
            problems.append("type must be sale, refund or void")
        if not value["transaction_id"] and not value["reference"]:
            problems.append("give a transaction_id or a reference")
        if len(value["transaction_id"]) > 80 or len(value["reference"]) > 64:
            problems.append("transaction_id or reference too long")
        last4 = value["last4"]
        if last4 and not (len(last4) == 4 and last4.isdigit()):
            problems.append("last4 must be four digits")
        key = (kind, value["transaction_id"] or value["reference"])
        if not problems and key in seen:
            problems.append(f"the same {kind} is already on line {seen[key]}")
        if problems or date is None:
            message = "; ".join(problems)
            parsed.errors.append({"line": line, "message": message[0].upper() + message[1:] + "."})
            continue
        seen[key] = line
        parsed.rows.append(
            _Row(
                line=line,
                date=date,
                transaction_id=value["transaction_id"],
                reference=value["reference"],
                amount=amount,
                brand=value["card_brand"][:20],
                last4=last4,
                kind=kind,
            )
        )
    return parsed


Where = list[int] | None  # the location ids whose money is matched (None: every location)


def _tenders(where: Where) -> Any:
    qs = Tender.objects.filter(kind__in=CARD_TENDERS).select_related("payment")
    return qs.filter(payment__location_id__in=where) if where is not None else qs


def _refunds(where: Where) -> Any:
    qs = Refund.objects.filter(method=RefundMethod.CARD)
    return qs.filter(location_id__in=where) if where is not None else qs


def _match(rows: list[_Row], where: Where) -> list[SettlementLine]:
    """One result line per file row: the FrontDesk tender/refund it matches (by transaction id, then
    by our reference), and whether the amounts agree. Queries are batched: constant per file."""
    ids = {r.transaction_id for r in rows if r.transaction_id}
    refs = {r.reference for r in rows if r.reference}
    by_txn: dict[str, Tender] = {}
    for found in _tenders(where).filter(processor_transaction_id__in=ids):
        by_txn.setdefault(found.processor_transaction_id, found)
    refund_by_txn = {
        r.processor_transaction_id: r
        for r in _refunds(where).filter(processor_transaction_id__in=ids)
    }
    attempts = {
        a.reference: a
        for a in CardAttempt.objects.filter(reference__in=refs).select_related("payment", "refund")
    }
    # Fallback by reference: the attempt's payment's card tender carrying the attempt's transaction id
    # (or the only card tender of that payment).
    attempt_tenders: dict[int, list[Tender]] = {}
    payment_ids = [a.payment_id for a in attempts.values() if a.payment_id]
    for found in _tenders(where).filter(payment_id__in=payment_ids):
        attempt_tenders.setdefault(found.payment_id, []).append(found)
    lines: list[SettlementLine] = []
    for row in rows:
        tender: Tender | None = None
        refund: Refund | None = None
        attempt = attempts.get(row.reference) if row.reference else None
        if row.kind in ("sale", "void"):
            tender = by_txn.get(row.transaction_id) if row.transaction_id else None
            if tender is None and attempt is not None and attempt.payment_id:
                candidates = attempt_tenders.get(attempt.payment_id, [])
                exact = [
                    t
                    for t in candidates
                    if attempt.processor_transaction_id
                    and t.processor_transaction_id == attempt.processor_transaction_id
                ]
                if exact:
                    tender = exact[0]
                elif len(candidates) == 1:
                    tender = candidates[0]
        else:
            refund = refund_by_txn.get(row.transaction_id) if row.transaction_id else None
            if refund is None and attempt is not None and attempt.refund_id:
                refund = attempt.refund
                if where is not None and refund is not None and refund.location_id not in where:
                    refund = None
        frontdesk_amount: Decimal | None = None
        if tender is not None:
            voided = tender.payment.status == PaymentStatus.VOIDED
            if row.kind == "sale":
                live = tender.payment.status == PaymentStatus.COMPLETED or voided
                frontdesk_amount = tender.amount if live else Decimal("0.00")
            else:  # a void at the processor matches a payment voided in FrontDesk
                frontdesk_amount = tender.amount if voided else Decimal("0.00")
        elif refund is not None:
            frontdesk_amount = refund.amount
        if tender is None and refund is None:
            result = MatchResult.MISSING_IN_FRONTDESK
        elif frontdesk_amount == row.amount:
            result = MatchResult.MATCHED
        else:
            result = MatchResult.AMOUNT_MISMATCH
        lines.append(
            SettlementLine(
                line_number=row.line,
                result=result,
                settlement_date=row.date,
                transaction_id=row.transaction_id,
                reference=row.reference,
                txn_type=row.kind,
                amount=-row.amount if row.kind in ("refund", "void") else row.amount,
                frontdesk_amount=frontdesk_amount,
                card_brand=row.brand,
                card_last4=row.last4,
                tender=tender,
                card_attempt=attempt,
            )
        )
    return lines


def _missing_at_processor(
    lines: list[SettlementLine], first: dt.date, last: dt.date, where: Where
) -> list[SettlementLine]:
    """Card tenders of completed payments in the file's date range that no sale row matched."""
    matched = {line.tender_id for line in lines if line.tender_id and line.txn_type == "sale"}
    missing = (
        _tenders(where)
        .filter(
            payment__status=PaymentStatus.COMPLETED,
            payment__business_date__gte=first,
            payment__business_date__lte=last,
        )
        .exclude(pk__in=matched)
        .order_by("payment__business_date", "pk")
    )
    return [
        SettlementLine(
            result=MatchResult.MISSING_AT_PROCESSOR,
            settlement_date=t.payment.business_date,
            transaction_id=t.processor_transaction_id,
            txn_type="sale",
            frontdesk_amount=t.amount,
            card_brand=t.card_brand,
            card_last4=t.card_last4,
            tender=t,
        )
        for t in missing
    ]


def settlement_import(
    *, actor: Any, data: bytes, file_name: str, location: Location | None = None
) -> tuple[SettlementImport, bool]:
    """Import a settlement file and match it; returns (the import, whether this call created it).

    ``actor`` None is the command line (an operator at the server); otherwise the actor needs
    SETTLEMENT_IMPORT and, with a location, that location in scope.
    """
    if actor is not None:
        if not actor.can(A.SETTLEMENT_IMPORT):
            raise PermissionDenied()
        if location is not None and not (
            Location.objects.restrict(actor, A.SETTLEMENT_IMPORT).filter(pk=location.pk).exists()
        ):
            raise NotFound()
    digest = hashlib.sha256(data).hexdigest()
    existing = SettlementImport.objects.filter(sha256=digest).first()
    if existing is not None:
        return existing, False
    parsed = _parse(data)
    where: Where = None
    if location is not None:
        where = [location.pk]
    elif actor is not None:  # a person matches only the money of their own locations
        where = list(
            Location.objects.restrict(actor, A.SETTLEMENT_IMPORT).values_list("pk", flat=True)
        )
    lines = _match(parsed.rows, where)
    first = min((r.date for r in parsed.rows), default=None)
    last = max((r.date for r in parsed.rows), default=None)
    if first is not None and last is not None:
        lines += _missing_at_processor(lines, first, last, where)
    summary = dict.fromkeys(MatchResult.values, 0)
    for line in lines:
        summary[line.result] += 1
    summary["malformed"] = len(parsed.errors)
    try:
        with transaction.atomic():
            record = SettlementImport.objects.create(
                location=location,
                sha256=digest,
                file_name=(file_name or "settlement.csv")[:200],
                imported_at=timezone.now(),
                imported_by=actor,
                first_date=first,
                last_date=last,
                rows=len(parsed.rows) + len(parsed.errors),
                summary=summary,
                errors=parsed.errors,
            )
            for line in lines:
                line.settlement = record
            SettlementLine.objects.bulk_create(lines, batch_size=500)
            audit_record(
                actor=actor,
                actor_name=None if actor is not None else "system (settlement import)",
                action=AuditAction.CREATE,
                category=AuditCategory.FINANCIAL,
                object_type="settlement_import",
                object_id=record.pk,
                detail={"event": "settlement_imported", "sha256": digest, **summary},
            )
    except IntegrityError:  # the same file imported concurrently
        return SettlementImport.objects.get(sha256=digest), False
    return record, True
