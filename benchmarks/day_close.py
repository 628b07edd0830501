"""Time the day close of a location with 5,000 payments (target: <= 1 s).

Uses the location-day of ``benchmarks/day_close_data.py`` (created on the first run). Each timed run
calls ``drawer_services.day_close`` as a billing user inside a transaction that is then rolled back,
so every run closes the same open day: the drawer check, the ledger day lock, the totals by tender,
staff and provider, the DayClose row and the PDF report written to the file storage (a temporary
directory). Prints median / p95 / max in milliseconds, SQL statements per close and the totals.

    FRONTDESK_DATA_DIR=/tmp/fd-dayclose-bench python manage.py migrate
    FRONTDESK_DATA_DIR=/tmp/fd-dayclose-bench python benchmarks/day_close.py

Add FRONTDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> for PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import django_setup
from benchmarks._setup import summary as _summary

TARGET_MS = 1000


class _Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    django_setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from benchmarks.day_close_data import CLOSER, PAYMENTS, generate
    from frontdesk.accounts.models import User
    from frontdesk.payments.drawer_services import day_close

    started = time.perf_counter()
    location, day = generate()
    print(f"data ready in {time.perf_counter() - started:.1f} s: {location.name}, {day}")
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="fd-dayclose-bench-")
    closer = User.objects.get(username=CLOSER)
    timings: list[float] = []
    statements = 0
    totals: dict[str, object] = {}
    for run in range(args.warmup + args.runs):
        try:
            with transaction.atomic():
                with CaptureQueriesContext(connection) as queries:
                    t0 = time.perf_counter()
                    close = day_close(actor=closer, location=location, date=day)
                    elapsed = (time.perf_counter() - t0) * 1000
                statements = len(queries.captured_queries)
                totals = close.totals
                raise _Rollback
        except _Rollback:
            pass
        if run >= args.warmup:
            timings.append(elapsed)
    result = _summary(timings)
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "payments": PAYMENTS,
                "runs": args.runs,
                "day_close_ms": result,
                "sql_statements": statements,
                "payment_count": totals.get("payment_count"),
                "net": totals.get("net"),
                "tenders": {k: v["net"] for k, v in totals["tenders"].items()},  # type: ignore[attr-defined]
                "target_met": result["median"] <= TARGET_MS and result["max"] <= TARGET_MS,
            },
            indent=2,
        )
    )
    # The close's net, checked against a plain Python sum of the rows (not the code under test).
    from frontdesk.payments.models import Payment, Refund

    kept = sum(
        (p.amount for p in Payment.objects.filter(location=location, status="completed")),
        Decimal("0.00"),
    )
    refunded = sum((r.amount for r in Refund.objects.filter(location=location)), Decimal("0.00"))
    assert Decimal(str(totals["net"])) == kept - refunded, (totals["net"], kept - refunded)
    print(f"net checked: {kept - refunded}")


if __name__ == "__main__":
    main()
