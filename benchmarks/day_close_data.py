"""Data for the day-close benchmark: one location-day with 5,000 payments (synthetic).

A location "Bench Day Close" with 10 front-desk staff (one closed drawer each), 20 providers and, on
one business day (yesterday in New York), 5,000 completed payments written as the payment services
would leave them: a ledger PAYMENT entry each (posted that day), one tender each (cash,
check, card, HSA/FSA) and every fifth split cash + card; 3,000 of them for an appointment (so they
count for its provider), 2,000 on account ("unassigned"); 50 voided the same day (with their ledger
reversal) and 20 cash refunds. Created once; later runs reuse it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

PAYMENTS = 5_000
WITH_APPOINTMENT = 3_000
STAFF = 10
PROVIDERS = 20
VOIDS = 50
REFUNDS = 20
ZONE = "America/New_York"
CODE = "bench-dayclose"
CLOSER = "bench-dayclose-billing"


def amount_of(n: int) -> Decimal:
    """A spread of copay-like amounts with cents: 5.00 .. 154.99."""
    return Decimal(500 + (n * 7919) % 15000) / 100


def generate() -> tuple[Any, dt.date]:
    """The bench location and its busy day (created on the first run)."""
    from django.db import transaction

    from frontdesk.accounts.choices import Role
    from frontdesk.accounts.models import User
    from frontdesk.ledger.models import Account, LedgerEntry
    from frontdesk.patients.models import Patient
    from frontdesk.payments.models import DrawerSession, Payment, Refund, Tender
    from frontdesk.practice.models import Location, Organization, Provider, StaffLocation
    from frontdesk.scheduling.models import Appointment, AppointmentType
    from frontdesk.standards import npi

    zone = ZoneInfo(ZONE)
    existing = Location.objects.filter(code=CODE).first()
    if existing is not None:
        day = Payment.objects.filter(location=existing).values_list("business_date", flat=True)[0]
        return existing, day
    day = dt.datetime.now(zone).date() - dt.timedelta(days=1)
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=zone)
    with transaction.atomic():
        org, _ = Organization.objects.get_or_create(name="Bench Medical Group (synthetic)")
        location = Location.objects.create(
            organization=org, name="Bench Day Close", code=CODE, timezone=ZONE
        )
        closer, _ = User.objects.get_or_create(
            username=CLOSER,
            defaults={"role": Role.BILLING, "first_name": "Bench", "last_name": "Closer"},
        )
        StaffLocation.objects.create(user=closer, location=location)
        staff = []
        for n in range(STAFF):
            user, _ = User.objects.get_or_create(
                username=f"bench-dayclose-desk{n:02d}",
                defaults={
                    "role": Role.FRONT_DESK,
                    "first_name": f"Desk{n:02d}",
                    "last_name": "Bench",
                },
            )
            StaffLocation.objects.create(user=user, location=location)
            staff.append(user)
        drawers = DrawerSession.objects.bulk_create(
            [
                DrawerSession(
                    location=location,
                    user=user,
                    workstation=f"Bench desk {n:02d}",
                    business_date=day,
                    status="closed",
                    opened_at=noon - dt.timedelta(hours=4),
                    opening_counts={"20.00": 5},
                    opening_float=Decimal("100.00"),
                    closed_at=noon + dt.timedelta(hours=6),
                )
                for n, user in enumerate(staff)
            ]
        )
        first_npi = Provider.objects.count()
        providers = Provider.objects.bulk_create(
            [
                Provider(
                    first_name=f"Closedoc{n:02d}",
                    last_name=f"Zzclose{n:02d}",
                    credentials="MD",
                    npi=npi.make(f"18{first_npi + n:07d}"),
                    specialty="Family Medicine",
                )
                for n in range(PROVIDERS)
            ]
        )
        kind, _ = AppointmentType.objects.get_or_create(
            code="bench-dayclose-visit",
            defaults={"name": "Visit (day close bench)", "duration_minutes": 10},
        )
        first_mrn = Patient.objects.count() + 1
        patients = Patient.objects.bulk_create(
            [
                Patient(
                    mrn=f"D{first_mrn + n:07d}",
                    first_name=f"Closepat{n}",
                    last_name="Zzexample",
                    first_name_key=f"closepat{n}",
                    last_name_key="zzexample",
                    date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=n * 3),
                    sex_at_birth="F" if n % 2 else "M",
                )
                for n in range(PAYMENTS)
            ],
            batch_size=1000,
        )
        accounts = Account.objects.bulk_create(
            [
                Account(holder=p, number=f"BD{location.pk:03d}{n:06d}", currency="USD")
                for n, p in enumerate(patients)
            ],
            batch_size=1000,
        )
        start = dt.datetime.combine(day, dt.time(8), tzinfo=zone)
        appointments = Appointment.objects.bulk_create(
            [
                Appointment(
                    patient=patients[n],
                    provider=providers[n % PROVIDERS],
                    location=location,
                    appointment_type=kind,
                    # one provider never double-booked: 10-minute slots, back to back
                    starts_at=start + dt.timedelta(minutes=10 * (n // PROVIDERS)),
                    ends_at=start + dt.timedelta(minutes=10 * (n // PROVIDERS) + 10),
                    status="fulfilled",
                    booked_by=staff[0],
                )
                for n in range(WITH_APPOINTMENT)
            ],
            batch_size=1000,
        )
        entries = LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(
                    account=accounts[n],
                    patient=patients[n],
                    location=location,
                    kind="payment",
                    code="patient",
                    amount=-amount_of(n),
                    currency="USD",
                    posting_date=day,
                    posted_at=noon,
                    posted_by=staff[n % STAFF],
                    appointment=appointments[n] if n < WITH_APPOINTMENT else None,
                    description="Patient payment",
                )
                for n in range(PAYMENTS)
            ],
            batch_size=1000,
        )
        payments = Payment.objects.bulk_create(
            [
                Payment(
                    account=accounts[n],
                    patient=patients[n],
                    appointment=appointments[n] if n < WITH_APPOINTMENT else None,
                    location=location,
                    drawer=drawers[n % STAFF],
                    taken_by=staff[n % STAFF],
                    taken_at=noon,
                    business_date=day,
                    amount=amount_of(n),
                    status="completed",
                    idempotency_key=f"bench-dayclose-{location.pk}-{n}",
                    request_digest="0" * 64,
                    entry=entries[n],
                    receipt_number=n + 1,
                )
                for n in range(PAYMENTS)
            ],
            batch_size=1000,
        )
        tenders = []
        for n, payment in enumerate(payments):
            total = payment.amount
            if n % 5 == 0:
                cash = (total / 2).quantize(Decimal("0.01"))
                tenders.append(Tender(payment=payment, kind="cash", amount=cash))
                tenders.append(
                    Tender(
                        payment=payment,
                        kind="card",
                        amount=total - cash,
                        card_brand="visa",
                        card_last4="4242",
                        processor_transaction_id=f"bench-{location.pk}-{n}",
                    )
                )
                continue
            kind_of = ("cash", "check", "card", "hsa_fsa")[n % 4]
            fields: dict[str, Any] = {}
            if kind_of == "check":
                fields = {"check_number": f"{1000 + n}"}
            else:
                fields = {
                    "card_brand": "mastercard",
                    "card_last4": "4444",
                    "processor_transaction_id": f"bench-{location.pk}-{n}",
                }
            tenders.append(Tender(payment=payment, kind=kind_of, amount=total, **fields))
        Tender.objects.bulk_create(tenders, batch_size=2000)
        # Voids posted the same day: a reversal entry each, the payment marked voided.
        for n in range(VOIDS):
            payment = payments[n * 97]
            reversal = LedgerEntry.objects.create(
                account=payment.account,
                patient=payment.patient,
                location=location,
                kind="payment",
                code="patient",
                amount=payment.amount,
                currency="USD",
                posting_date=day,
                posted_at=noon + dt.timedelta(hours=1),
                posted_by=closer,
                reason="Bench void",
                reverses=payment.entry,
            )
            Payment.objects.filter(pk=payment.pk).update(
                status="voided",
                voided_at=noon + dt.timedelta(hours=1),
                voided_by=closer,
                void_reason="Bench void",
                void_entry=reversal,
            )
        for n in range(REFUNDS):
            account = accounts[PAYMENTS - 1 - n]
            entry = LedgerEntry.objects.create(
                account=account,
                location=location,
                kind="refund",
                code="overpayment",
                amount=Decimal("5.00"),
                currency="USD",
                posting_date=day,
                posted_at=noon + dt.timedelta(hours=2),
                posted_by=staff[n % STAFF],
            )
            Refund.objects.create(
                account=account,
                location=location,
                drawer=drawers[n % STAFF],
                method="cash",
                amount=Decimal("5.00"),
                reason="Bench refund",
                issued_by=staff[n % STAFF],
                issued_at=noon + dt.timedelta(hours=2),
                business_date=day,
                idempotency_key=f"bench-dayclose-refund-{location.pk}-{n}",
                request_digest="0" * 64,
                entry=entry,
                receipt_number=PAYMENTS + n + 1,
            )
    return location, day
