"""Booking under contention: many clients booking the same few slots at once, then a double-booking audit.

Sets up its own small practice (one location, 2 providers, one day of 20-minute slots, many
patients, one scheduler per client), then starts ``--clients`` separate processes. Each calls
``django.setup()`` and opens its own database connection, and for ``--seconds`` repeatedly picks a
random slot of the shared set and a random patient and calls the real booking service,
``appointment_book`` (permission and scope checks, validation against the templates, provider row
lock, PostgreSQL exclusion constraints, event row and hash-chained audit row). A client that holds
``--keep`` bookings cancels its oldest one through ``appointment_cancel`` first, so slots keep
freeing up and the contention lasts the whole run. Outcomes are counted per kind (booked,
slot_taken, patient_overlap, other errors); latency is measured around each booking call.

Afterwards one SQL statement per resource (provider, room, patient) looks for two active
appointments that overlap; the benchmark fails (exit 1) if it finds any.

    FRONTDESK_DATA_DIR=/tmp/fd-contention \\
    FRONTDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fd_contention \\
    python benchmarks/scheduling_contention.py      # --clients 16 --seconds 30

Migrate the database first (``python manage.py migrate``). Each run adds its own location, so it
can run again on the same database and next to the slot-search data. SQLite works too (writers
serialize on the database lock; see docs/performance.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import queue as queue_module
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import django_setup
from benchmarks._setup import summary as _summary

SLOT_MINUTES = 20
DAY_START, DAY_END = "08:00", "12:00"  # 12 slots per provider
PROVIDERS = 2
PATIENTS = 2000
ZONE = "America/New_York"


def _setup_practice(clients: int, run: str) -> dict[str, Any]:
    """A location with 2 providers open one weekday morning, a scheduler per client, patients."""
    from zoneinfo import ZoneInfo

    from django.db import transaction
    from django.utils import timezone

    from frontdesk.accounts.choices import Role
    from frontdesk.accounts.models import User
    from frontdesk.patients.models import Patient
    from frontdesk.practice.models import Location, Organization, Provider, Room, StaffLocation
    from frontdesk.scheduling.models import AppointmentType, AvailabilityTemplate
    from frontdesk.standards import npi

    zone = ZoneInfo(ZONE)
    today = timezone.now().astimezone(zone).date()
    day = today + dt.timedelta(days=7)
    while day.weekday() > 4:
        day += dt.timedelta(days=1)
    with transaction.atomic():
        org, _ = Organization.objects.get_or_create(name="Bench Medical Group (synthetic)")
        location = Location.objects.create(
            organization=org, name=f"Contention {run}", code=f"cont-{run}", timezone=ZONE
        )
        Room.objects.bulk_create(
            [Room(location=location, name=f"Exam {n}", kind="exam") for n in range(1, 5)]
        )
        kind, _ = AppointmentType.objects.get_or_create(
            code="bench-contention",
            defaults={"name": "Contention visit (bench)", "duration_minutes": SLOT_MINUTES},
        )
        base = 8_000_000 + int(run[-6:]) % 100_000 * 10
        providers = [
            Provider.objects.create(
                first_name=f"Contdoc{n}",
                last_name="Zzexample",
                credentials="MD",
                npi=npi.make(f"1{base + n:08d}"),
                specialty="Family Medicine",
            )
            for n in range(PROVIDERS)
        ]
        for provider in providers:
            provider.locations.add(location)
        AvailabilityTemplate.objects.bulk_create(
            [
                AvailabilityTemplate(
                    provider=provider,
                    location=location,
                    weekday=day.weekday(),
                    start_time=dt.time.fromisoformat(DAY_START),
                    end_time=dt.time.fromisoformat(DAY_END),
                    effective_from=day,
                    effective_until=day,
                )
                for provider in providers
            ]
        )
        users = [
            User.objects.create(
                username=f"cont-{run}-{n}",
                role=Role.SCHEDULER,
                first_name="Bench",
                last_name=f"Caller{n}",
            )
            for n in range(clients)
        ]
        StaffLocation.objects.bulk_create(
            [StaffLocation(user=user, location=location) for user in users]
        )
        first = Patient.objects.count() + 1
        patients = Patient.objects.bulk_create(
            [
                Patient(
                    mrn=f"C{first + n:07d}",
                    first_name=f"Contpat{n}",
                    last_name="Zzexample",
                    first_name_key=f"contpat{n}",
                    last_name_key="zzexample",
                    date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=n * 7),
                    sex_at_birth="F" if n % 2 else "M",
                )
                for n in range(PATIENTS)
            ],
            batch_size=2000,
        )
    slots = []
    wall = dt.datetime.combine(day, dt.time.fromisoformat(DAY_START), tzinfo=zone)
    end = dt.datetime.combine(day, dt.time.fromisoformat(DAY_END), tzinfo=zone)
    while wall + dt.timedelta(minutes=SLOT_MINUTES) <= end:
        for provider in providers:
            slots.append((provider.pk, wall.astimezone(dt.UTC).isoformat()))
        wall += dt.timedelta(minutes=SLOT_MINUTES)
    return {
        "location_id": location.pk,
        "type_id": kind.pk,
        "user_ids": [user.pk for user in users],
        "patient_ids": [patient.pk for patient in patients],
        "slots": slots,
        "day": day.isoformat(),
    }


def _client(
    index: int, practice: dict[str, Any], seconds: float, keep: int, start_at: float, out: Any
) -> None:
    """One booking client: its own process, its own connection, one scheduler user."""
    django_setup()
    from frontdesk.accounts.models import User
    from frontdesk.core.errors import DomainError
    from frontdesk.patients.models import Patient
    from frontdesk.practice.models import Location, Provider
    from frontdesk.scheduling.models import Appointment, AppointmentType
    from frontdesk.scheduling.services import appointment_book, appointment_cancel

    rng = random.Random(index)
    user = User.objects.get(pk=practice["user_ids"][index])
    location = Location.objects.get(pk=practice["location_id"])
    kind = AppointmentType.objects.get(pk=practice["type_id"])
    providers = {p.pk: p for p in Provider.objects.filter(pk__in={p for p, _ in practice["slots"]})}
    slots = [(providers[p], dt.datetime.fromisoformat(s)) for p, s in practice["slots"]]
    # Every client books from the whole shared set; patients are drawn from a shared pool too, so
    # the patient-overlap guard is exercised as well (rarely: the pool is large).
    patient_ids = practice["patient_ids"]
    mine: list[Appointment] = []
    outcomes: Counter[str] = Counter()
    book_ms: list[float] = []
    cancel_ms: list[float] = []
    errors: dict[str, str] = {}  # one sample message per kind of unexpected error
    while time.time() < start_at:
        time.sleep(0.005)
    deadline = start_at + seconds
    while time.time() < deadline:
        if len(mine) >= keep:
            appointment = mine.pop(0)
            started = time.perf_counter()
            try:
                appointment_cancel(
                    actor=user,
                    appointment=appointment,
                    reason="scheduling_conflict",
                    cancelled_by="practice",
                )
                outcomes["cancelled"] += 1
            except Exception as exc:  # counted and reported, the run goes on
                outcomes[f"cancel_error:{type(exc).__name__}"] += 1
                errors[f"cancel_error:{type(exc).__name__}"] = str(exc).splitlines()[0][:160]
            cancel_ms.append((time.perf_counter() - started) * 1000)
            continue
        provider, starts_at = rng.choice(slots)
        started = time.perf_counter()
        try:
            # As the API does: load the patient, then book (the load is part of the latency).
            patient = Patient.objects.get(pk=rng.choice(patient_ids))
            mine.append(
                appointment_book(
                    actor=user,
                    patient=patient,
                    provider=provider,
                    location=location,
                    appointment_type=kind,
                    starts_at=starts_at,
                )
            )
            outcome = "booked"
        except DomainError as exc:
            outcome = getattr(exc, "code", "") or type(exc).__name__
        except Exception as exc:  # counted and reported, the run goes on
            outcome = f"error:{type(exc).__name__}"
            errors[outcome] = str(exc).splitlines()[0][:160] if str(exc) else ""
        book_ms.append((time.perf_counter() - started) * 1000)
        outcomes[outcome] += 1
        out.put(("latency", index, outcome, book_ms[-1]))
    out.put(("done", index, dict(outcomes), cancel_ms, errors))


def _double_bookings(location_id: int) -> dict[str, int]:
    """Pairs of active appointments of one provider / room / patient that overlap (must be 0)."""
    from django.db import connection

    from frontdesk.scheduling.choices import ACTIVE_STATUSES

    statuses = ", ".join(f"'{status}'" for status in ACTIVE_STATUSES)
    found = {}
    with connection.cursor() as cursor:
        for column in ("provider_id", "room_id", "patient_id"):
            cursor.execute(
                "SELECT COUNT(*) FROM scheduling_appointment a "
                "JOIN scheduling_appointment b ON a.id < b.id "
                f"AND a.{column} = b.{column} "
                "AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at "
                f"WHERE a.status IN ({statuses}) AND b.status IN ({statuses}) "
                f"AND a.{column} IS NOT NULL "
                "AND a.is_overbook = %s AND b.is_overbook = %s "
                "AND (a.location_id = %s OR b.location_id = %s)",
                [False, False, location_id, location_id],
            )
            found[column.removesuffix("_id")] = cursor.fetchone()[0]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent booking processes")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the clients book")
    parser.add_argument(
        "--keep", type=int, default=2, help="bookings a client holds before cancelling its oldest"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    if not 1 <= args.clients <= 64 or not 0 < args.seconds <= 600:
        parser.error("use 1-64 clients for at most 600 seconds")
    django_setup()
    from django.db import connection, connections

    run = time.strftime("%Y%m%d%H%M%S")
    practice = _setup_practice(args.clients, run)
    vendor = connection.vendor
    connections.close_all()  # children open their own connections (never share a socket)

    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 3 + args.clients * 0.5  # let every child finish django.setup()
    children = [
        context.Process(
            target=_client, args=(n, practice, args.seconds, args.keep, start_at, queue)
        )
        for n in range(args.clients)
    ]
    for child in children:
        child.start()
    latencies: dict[str, list[float]] = {}
    totals: Counter[str] = Counter()
    cancel_ms: list[float] = []
    error_samples: dict[str, str] = {}
    done = 0
    hard_stop = start_at + args.seconds + 120
    while done < len(children) and time.time() < hard_stop:
        try:
            message = queue.get(timeout=5)
        except queue_module.Empty:  # check the deadline again
            continue
        if message[0] == "latency":
            _, _, outcome, ms = message
            latencies.setdefault(outcome, []).append(ms)
        else:
            _, _, outcomes, cancels, samples = message
            totals.update(outcomes)
            error_samples.update(samples)
            cancel_ms.extend(cancels)
            done += 1
    for child in children:
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()
    elapsed = args.seconds
    overlaps = _double_bookings(practice["location_id"])
    attempts = sum(len(v) for v in latencies.values())
    results: dict[str, Any] = {
        "vendor": vendor,
        "clients": args.clients,
        "seconds": args.seconds,
        "slots": len(practice["slots"]),
        "day": practice["day"],
        "attempts": attempts,
        "outcomes": dict(sorted(totals.items())),
        "bookings_per_second": round(totals["booked"] / elapsed, 1),
        "conflicts_per_second": round(
            (totals["slot_taken"] + totals["patient_overlap"]) / elapsed, 1
        ),
        "attempts_per_second": round(attempts / elapsed, 1),
        "booking_ms": _summary(latencies.get("booked", [])),
        "conflict_ms": _summary(latencies.get("slot_taken", [])),
        "cancel_ms": _summary(cancel_ms),
        "error_samples": error_samples,
        "double_bookings": overlaps,
        "clients_finished": done,
    }
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print()
    print(f"{vendor}, {args.clients} clients, {args.seconds:g} s, {len(practice['slots'])} slots")
    print(f"{'outcome':<18}{'count':>8}{'per s':>8}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}")
    for outcome, values in sorted(latencies.items()):
        summary = _summary(values)
        print(
            f"{outcome:<18}{len(values):>8}{len(values) / elapsed:>8.1f}"
            f"{summary['median']:>11}{summary['p95']:>9}{summary['max']:>9}"
        )
    summary = _summary(cancel_ms)
    print(
        f"{'(cancel)':<18}{len(cancel_ms):>8}{len(cancel_ms) / elapsed:>8.1f}"
        f"{summary['median']:>11}{summary['p95']:>9}{summary['max']:>9}"
    )
    clean = not any(overlaps.values()) and done == len(children)
    print(
        f"double bookings (provider / room / patient): {overlaps} -> {'none' if clean else 'FOUND'}"
    )
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
