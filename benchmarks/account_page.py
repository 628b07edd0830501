"""Time the patient account page for an account with 2,000 ledger entries.

Generates (once) the account with ``benchmarks/account_generate.py`` (a guarantor and two dependants,
copays, insurance visit charges, payments with receipts, reversals), then, as a billing user of that
location, times the server side of real GET responses through Django's test Client (routing,
middleware, session, policy check, the audited account read, the balances, both buckets' running
balances, receipts, rendering). Also renders a 200-entry account to show the number of SQL
statements does not grow with the entries. Prints median / p95 / max ms and statements per response.

    FRONTDESK_DATA_DIR=/tmp/fd-acct-bench python manage.py migrate
    FRONTDESK_DATA_DIR=/tmp/fd-acct-bench python benchmarks/account_page.py

Add FRONTDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> for PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import django_setup
from benchmarks._setup import summary as _summary

TARGET_MEDIAN_MS = 150


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=30, help="timed requests")
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    django_setup()

    from django.db import connection
    from django.test import Client

    from benchmarks.account_generate import BENCH_USER, generate
    from frontdesk.accounts.models import User
    from frontdesk.ledger.models import LedgerEntry

    started = time.perf_counter()
    big = generate(args.entries)
    small = generate(200)
    generated_s = time.perf_counter() - started
    client = Client()
    client.force_login(User.objects.get(username=BENCH_USER))

    def get(account_id: int) -> tuple[float, int, int]:
        counter = _Counter()
        with connection.execute_wrapper(counter):
            begun = time.perf_counter()
            response = client.get(f"/accounts/{account_id}/")
            elapsed = (time.perf_counter() - begun) * 1000
        assert response.status_code == 200, response.status_code
        return elapsed, counter.count, len(response.content)

    results: dict[str, Any] = {
        "vendor": connection.vendor,
        "generate_or_load_s": round(generated_s, 1),
        "runs": args.runs,
    }
    for name, account in (("large", big), ("small", small)):
        for _ in range(args.warmup):
            get(account.pk)
        times, statements, sizes = [], set(), set()
        for _ in range(args.runs):
            elapsed, count, size = get(account.pk)
            times.append(elapsed)
            statements.add(count)
            sizes.add(size)
        results[name] = {
            "entries": LedgerEntry.objects.filter(account=account).count(),
            "ms": _summary(times),
            "statements": sorted(statements),
            "kilobytes": round(max(sizes) / 1024),
        }
    print(json.dumps(results, indent=2))
    median = results["large"]["ms"]["median"]
    same = results["large"]["statements"] == results["small"]["statements"]
    verdict = "met" if median <= TARGET_MEDIAN_MS and same else "NOT met"
    print(f"target: median <= {TARGET_MEDIAN_MS} ms with constant statements: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
