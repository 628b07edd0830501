"""Raw SQL vs slot_search: what the database costs for the busy intervals, next to the whole search.

On the practice of benchmarks/scheduling_generate.py, times side by side:

1. ``slot_search`` (first 10 open "Follow-up" slots across all providers over 90 days from now,
   through the real selector as the bench front-desk user), and the time its statements spent in
   ``cursor.execute``;
2. the busy-interval statements the search itself ran (appointments with their type's buffers and
   live holds of its first chunk), replayed with ``cursor.execute`` + ``fetchall``;
3. everything a search could need for the whole 90 days, read the plain way: the active
   appointments of all providers with their buffers, the live holds, and the schedule exceptions
   (three statements, ``cursor.execute`` + ``fetchall``);

and on PostgreSQL the server's own execution time (``EXPLAIN ANALYZE``) of each statement.
Prints a table and the JSON figures.

    FRONTDESK_DATA_DIR=/tmp/fd-sched-bench python benchmarks/scheduling_raw_sql.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import django_setup
from benchmarks.scheduling_slot_search import _SqlTimer, _summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=50, help="timed runs of each row")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    django_setup()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from frontdesk.accounts.models import User
    from frontdesk.practice.models import Provider
    from frontdesk.scheduling.choices import ACTIVE_STATUSES
    from frontdesk.scheduling.models import AppointmentType
    from frontdesk.scheduling.selectors import slot_search

    user = User.objects.get(username="bench-scheduler")
    kind = AppointmentType.objects.get(code="bench-follow-up")
    now = timezone.now()
    end = now + dt.timedelta(days=90)

    def search() -> None:
        options = slot_search(
            user=user, appointment_type_id=kind.pk, start=now, end=end, limit=10, now=now
        )
        assert len(options) == 10, len(options)

    for _ in range(5):
        search()
    search_ms, search_sql_ms = [], []
    for _ in range(args.queries):
        timer = _SqlTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            search()
            search_ms.append((time.perf_counter() - started) * 1000)
        search_sql_ms.append(timer.seconds * 1000)
    with CaptureQueriesContext(connection) as captured:
        search()
    all_statements = [q["sql"] for q in captured.captured_queries]
    as_searched = [
        sql
        for sql in all_statements
        if 'FROM "scheduling_appointment"' in sql or 'FROM "scheduling_slothold"' in sql
    ]

    provider_ids = ", ".join(
        str(pk) for pk in Provider.objects.filter(is_active=True).values_list("pk", flat=True)
    )
    statuses = ", ".join(f"'{status}'" for status in ACTIVE_STATUSES)
    adapt = connection.ops.adapt_datetimefield_value
    since, until = f"'{adapt(now)}'", f"'{adapt(end)}'"
    whole_range = [
        # Active appointments of every provider touching the 90 days, with their type's buffers.
        "SELECT a.provider_id, a.room_id, a.equipment_id, a.starts_at, a.ends_at, "
        "t.buffer_before_minutes, t.buffer_after_minutes FROM scheduling_appointment a "
        "JOIN scheduling_appointmenttype t ON t.id = a.appointment_type_id "
        f"WHERE a.provider_id IN ({provider_ids}) AND a.status IN ({statuses}) "
        f"AND a.starts_at < {until} AND a.ends_at > {since}",
        # Live holds.
        "SELECT h.provider_id, h.starts_at, h.ends_at, t.buffer_before_minutes, "
        "t.buffer_after_minutes FROM scheduling_slothold h "
        "JOIN scheduling_appointmenttype t ON t.id = h.appointment_type_id "
        f"WHERE h.provider_id IN ({provider_ids}) AND h.released_at IS NULL "
        f"AND h.expires_at > {since} AND h.starts_at < {until} AND h.ends_at > {since}",
        # Time off and closures.
        "SELECT provider_id, location_id, starts_at, ends_at FROM scheduling_scheduleexception "
        f"WHERE starts_at < {until} AND ends_at > {since}",
    ]

    def replay(statements: list[str]) -> tuple[float, int]:
        rows = 0
        with connection.cursor() as cursor:
            started = time.perf_counter()
            for statement in statements:
                cursor.execute(statement)
                rows += len(cursor.fetchall())
            return (time.perf_counter() - started) * 1000, rows

    def server_ms(statement: str) -> float | None:
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement)
            plan = cursor.fetchone()[0]
        return round(float(plan[0]["Execution Time"]), 2)

    results: dict[str, Any] = {
        "vendor": connection.vendor,
        "now": now.isoformat(),
        "slot_search": {
            "total_ms": _summary(search_ms),
            "in_cursor_execute_ms": _summary(search_sql_ms),
            "statements": len(all_statements),
        },
    }
    for name, statements, repeat in (
        ("all_statements_of_one_search", all_statements, args.queries),
        ("busy_as_searched", as_searched, args.queries),
        ("busy_whole_90_days", whole_range, max(5, args.queries // 5)),
    ):
        replay(statements)  # warm-up
        timed = [replay(statements) for _ in range(repeat)]
        results[name] = {
            "ms_execute_and_fetch": _summary([ms for ms, _ in timed]),
            "rows": timed[0][1],
            "statements": len(statements),
            "server_execution_ms": (
                round(sum(server_ms(s) or 0 for s in statements), 2)
                if connection.vendor == "postgresql"
                else None
            ),
        }

    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print()
    print(f"{connection.vendor}: median / p95 ms")
    print(f"{'what':<44}{'stmts':>6}{'rows':>9}{'median':>9}{'p95':>9}{'server':>9}")
    search_row = results["slot_search"]
    print(
        f"{'slot_search (whole search)':<44}{search_row['statements']:>6}{'':>9}"
        f"{search_row['total_ms']['median']:>9}{search_row['total_ms']['p95']:>9}{'':>9}"
    )
    print(
        f"{'  of which inside cursor.execute':<44}{'':>6}{'':>9}"
        f"{search_row['in_cursor_execute_ms']['median']:>9}"
        f"{search_row['in_cursor_execute_ms']['p95']:>9}{'':>9}"
    )
    for name in ("all_statements_of_one_search", "busy_as_searched", "busy_whole_90_days"):
        row = results[name]
        server = "" if row["server_execution_ms"] is None else row["server_execution_ms"]
        print(
            f"{'raw: ' + name.replace('_', ' '):<44}{row['statements']:>6}{row['rows']:>9}"
            f"{row['ms_execute_and_fetch']['median']:>9}{row['ms_execute_and_fetch']['p95']:>9}"
            f"{server:>9}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
