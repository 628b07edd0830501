"""Generate (once) a synthetic patient account with N ledger entries for the account-page benchmark.

Writes rows directly (bulk inserts, no services) the way the services would have left them: a
guarantor with two dependants, charges (copays and visit charges; a tenth on insurance), payments
with their ``payments.Payment`` rows, tenders and gapless receipt numbers, and a reversal for every
25th charge. Used by ``benchmarks/account_page.py``; run it alone to create the data:

    FRONTDESK_DATA_DIR=/tmp/fd-acct-bench python benchmarks/account_generate.py --entries 2000
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import django_setup

BENCH_USER = "bench-account"
LOCATION_CODE = "bench-account"


def generate(entries: int) -> Any:
    """The bench account holding ``entries`` entries (created the first time)."""
    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from frontdesk.accounts.choices import Role
    from frontdesk.accounts.models import User
    from frontdesk.ledger.models import Account, LedgerEntry
    from frontdesk.patients.models import Patient
    from frontdesk.payments.models import DrawerSession, Payment, Tender
    from frontdesk.practice.models import Location, Organization, StaffLocation

    number = f"B{entries:07d}"
    existing = Account.objects.filter(number=number).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        org, _ = Organization.objects.get_or_create(name="Bench Medical Group (synthetic)")
        location, _ = Location.objects.get_or_create(
            code=LOCATION_CODE,
            defaults={
                "organization": org,
                "name": "Bench Accounts",
                "timezone": "America/New_York",
            },
        )
        user, _ = User.objects.get_or_create(
            username=BENCH_USER,
            defaults={"role": Role.BILLING, "first_name": "Bench", "last_name": "Account"},
        )
        StaffLocation.objects.get_or_create(user=user, location=location)
        first_mrn = Patient.objects.count() + 1
        holder, *children = Patient.objects.bulk_create(
            [
                Patient(
                    mrn=f"AB{first_mrn + n:06d}",
                    first_name=f"Acctpat{entries}x{n}",
                    last_name="Zzexample",
                    first_name_key=f"acctpat{entries}x{n}",
                    last_name_key="zzexample",
                    date_of_birth=dt.date(1970 + 10 * n, 1, 1),
                    sex_at_birth="F",
                    guarantor_kind="self",
                )
                for n in range(3)
            ]
        )
        Patient.objects.filter(pk__in=[c.pk for c in children]).update(
            guarantor_kind="patient", guarantor_patient=holder
        )
        account = Account.objects.create(holder=holder, number=number)
        drawer = DrawerSession.objects.filter(location=location, user=user, status="open").first()
        if drawer is None:
            drawer = DrawerSession.objects.create(
                location=location,
                user=user,
                workstation="Bench desk",
                business_date=timezone.localdate(),
                opened_at=timezone.now(),
                opening_counts={},
                opening_float=Decimal("0.00"),
            )
        start = timezone.now() - dt.timedelta(days=entries // 4 + 1)
        people = [holder, *children]
        rows: list[LedgerEntry] = []
        charges: list[LedgerEntry] = []
        payments: list[LedgerEntry] = []
        n = 0
        while len(rows) + (len(charges) + 24) // 25 < entries:
            at = start + dt.timedelta(hours=6 * n)
            kind = ("charge", "charge", "payment")[n % 3]
            if kind == "charge":
                insurance = n % 10 == 0
                entry = LedgerEntry(
                    account=account,
                    patient=people[n % 3],
                    location=location,
                    kind="charge",
                    code="visit" if insurance else "copay",
                    bucket="insurance" if insurance else "patient",
                    amount=Decimal("120.00") if insurance else Decimal("25.00"),
                    posting_date=at.date(),
                    posted_at=at,
                    posted_by=user,
                    service_date=at.date(),
                    description="Visit charge" if insurance else "Copay",
                )
                charges.append(entry)
            else:
                entry = LedgerEntry(
                    account=account,
                    location=location,
                    kind="payment",
                    code="patient",
                    amount=Decimal("-40.00"),
                    posting_date=at.date(),
                    posted_at=at,
                    posted_by=user,
                    description="Payment",
                )
                payments.append(entry)
            rows.append(entry)
            n += 1
        LedgerEntry.objects.bulk_create(rows, batch_size=500)
        reversals = [
            LedgerEntry(
                account=account,
                patient=c.patient,
                location=location,
                kind="charge",
                code=c.code,
                bucket=c.bucket,
                amount=-c.amount,
                posting_date=c.posting_date,
                posted_at=c.posted_at + dt.timedelta(minutes=5),
                posted_by=user,
                service_date=c.service_date,
                description=f"Reversal of {c.description}",
                reason="Posted in error",
                reverses=c,
            )
            for c in charges[::25]
        ]
        LedgerEntry.objects.bulk_create(reversals, batch_size=500)
        receipt = (
            Payment.objects.filter(location=location).aggregate(top=Max("receipt_number"))["top"]
            or 0
        )
        payment_rows = []
        for entry in payments:
            receipt += 1
            payment_rows.append(
                Payment(
                    account=account,
                    location=location,
                    drawer=drawer,
                    taken_by=user,
                    taken_at=entry.posted_at,
                    business_date=entry.posting_date,
                    amount=Decimal("40.00"),
                    status="completed",
                    idempotency_key=f"bench-{uuid.uuid4().hex}",
                    request_digest="0" * 64,
                    entry=entry,
                    receipt_number=receipt,
                )
            )
        Payment.objects.bulk_create(payment_rows, batch_size=500)
        Tender.objects.bulk_create(
            [Tender(payment=p, kind="cash", amount=p.amount) for p in payment_rows],
            batch_size=500,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return account


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    args = parser.parse_args()
    django_setup()
    from frontdesk.ledger.models import LedgerEntry

    account = generate(args.entries)
    print(f"account {account.pk}: {LedgerEntry.objects.filter(account=account).count()} entries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
