"""Time the schedule day view: a location with 25 providers and ~600 appointments on one day.

Fills (once) a location "Bench Day" with 25 providers open 08:00-12:00 and 13:00-17:00 on the
measured day, 9 rooms, and every 20-minute slot of that day booked (25 x 24 = 600 appointments,
each with its own synthetic patient; the first 8 providers' visits hold an exam room, the rest
none; mixed statuses and confirmations). Then, as a front-desk user of that location, times the
server side of the real responses through Django's test Client (URL routing, middleware, session,
policy check, the grid read, its audit row, template rendering): the full day page and the grid
partial the page polls, with provider columns and with room columns. Prints median / p95 / max in
milliseconds, the SQL statements per response and the response size, as JSON.

    FRONTDESK_DATA_DIR=/tmp/fd-dayview-bench python manage.py migrate
    FRONTDESK_DATA_DIR=/tmp/fd-dayview-bench python benchmarks/scheduling_day_view.py

Add FRONTDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> for PostgreSQL. --profile
prints the top of a cProfile of the day page instead of timing it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import django_setup
from benchmarks._setup import summary as _summary

TARGET_MEDIAN_MS = 150
PROVIDERS = 25
ROOMS_WITH_VISITS = 8
LOCATION_CODE = "bench-day"
BENCH_USER = "bench-dayview"
ZONE = "America/New_York"
SLOT = dt.timedelta(minutes=20)


def _default_day() -> dt.date:
    """The Wednesday of next week: in the future whatever the time of day, the same all week."""
    today = dt.date.today()
    return today + dt.timedelta(days=7 - today.weekday() + 2)


def generate(day: dt.date) -> Any:
    """Create the bench location, providers, templates, rooms, patients and the day's bookings."""
    from django.db import transaction

    from frontdesk.accounts.choices import Role
    from frontdesk.accounts.models import User
    from frontdesk.patients.models import Patient
    from frontdesk.practice.models import Location, Organization, Provider, Room, StaffLocation
    from frontdesk.scheduling.models import Appointment, AppointmentType, AvailabilityTemplate
    from frontdesk.standards import npi

    existing = Location.objects.filter(code=LOCATION_CODE).first()
    if existing is not None:
        return existing
    zone = ZoneInfo(ZONE)
    with transaction.atomic():
        org, _ = Organization.objects.get_or_create(name="Bench Medical Group (synthetic)")
        location = Location.objects.create(
            organization=org, name="Bench Day", code=LOCATION_CODE, timezone=ZONE
        )
        rooms = Room.objects.bulk_create(
            [Room(location=location, name=f"Exam {n:02d}", kind="exam") for n in range(1, 9)]
            + [Room(location=location, name="Procedure 1", kind="procedure")]
        )
        user, _ = User.objects.get_or_create(
            username=BENCH_USER,
            defaults={"role": Role.FRONT_DESK, "first_name": "Bench", "last_name": "Desk"},
        )
        StaffLocation.objects.create(user=user, location=location)
        kinds = [
            AppointmentType.objects.create(
                name=name, code=f"bench-day-{code}", duration_minutes=20, color=color
            )
            for name, code, color in (
                ("Follow-up (day bench)", "follow-up", "#4a90d9"),
                ("Annual (day bench)", "annual", "#2e9e6b"),
                ("Same-day (day bench)", "same-day", "#d9822b"),
            )
        ]
        providers = Provider.objects.bulk_create(
            [
                Provider(
                    first_name=f"Daydoc{n:02d}",
                    last_name=f"Zzbench{n:02d}",
                    credentials="MD",
                    npi=npi.make(f"18{n:07d}"),
                    specialty="Family Medicine",
                )
                for n in range(PROVIDERS)
            ]
        )
        Provider.locations.through.objects.bulk_create(
            [
                Provider.locations.through(provider_id=p.pk, location_id=location.pk)
                for p in providers
            ]
        )
        AvailabilityTemplate.objects.bulk_create(
            [
                AvailabilityTemplate(
                    provider=p,
                    location=location,
                    weekday=day.weekday(),
                    start_time=dt.time.fromisoformat(start),
                    end_time=dt.time.fromisoformat(end),
                    effective_from=day - dt.timedelta(days=30),
                )
                for p in providers
                for start, end in (("08:00", "12:00"), ("13:00", "17:00"))
            ]
        )
        first_mrn = Patient.objects.count() + 1
        patients = Patient.objects.bulk_create(
            [
                Patient(
                    mrn=f"D{first_mrn + n:07d}",
                    first_name=f"Daypat{n}",
                    last_name="Zzexample",
                    first_name_key=f"daypat{n}",
                    last_name_key="zzexample",
                    date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=n * 7),
                    sex_at_birth="F" if n % 2 else "M",
                )
                for n in range(PROVIDERS * 24)
            ],
            batch_size=1000,
        )
        statuses = ["booked"] * 7 + ["arrived", "fulfilled", "noshow"]
        confirmations = ["unconfirmed", "confirmed", "confirmed", "reschedule_requested"]
        appointments = []
        for index, provider in enumerate(providers):
            slot_number = 0
            for start, end in (("08:00", "12:00"), ("13:00", "17:00")):
                at = dt.datetime.combine(day, dt.time.fromisoformat(start), tzinfo=zone)
                stop = dt.datetime.combine(day, dt.time.fromisoformat(end), tzinfo=zone)
                while at + SLOT <= stop:
                    n = index * 24 + slot_number
                    appointments.append(
                        Appointment(
                            patient=patients[n],
                            provider=provider,
                            location=location,
                            appointment_type=kinds[n % len(kinds)],
                            starts_at=at.astimezone(dt.UTC),
                            ends_at=(at + SLOT).astimezone(dt.UTC),
                            status=statuses[n % len(statuses)],
                            confirmation_status=confirmations[n % len(confirmations)],
                            room=rooms[index] if index < ROOMS_WITH_VISITS else None,
                            booked_by=user,
                        )
                    )
                    at += SLOT
                    slot_number += 1
        Appointment.objects.bulk_create(appointments, batch_size=1000)
    _analyze()
    return location


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="timed requests per kind")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--date", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative", help="cProfile sort key with --profile")
    args = parser.parse_args()
    django_setup()

    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from frontdesk.accounts.models import User
    from frontdesk.scheduling.models import Appointment

    day = args.date or _default_day()
    started = time.perf_counter()
    location = generate(day)
    generated_s = time.perf_counter() - started
    zone = ZoneInfo(location.timezone)
    day_start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    on_day = Appointment.objects.filter(
        location=location,
        starts_at__gte=day_start,
        starts_at__lt=day_start + dt.timedelta(days=1),
    ).count()
    client = Client()
    client.force_login(User.objects.get(username=BENCH_USER))
    query = f"?location={location.pk}&date={day.isoformat()}"
    urls = {
        "day page, provider columns": reverse("scheduling:day") + query,
        "grid partial, provider columns": reverse("scheduling:grid") + query,
        "day page, room columns": reverse("scheduling:day") + query + "&columns=rooms",
        "grid partial, room columns": reverse("scheduling:grid") + query + "&columns=rooms",
    }

    def get(url: str) -> tuple[float, int, int]:
        counter = _Counter()
        with connection.execute_wrapper(counter):
            begun = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - begun) * 1000
        assert response.status_code == 200, response.status_code
        return elapsed, counter.count, len(response.content)

    if args.profile:
        import cProfile
        import pstats

        for _ in range(args.warmup):
            get(urls["day page, provider columns"])
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(10):
            get(urls["day page, provider columns"])
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(40)
        return 0

    results: dict[str, Any] = {
        "vendor": connection.vendor,
        "date": day.isoformat(),
        "providers": PROVIDERS,
        "appointments_on_day": on_day,
        "generate_or_load_s": round(generated_s, 1),
        "runs": args.runs,
    }
    for name, url in urls.items():
        for _ in range(args.warmup):
            get(url)
        times, statements, sizes = [], set(), set()
        for _ in range(args.runs):
            elapsed, count, size = get(url)
            times.append(elapsed)
            statements.add(count)
            sizes.add(size)
        results[name] = {
            "ms": _summary(times),
            "statements": sorted(statements),
            "kilobytes": round(max(sizes) / 1024),
        }
    print(json.dumps(results, indent=2))
    worst = max(results[name]["ms"]["median"] for name in urls)
    verdict = "met" if worst <= TARGET_MEDIAN_MS else "NOT met"
    print(f"target median <= {TARGET_MEDIAN_MS} ms (every kind): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
