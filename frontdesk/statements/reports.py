"""Collections reports: money taken by day, tender, staff, location and provider; the time-of-service
collection rate. Read-only over ``payments.Payment`` / ``Tender`` and the ledger.

Counting rule: a payment counts on its business day by its tenders (patient-credit tenders are not new
money and are left out); a voided payment still counted on its own day, and its void subtracts on the
day the void was posted (the void entry's business day), so a day's figure never changes after it has
been reported and a void inside the range nets to zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q

from frontdesk.accounts.policy import A
from frontdesk.core.money import ZERO, money_sum, summed
from frontdesk.ledger.choices import Bucket, ChargeCode, EntryKind
from frontdesk.ledger.models import LedgerEntry
from frontdesk.practice.models import Location

# Dimension name -> (field on Tender for the collected side, label field(s)).
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "day": ("payment__business_date",),
    "tender": ("kind",),
    "staff": ("payment__taken_by__first_name", "payment__taken_by__last_name"),
    "location": ("payment__location__name",),
    "provider": (
        "payment__appointment__provider__first_name",
        "payment__appointment__provider__last_name",
    ),
}
# The same dimensions on the void side: the day is the void's own business day.
VOID_DAY = "payment__void_entry__posting_date"


@dataclass(frozen=True)
class Row:
    key: str
    collected: Decimal
    voided: Decimal

    @property
    def net(self) -> Decimal:
        return self.collected - self.voided


@dataclass(frozen=True)
class Collections:
    date_from: dt.date
    date_to: dt.date
    by: dict[str, list[Row]]
    total_collected: Decimal
    total_voided: Decimal
    due_at_visit: Decimal
    collected_at_visit: Decimal

    @property
    def total_net(self) -> Decimal:
        return self.total_collected - self.total_voided

    @property
    def tos_rate(self) -> Decimal | None:
        """Collected at visit / due at visit, as a percentage to one place (None when nothing due)."""
        if self.due_at_visit <= 0:
            return None
        return (self.collected_at_visit * 100 / self.due_at_visit).quantize(Decimal("0.1"))


def _label(row: dict[str, Any], fields: tuple[str, ...]) -> str:
    values = [row[f] for f in fields]
    if all(v is None or v == "" for v in values):
        return "(no visit)" if "provider" in fields[0] else "(none)"
    if len(values) == 1:
        value = values[0]
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return " ".join(str(v) for v in values if v)


def collections_report(*, user: Any, date_from: dt.date, date_to: dt.date) -> Collections:
    """The collections of the locations the user may report on, ``date_from``..``date_to``."""
    from frontdesk.payments.choices import PaymentStatus, TenderKind
    from frontdesk.payments.models import Payment, Tender

    payments = Payment.objects.restrict(user, A.COLLECTIONS_REPORT)
    tenders = Tender.objects.filter(payment__in=payments.values("pk")).exclude(
        kind=TenderKind.CREDIT
    )
    taken = tenders.filter(
        payment__status__in=[PaymentStatus.COMPLETED, PaymentStatus.VOIDED],
        payment__business_date__range=(date_from, date_to),
    )
    voids = tenders.filter(
        payment__status=PaymentStatus.VOIDED,
        **{f"{VOID_DAY}__range": (date_from, date_to)},
    )
    by: dict[str, list[Row]] = {}
    for name, fields in DIMENSIONS.items():
        void_fields = (VOID_DAY,) if name == "day" else fields
        collected = {
            _label(row, fields): summed(row["total"])
            for row in taken.values(*fields).annotate(total=money_sum()).order_by()
        }
        voided: dict[str, Decimal] = {}
        for row in voids.values(*void_fields).annotate(total=money_sum()).order_by():
            key = _label(row, void_fields)
            voided[key] = voided.get(key, ZERO) + summed(row["total"])
        keys = sorted(set(collected) | set(voided))
        by[name] = [Row(k, collected.get(k, ZERO), voided.get(k, ZERO)) for k in keys]
    total_collected = sum((r.collected for r in by["tender"]), ZERO)
    total_voided = sum((r.voided for r in by["tender"]), ZERO)
    due, at_visit = _time_of_service(user=user, date_from=date_from, date_to=date_to)
    return Collections(
        date_from=date_from,
        date_to=date_to,
        by=by,
        total_collected=total_collected,
        total_voided=total_voided,
        due_at_visit=due,
        collected_at_visit=at_visit,
    )


FEES = [ChargeCode.NO_SHOW_FEE, ChargeCode.LATE_CANCEL_FEE, ChargeCode.RECORDS_FEE]


def _time_of_service(*, user: Any, date_from: dt.date, date_to: dt.date) -> tuple[Decimal, Decimal]:
    """(due at visit, collected at visit) for visits with a service date in the range.

    Due: the patient charges posted for the visit's appointment and not reversed (fees for missed
    visits are not due at a visit). Collected: completed payments linked to the appointment and taken
    on the visit's own business day (the location's timezone). Three queries.
    """
    from frontdesk.payments.choices import PaymentStatus
    from frontdesk.payments.models import Payment

    locations = Location.objects.restrict(user, A.COLLECTIONS_REPORT).values("pk")
    charges = LedgerEntry.objects.filter(
        location__in=locations,
        kind=EntryKind.CHARGE,
        bucket=Bucket.PATIENT,
        appointment__isnull=False,
        service_date__range=(date_from, date_to),
        reverses__isnull=True,
        reversal__isnull=True,
    ).exclude(code__in=FEES)
    rows = list(charges.values("appointment_id").annotate(total=money_sum()).order_by())
    due = sum((summed(row["total"]) for row in rows), ZERO)
    appointment_ids = [row["appointment_id"] for row in rows]
    if not appointment_ids:
        return due, ZERO
    from frontdesk.scheduling.models import Appointment

    visit_day = {
        pk: starts_at.astimezone(Location(timezone=tz).tzinfo).date()
        for pk, starts_at, tz in Appointment.objects.filter(pk__in=appointment_ids).values_list(
            "pk", "starts_at", "location__timezone"
        )
    }
    collected = ZERO
    for appointment_id, day, total in (
        Payment.objects.filter(
            Q(appointment_id__in=appointment_ids), status=PaymentStatus.COMPLETED
        )
        .values("appointment_id", "business_date")
        .annotate(total=money_sum())
        .order_by()
        .values_list("appointment_id", "business_date", "total")
    ):
        if visit_day.get(appointment_id) == day:
            collected += summed(total)
    return due, collected
