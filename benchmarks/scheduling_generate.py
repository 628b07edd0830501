"""Fill a database with a generated practice for the scheduling benchmark.

100 providers at 5 locations (New York and Chicago time), a year of weekly templates (four
quarterly versions: open 08:00-12:00 and 13:00-17:00, a reserved same-day window 08:00-08:40 that
opens to everyone 2 hours before, a new-patients-only window on Tuesdays, a Wednesday huddle block),
vacations and a holiday, rooms, and the next 90 days about 80% booked with 20-minute visits, written
with bulk_create. Deterministic for a given --seed; obviously fake names only.

    FRONTDESK_DATA_DIR=/tmp/fd-sched-bench python manage.py migrate
    FRONTDESK_DATA_DIR=/tmp/fd-sched-bench python benchmarks/scheduling_generate.py

Add FRONTDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> for PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import django_setup

LOCATIONS = [
    ("Bench North", "bench-n", "America/New_York"),
    ("Bench South", "bench-s", "America/New_York"),
    ("Bench East", "bench-e", "America/New_York"),
    ("Bench Lake", "bench-l", "America/Chicago"),
    ("Bench Prairie", "bench-p", "America/Chicago"),
]
SLOT = dt.timedelta(minutes=20)
BOOKED_SHARE = 0.8
PATIENTS = 5000
BENCH_USER = "bench-scheduler"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=100)
    parser.add_argument("--days", type=int, default=90, help="booked days from today")
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    django_setup()

    from django.db import transaction
    from django.utils import timezone

    from frontdesk.accounts.choices import Role
    from frontdesk.accounts.models import User
    from frontdesk.patients.models import Patient
    from frontdesk.practice.models import Location, Organization, Provider, Room, StaffLocation
    from frontdesk.scheduling.models import (
        Appointment,
        AppointmentType,
        AvailabilityTemplate,
        ScheduleException,
        SlotHold,
    )
    from frontdesk.standards import npi

    if AppointmentType.objects.filter(code="bench-follow-up").exists():
        print("This database already has the scheduling bench data.", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    started = time.perf_counter()
    now = timezone.now()
    today = now.date()

    with transaction.atomic():
        org, _ = Organization.objects.get_or_create(name="Bench Medical Group (synthetic)")
        locations = [
            Location.objects.create(organization=org, name=name, code=code, timezone=tz)
            for name, code, tz in LOCATIONS
        ]
        for location in locations:
            Room.objects.bulk_create(
                [Room(location=location, name=f"Exam {n}", kind="exam") for n in range(1, 9)]
                + [Room(location=location, name="Procedure 1", kind="procedure")]
            )
        user, _ = User.objects.get_or_create(
            username=BENCH_USER,
            defaults={"role": Role.FRONT_DESK, "first_name": "Bench", "last_name": "Desk"},
        )
        caller, _ = User.objects.get_or_create(
            username="bench-caller",
            defaults={"role": Role.FRONT_DESK, "first_name": "Bench", "last_name": "Caller"},
        )
        StaffLocation.objects.bulk_create(
            [StaffLocation(user=user, location=location) for location in locations]
        )
        follow_up = AppointmentType.objects.create(
            name="Follow-up (bench)", code="bench-follow-up", duration_minutes=20
        )
        new_patient = AppointmentType.objects.create(
            name="New patient (bench)",
            code="bench-new",
            duration_minutes=40,
            patient_kind="new",
            specialties=["Family Medicine"],
        )
        urgent = AppointmentType.objects.create(
            name="Same-day urgent (bench)", code="bench-urgent", duration_minutes=20
        )
        AppointmentType.objects.create(
            name="Procedure (bench)",
            code="bench-procedure",
            duration_minutes=30,
            required_room_kind="procedure",
            buffer_after_minutes=10,
        )
        providers = Provider.objects.bulk_create(
            [
                Provider(
                    first_name=f"Benchdoc{n}",
                    last_name="Zzexample",
                    credentials="MD",
                    npi=npi.make(f"19{n:07d}"),
                    specialty="Family Medicine",
                )
                for n in range(args.providers)
            ]
        )
        # Every provider works at one location; every tenth also at the next one on Tue/Thu.
        home: dict[int, dict[int, Location]] = {}
        links = []
        for n, provider in enumerate(providers):
            primary = locations[n % len(locations)]
            days = dict.fromkeys(range(5), primary)
            links.append(
                Provider.locations.through(provider_id=provider.pk, location_id=primary.pk)
            )
            if n % 10 == 0:
                second = locations[(n + 1) % len(locations)]
                days[1] = days[3] = second
                links.append(
                    Provider.locations.through(provider_id=provider.pk, location_id=second.pk)
                )
            home[provider.pk] = days
        Provider.locations.through.objects.bulk_create(links)

        templates = []
        start_monday = today - dt.timedelta(days=today.weekday())
        for provider in providers:
            for quarter in range(4):
                effective_from = start_monday + dt.timedelta(weeks=13 * quarter)
                effective_until = effective_from + dt.timedelta(weeks=13, days=-1)
                for weekday, location in home[provider.pk].items():
                    base = {
                        "provider": provider,
                        "location": location,
                        "weekday": weekday,
                        "effective_from": effective_from,
                        "effective_until": effective_until,
                    }
                    windows: list[tuple[str, str, dict[str, object]]] = [
                        ("08:00", "12:00", {}),
                        ("13:00", "17:00", {}),
                        (
                            "08:00",
                            "08:40",
                            {"kind": "reserved", "release_minutes_before": 120, "label": "Urgent"},
                        ),
                    ]
                    if weekday == 1:
                        windows.append(("09:00", "11:00", {"label": "New patients"}))
                    if weekday == 2:
                        windows.append(("10:00", "10:20", {"kind": "block", "label": "Huddle"}))
                    for start, end, extra in windows:
                        templates.append(
                            AvailabilityTemplate(
                                start_time=dt.time.fromisoformat(start),
                                end_time=dt.time.fromisoformat(end),
                                **base,
                                **extra,
                            )
                        )
        AvailabilityTemplate.objects.bulk_create(templates, batch_size=2000)
        through = AvailabilityTemplate.appointment_types.through
        restricted = []
        for template in AvailabilityTemplate.objects.filter(label__in=["Urgent", "New patients"]):
            kind = urgent if template.label == "Urgent" else new_patient
            restricted.append(
                through(availabilitytemplate_id=template.pk, appointmenttype_id=kind.pk)
            )
        through.objects.bulk_create(restricted, batch_size=2000)

        exceptions = [
            ScheduleException(
                provider=providers[rng.randrange(len(providers))],
                starts_at=now + dt.timedelta(days=rng.randrange(args.days)),
                ends_at=now + dt.timedelta(days=rng.randrange(args.days) + 7),
                reason="vacation",
            )
            for _ in range(20)
        ]
        exceptions = [e for e in exceptions if e.ends_at > e.starts_at]
        holiday = dt.datetime.combine(today + dt.timedelta(days=45), dt.time(), tzinfo=dt.UTC)
        exceptions += [
            ScheduleException(
                location=location,
                starts_at=holiday,
                ends_at=holiday + dt.timedelta(days=1),
                reason="holiday",
            )
            for location in locations
        ]
        ScheduleException.objects.bulk_create(exceptions)

        first_mrn = Patient.objects.count() + 1
        patients = Patient.objects.bulk_create(
            [
                Patient(
                    mrn=f"S{first_mrn + n:07d}",
                    first_name=f"Schedpat{n}",
                    last_name="Zzexample",
                    first_name_key=f"schedpat{n}",
                    last_name_key="zzexample",
                    date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=n * 5),
                    sex_at_birth="F" if n % 2 else "M",
                )
                for n in range(PATIENTS)
            ],
            batch_size=2000,
        )
    print(f"practice, templates, patients  {time.perf_counter() - started:6.1f} s", flush=True)

    # Appointments: 20-minute visits on a 20-minute grid, each taken with probability 0.8. The grid
    # is aligned in UTC (whole-hour offsets), so the patient chosen for (instant, provider) never
    # has two overlapping visits (the PostgreSQL exclusion constraint would refuse it).
    epoch = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    total = 0
    for day_offset in range(args.days):
        day = today + dt.timedelta(days=day_offset)
        if day.weekday() > 4:
            continue
        batch = []
        for index, provider in enumerate(providers):
            location = home[provider.pk][day.weekday()]
            zone = ZoneInfo(location.timezone)
            for start_wall, end_wall in (("08:00", "12:00"), ("13:00", "17:00")):
                start = dt.datetime.combine(day, dt.time.fromisoformat(start_wall), tzinfo=zone)
                end = dt.datetime.combine(day, dt.time.fromisoformat(end_wall), tzinfo=zone)
                slot = start.astimezone(dt.UTC)
                while slot + SLOT <= end.astimezone(dt.UTC):
                    local = slot.astimezone(zone)
                    huddle = day.weekday() == 2 and dt.time(10) <= local.time() < dt.time(10, 20)
                    if slot > now and not huddle and rng.random() < BOOKED_SHARE:
                        tick = int((slot - epoch) / SLOT)
                        kind = urgent if local.time() < dt.time(8, 40) else follow_up
                        batch.append(
                            Appointment(
                                patient=patients[(tick * len(providers) + index) % PATIENTS],
                                provider=provider,
                                location=location,
                                appointment_type=kind,
                                starts_at=slot,
                                ends_at=slot + SLOT,
                                status="booked",
                                booked_by=user,
                            )
                        )
                    slot += SLOT
        with transaction.atomic():
            Appointment.objects.bulk_create(batch, batch_size=2000)
        total += len(batch)
    holds = [
        SlotHold(
            provider=providers[rng.randrange(len(providers))],
            location=locations[0],
            appointment_type=follow_up,
            starts_at=(start := now + dt.timedelta(minutes=20 * rng.randrange(90 * 72))),
            ends_at=start + SLOT,
            expires_at=now + dt.timedelta(days=120),
            held_by=caller,
        )
        for _ in range(200)
    ]
    SlotHold.objects.bulk_create(holds)
    print(f"{total:,} appointments  {time.perf_counter() - started:6.1f} s", flush=True)
    _analyze()
    return 0


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


if __name__ == "__main__":
    raise SystemExit(main())
