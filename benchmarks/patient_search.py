"""Time the patient search box and the registration duplicate check against a generated database.

Runs --queries searches of each kind (name fragments, DOB, phone, MRN, member ID, typos) and as
many duplicate checks, as a front-desk user, through the real selectors (scoping and the audit row
included), and prints median / p95 / max in milliseconds per kind.

    FRONTDESK_DATA_DIR=/tmp/fd-bench python benchmarks/patient_search.py
    FRONTDESK_DATA_DIR=/tmp/fd-bench FRONTDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fd_bench \\
        python benchmarks/patient_search.py

Fill the database first with benchmarks/generate_patients.py.
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
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import django_setup
from benchmarks._setup import percentile as _percentile

TARGETS_MS = {  # (median, p95) from the Foundation issue; None = no target set
    "name_fragment": (50, 150),
    "name_last_first": (50, 150),
    "name_typo": (50, 150),
    "dob": (50, 150),
    "phone": (50, 150),
    "phone_last7": (50, 150),
    "mrn": (50, 150),
    "member_id": (50, 150),
    "duplicate_check": (100, None),
}


def _swap_letters(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text
    index = rng.randrange(1, len(text) - 2)
    return text[:index] + text[index + 1] + text[index] + text[index + 2 :]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200, help="timed queries per kind")
    parser.add_argument("--warmup", type=int, default=10, help="untimed queries per kind first")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    django_setup()

    from django.db import connection

    from frontdesk.accounts.choices import Role
    from frontdesk.accounts.models import User
    from frontdesk.patients import nicknames
    from frontdesk.patients.duplicates import transposed_dates
    from frontdesk.patients.models import Coverage, Patient, PatientPhone
    from frontdesk.patients.selectors import patient_duplicates, patient_search

    user, _created = User.objects.get_or_create(
        username="bench-frontdesk",
        defaults={"role": Role.FRONT_DESK, "first_name": "Bench", "last_name": "Clerk"},
    )
    total = Patient.objects.count()
    if total == 0:
        print("No patients: run benchmarks/generate_patients.py first.", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    bounds = Patient.objects.order_by("pk").values_list("pk", flat=True)
    low, high = bounds.first(), Patient.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert low is not None and high is not None
    count = args.queries + args.warmup
    sample_ids = [rng.randint(low, high) for _ in range(count * 3)]
    people = list(
        Patient.objects.filter(pk__in=sample_ids).values_list(
            "pk", "first_name", "last_name", "date_of_birth", "mrn"
        )
    )
    rng.shuffle(people)
    people = people[:count]
    phones = dict(
        PatientPhone.objects.filter(patient_id__in=[p[0] for p in people], rank=1).values_list(
            "patient_id", "digits"
        )
    )
    members = list(
        Coverage.objects.filter(patient_id__in=[p[0] for p in people]).values_list(
            "member_id", flat=True
        )
    )

    def dob_text(value: dt.date, style: int) -> str:
        return (
            value.isoformat(),
            value.strftime("%m/%d/%Y"),
            f"{value.month}/{value.day}/{value.year % 100:02d}",
        )[style % 3]

    def phone_text(digits: str, style: int) -> str:
        return (
            f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
            digits,
            f"+1 {digits[:3]}.{digits[3:6]}.{digits[6:]}",
        )[style % 3]

    def duplicate_check(person: tuple[Any, ...], n: int) -> Any:
        _pk, first, last, dob, _mrn = person
        variants = sorted(nicknames.variants(first.lower()) - {first.lower()})
        if variants and n % 2 == 0:
            first = variants[n % len(variants)].title()
        if n % 3 == 0:
            swapped = transposed_dates(dob)
            dob = swapped[0] if swapped else dob
        digits = phones.get(person[0])
        return patient_duplicates(
            user=user,
            first_name=first,
            last_name=last,
            date_of_birth=dob,
            phones=[digits] if digits and n % 2 else [],
            email="",
        )

    def search(text: str) -> Callable[[], Any]:
        return lambda: patient_search(user=user, query=text)

    workloads: dict[str, list[Callable[[], Any]]] = {
        "name_fragment": [
            search(f"{p[2][:3].lower()} {p[1][:2].lower()}" if n % 2 else f"{p[1][:2]} {p[2]}")
            for n, p in enumerate(people)
        ],
        "name_last_first": [search(f"{p[2]}, {p[1]}") for p in people],
        "name_typo": [search(f"{p[1]} {_swap_letters(p[2], rng)}") for p in people],
        "dob": [search(dob_text(p[3], n)) for n, p in enumerate(people)],
        "phone": [
            search(phone_text(phones[p[0]], n)) for n, p in enumerate(people) if p[0] in phones
        ],
        "phone_last7": [
            search(f"{phones[p[0]][3:6]}-{phones[p[0]][6:]}") for p in people if p[0] in phones
        ],
        "mrn": [search(p[4]) for p in people],
        "member_id": [search(member) for member in members[:count]],
        "duplicate_check": [partial(duplicate_check, p, n) for n, p in enumerate(people)],
    }

    results: dict[str, dict[str, float]] = {}
    print(
        f"{connection.vendor}: {total:,} patients, {args.queries} timed queries per kind "
        f"(after {args.warmup} warm-up)"
    )
    print(f"{'kind':<17}{'n':>5}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}  target")
    for kind, calls in workloads.items():
        for call in calls[: args.warmup]:
            call()
        timings = []
        for call in calls[args.warmup :]:
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
        if not timings:
            continue
        median = statistics.median(timings)
        p95 = _percentile(timings, 0.95)
        target_median, target_p95 = TARGETS_MS[kind]
        met = median <= target_median and (target_p95 is None or p95 <= target_p95)
        target = f"<= {target_median}" + (f" / {target_p95}" if target_p95 else "")
        print(
            f"{kind:<17}{len(timings):>5}{median:>11.1f}{p95:>9.1f}{max(timings):>9.1f}  "
            f"{target} {'ok' if met else 'MISSED'}"
        )
        results[kind] = {
            "n": len(timings),
            "median_ms": round(median, 2),
            "p95_ms": round(p95, 2),
            "max_ms": round(max(timings), 2),
            "met": met,
        }
    if args.json:
        args.json.write_text(
            json.dumps({"vendor": connection.vendor, "patients": total, **results}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
