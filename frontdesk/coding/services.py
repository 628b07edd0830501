"""Writes of code sets and fees: the CPT/fee CSV import, ICD-10-CM release import, fee schedule edits.

Every import validates the whole file first and writes nothing if any row is wrong (the errors name
the row and column); the write is one transaction with its audit row. Re-importing updates: codes
and prices in the file replace the ones stored; codes not in the file are left as they are.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.coding.errors import CodeImportInvalid
from frontdesk.coding.models import FeeSchedule, FeeScheduleEntry, IcdRelease, ProcedureCode
from frontdesk.coding.tables import MODIFIER_RE, procedure_kind_of
from frontdesk.core.errors import Conflict, FieldErrors, PermissionDenied, ValidationFailed
from frontdesk.core.money import MoneyError, parse_money
from frontdesk.practice.models import Payer
from frontdesk.standards import icd10cm

REQUIRED_COLUMNS = ("code", "description")
STANDARD_COLUMN = "standard_charge"
MODIFIER_COLUMN = "modifier"
ALLOWED_PREFIX = "allowed:"  # allowed:<payer ID> — one column per payer
MAX_ERRORS = 200


def _check(actor: Any, action: str = A.CODES_MANAGE) -> None:
    """The command line imports as the system (actor None); a person needs the action."""
    if actor is not None and not actor.can(action):
        raise PermissionDenied()


# --- CPT / HCPCS codes and fees from CSV ---------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    row: int
    code: str
    kind: str
    description: str
    modifier: str
    standard_charge: Decimal | None
    allowed: dict[str, Decimal]  # payer ID -> amount


@dataclass
class CodeImportResult:
    """What an import did (or, checking only, would do)."""

    rows: int = 0
    codes_created: int = 0
    codes_updated: int = 0
    prices_set: int = 0
    schedules: list[str] = field(default_factory=list)
    checked_only: bool = False


def _decode(data: bytes) -> str:
    if len(data) > settings.MAX_UPLOAD_BYTES:
        raise ValidationFailed("The file is too large.", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            "The file is not UTF-8 text (save it from the spreadsheet as CSV UTF-8).", field="file"
        ) from None
    if not text.strip():
        raise ValidationFailed("The file is empty.", field="file")
    return text


def _parse_codes_csv(text: str) -> tuple[list[_Row], dict[str, Payer]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader)]
    errors: list[dict[str, Any]] = []

    def error(row: int, column: str, message: str) -> None:
        if len(errors) < MAX_ERRORS:
            errors.append({"row": row, "column": column, "message": f"row {row}, {message}"})

    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CodeImportInvalid(
            [
                {
                    "row": 1,
                    "column": c,
                    "message": f"row 1, column {c!r} is missing (the first row names the columns)",
                }
                for c in missing
            ]
        )
    known = {*REQUIRED_COLUMNS, STANDARD_COLUMN, MODIFIER_COLUMN}
    payers: dict[str, Payer] = {}
    for name in header:
        if name in known:
            continue
        if name.startswith(ALLOWED_PREFIX):
            payer_code = name[len(ALLOWED_PREFIX) :].strip().upper()
            payer = Payer.objects.filter(payer_id__iexact=payer_code).first()
            if payer is None:
                error(1, name, f"column {name!r}: no payer has the payer ID {payer_code!r}")
            else:
                payers[name] = payer
        else:
            error(
                1,
                name,
                f"column {name!r} is not a column FrontDesk reads (code, description, "
                "standard_charge, modifier, allowed:<payer ID>)",
            )
    if len(set(header)) != len(header):
        error(1, "", "a column is named twice")
    rows: list[_Row] = []
    seen: dict[tuple[str, str], int] = {}
    for cells in reader:
        number = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            error(number, "", f"expected {len(header)} columns, found {len(cells)}")
            continue
        value = {name: cells[i].strip() for i, name in enumerate(header)}
        code = value["code"].upper()
        kind = procedure_kind_of(code)
        if kind is None:
            error(
                number,
                "code",
                f"column 'code': {value['code']!r} is not a CPT (5 digits, or 4 digits and F/T) "
                "or HCPCS Level II code (A0000-V9999)",
            )
        description = value["description"]
        if not description:
            error(number, "description", "column 'description' is empty")
        elif len(description) > 300:
            error(number, "description", "column 'description' is longer than 300 characters")
        modifier = value.get(MODIFIER_COLUMN, "").upper()
        if modifier and not MODIFIER_RE.match(modifier):
            error(
                number, "modifier", f"column 'modifier': {modifier!r} is not two letters or digits"
            )
        standard: Decimal | None = None
        if value.get(STANDARD_COLUMN):
            standard = _amount(value[STANDARD_COLUMN], number, STANDARD_COLUMN, error)
        allowed: dict[str, Decimal] = {}
        for column, payer in payers.items():
            if value.get(column):
                amount = _amount(value[column], number, column, error)
                if amount is not None:
                    allowed[payer.payer_id] = amount
        key = (code, modifier)
        if key in seen:
            error(
                number,
                "code",
                f"column 'code': {code}{' modifier ' + modifier if modifier else ''} is already on "
                f"row {seen[key]}",
            )
        seen[key] = number
        if kind is not None:
            rows.append(_Row(number, code, kind, description, modifier, standard, allowed))
    if errors:
        raise CodeImportInvalid(errors)
    if not rows:
        raise CodeImportInvalid(
            [{"row": 2, "column": "", "message": "row 2, the file has no rows after the header"}]
        )
    return rows, {p.payer_id: p for p in payers.values()}


def _amount(text: str, row: int, column: str, error: Any) -> Decimal | None:
    try:
        amount = parse_money(text)
    except MoneyError:
        error(row, column, f"column {column!r}: {text!r} is not an amount")
        return None
    if amount < 0:
        error(row, column, f"column {column!r}: {text!r} is negative")
        return None
    return amount


def _schedule_for(*, payer: Payer | None, on: dt.date, name: str = "") -> tuple[FeeSchedule, bool]:
    """The schedule in force on ``on`` for the payer (None: standard charges), made if none is."""
    schedule = (
        FeeSchedule.objects.filter(payer=payer, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .order_by("-effective_from", "-pk")
        .first()
    )
    if schedule is not None:
        return schedule, False
    default = "Standard charges" if payer is None else f"{payer.name} allowed amounts"
    return FeeSchedule.objects.create(name=name or default, payer=payer, effective_from=on), True


def codes_import(
    *,
    actor: Any,
    data: bytes,
    file_name: str = "",
    effective_from: dt.date | None = None,
    check_only: bool = False,
) -> CodeImportResult:
    """Import the practice's CPT/HCPCS codes, standard charges and payer allowed amounts from CSV.

    The format is in docs/codes.md. Prices go into the schedules in force on ``effective_from``
    (default today): the standard charges and each ``allowed:<payer ID>`` column's payer schedule,
    made (open-ended from that date) when there is none. All or nothing; raises CodeImportInvalid.
    """
    _check(actor)
    rows, payers = _parse_codes_csv(_decode(data))
    on = effective_from or timezone.localdate()
    result = CodeImportResult(rows=len(rows), checked_only=check_only)
    existing = {p.code: p for p in ProcedureCode.objects.filter(code__in={r.code for r in rows})}
    result.codes_created = len({r.code for r in rows} - set(existing))
    result.codes_updated = len(
        {
            r.code
            for r in rows
            if r.code in existing and existing[r.code].description != r.description
        }
    )
    result.prices_set = sum((r.standard_charge is not None) + len(r.allowed) for r in rows)
    if check_only:
        return result
    with transaction.atomic():
        descriptions: dict[str, _Row] = {}
        for row in rows:
            descriptions.setdefault(row.code, row)
        for code, row in descriptions.items():
            current = existing.get(code)
            if current is None:
                ProcedureCode.objects.create(code=code, kind=row.kind, description=row.description)
            elif current.description != row.description or not current.is_active:
                current.description = row.description
                current.is_active = True
                current.save(update_fields=["description", "is_active", "updated_at"])
        targets: dict[str | None, FeeSchedule] = {}
        if any(r.standard_charge is not None for r in rows):
            targets[None], _ = _schedule_for(payer=None, on=on)
        for payer_code, payer in payers.items():
            if any(payer_code in r.allowed for r in rows):
                targets[payer_code], _ = _schedule_for(payer=payer, on=on)
        for row in rows:
            if row.standard_charge is not None:
                _entry_upsert(targets[None], row.code, row.modifier, row.standard_charge)
            for payer_code, amount in row.allowed.items():
                _entry_upsert(targets[payer_code], row.code, row.modifier, amount)
        result.schedules = [s.name for s in targets.values()]
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.CONFIGURATION,
            object_type="procedure_codes",
            detail={
                "event": "codes_imported",
                "file_sha256": hashlib.sha256(data).hexdigest(),
                "rows": result.rows,
                "codes_created": result.codes_created,
                "codes_updated": result.codes_updated,
                "prices_set": result.prices_set,
                "schedule_ids": [s.pk for s in targets.values()],
            },
        )
    return result


def _entry_upsert(schedule: FeeSchedule, code: str, modifier: str, amount: Decimal) -> None:
    FeeScheduleEntry.objects.update_or_create(
        schedule=schedule, code=code, modifier=modifier, defaults={"amount": amount}
    )


# --- HCPCS Level II from CMS's annual file -------------------------------------------------------------

HCPCS_PROCEDURE_RECORDS = ("3", "4")  # first line, continuation
HCPCS_MODIFIER_RECORDS = ("7", "8")


def hcpcs_import(*, actor: Any, data: bytes, file_name: str = "") -> CodeImportResult:
    """Import HCPCS Level II codes and descriptions from CMS's alpha-numeric file (fixed width,
    ``HCPCYYYY_JAN_ANWEB.txt``): columns 1-5 code, 11 record id (3 first line, 4 continuation of the
    long description; 7/8 modifier records, skipped), 12-91 long description. Prices are not read
    (fees come from the practice's CSV). All or nothing; re-import updates descriptions."""
    _check(actor)
    text = _decode(data)
    errors: list[dict[str, Any]] = []
    descriptions: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        code, record = line[:5].strip().upper(), line[10:11]
        if record in HCPCS_MODIFIER_RECORDS:
            continue
        if record not in HCPCS_PROCEDURE_RECORDS:
            if len(errors) < MAX_ERRORS:
                errors.append(
                    {
                        "row": number,
                        "column": "record id",
                        "message": f"line {number}, column 11 (record id): {record!r} is not 3, 4, "
                        "7 or 8: this is not CMS's HCPCS file",
                    }
                )
            continue
        if procedure_kind_of(code) != "hcpcs":
            if len(errors) < MAX_ERRORS:
                errors.append(
                    {
                        "row": number,
                        "column": "code",
                        "message": f"line {number}, columns 1-5: {code!r} is not a HCPCS Level II "
                        "code (A0000-V9999)",
                    }
                )
            continue
        descriptions.setdefault(code, []).append(line[11:91].strip())
    if errors:
        raise CodeImportInvalid(errors)
    if not descriptions:
        raise CodeImportInvalid(
            [{"row": 1, "column": "", "message": "line 1, the file holds no HCPCS codes"}]
        )
    merged = {code: " ".join(p for p in parts if p)[:300] for code, parts in descriptions.items()}
    existing = {p.code: p for p in ProcedureCode.objects.filter(code__in=merged)}
    result = CodeImportResult(rows=len(merged))
    with transaction.atomic():
        for code, description in merged.items():
            current = existing.get(code)
            if current is None:
                ProcedureCode.objects.create(code=code, kind="hcpcs", description=description)
                result.codes_created += 1
            elif current.description != description:
                current.description = description
                current.save(update_fields=["description", "updated_at"])
                result.codes_updated += 1
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.CONFIGURATION,
            object_type="procedure_codes",
            detail={
                "event": "hcpcs_imported",
                "file_sha256": hashlib.sha256(data).hexdigest(),
                "codes": result.rows,
                "codes_created": result.codes_created,
                "codes_updated": result.codes_updated,
            },
        )
    return result


