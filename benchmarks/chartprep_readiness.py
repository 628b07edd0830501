"""Time chart-prep readiness: 3 days of 5 locations, about 9,000 upcoming appointments.

Fills (once) five locations "Bench Prep 1..5", each with 25 providers seeing 24 visits a day for the
next three days (5 x 25 x 24 x 3 = 9,000 appointments, each with its own synthetic patient). The
facts readiness reads are mixed the way a real practice's are: 90 % of patients have active coverage,
85 % acknowledged the privacy notice (a tenth of those over a year ago), 80 % the financial policy;
a third of the visits are of a type that needs a prior authorization, and two thirds of those
patients have one on file (some expired or used up); 5 % have outside records outstanding.

Then times ``readiness_recompute()`` (compute every checklist and store the rows) cold (no stored
rows) and warm (upsert over existing rows), and ``readiness_compute`` alone, with the SQL statement
count of each. Prints JSON; the target is <= 10 s for the full recompute.

    FRONTDESK_DATA_DIR=/tmp/fd-prep-bench python manage.py migrate
    FRONTDESK_DATA_DIR=/tmp/fd-prep-bench python benchmarks/chartprep_readiness.py

Add FRONTDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> for PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import django_setup

TARGET_SECONDS = 10.0
LOCATIONS = 5
PROVIDERS = 25
VISITS_PER_DAY = 24
DAYS = 3
SLOT = dt.timedelta(minutes=20)
CODE = "bench-prep"


def _first_slot() -> dt.datetime:
    """The next whole hour plus one: every bench visit starts inside the 3-day window."""
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return now + dt.timedelta(hours=2)


def generate() -> int:
    """Create the bench data, or move the existing visits so they start at the next slot."""
    from django.db import transaction
    from django.db.models import F, Min

    from frontdesk.accounts.models import User
    from frontdesk.chartprep.models import Authorization, ConsentAcknowledgement, RecordsRequest
    from frontdesk.patients.models import Coverage, Patient
    from frontdesk.practice.models import Location, Organization, Payer, Provider
    from frontdesk.scheduling.models import Appointment, AppointmentType
    from frontdesk.standards import npi

    first = _first_slot()
    bench = Appointment.objects.filter(location__code__startswith=CODE)
    earliest = bench.aggregate(first=Min("starts_at"))["first"]
    if earliest is not None:
        shift = first - earliest
        bench.update(starts_at=F("starts_at") + shift, ends_at=F("ends_at") + shift)
        return bench.count()
    with transaction.atomic():
        org, _ = Organization.objects.get_or_create(name="Bench Medical Group (synthetic)")
        locations = [
            Location.objects.create(
                organization=org,
                name=f"Bench Prep {n}",
                code=f"{CODE}-{n}",
                timezone="America/New_York",
            )
            for n in range(1, LOCATIONS + 1)
        ]
        payer = Payer.objects.create(name="Bench Prep Health (synthetic)", payer_id="BENCHPREP")
        user, _ = User.objects.get_or_create(username="bench-prep", defaults={"role": "front_desk"})
        plain = AppointmentType.objects.create(
            name="Visit (prep bench)", code="bench-prep-visit", duration_minutes=20
        )
        imaging = AppointmentType.objects.create(
            name="Imaging review (prep bench)",
            code="bench-prep-imaging",
            duration_minutes=20,
            requires_prior_auth=True,
        )
        providers = Provider.objects.bulk_create(
            [
                Provider(
                    first_name=f"Prepdoc{n:03d}",
                    last_name=f"Zzbench{n:03d}",
                    npi=npi.make(f"17{n:07d}"),
                )
                for n in range(LOCATIONS * PROVIDERS)
            ]
        )
        total = LOCATIONS * PROVIDERS * VISITS_PER_DAY * DAYS
        base_mrn = Patient.objects.count() + 1
        patients = Patient.objects.bulk_create(
            [
                Patient(
                    mrn=f"P{base_mrn + n:07d}",
                    first_name=f"Preppat{n}",
                    last_name="Zzexample",
                    first_name_key=f"preppat{n}",
                    last_name_key="zzexample",
                    date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=n % 20000),
                )
                for n in range(total)
            ],
            batch_size=1000,
        )
        appointments = []
        n = 0
        for li, location in enumerate(locations):
            for pi in range(PROVIDERS):
                provider = providers[li * PROVIDERS + pi]
                for day in range(DAYS):
                    for k in range(VISITS_PER_DAY):
                        start = first + dt.timedelta(days=day) + k * SLOT
                        appointments.append(
                            Appointment(
                                patient=patients[n],
                                provider=provider,
                                location=location,
                                appointment_type=imaging if n % 3 == 0 else plain,
                                starts_at=start,
                                ends_at=start + SLOT,
                            )
                        )
                        n += 1
        Appointment.objects.bulk_create(appointments, batch_size=1000)
        now = dt.datetime.now(dt.UTC)
        Coverage.objects.bulk_create(
            [
                Coverage(patient=p, payer=payer, member_id=f"BP{i:08d}", member_id_key=f"bp{i:08d}")
                for i, p in enumerate(patients)
                if i % 10
            ],
            batch_size=1000,
        )
        consents = []
        for i, p in enumerate(patients):
            if i % 20 < 17:
                age = dt.timedelta(days=400 if i % 10 == 0 else 30)
                consents.append(
                    ConsentAcknowledgement(
                        patient=p, kind="privacy_notice", method="paper", acknowledged_at=now - age
                    )
                )
            if i % 5:
                consents.append(
                    ConsentAcknowledgement(
                        patient=p,
                        kind="financial_policy",
                        method="electronic",
                        acknowledged_at=now - dt.timedelta(days=90),
                    )
                )
        ConsentAcknowledgement.objects.bulk_create(consents, batch_size=1000)
        today = now.date()
        auths = [
            Authorization(
                patient=p,
                kind="prior_auth",
                payer=payer,
                valid_from=today - dt.timedelta(days=30),
                valid_until=today - dt.timedelta(days=1)
                if i % 9 == 0
                else today + dt.timedelta(days=60),
                units_approved=6,
                units_used=6 if i % 12 == 0 else 2,
                created_by=user,
            )
            for i, p in enumerate(patients)
            if i % 3 == 0 and i % 9 != 3
        ]
        Authorization.objects.bulk_create(auths, batch_size=1000)
        Authorization.appointment_types.through.objects.bulk_create(
            [
                Authorization.appointment_types.through(
                    authorization_id=a.pk, appointmenttype_id=imaging.pk
                )
                for a in auths
            ],
            batch_size=1000,
        )
        RecordsRequest.objects.bulk_create(
            [
                RecordsRequest(
                    patient=p, requested_from="Zz Outside Lab", requested_at=now, requested_by=user
                )
                for i, p in enumerate(patients)
                if i % 20 == 7
            ],
            batch_size=1000,
        )
    return total


def main() -> int:
    django_setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from frontdesk.chartprep import selectors, services
    from frontdesk.chartprep.models import Readiness
    from frontdesk.practice.models import Location

    started = time.perf_counter()
    visits = generate()
    generated_s = time.perf_counter() - started
    Readiness.objects.filter(location__code__startswith=CODE).delete()
    location_ids = list(Location.objects.filter(code__startswith=CODE).values_list("pk", flat=True))

    def timed(fn: Any) -> tuple[float, int, Any]:
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - t0
        return elapsed, len(ctx.captured_queries), result

    cold_s, cold_q, cold_n = timed(lambda: services.readiness_recompute(location_ids=location_ids))
    warm_s, warm_q, warm_n = timed(lambda: services.readiness_recompute(location_ids=location_ids))
    start, end = selectors.upcoming_window()
    compute_s, compute_q, computed = timed(
        lambda: selectors.readiness_compute(
            selectors.appointments_in_window(start, end).filter(location_id__in=location_ids)
        )
    )
    not_ready = Readiness.objects.filter(location_id__in=location_ids, is_ready=False).count()
    missing: dict[str, int] = {}
    for c in computed:
        for key in c.missing:
            missing[key] = missing.get(key, 0) + 1
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "visits_in_window": cold_n,
                "generated_or_shifted_s": round(generated_s, 2),
                "recompute_cold_s": round(cold_s, 2),
                "recompute_cold_queries": cold_q,
                "recompute_warm_s": round(warm_s, 2),
                "recompute_warm_queries": warm_q,
                "compute_only_s": round(compute_s, 2),
                "compute_only_queries": compute_q,
                "not_ready": not_ready,
                "missing_by_item": dict(sorted(missing.items())),
                "target_s": TARGET_SECONDS,
                "within_target": max(cold_s, warm_s) <= TARGET_SECONDS and warm_n == visits,
            },
            indent=2,
        )
    )
    return 0 if max(cold_s, warm_s) <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
