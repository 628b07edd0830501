"""Time printing a busy day: encounter forms and the day schedule of 600 appointments, and the
downtime packet holding them.

Uses the day-view bench location (25 providers x 24 visits = 600 appointments on one day, created
once by ``benchmarks/scheduling_day_view.generate``). Times, as the system actor (the CLI path):
the whole day's encounter forms in one PDF, the location's day schedule, and a downtime packet
build whose window starts on that day (every location of the database is in the packet). Prints
seconds, pages, bytes and SQL statements as JSON.

    FRONTDESK_DATA_DIR=/tmp/fd-print-bench python manage.py migrate
    FRONTDESK_DATA_DIR=/tmp/fd-print-bench python benchmarks/printing_batch.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import django_setup


def _timed(call: Any) -> tuple[Any, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - started
    return result, round(elapsed, 2), len(captured)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", type=dt.date.fromisoformat, default=None)
    args = parser.parse_args()
    django_setup()
    from django.conf import settings
    from pypdf import PdfReader

    from benchmarks.scheduling_day_view import _default_day, generate
    from frontdesk.printing.downtime import downtime_packet_build
    from frontdesk.printing.printouts import encounter_forms_pdf, location_schedule_pdf

    day = args.date or _default_day()
    location = generate(day)
    forms, forms_s, forms_q = _timed(
        lambda: encounter_forms_pdf(user=None, location=location, day=day)
    )
    schedule, schedule_s, schedule_q = _timed(
        lambda: location_schedule_pdf(user=None, location=location, day=day)
    )
    start = dt.datetime.combine(day, dt.time(6), tzinfo=location.tzinfo)
    with tempfile.TemporaryDirectory() as directory:
        settings.DOWNTIME_PASSWORD = settings.DOWNTIME_PASSWORD or "bench-only"
        manifest, packet_s, packet_q = _timed(
            lambda: downtime_packet_build(out_dir=Path(directory), now=start)
        )
        packet_bytes = sum(p["bytes"] for p in manifest["packets"])
    result = {
        "day": day.isoformat(),
        "encounter_forms": {
            "appointments": len(forms.appointment_ids),
            "pages": len(PdfReader(__import__("io").BytesIO(forms.content)).pages),
            "seconds": forms_s,
            "bytes": len(forms.content),
            "queries": forms_q,
        },
        "day_schedule": {
            "appointments": len(schedule.appointment_ids),
            "seconds": schedule_s,
            "bytes": len(schedule.content),
            "queries": schedule_q,
        },
        "downtime_packet": {
            "locations": len(manifest["packets"]),
            "appointments": manifest["appointment_count"],
            "seconds": packet_s,
            "bytes": packet_bytes,
            "queries": packet_q,
        },
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
