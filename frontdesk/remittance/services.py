"""Posting 835 remittances, and working the denial worklist.

``era_import`` reads the whole file first (the codec checks the envelopes and that every payment
balances), matches every claim and line, and checks everything it will need (charges to post
against, open business days) before it writes anything; then it writes the remittance, its claims,
lines, adjustments and the ledger entries in one transaction, so a failure anywhere leaves nothing.
The same payment (payer identifier + TRN02 trace number) posts once: a second import answers with
the first one ("already posted on ... by ..."), and the unique constraint settles two imports racing.

Ledger entries are written in bulk (a 10,000-claim 835 posts in seconds) under the same rules the
ledger's own services keep: the account rows and the location-days are locked, a closed day refuses
the posting, signs follow the entry kind, allocations never exceed what is open on the charge, and
corrections are reversal entries pointing at the original. One audit row records the import (with
the claim and patient counts); every entry is traceable from the remittance detail screen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.accounts.models import User
from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import FieldErrors, NotFound, PermissionDenied, ValidationFailed
from frontdesk.ledger.choices import AdjustmentCode, Bucket, EntryKind, PaymentSource, TransferCode
from frontdesk.ledger.errors import DayClosed
from frontdesk.ledger.models import Account, Allocation, LedgerDay, LedgerEntry
from frontdesk.ledger.services import (
    adjustment_post,
    business_date,
    clean_note,
    ledger_day_open_for_posting,
    transfer_post,
)
from frontdesk.practice.models import Location, Payer
from frontdesk.remittance import codes
from frontdesk.remittance.bulk import insert_rows
from frontdesk.remittance.choices import (
    OPEN_DENIAL_STATUSES,
    AdjustmentLevel,
    ClaimMatch,
    DenialStatus,
    LineMatch,
    PostingRole,
    RemittanceStatus,
    Treatment,
)
from frontdesk.remittance.errors import DenialClosed, RemittanceFileInvalid, UnknownClaims
from frontdesk.remittance.models import (
    ClaimRemittance,
    Denial,
    DenialNote,
    ProviderLevelAdjustment,
    Remittance,
    RemittanceAdjustment,
    RemittancePosting,
    RemittanceRemark,
    ServiceRemittance,
)
from frontdesk.remittance.plan import (
    REVERSAL_STATUS,
    ZERO,
    ClaimPlan,
    LinePlan,
    LineRef,
    claim_outcome,
    match_lines,
    plan_claim,
)

logger = logging.getLogger(__name__)

SYSTEM_USERNAME = "remittance-system"
MAX_ERA_BYTES = 64 * 1024 * 1024
MSG_EMPTY = "The file is empty."
MSG_TOO_BIG = "The file is too large for one 835 import."
BATCH = 500
# Ids per lookup query while loading the charges (each query has a fixed cost: fewer, larger ones).
LOOKUP_BATCH = 2_000


def _require(actor: Any, action: str) -> None:
    if actor is None or not actor.can(action):
        raise PermissionDenied()


def remittance_system_user() -> User:
    """The service identity inbound clearinghouse files and the command line post as (no login)."""
    user, _ = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={
            "role": Role.PRACTICE_MANAGER,
            "is_service_account": True,
            "first_name": "Remittance",
            "last_name": "(system)",
        },
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


# --- billing adapters (billing owns these models; only these functions know their shape) ---------


def _billing_models() -> tuple[Any, Any]:
    from frontdesk.billing.models import Claim, ClaimLine

    return Claim, ClaimLine


def _line_modifiers(line: Any) -> tuple[str, ...]:
    value = line.modifiers
    if isinstance(value, str):
        value = value.replace(",", " ").replace(":", " ").split()
    return tuple(str(m).strip().upper() for m in (value or ()) if str(m).strip())


def _line_charge_id(line: Any) -> int | None:
    for name in ("charge_entry_id", "ledger_entry_id", "charge_id"):
        if hasattr(line, name):
            return getattr(line, name)  # type: ignore[no-any-return]
    return None


def _status_set(*, actor: Any, updates: list[tuple[Any, str, str]], at: dt.datetime) -> None:
    """Move each claim to its adjudicated status with its history event (source 835), in bulk:
    billing's ``claim_status_set_many`` (one lock query per chunk, one event per claim, one audit
    row for the count; a per-claim ``claim_status_set`` would audit 10,000 rows)."""
    from frontdesk.billing import services as billing

    billing.claim_status_set_many(actor=actor, updates=updates, source="835", at=at)


def _secondary_create(*, actor: Any, claim: Any, payment: Any, era: Any) -> str:
    """Ask billing for the secondary claim (COB) with the primary's adjudication; a message when
    it cannot be made here."""
    from frontdesk.billing import services as billing

    create = getattr(billing, "claim_secondary_create", None)
    if create is None:
        return f"Claim {claim.claim_id}: the patient has a secondary coverage; bill it by hand."

    def adjustments(items: Iterable[Any]) -> list[dict[str, str]]:
        return [{"group": a.group, "reason": a.reason, "amount": str(a.amount)} for a in items]

    adjudication = {
        "payer_id": era.payer_id,
        "paid": str(payment.paid),
        "adjudicated_on": era.payment_date.isoformat(),
        "adjustments": adjustments(payment.adjustments),
        "lines": [
            {
                "line_control_number": svc.line_control_number,
                "procedure_code": svc.procedure_code,
                "modifiers": list(svc.modifiers),
                "units": str(svc.units if svc.units is not None else 1),
                "paid": str(svc.paid),
                "adjustments": adjustments(svc.adjustments),
            }
            for svc in payment.service_lines
        ],
    }
    create(actor=actor, primary_claim=claim, adjudication=adjudication)
    return ""


# --- the import --------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import did: the remittances it posted, the ones already posted, and every message."""

    posted: list[Remittance] = field(default_factory=list)
    already_posted: list[Remittance] = field(default_factory=list)
    claims_posted: int = 0
    claims_denied: int = 0
    claims_reversed: int = 0
    unmatched: list[str] = field(default_factory=list)  # CLP01s kept unmatched
    messages: list[str] = field(default_factory=list)
    sha256: str = ""

    @property
    def created(self) -> bool:
        return bool(self.posted)

    @property
    def remittances(self) -> list[Remittance]:
        return [*self.posted, *self.already_posted]