# --- ICD-10-CM releases -------------------------------------------------------------------------------


def icd10_release_import(
    *,
    actor: Any,
    data: bytes,
    file_name: str,
    name: str,
    effective_from: dt.date,
    effective_to: dt.date | None,
) -> IcdRelease:
    """Record an ICD-10-CM release from a CMS order file (``icd10cm-order-YYYY.txt``).

    Importing the same name again replaces that release (CMS re-issues files with corrections).
    """
    _check(actor)
    problems = FieldErrors()
    name = name.strip()
    if not name:
        problems.add("name", "Name the release, e.g. FY2027.")
    if effective_to is not None and effective_to < effective_from:
        problems.add("effective_to", "The release must end on or after the day it starts.")
    problems.raise_if_any()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")  # CMS publishes the order files as Windows text
        except UnicodeDecodeError:
            raise ValidationFailed("The file is not a text file.", field="file") from None
    try:
        codes = icd10cm.parse_order_file(text)
    except icd10cm.OrderFileError as exc:
        raise ValidationFailed(str(exc), field="file") from None
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        release, created = IcdRelease.objects.update_or_create(
            name=name,
            defaults={
                "effective_from": effective_from,
                "effective_to": effective_to,
                "file_name": file_name[:200],
                "sha256": digest,
                "content": gzip.compress(text.encode("utf-8")),
                "code_count": len(codes),
                "billable_count": codes.billable_count,
                "imported_at": timezone.now(),
                "imported_by": actor if getattr(actor, "pk", None) else None,
            },
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            category=AuditCategory.CONFIGURATION,
            object_type="icd_release",
            object_id=release.pk,
            detail={
                "event": "icd10_release_imported",
                "name": name,
                "file_sha256": digest,
                "codes": len(codes),
                "billable": codes.billable_count,
            },
        )
    return release


