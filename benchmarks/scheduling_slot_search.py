"""Time slot_search on the generated practice, and the raw SQL for the same busy intervals.

First 10 open slots for one appointment type across all providers over 90 days, as a front-desk
user assigned to every location, through the real selector (scope check included). Prints median /
p95 / max in milliseconds, the number of SQL statements per search and the share of the time spent
inside the database, then the cost of the busy-interval SQL alone (the first chunk the search
reads, and the whole 90 days for comparison), run on a raw DB-API cursor.

    FRONTDESK_DATA_DIR=/tmp/fd-sched-bench python benchmarks/scheduling_slot_search.py

Fill the database first with benchmarks/scheduling_generate.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import django_setup
from benchmarks._setup import summary as _summary

TARGET_MEDIAN_MS = 50


class _SqlTimer:
    """A connection execute wrapper: counts statements and sums their time."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=100, help="timed searches per kind")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    django_setup()

    from django.db import connection
    from django.utils import timezone

    from frontdesk.accounts.models import User
    from frontdesk.practice.models import Provider
    from frontdesk.scheduling.choices import ACTIVE_STATUSES
    from frontdesk.scheduling.models import AppointmentType
    from frontdesk.scheduling.selectors import slot_search

    user = User.objects.get(username="bench-scheduler")
    kind = AppointmentType.objects.get(code="bench-follow-up")
    rng = random.Random(args.seed)
    now = timezone.now()

    def search(start: dt.datetime) -> tuple[float, int, float, int]:
        timer = _SqlTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            options = slot_search(
                user=user,
                appointment_type_id=kind.pk,
                start=start,
                end=start + dt.timedelta(days=90),
                limit=10,
                now=now,
            )
            elapsed = time.perf_counter() - started
        assert len(options) == 10, len(options)
        return elapsed * 1000, timer.count, timer.seconds * 1000, len(options)

    kinds: dict[str, Callable[[], dt.datetime]] = {
        "from_now": lambda: now,
        # A search starting at a random instant of the booked 90 days (e.g. "next month").
        "random_start": lambda: now + dt.timedelta(minutes=rng.randrange(60 * 24 * 60)),
    }
    results: dict[str, Any] = {"vendor": connection.vendor, "now": now.isoformat()}
    for name, start_of in kinds.items():
        for _ in range(10):
            search(start_of())
        totals, sql_ms, statements = [], [], set()
        for _ in range(args.queries):
            elapsed, count, in_sql, _found = search(start_of())
            totals.append(elapsed)
            sql_ms.append(in_sql)
            statements.add(count)
        results[name] = {
            "total_ms": _summary(totals),
            "sql_ms": _summary(sql_ms),
            "statements": sorted(statements),
        }

    # The busy intervals alone. (1) The statements the search itself ran for them (appointments
    # and holds of its first chunk), captured with their parameters and re-run on the raw DB-API
    # cursor: execute + fetchall, no ORM. (2) The naive statement: every busy appointment of all
    # providers over the whole 90 days, as a calendar that does not chunk would read it.
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        search(now)
    busy_sql = [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "scheduling_appointment"' in q["sql"] or 'FROM "scheduling_slothold"' in q["sql"]
    ]
    provider_ids = list(Provider.objects.filter(is_active=True).values_list("pk", flat=True))
    statuses = ", ".join(f"'{status}'" for status in ACTIVE_STATUSES)
    adapt = connection.ops.adapt_datetimefield_value
    naive_sql = (
        "SELECT a.provider_id, a.starts_at, a.ends_at, t.buffer_before_minutes, "
        "t.buffer_after_minutes FROM scheduling_appointment a JOIN scheduling_appointmenttype t "
        "ON t.id = a.appointment_type_id "
        f"WHERE a.provider_id IN ({', '.join(map(str, provider_ids))}) AND a.status IN ({statuses}) "
        f"AND a.starts_at < '{adapt(now + dt.timedelta(days=90))}' AND a.ends_at > '{adapt(now)}'"
    )
    raw_cursor = connection.cursor().cursor  # the DB-API cursor under Django's wrapper

    def run_raw(statements: list[str]) -> float:
        started = time.perf_counter()
        for statement in statements:
            raw_cursor.execute(statement)
            raw_cursor.fetchall()
        return (time.perf_counter() - started) * 1000

    def server_ms(statement: str) -> float | None:
        if connection.vendor != "postgresql":
            return None
        raw_cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement)
        plan = raw_cursor.fetchone()[0]
        return round(float(plan[0]["Execution Time"]), 2)

    for name, statements, repeat in (
        ("raw_sql_busy_as_searched", busy_sql, max(20, args.queries)),
        ("raw_sql_busy_all_90_days_naive", [naive_sql], 10),
    ):
        rows = 0
        for statement in statements:
            raw_cursor.execute(statement)
            rows += len(raw_cursor.fetchall())
        times = [run_raw(statements) for _ in range(repeat)]
        results[name] = {
            "ms_execute_and_fetch": _summary(times),
            "rows": rows,
            "statements": len(statements),
            "server_execution_ms": [server_ms(statement) for statement in statements],
        }

    print(json.dumps(results, indent=2))
    met = results["from_now"]["total_ms"]["median"] <= TARGET_MEDIAN_MS
    print(f"target median <= {TARGET_MEDIAN_MS} ms (from now): {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