def already_posted_message(remittance: Remittance) -> str:
    by = remittance.imported_by
    name = getattr(by, "display_name", "") or by.get_username()
    return (
        f"The payment with trace number {remittance.trace_number} from "
        f"{remittance.payer_name or remittance.payer_identifier} was already posted on "
        f"{timezone.localtime(remittance.imported_at):%Y-%m-%d} by {name}; nothing was posted again."
    )


def _read(data: bytes) -> list[Any]:
    from frontdesk.standards.x12.errors import X12ParseError
    from frontdesk.standards.x12.remittance import read_835

    if not data or not data.strip():
        raise RemittanceFileInvalid(MSG_EMPTY)
    if len(data) > MAX_ERA_BYTES:
        raise RemittanceFileInvalid(MSG_TOO_BIG)
    try:
        return list(read_835(data))
    except X12ParseError as exc:
        raise RemittanceFileInvalid(
            f"This 835 cannot be read: {exc}. Nothing was posted."
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:  # a codec bug must not half-post either
        raise RemittanceFileInvalid(
            f"This 835 cannot be read: {exc}. Nothing was posted."
        ) from None


class _ClaimFacts:
    """What matching, planning and the status move need of a claim (a row, not a model instance:
    a 10,000-claim 835 loads ten thousand). ``status`` follows the claim through the import."""

    FIELDS = ("pk", "claim_id", "patient_id", "location_id", "status", "coverage__priority")
    __slots__ = ("claim_id", "coverage_priority", "location_id", "patient_id", "pk", "status")

    def __init__(
        self,
        pk: int,
        claim_id: str,
        patient_id: int,
        location_id: int,
        status: str,
        coverage_priority: int | None,
    ) -> None:
        self.pk, self.claim_id, self.patient_id = pk, claim_id, patient_id
        self.location_id, self.status = location_id, status
        self.coverage_priority = coverage_priority

    @property
    def is_primary(self) -> bool:
        return self.coverage_priority is None or self.coverage_priority == 1

    def get_status_display(self) -> str:
        from frontdesk.billing.choices import ClaimStatus

        return str(ClaimStatus(self.status).label)


class _LineFacts(NamedTuple):
    """What matching and posting need of a claim line."""

    pk: int
    claim_id: int
    line_number: int
    line_control_number: str
    procedure_code: str
    modifiers: Any
    service_date: dt.date
    charge: Decimal
    ledger_entry_id: int | None


@dataclass
class _ClaimWork:
    """One CLP loop being prepared: its match and plan (no database writes yet)."""

    payment: Any
    claim: Any = None
    lines: list[Any] = field(default_factory=list)
    matches: list[Any] = field(default_factory=list)
    plan: ClaimPlan | None = None
    reverses: ClaimRemittance | None = None
    has_secondary: bool = False
    message: str = ""

    @property
    def match(self) -> str:
        if self.claim is None:
            return ClaimMatch.UNMATCHED
        if self.payment.status == REVERSAL_STATUS:
            return ClaimMatch.REVERSED if self.reverses is not None else ClaimMatch.UNMATCHED
        return (
            ClaimMatch.DENIED if self.plan is not None and self.plan.denied else ClaimMatch.POSTED
        )


def era_import(
    *, actor: Any, data: bytes, filename: str = "", exchange: Any = None
) -> ImportResult:
    """Read an 835 file and post each payment in it once (module docstring)."""
    _require(actor, A.REMITTANCE_POST)
    transactions = _read(data)
    digest = hashlib.sha256(data).hexdigest()
    result = ImportResult(sha256=digest)
    fresh = []
    for era in transactions:
        existing = (
            Remittance.objects.select_related("imported_by")
            .filter(payer_identifier=era.payer_id, trace_number=era.trace_number)
            .first()
        )
        if existing is not None:
            result.already_posted.append(existing)
            result.messages.append(already_posted_message(existing))
        else:
            fresh.append(era)
    if not fresh:
        return result
    works = _prepare(actor, fresh)
    try:
        with transaction.atomic():
            for era, claim_works in zip(fresh, works, strict=True):
                remittance = _write(actor, era, claim_works, digest, filename, exchange, result)
                result.posted.append(remittance)
    except IntegrityError:
        # The same payment posted concurrently (the unique constraint): report it as posted once.
        result.posted.clear()
        for era in fresh:
            existing = (
                Remittance.objects.select_related("imported_by")
                .filter(payer_identifier=era.payer_id, trace_number=era.trace_number)
                .first()
            )
            if existing is None:
                raise
            result.already_posted.append(existing)
            result.messages.append(already_posted_message(existing))
    return result


def _prepare(actor: Any, eras: Sequence[Any]) -> list[list[_ClaimWork]]:
    """Match every claim and line and plan the money; raise before anything is written."""
    Claim, ClaimLine = _billing_models()
    ids = {c.patient_control_number for era in eras for c in era.claims}
    # Only what matching, planning and the status move need (a 10,000-claim file loads fast).
    claims = {
        row[1]: _ClaimFacts(*row)
        for row in Claim.objects.filter(claim_id__in=ids).values_list(*_ClaimFacts.FIELDS)
    }
    if not claims:
        raise UnknownClaims(sorted(ids))
    lines_by_claim: dict[int, list[_LineFacts]] = defaultdict(list)
    claim_pks = [c.pk for c in claims.values()]
    for start in range(0, len(claim_pks), LOOKUP_BATCH):
        lines = ClaimLine.objects.filter(claim_id__in=claim_pks[start : start + LOOKUP_BATCH])
        for row in lines.order_by("claim_id", "line_number", "pk").values_list(*_LineFacts._fields):
            lines_by_claim[row[1]].append(_LineFacts(*row))
    secondary = _patients_with_secondary({c.patient_id for c in claims.values()})
    errors = FieldErrors()
    works: list[list[_ClaimWork]] = []
    charge_ids: set[int] = set()
    for era in eras:
        claim_works: list[_ClaimWork] = []
        for payment in era.claims:
            work = _ClaimWork(payment=payment, claim=claims.get(payment.patient_control_number))
            if work.claim is None:
                work.message = (
                    f"Claim {payment.patient_control_number} is not a FrontDesk claim; kept "
                    "unmatched, not posted."
                )
                claim_works.append(work)
                continue
            work.lines = lines_by_claim.get(work.claim.pk, [])
            work.has_secondary = work.claim.patient_id in secondary and _is_primary(work.claim)
            if payment.status == REVERSAL_STATUS:
                claim_works.append(work)
                continue
            refs = [_line_ref(line) for line in work.lines]
            work.matches = match_lines(payment.service_lines, refs)
            work.plan = plan_claim(payment, work.matches, refs, has_secondary=work.has_secondary)
            by_id = {line.pk: line for line in work.lines}
            for line_plan in work.plan.lines:
                charge_id = _line_charge_id(by_id[line_plan.line_id])
                if charge_id is None and _posts_money(line_plan):
                    errors.add(
                        "file",
                        f"Claim {payment.patient_control_number} line "
                        f"{by_id[line_plan.line_id].line_number} has no charge on the ledger to "
                        "post against.",
                    )
                elif charge_id is not None:
                    charge_ids.add(charge_id)
            claim_works.append(work)
        works.append(claim_works)
    _attach_reversals([w for ws in works for w in ws if w.payment.status == REVERSAL_STATUS])
    _check_transitions(works, errors)
    errors.raise_if_any()
    _check_scope_and_days(actor, charge_ids)
    return works


def _check_transitions(works: list[list[_ClaimWork]], errors: FieldErrors) -> None:
    """Every claim the import will move must be allowed to (a void claim, one never sent: no)."""
    from frontdesk.billing.choices import TRANSITIONS

    for work in (w for ws in works for w in ws):
        if work.plan is None or work.claim is None:
            continue
        wanted = claim_outcome(work.payment, work.plan)
        if wanted not in TRANSITIONS[work.claim.status]:
            errors.add(
                "file",
                f"Claim {work.claim.claim_id} is {work.claim.get_status_display().lower()}: an "
                f"835 cannot make it {wanted.replace('_', ' ')}.",
            )


def _line_ref(line: Any) -> LineRef:
    return LineRef(
        id=line.pk,
        line_control_number=line.line_control_number or "",
        procedure_code=line.procedure_code,
        modifiers=_line_modifiers(line),
        service_date=line.service_date,
        charge=line.charge,
    )


def _posts_money(plan: LinePlan) -> bool:
    return bool(plan.paid or plan.written_off or plan.to_patient)


def _is_primary(claim: _ClaimFacts) -> bool:
    return claim.is_primary


def _patients_with_secondary(patient_ids: set[int]) -> set[int]:
    from frontdesk.patients.choices import CoverageStatus
    from frontdesk.patients.models import Coverage

    found: set[int] = set()
    ids = list(patient_ids)
    for start in range(0, len(ids), BATCH):
        found.update(
            Coverage.objects.filter(
                patient_id__in=ids[start : start + BATCH],
                priority__gte=2,
                status=CoverageStatus.ACTIVE,
            ).values_list("patient_id", flat=True)
        )
    return found


def _attach_reversals(works: list[_ClaimWork]) -> None:
    """A CLP02 = 22 takes back the latest posting of the same claim that is not yet reversed."""
    for work in works:
        if work.claim is None:
            continue
        work.reverses = (
            ClaimRemittance.objects.filter(
                claim_id=work.claim.pk,
                match__in=[ClaimMatch.POSTED, ClaimMatch.DENIED],
                reversed_by__isnull=True,
            )
            .order_by("-pk")
            .first()
        )
        if work.reverses is None:
            work.message = (
                f"Claim {work.payment.patient_control_number}: the payer reverses a payment "
                "FrontDesk never posted; nothing reversed."
            )


def _check_scope_and_days(actor: Any, charge_ids: set[int]) -> None:
    """The actor must reach every location posted to, and each location's business day be open."""
    location_ids: set[int] = set()
    ids = list(charge_ids)
    for start in range(0, len(ids), LOOKUP_BATCH):
        location_ids.update(
            LedgerEntry.objects.filter(pk__in=ids[start : start + LOOKUP_BATCH])
            .values_list("location_id", flat=True)
            .distinct()
        )
    reachable = set(
        Location.objects.restrict(actor, A.REMITTANCE_POST)
        .filter(pk__in=location_ids)
        .values_list("pk", flat=True)
    )
    if reachable != location_ids:
        raise NotFound("Some claims in this 835 belong to locations outside your access.")
    now = timezone.now()
    for location in Location.objects.filter(pk__in=location_ids):
        if LedgerDay.objects.filter(
            location=location, date=business_date(location, now), state="closed"
        ).exists():
            raise DayClosed()


# --- writing ---------------------------------------------------------------------------------------


class _Charge(NamedTuple):
    """The facts of a charge entry that posting against it needs (a row, not a model instance:
    a 10,000-claim 835 loads twenty thousand of them)."""

    pk: int
    account_id: int
    patient_id: int
    location_id: int
    currency: str
    service_date: dt.date | None
    appointment_id: int | None
    bucket: str
    amount: Decimal


class _Ledger:
    """Collects the entries of one import and writes them in bulk under the ledger's locks."""

    def __init__(self, actor: Any, now: dt.datetime, memo: str) -> None:
        self.actor, self.now, self.memo = actor, now, memo
        self.actor_id, self.entry_memo = actor.pk, memo[:200]
        self.entries: list[list[Any]] = []
        self.debits: list[tuple[list[Any], int]] = []  # transfer debit, index of its credit
        self.allocations: list[tuple[int, _Charge, Decimal]] = []  # entry index, charge, amount
        # (entry index, ClaimRemittance pk, ServiceRemittance pk or None, role): ids, not
        # instances, as there are tens of thousands of them.
        self.postings: list[tuple[int, int, int | None, str]] = []
        self.debit_postings: list[tuple[int, int, int | None]] = []
        self.open: dict[int, Decimal] = {}
        self.reversals: list[tuple[list[Any], _Saved]] = []

    def load_charges(self, charge_ids: Iterable[int]) -> dict[int, _Charge]:
        ids = list(charge_ids)
        charges: dict[int, _Charge] = {}
        for start in range(0, len(ids), LOOKUP_BATCH):
            chunk = ids[start : start + LOOKUP_BATCH]
            charges.update(
                (row[0], _Charge(*row))
                for row in LedgerEntry.objects.filter(pk__in=chunk).values_list(*_Charge._fields)
            )
            self.open.update((pk, charges[pk].amount) for pk in chunk if pk in charges)
            used = Allocation.objects.filter(
                debit_id__in=chunk, credit__reversal__isnull=True, debit__reversal__isnull=True
            ).values_list("debit_id", "amount")
            for debit_id, amount in used:
                self.open[debit_id] -= amount
            reversed_ids = LedgerEntry.objects.filter(reverses_id__in=chunk).values_list(
                "reverses_id", flat=True
            )
            for pk in reversed_ids:
                self.open[pk] = ZERO
        accounts = sorted({e.account_id for e in charges.values()})
        for start in range(0, len(accounts), BATCH):  # lock, in a stable order
            list(
                Account.objects.select_for_update()
                .filter(pk__in=accounts[start : start + BATCH])
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        days: dict[int, dt.date] = {}
        locations = Location.objects.filter(pk__in={c.location_id for c in charges.values()})
        for location in locations.order_by("pk"):
            days[location.pk] = business_date(location, self.now)
            ledger_day_open_for_posting(location, days[location.pk])
        self.days = days
        return charges

    def _entry(
        self,
        charge: _Charge,
        *,
        kind: str,
        code: str,
        bucket: str,
        amount: Decimal,
        description: str = "",
        reason: str = "",
    ) -> list[Any]:
        """One entry's values in ``ENTRY_FIELDS`` order (see ``bulk.insert_rows``)."""
        return [
            charge.account_id,
            charge.patient_id,
            charge.location_id,
            kind,
            code,
            bucket,
            amount,
            charge.currency,
            self.days[charge.location_id],
            self.now,
            self.actor_id,
            charge.service_date,
            charge.appointment_id,
            description[:200],
            reason[:200],
            self.entry_memo,
            None,  # reverses
            None,  # transfer_of
        ]

    def credit(
        self,
        charge: _Charge,
        claim: int,
        service: int | None,
        role: str,
        amount: Decimal,
        **values: Any,
    ) -> int:
        """A credit (negative) entry applied to the charge up to what is open on it."""
        entry = self._entry(charge, amount=-amount, bucket=charge.bucket, **values)
        self.entries.append(entry)
        index = len(self.entries) - 1
        self.postings.append((index, claim, service, role))
        take = min(amount, max(self.open.get(charge.pk, ZERO), ZERO))
        if take > 0:
            self.allocations.append((index, charge, take))
            self.open[charge.pk] -= take
        return index

    def debit(self, charge: _Charge, amount: Decimal, **values: Any) -> list[Any]:
        return self._entry(charge, amount=amount, **values)

    def flush(self) -> None:
        ids = insert_rows(LedgerEntry, ENTRY_FIELDS, self.entries)
        debits = []
        for entry, credit_index in self.debits:
            entry[-1] = ids[credit_index]  # transfer_of: the credit half
            debits.append(entry)
        debit_ids = insert_rows(LedgerEntry, ENTRY_FIELDS, debits)
        actor_id = self.actor.pk
        insert_rows(
            Allocation,
            ("credit_id", "debit_id", "amount", "created_at", "created_by_id"),
            [
                (ids[index], charge.pk, amount, self.now, actor_id)
                for index, charge, amount in self.allocations
            ],
            returning=False,
        )
        rows = [(claim, service, ids[index], role) for index, claim, service, role in self.postings]
        transfer = str(PostingRole.TRANSFER)
        rows += [
            (claim, service, debit_ids[index], transfer)
            for index, claim, service in self.debit_postings
        ]
        insert_rows(RemittancePosting, POSTING_FIELDS, rows, returning=False)


ENTRY_FIELDS = (
    "account_id",
    "patient_id",
    "location_id",
    "kind",
    "code",
    "bucket",
    "amount",
    "currency",
    "posting_date",
    "posted_at",
    "posted_by_id",
    "service_date",
    "appointment_id",
    "description",
    "reason",
    "memo",
    "reverses_id",
    "transfer_of_id",
)
POSTING_FIELDS = ("claim_remittance_id", "service_id", "entry_id", "role")


def _write(
    actor: Any,
    era: Any,
    works: list[_ClaimWork],
    digest: str,
    filename: str,
    exchange: Any,
    result: ImportResult,
) -> Remittance:
    now = timezone.now()
    unmatched = [w for w in works if w.match == ClaimMatch.UNMATCHED]
    remittance = Remittance.objects.create(
        payer=Payer.objects.filter(payer_id=era.payer_id).first(),
        payer_name=era.payer_name[:120],
        payer_identifier=era.payer_id[:80],
        trace_number=era.trace_number[:80],
        trace_originator=(era.trace_originator or "")[:20],
        control_number=(era.control_number or "")[:9],
        payment_method=(era.payment_method or "")[:3],
        credit_debit=(era.credit_debit or "")[:1],
        total_paid=era.total_paid,
        payment_date=era.payment_date,
        payee_name=(era.payee_name or "")[:120],
        payee_npi=(era.payee_npi or "")[:10],
        file_name=(filename or "remittance.835")[:200],
        file_sha256=digest,
        exchange_pk=getattr(exchange, "pk", None),
        status=RemittanceStatus.PARTIAL if unmatched else RemittanceStatus.POSTED,
        imported_at=now,
        imported_by=actor,
        claim_count=len(works),
        unmatched_count=len(unmatched),
    )
    ProviderLevelAdjustment.objects.bulk_create(
        [
            ProviderLevelAdjustment(
                remittance=remittance,
                provider_identifier=plb.provider_id[:50],
                fiscal_period_end=plb.fiscal_period_end,
                reason=plb.reason[:2],
                reference=(plb.reference or "")[:50],
                amount=plb.amount,
                meaning=codes.plb_meaning(plb.reason)[:200],
            )
            for plb in era.provider_adjustments
        ]
    )
    # The CLP rows (reversals first, so a reversal and its corrected payment in one file work).
    ordered = sorted(works, key=lambda w: w.payment.status != REVERSAL_STATUS)
    claim_ids = insert_rows(
        ClaimRemittance,
        CLAIM_ROW_FIELDS,
        [
            (
                remittance.pk,
                w.claim.pk if w.match != ClaimMatch.UNMATCHED else None,
                w.payment.patient_control_number[:38],
                w.payment.status[:2],
                codes.claim_status(w.payment.status)[:120],
                w.payment.total_charge,
                w.payment.paid,
                w.payment.patient_responsibility,
                (w.payment.filing_indicator or "")[:2],
                (w.payment.payer_claim_number or "")[:50],
                (w.payment.frequency_code or "")[:1],
                w.match,
                (
                    w.reverses.pk
                    if w.match == ClaimMatch.REVERSED and w.reverses is not None
                    else None
                ),
                w.message[:300],
            )
            for w in ordered
        ],
    )
    claim_rows = [_Saved(pk, w.match) for pk, w in zip(claim_ids, ordered, strict=True)]
    # The SVC rows.
    service_values: list[tuple[Any, ...]] = []
    service_keys: list[tuple[int, int, Any]] = []
    for work, row in zip(ordered, claim_rows, strict=True):
        matched = {m.service_index: m for m in work.matches}
        for index, svc in enumerate(work.payment.service_lines):
            match = matched.get(index)
            service_values.append(
                (
                    row.pk,
                    match.line_id if match is not None else None,
                    svc.procedure_code[:48],
                    " ".join(svc.modifiers)[:20],
                    (svc.submitted_procedure_code or "")[:48],
                    svc.charge,
                    svc.paid,
                    svc.allowed,
                    svc.units,
                    svc.service_date,
                    (svc.line_control_number or "")[:50],
                    match.how if match is not None else LineMatch.UNMATCHED,
                )
            )
            service_keys.append((row.pk, index, svc))
    service_ids = insert_rows(ServiceRemittance, SERVICE_ROW_FIELDS, service_values)
    service_of: dict[tuple[int, int], _SavedService] = {
        (row_pk, index): _SavedService(pk, svc.procedure_code[:48], svc.paid)
        for pk, (row_pk, index, svc) in zip(service_ids, service_keys, strict=True)
    }
    # Adjustments and remarks.
    adjustment_rows: list[tuple[Any, ...]] = []
    remark_rows: list[RemittanceRemark] = []
    for work, row in zip(ordered, claim_rows, strict=True):
        planned = work.plan.adjustments if work.plan is not None else None
        if planned is None:  # reversals and unmatched claims: record the CAS as sent
            treatment = Treatment.NOT_POSTED
            for adj in work.payment.adjustments:
                adjustment_rows.append(
                    _adjustment(row, None, adj, treatment, AdjustmentLevel.CLAIM)
                )
            for index, svc in enumerate(work.payment.service_lines):
                for adj in svc.adjustments:
                    adjustment_rows.append(
                        _adjustment(
                            row, service_of[(row.pk, index)], adj, treatment, AdjustmentLevel.LINE
                        )
                    )
        else:
            for plan in planned:
                service = (
                    service_of[(row.pk, plan.service_index)]
                    if plan.service_index is not None
                    else None
                )
                adjustment_rows.append(
                    _adjustment(
                        row,
                        service,
                        plan,
                        plan.treatment,
                        AdjustmentLevel.LINE if service is not None else AdjustmentLevel.CLAIM,
                    )
                )
        for code in work.payment.remarks:
            remark_rows.append(
                RemittanceRemark(
                    claim_remittance_id=row.pk, code=code[:10], meaning=codes.rarc(code)
                )
            )
        for index, svc in enumerate(work.payment.service_lines):
            for code in svc.remarks:
                remark_rows.append(
                    RemittanceRemark(
                        claim_remittance_id=row.pk,
                        service_id=service_of[(row.pk, index)].pk,
                        code=code[:10],
                        meaning=codes.rarc(code),
                    )
                )
    insert_rows(RemittanceAdjustment, ADJUSTMENT_FIELDS, adjustment_rows, returning=False)
    RemittanceRemark.objects.bulk_create(remark_rows, batch_size=BATCH)
    # The money.
    _post_money(actor, era, remittance, ordered, claim_rows, service_of, now, result)
    for work in unmatched:
        result.unmatched.append(work.payment.patient_control_number)
        result.messages.append(work.message)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        category=AuditCategory.FINANCIAL,
        object_type="remittance",
        object_id=remittance.pk,
        detail={
            "event": "era_posted",
            "payer": remittance.payer_identifier,
            "trace": remittance.trace_number,
            "sha256": digest,
            "claims": len(works),
            "unmatched": len(unmatched),
            "patients": len({w.claim.patient_id for w in works if w.claim is not None}),
            "provider_adjustments": len(era.provider_adjustments),
        },
    )
    return remittance


class _Saved(NamedTuple):
    """A CLP row written in bulk: its id and how it matched."""

    pk: int
    match: str


class _SavedService(NamedTuple):
    """An SVC row written in bulk: its id and what a denial quotes of it."""

    pk: int
    procedure_code: str
    paid: Decimal


CLAIM_ROW_FIELDS = (
    "remittance_id",
    "claim_id",
    "patient_control_number",
    "status_code",
    "status_meaning",
    "total_charge",
    "paid",
    "patient_responsibility",
    "filing_indicator",
    "payer_claim_number",
    "frequency_code",
    "match",
    "reverses_id",
    "message",
)
SERVICE_ROW_FIELDS = (
    "claim_remittance_id",
    "claim_line_id",
    "procedure_code",
    "modifiers",
    "submitted_procedure_code",
    "charge",
    "paid",
    "allowed",
    "units",
    "service_date",
    "line_control_number",
    "matched_by",
)
ADJUSTMENT_FIELDS = (
    "claim_remittance_id",
    "service_id",
    "level",
    "group",
    "reason",
    "amount",
    "quantity",
    "meaning",
    "treatment",
)


def _adjustment(
    row: _Saved,
    service: _SavedService | None,
    adj: Any,
    treatment: str,
    level: str,
) -> tuple[Any, ...]:
    """A ``RemittanceAdjustment`` row's values in ``ADJUSTMENT_FIELDS`` order."""
    return (
        row.pk,
        service.pk if service is not None else None,
        level,
        adj.group[:2],
        adj.reason[:5],
        adj.amount,
        adj.quantity,
        codes.adjustment(adj.group, adj.reason)[:300],
        treatment,
    )


def _post_money(
    actor: Any,
    era: Any,
    remittance: Remittance,
    works: list[_ClaimWork],
    claim_rows: list[_Saved],
    service_of: dict[tuple[int, int], _SavedService],
    now: dt.datetime,
    result: ImportResult,
) -> None:
    ledger = _Ledger(actor, now, f"835 {era.payer_id} trace {era.trace_number}")
    line_by_id = {line.pk: line for w in works for line in w.lines}
    charge_ids = {
        cid
        for w in works
        if w.plan is not None
        for p in w.plan.lines
        if (cid := _line_charge_id(line_by_id[p.line_id])) is not None
    }
    reversed_rows = [w.reverses for w in works if w.match == ClaimMatch.REVERSED]
    owner_of = dict(
        RemittancePosting.objects.filter(
            claim_remittance__in=[r.pk for r in reversed_rows if r is not None]
        ).values_list("entry_id", "claim_remittance_id")
    )
    reversal_entries = list(
        LedgerEntry.objects.filter(
            pk__in=RemittancePosting.objects.filter(
                claim_remittance__in=[r.pk for r in reversed_rows if r is not None]
            ).values("entry_id"),
            reversal__isnull=True,
        ).select_related("location")
    )
    charges = ledger.load_charges(charge_ids)
    for entry in reversal_entries:  # their days must be open too (today at their location)
        if entry.location_id not in ledger.days:
            ledger.days[entry.location_id] = business_date(entry.location, now)
            ledger_day_open_for_posting(entry.location, ledger.days[entry.location_id])
    denials: list[Denial] = []
    status_updates: list[tuple[Any, str, str]] = []
    secondary: list[tuple[Any, Any]] = []
    reversal_by_row = {
        r.pk: row
        for row, r in ((row, w.reverses) for w, row in zip(works, claim_rows, strict=True))
        if r is not None and row.match == ClaimMatch.REVERSED
    }
    for work, row in zip(works, claim_rows, strict=True):
        if work.match == ClaimMatch.UNMATCHED:
            continue
        if work.match == ClaimMatch.REVERSED:
            result.claims_reversed += 1
            continue
        assert work.plan is not None
        for plan in work.plan.lines:
            line = line_by_id[plan.line_id]
            charge_id = _line_charge_id(line)
            service = (
                service_of[(row.pk, plan.service_index)] if plan.service_index is not None else None
            )
            if charge_id is not None and charge_id in charges:
                _post_line(
                    ledger,
                    charges[charge_id],
                    row.pk,
                    service.pk if service is not None else None,
                    plan,
                    era,
                )
            if plan.denied > 0:
                denials.append(_denial(work, row, line, service, plan.denied, plan.denial_codes))
        if work.plan.denied and not any(p.denied for p in work.plan.lines):
            amount = work.payment.total_charge - work.payment.paid
            amount -= sum(p.to_patient for p in work.plan.lines)
            if amount > 0:
                denials.append(_denial(work, row, None, None, amount, []))
        outcome = claim_outcome(work.payment, work.plan)
        if outcome == "denied":
            result.claims_denied += 1
        else:
            result.claims_posted += 1
        status_updates.append((work.claim, outcome, codes.claim_status(work.payment.status)))
        if work.has_secondary and outcome != "denied":
            secondary.append((work.claim, work.payment))
        result.messages.extend(work.plan.warnings)
    # Reversals: each live entry of the reversed posting gets its reversal entry.
    for entry in reversal_entries:
        row = reversal_by_row[owner_of[entry.pk]]
        reversal = [
            entry.account_id,
            entry.patient_id,
            entry.location_id,
            entry.kind,
            entry.code,
            entry.bucket,
            -entry.amount,
            entry.currency,
            ledger.days[entry.location_id],
            now,
            actor.pk,
            entry.service_date,
            entry.appointment_id,
            f"Reversal of {entry.description or entry.kind}"[:200],
            f"Payer reversal (835 trace {era.trace_number})"[:200],
            ledger.memo[:200],
            entry.pk,  # reverses
            None,
        ]
        ledger.reversals.append((reversal, row))
    _lock_accounts({e.account_id for e in reversal_entries})
    ledger.flush()
    if ledger.reversals:
        ids = insert_rows(LedgerEntry, ENTRY_FIELDS, [r for r, _ in ledger.reversals])
        insert_rows(
            RemittancePosting,
            POSTING_FIELDS,
            [
                (row.pk, None, pk, PostingRole.REVERSAL)
                for pk, (_, row) in zip(ids, ledger.reversals, strict=True)
            ],
            returning=False,
        )
    Denial.objects.bulk_create(denials, batch_size=BATCH)
    _status_set(
        actor=actor,
        updates=[
            (claim, status, f"{detail} (835 trace {era.trace_number})")
            for claim, status, detail in status_updates
        ],
        at=now,
    )
    Claim, _ = _billing_models()
    secondary_claims = Claim.objects.in_bulk([claim.pk for claim, _ in secondary])
    for claim, payment in secondary:
        message = _secondary_create(
            actor=actor, claim=secondary_claims[claim.pk], payment=payment, era=era
        )
        if message:
            result.messages.append(message)


def _lock_accounts(account_ids: set[int]) -> None:
    ids = sorted(account_ids)
    for start in range(0, len(ids), BATCH):
        list(
            Account.objects.select_for_update()
            .filter(pk__in=ids[start : start + BATCH])
            .values_list("pk", flat=True)
        )


_CORRECTION, _CONTRACTUAL = str(AdjustmentCode.CORRECTION), str(AdjustmentCode.CONTRACTUAL)
_ADJUSTMENT_LABELS = {str(code): str(code.label) for code in AdjustmentCode}
_TO_PATIENT_LABEL = str(TransferCode.TO_PATIENT.label)


def _post_line(
    ledger: _Ledger,
    charge: _Charge,
    row: int,
    service: int | None,
    plan: LinePlan,
    era: Any,
) -> None:
    """Post one line's money against its charge (``row``, ``service``: the CLP and SVC rows' ids)."""
    payer = (era.payer_name or era.payer_id)[:60]
    if plan.paid > 0:
        ledger.credit(
            charge,
            row,
            service,
            PostingRole.PAYMENT,
            plan.paid,
            kind=EntryKind.PAYMENT,
            code=PaymentSource.INSURANCE,
            description=f"Insurance payment: {payer}"[:200],
        )
    for group, reason, amount in plan.written_off:
        code = _CORRECTION if group == "CR" else _CONTRACTUAL
        text = codes.adjustment(group, reason)[:200]
        if amount > 0:
            ledger.credit(
                charge,
                row,
                service,
                PostingRole.ADJUSTMENT,
                amount,
                kind=EntryKind.ADJUSTMENT,
                code=code,
                description=_ADJUSTMENT_LABELS[code],
                reason=text,
            )
        elif amount < 0:  # the payer adds back: a debit adjustment, an open item for insurance
            entry = ledger.debit(
                charge,
                -amount,
                kind=EntryKind.ADJUSTMENT,
                code=code,
                bucket=charge.bucket,
                description=_ADJUSTMENT_LABELS[code],
                reason=text,
            )
            ledger.entries.append(entry)
            ledger.postings.append((len(ledger.entries) - 1, row, service, PostingRole.ADJUSTMENT))
    if plan.to_patient > 0 and charge.bucket == Bucket.INSURANCE:
        reason = "Patient responsibility per 835: " + "; ".join(
            codes.adjustment(*code.split("-", 1)) for code in plan.patient_reasons
        )
        common = {
            "kind": EntryKind.TRANSFER,
            "code": TransferCode.TO_PATIENT,
            "description": _TO_PATIENT_LABEL,
            "reason": reason[:200],
        }
        credit_index = ledger.credit(
            charge, row, service, PostingRole.TRANSFER, plan.to_patient, **common
        )
        debit = ledger.debit(charge, plan.to_patient, bucket=Bucket.PATIENT, **common)
        ledger.debits.append((debit, credit_index))
        ledger.debit_postings.append((len(ledger.debits) - 1, row, service))


def _denial(
    work: _ClaimWork,
    row: _Saved,
    line: Any,
    service: _SavedService | None,
    amount: Decimal,
    carcs: list[str],
) -> Denial:
    payment = work.payment
    if not carcs:
        carcs = [f"{a.group}-{a.reason}" for a in payment.adjustments if a.group != "PR"]
    rarcs = list(payment.remarks)
    if service is not None:
        index = next(
            (
                i
                for i, s in enumerate(payment.service_lines)
                if s.procedure_code == service.procedure_code and s.paid == service.paid
            ),
            None,
        )
        if index is not None:
            rarcs = [*payment.service_lines[index].remarks, *rarcs]
    meaning = [codes.adjustment(*code.split("-", 1)) for code in dict.fromkeys(carcs)]
    meaning += [f"{code}: {codes.rarc(code)}" for code in dict.fromkeys(rarcs)]
    if not meaning:
        meaning = [f"Claim status {payment.status}: {codes.claim_status(payment.status)}"]
    return Denial(
        claim_id=work.claim.pk,
        claim_line_id=line.pk if line is not None else None,
        claim_remittance_id=row.pk,
        service_id=service.pk if service is not None else None,
        carc_codes=" ".join(dict.fromkeys(carcs))[:100],
        rarc_codes=" ".join(dict.fromkeys(rarcs))[:100],
        meaning="\n".join(meaning),
        amount=amount,
        status=DenialStatus.OPEN,
    )


# --- the clearinghouse handler ------------------------------------------------------------------


def exchange_835_handle(exchange: Any) -> None:
    """Post an 835 the clearinghouse collected (registered in RemittanceConfig.ready).

    Posts as the exchange's actor when there is one, else as the remittance system user; a file that
    cannot be posted raises (the clearinghouse records the error on the exchange).
    """
    data = exchange.read_bytes()
    actor = getattr(exchange, "actor", None) or remittance_system_user()
    era_import(actor=actor, data=data, filename=exchange.filename, exchange=exchange)


# --- the denial worklist --------------------------------------------------------------------------


def _denial_locked(actor: Any, denial: Denial) -> Denial:
    _require(actor, A.DENIAL_WORK)
    found = Denial.objects.restrict(actor, A.DENIAL_WORK).filter(pk=denial.pk)
    locked = found.select_for_update().select_related("claim").first()
    if locked is None:
        raise NotFound()
    return locked  # type: ignore[no-any-return]


def _note(actor: Any, denial: Denial, action: str, note: str, entry: Any = None) -> None:
    DenialNote.objects.create(
        denial=denial, at=timezone.now(), by=actor, action=action, note=note, entry=entry
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        category=AuditCategory.FINANCIAL,
        patient_id=denial.claim.patient_id,
        object_type="denial",
        object_id=denial.pk,
        detail={"event": f"denial_{action}", "status": denial.status},
    )


def _clean(note: str, required: bool = False) -> str:
    errors = FieldErrors()
    text = clean_note(note, "note", errors, limit=500)
    if required and not text:
        errors.add("note", "Give a reason.")
    errors.raise_if_any()
    return text


def denial_assign(*, actor: Any, denial: Denial, assignee: Any, note: str = "") -> Denial:
    """Give the denial to a person who may work denials (or take it back with None)."""
    text = _clean(note)
    if assignee is not None and not assignee.can(A.DENIAL_WORK):
        raise ValidationFailed(
            "That person cannot work denials.", field="assigned_to", code="assignee"
        )
    with transaction.atomic():
        locked = _denial_locked(actor, denial)
        locked.assigned_to = assignee
        locked.save(update_fields=["assigned_to", "updated_at"])
        who = assignee.get_username() if assignee is not None else "nobody"
        _note(actor, locked, "assigned", f"Assigned to {who}. {text}".strip())
    return locked


def _set_status(
    actor: Any, denial: Denial, status: str, action: str, note: str, *, required: bool = False
) -> Denial:
    text = _clean(note, required)
    with transaction.atomic():
        locked = _denial_locked(actor, denial)
        if locked.status not in OPEN_DENIAL_STATUSES:
            raise DenialClosed()
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        _note(actor, locked, action, text)
    return locked


def denial_appeal(*, actor: Any, denial: Denial, note: str) -> Denial:
    """The appeal was sent to the payer (the note says how and when)."""
    return _set_status(actor, denial, DenialStatus.APPEALED, "appealed", note, required=True)


def denial_corrected(*, actor: Any, denial: Denial, note: str = "") -> Denial:
    """A corrected claim (frequency 7) was sent through billing; the next 835 settles it."""
    return _set_status(actor, denial, DenialStatus.CORRECTED, "corrected", note)


def denial_resolve(*, actor: Any, denial: Denial, note: str) -> Denial:
    """Closed without money moving here (paid on appeal by a later 835, or settled elsewhere)."""
    return _set_status(actor, denial, DenialStatus.RESOLVED, "resolved", note, required=True)


def _denial_charge(denial: Denial) -> LedgerEntry:
    line = denial.claim_line
    if line is None:
        _, ClaimLine = _billing_models()
        line = ClaimLine.objects.filter(claim=denial.claim).order_by("line_number", "pk").first()
    charge_id = _line_charge_id(line) if line is not None else None
    charge = LedgerEntry.objects.filter(pk=charge_id).first() if charge_id else None
    if charge is None:
        raise ValidationFailed("The denied line has no charge on the ledger.", code="no_charge")
    return charge


def denial_write_off(*, actor: Any, denial: Denial, reason: str) -> Denial:
    """Write the denied amount off the insurance bucket (a ledger adjustment with the reason)."""
    text = _clean(reason, True)
    with transaction.atomic():
        locked = _denial_locked(actor, denial)
        if locked.status not in OPEN_DENIAL_STATUSES:
            raise DenialClosed()
        charge = _denial_charge(locked)
        entry = adjustment_post(
            actor=actor,
            account=charge.account,
            location=charge.location,
            code=AdjustmentCode.CONTRACTUAL,
            amount=-locked.amount,
            reason=f"Denial {locked.carc_codes} written off: {text}"[:200],
            apply_to=charge,
            bucket=charge.bucket,
        )
        RemittancePosting.objects.create(
            claim_remittance=locked.claim_remittance,
            service=locked.service,
            entry=entry,
            role=PostingRole.ADJUSTMENT,
        )
        locked.status = DenialStatus.WRITTEN_OFF
        locked.save(update_fields=["status", "updated_at"])
        _note(actor, locked, "written_off", text, entry)
    return locked


def denial_bill_patient(*, actor: Any, denial: Denial, reason: str) -> Denial:
    """Move the denied amount to the patient's responsibility (a transfer on the ledger)."""
    text = _clean(reason, True)
    with transaction.atomic():
        locked = _denial_locked(actor, denial)
        if locked.status not in OPEN_DENIAL_STATUSES:
            raise DenialClosed()
        charge = _denial_charge(locked)
        credit, debit = transfer_post(
            actor=actor,
            charge=charge,
            amount=locked.amount,
            to_bucket=Bucket.PATIENT,
            reason=f"Denial {locked.carc_codes} billed to patient: {text}"[:200],
        )
        RemittancePosting.objects.bulk_create(
            [
                RemittancePosting(
                    claim_remittance=locked.claim_remittance,
                    service=locked.service,
                    entry=e,
                    role=PostingRole.TRANSFER,
                )
                for e in (credit, debit)
            ]
        )
        locked.status = DenialStatus.BILLED_TO_PATIENT
        locked.save(update_fields=["status", "updated_at"])
        _note(actor, locked, "billed_to_patient", text, credit)
    return locked


def denial_note_add(*, actor: Any, denial: Denial, note: str) -> Denial:
    text = _clean(note, True)
    with transaction.atomic():
        locked = _denial_locked(actor, denial)
        _note(actor, locked, "note", text)
    return locked


__all__ = [
    "ImportResult",
    "denial_appeal",
    "denial_assign",
    "denial_bill_patient",
    "denial_corrected",
    "denial_note_add",
    "denial_resolve",
    "denial_write_off",
    "era_import",
    "exchange_835_handle",
    "remittance_system_user",
]