# --- fee schedules ------------------------------------------------------------------------------------


def _clean_schedule(
    *, name: str, effective_from: dt.date | None, effective_to: dt.date | None
) -> str:
    problems = FieldErrors()
    name = (name or "").strip()
    if not name:
        problems.add("name", "Name the fee schedule.")
    elif len(name) > 120:
        problems.add("name", "At most 120 characters.")
    if effective_from is None:
        problems.add("effective_from", "Enter the first day the schedule applies.")
    elif effective_to is not None and effective_to < effective_from:
        problems.add("effective_to", "The schedule must end on or after the day it starts.")
    problems.raise_if_any()
    return name


def fee_schedule_create(
    *,
    actor: Any,
    name: str,
    payer: Payer | None,
    effective_from: dt.date,
    effective_to: dt.date | None = None,
    notes: str = "",
) -> FeeSchedule:
    _check(actor)
    clean = _clean_schedule(name=name, effective_from=effective_from, effective_to=effective_to)
    with transaction.atomic():
        schedule = FeeSchedule.objects.create(
            name=clean,
            payer=payer,
            effective_from=effective_from,
            effective_to=effective_to,
            notes=(notes or "").strip()[:300],
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            category=AuditCategory.CONFIGURATION,
            object_type="fee_schedule",
            object_id=schedule.pk,
            detail={"event": "fee_schedule_created", "payer_id": payer.pk if payer else None},
        )
    return schedule


