"""Time the front desk's flow board: a location with 25 providers and 600 appointments today.

Fills (once per day) a location "Bench Flow" with 25 providers, 30 exam rooms and every 20-minute slot
of today (08:00-12:00, 13:00-17:00, New York) booked: 25 x 24 = 600 appointments, each with its own
synthetic patient, in mixed flow states (per provider: 8 done, 1 at checkout, 1 roomed in the
provider's own room, 2 arrived, 12 expected) with visits, transition times and appointment statuses
as the services would have left them. Then, as a front-desk user of that location, times the server
side of real responses through Django's test Client (routing, middleware, session, policy check, the
board read, its audit row, template rendering): the board page, the board partial that the page's
poll fetches when something changed, the poll's "nothing changed" 204, today's check-in list and
the JSON board. Prints median / p95 / max in milliseconds, SQL statements per response and size.

    FRONTDESK_DATA_DIR=/tmp/fd-flow-bench python manage.py migrate
    FRONTDESK_DATA_DIR=/tmp/fd-flow-bench python benchmarks/visits_flow_board.py

Add FRONTDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> for PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import django_setup
from benchmarks._setup import summary as _summary

TARGET_MEDIAN_MS = 150
PROVIDERS = 25
ROOMS = 30
SLOTS_PER_PROVIDER = 24
LOCATION_PREFIX = "bench-flow"
BENCH_USER = "bench-flow"
ZONE = "America/New_York"
SLOT = dt.timedelta(minutes=20)


def _state_of(slot: int) -> str:
    if slot < 8:
        return "done"
    return {8: "checkout", 9: "roomed", 10: "arrived", 11: "arrived"}.get(slot, "expected")


def generate(day: dt.date) -> Any:
    """Create the bench location (one per day: the board is today's), its day and its flow."""
    from django.db import connection, transaction

    from frontdesk.accounts.choices import Role
    from frontdesk.accounts.models import User
    from frontdesk.patients.models import Patient
    from frontdesk.practice.models import Location, Organization, Provider, Room, StaffLocation
    from frontdesk.scheduling.models import Appointment, AppointmentType
    from frontdesk.standards import npi
    from frontdesk.visits.models import Visit

    code = f"{LOCATION_PREFIX}-{day:%m%d}"
    existing = Location.objects.filter(code=code).first()
    if existing is not None:
        return existing
    zone = ZoneInfo(ZONE)
    with transaction.atomic():
        org, _ = Organization.objects.get_or_create(name="Bench Medical Group (synthetic)")
        location = Location.objects.create(
            organization=org, name=f"Bench Flow {day:%m-%d}", code=code, timezone=ZONE
        )
        rooms = Room.objects.bulk_create(
            [Room(location=location, name=f"Exam {n:02d}", kind="exam") for n in range(ROOMS)]
        )
        user, _ = User.objects.get_or_create(
            username=BENCH_USER,
            defaults={"role": Role.FRONT_DESK, "first_name": "Bench", "last_name": "Flow"},
        )
        StaffLocation.objects.create(user=user, location=location)
        kind, _ = AppointmentType.objects.get_or_create(
            code="bench-flow-visit",
            defaults={"name": "Visit (flow bench)", "duration_minutes": 20},
        )
        first_npi = Provider.objects.count()
        providers = Provider.objects.bulk_create(
            [
                Provider(
                    first_name=f"Flowdoc{n:02d}",
                    last_name=f"Zzflow{n:02d}",
                    credentials="MD",
                    npi=npi.make(f"17{first_npi + n:07d}"),
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
        first_mrn = Patient.objects.count() + 1
        patients = Patient.objects.bulk_create(
            [
                Patient(
                    mrn=f"F{first_mrn + n:07d}",
                    first_name=f"Flowpat{n}",
                    last_name="Zzexample",
                    first_name_key=f"flowpat{n}",
                    last_name_key="zzexample",
                    date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=n * 7),
                    sex_at_birth="F" if n % 2 else "M",
                )
                for n in range(PROVIDERS * SLOTS_PER_PROVIDER)
            ],
            batch_size=1000,
        )
        appointments, states = [], []
        for index, provider in enumerate(providers):
            slot = 0
            for start, end in (("08:00", "12:00"), ("13:00", "17:00")):
                at = dt.datetime.combine(day, dt.time.fromisoformat(start), tzinfo=zone)
                stop = dt.datetime.combine(day, dt.time.fromisoformat(end), tzinfo=zone)
                while at + SLOT <= stop:
                    state = _state_of(slot)
                    status = {"done": "fulfilled", "expected": "booked"}.get(state, "checked-in")
                    appointments.append(
                        Appointment(
                            patient=patients[index * SLOTS_PER_PROVIDER + slot],
                            provider=provider,
                            location=location,
                            appointment_type=kind,
                            starts_at=at.astimezone(dt.UTC),
                            ends_at=(at + SLOT).astimezone(dt.UTC),
                            status=status,
                            booked_by=user,
                        )
                    )
                    states.append((state, index, at))
                    at += SLOT
                    slot += 1
        Appointment.objects.bulk_create(appointments, batch_size=1000)
        visits = []
        for appointment, (state, index, at) in zip(appointments, states, strict=True):
            if state == "expected":
                continue
            arrived = at - dt.timedelta(minutes=7)
            stamps = {
                "arrived_at": arrived,
                "roomed_at": arrived + dt.timedelta(minutes=12)
                if state in ("roomed", "checkout", "done")
                else None,
                "checkout_at": arrived + dt.timedelta(minutes=35)
                if state in ("checkout", "done")
                else None,
                "done_at": arrived + dt.timedelta(minutes=41) if state == "done" else None,
            }
            since = max(value for value in stamps.values() if value is not None)
            visits.append(
                Visit(
                    appointment=appointment,
                    location=location,
                    state=state,
                    state_since=since,
                    room=rooms[index] if state == "roomed" else None,
                    **stamps,
                )
            )
        Visit.objects.bulk_create(visits, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return location


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
    args = parser.parse_args()
    django_setup()

    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from frontdesk.accounts.models import User
    from frontdesk.scheduling.models import Appointment
    from frontdesk.visits.models import Visit
    from frontdesk.visits.selectors import board_version

    day = dt.datetime.now(ZoneInfo(ZONE)).date()
    started = time.perf_counter()
    location = generate(day)
    generated_s = time.perf_counter() - started
    user = User.objects.get(username=BENCH_USER)
    client = Client()
    client.force_login(user)
    query = f"?location={location.pk}&date={day.isoformat()}"
    version = board_version(user=user, location_id=location.pk, day=day)
    urls = {
        "board page": reverse("visits:board") + query,
        "board partial (changed)": reverse("visits:board_changes") + query + "&v=stale",
        "poll, unchanged (204)": reverse("visits:board_changes") + query + f"&v={quote(version)}",
        "check-in list": reverse("visits:today") + query,
        "JSON board": f"/api/v1/flow-board?location={location.pk}&date={day.isoformat()}",
    }

    def get(url: str) -> tuple[float, int, int]:
        counter = _Counter()
        with connection.execute_wrapper(counter):
            begun = time.perf_counter()
            response = client.get(url, headers={"X-FrontDesk-Background": "1"})
            elapsed = (time.perf_counter() - begun) * 1000
        assert response.status_code in (200, 204), response.status_code
        return elapsed, counter.count, len(response.content)

    results: dict[str, Any] = {
        "vendor": connection.vendor,
        "date": day.isoformat(),
        "providers": PROVIDERS,
        "appointments": Appointment.objects.filter(location=location).count(),
        "visits": Visit.objects.filter(location=location).count(),
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
    median = results["board page"]["ms"]["median"]
    verdict = "met" if median <= TARGET_MEDIAN_MS else "NOT met"
    print(f"target board page median <= {TARGET_MEDIAN_MS} ms: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
