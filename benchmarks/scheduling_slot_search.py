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
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import django_setup

TARGET_MEDIAN_MS = 50


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 1),
        "p95": round(_percentile(values, 0.95), 1),
        "max": round(max(values), 1),
    }


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

    # The busy intervals alone: the same statement the search runs per chunk, on a raw cursor.
    provider_ids = list(Provider.objects.filter(is_active=True).values_list("pk", flat=True))
    placeholders = ", ".join(["%s"] * len(provider_ids))
    statuses = ", ".join(["%s"] * len(ACTIVE_STATUSES))
    sql = (
        "SELECT a.provider_id, a.room_id, a.equipment_id, a.appointment_type_id, a.starts_at, "
        "a.ends_at, t.buffer_before_minutes, t.buffer_after_minutes "
        "FROM scheduling_appointment a JOIN scheduling_appointmenttype t "
        "ON t.id = a.appointment_type_id "
        f"WHERE a.provider_id IN ({placeholders}) AND a.status IN ({statuses}) "
        "AND a.starts_at < %s AND a.ends_at > %s AND a.starts_at > %s"
    )
    raw_cursor = connection.cursor().cursor  # the DB-API cursor under Django's wrapper

    def raw(start: dt.datetime, end: dt.datetime) -> tuple[float, int]:
        adapt = connection.ops.adapt_datetimefield_value
        lower = start - dt.timedelta(hours=24)  # slots.LONGEST_APPOINTMENT
        params = [*provider_ids, *ACTIVE_STATUSES, adapt(end), adapt(start), adapt(lower)]
        sql_text = sql.replace("%s", "?") if connection.vendor == "sqlite" else sql
        started = time.perf_counter()
        raw_cursor.execute(sql_text, params)
        rows = raw_cursor.fetchall()
        return (time.perf_counter() - started) * 1000, len(rows)

    slack = dt.timedelta(minutes=40)
    for name, span in (("raw_sql_first_chunk_1_day", 1), ("raw_sql_all_90_days", 90)):
        times, rows = [], 0
        for _ in range(5):
            raw(now - slack, now + dt.timedelta(days=span) + slack)
        for _ in range(max(10, args.queries // 5)):
            elapsed, rows = raw(now - slack, now + dt.timedelta(days=span) + slack)
            times.append(elapsed)
        results[name] = {"ms": _summary(times), "rows": rows}

    print(json.dumps(results, indent=2))
    met = results["from_now"]["total_ms"]["median"] <= TARGET_MEDIAN_MS
    print(f"target median <= {TARGET_MEDIAN_MS} ms (from now): {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