def fee_schedule_update(
    *,
    actor: Any,
    schedule: FeeSchedule,
    name: str,
    effective_from: dt.date,
    effective_to: dt.date | None,
    notes: str = "",
) -> FeeSchedule:
    _check(actor)
    clean = _clean_schedule(name=name, effective_from=effective_from, effective_to=effective_to)
    with transaction.atomic():
        locked = FeeSchedule.objects.select_for_update().get(pk=schedule.pk)
        new = {
            "name": clean,
            "effective_from": effective_from,
            "effective_to": effective_to,
            "notes": (notes or "").strip()[:300],
        }
        # Field changes in the audit log belong to patients; a schedule's go in the detail (no PHI).
        changed = {
            k: [str(getattr(locked, k) or ""), str(v or "")]
            for k, v in new.items()
            if getattr(locked, k) != v
        }
        for key, value in new.items():
            setattr(locked, key, value)
        locked.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.CONFIGURATION,
            object_type="fee_schedule",
            object_id=locked.pk,
            detail={"event": "fee_schedule_updated", "changed": changed},
        )
    return locked


def fee_entry_set(
    *, actor: Any, schedule: FeeSchedule, code: str, modifier: str = "", amount: Any
) -> FeeScheduleEntry:
    """Set the price of one code (and modifier) in a schedule, adding the entry if it is new."""
    _check(actor)
    problems = FieldErrors()
    clean_code = (code or "").strip().upper()
    clean_modifier = (modifier or "").strip().upper()
    if procedure_kind_of(clean_code) is None:
        problems.add("code", f"{code!r} is not a CPT or HCPCS Level II code.")
    if clean_modifier and not MODIFIER_RE.match(clean_modifier):
        problems.add("modifier", "A modifier is two letters or digits.")
    value = Decimal("0")
    try:
        value = parse_money(amount)
        if value < 0:
            problems.add("amount", "The amount cannot be negative.")
    except MoneyError as exc:
        problems.add("amount", str(exc))
    problems.raise_if_any()
    with transaction.atomic():
        entry, created = FeeScheduleEntry.objects.select_for_update().get_or_create(
            schedule=schedule,
            code=clean_code,
            modifier=clean_modifier,
            defaults={"amount": value},
        )
        old = entry.amount
        if not created and entry.amount != value:
            entry.amount = value
            entry.save(update_fields=["amount", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            category=AuditCategory.CONFIGURATION,
            object_type="fee_schedule",
            object_id=schedule.pk,
            detail={
                "event": "fee_entry_set",
                "code": clean_code,
                "modifier": clean_modifier,
                "amount": [None if created else str(old), str(value)],
            },
        )
    return entry


def fee_entry_delete(*, actor: Any, schedule: FeeSchedule, entry_id: int) -> None:
    _check(actor)
    with transaction.atomic():
        entry = FeeScheduleEntry.objects.filter(schedule=schedule, pk=entry_id).first()
        if entry is None:
            raise Conflict("That price is no longer in the schedule.", code="fee_entry_gone")
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            category=AuditCategory.CONFIGURATION,
            object_type="fee_schedule",
            object_id=schedule.pk,
            detail={
                "event": "fee_entry_deleted",
                "code": entry.code,
                "modifier": entry.modifier,
                "amount": [str(entry.amount), None],
            },
        )
        entry.delete()


# --- demo ---------------------------------------------------------------------------------------------

# Synthetic codes and prices for the demo practice. The descriptions are FrontDesk's own words, not
# AMA CPT text (a real practice imports its licensed descriptions).
DEMO_PROCEDURES: tuple[tuple[str, str, str], ...] = (
    ("99202", "Office visit, new patient, straightforward", "110.00"),
    ("99203", "Office visit, new patient, low complexity", "165.00"),
    ("99204", "Office visit, new patient, moderate complexity", "250.00"),
    ("99212", "Office visit, established patient, straightforward", "75.00"),
    ("99213", "Office visit, established patient, low complexity", "120.00"),
    ("99214", "Office visit, established patient, moderate complexity", "175.00"),
    ("99215", "Office visit, established patient, high complexity", "240.00"),
    ("99395", "Preventive visit, established patient, 18 to 39 years", "210.00"),
    ("99396", "Preventive visit, established patient, 40 to 64 years", "225.00"),
    ("36415", "Venous blood draw", "15.00"),
    ("81002", "Urine dipstick, non-automated, without microscopy", "12.00"),
    ("87880", "Rapid strep test", "35.00"),
    ("90471", "Vaccine administration, first injection", "30.00"),
    ("93000", "Electrocardiogram with interpretation and report", "60.00"),
    ("G0439", "Annual wellness visit, subsequent", "190.00"),
    ("J1885", "Injection, ketorolac, per 15 mg", "18.00"),
)


def demo_seed(*, payers: list[Payer] | None = None, on: dt.date | None = None) -> list[FeeSchedule]:
    """Load the demo's procedure codes, standard charges and one allowed-amount schedule per payer
    (allowed = 60-80 % of the standard charge, per payer). Idempotent: run twice, changes nothing."""
    start = (on or timezone.localdate()).replace(month=1, day=1)
    schedules: list[FeeSchedule] = []
    with transaction.atomic():
        for code, description, _ in DEMO_PROCEDURES:
            ProcedureCode.objects.update_or_create(
                code=code,
                defaults={"kind": procedure_kind_of(code) or "cpt", "description": description},
            )
        standard, _ = FeeSchedule.objects.get_or_create(
            payer=None, name="Standard charges", defaults={"effective_from": start}
        )
        schedules.append(standard)
        for code, _, price in DEMO_PROCEDURES:
            _entry_upsert(standard, code, "", Decimal(price))
        for index, payer in enumerate(payers if payers is not None else Payer.objects.all()):
            schedule, _ = FeeSchedule.objects.get_or_create(
                payer=payer,
                name=f"{payer.name} allowed amounts",
                defaults={"effective_from": start},
            )
            share = Decimal(60 + (index * 7) % 21) / 100
            for code, _, price in DEMO_PROCEDURES:
                _entry_upsert(
                    schedule, code, "", (Decimal(price) * share).quantize(Decimal("0.01"))
                )
            schedules.append(schedule)
    return schedules
