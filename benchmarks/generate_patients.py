"""Fill a database with N synthetic patients (default 200,000) for the search benchmark.

Deterministic for a given --seed. Obviously fake data only: invented surnames built from nonsense
syllables, example.com e-mail addresses, 555-01xx phone numbers. Rows are written with bulk_create
in batches, with the same derived search keys the registration service writes (normalize.*).

    FRONTDESK_DATA_DIR=/tmp/fd-bench python manage.py migrate
    FRONTDESK_DATA_DIR=/tmp/fd-bench python benchmarks/generate_patients.py --patients 200000

Add FRONTDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fd_bench for PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import django_setup

FIRST_NAMES = [
    "James",
    "Robert",
    "John",
    "Michael",
    "David",
    "William",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Christopher",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Donald",
    "Steven",
    "Paul",
    "Andrew",
    "Joshua",
    "Kenneth",
    "Kevin",
    "Brian",
    "George",
    "Timothy",
    "Ronald",
    "Edward",
    "Jason",
    "Jeffrey",
    "Ryan",
    "Jacob",
    "Gary",
    "Nicholas",
    "Eric",
    "Jonathan",
    "Stephen",
    "Larry",
    "Justin",
    "Scott",
    "Brandon",
    "Benjamin",
    "Samuel",
    "Gregory",
    "Alexander",
    "Frank",
    "Patrick",
    "Raymond",
    "Jack",
    "Dennis",
    "Jerry",
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Lisa",
    "Nancy",
    "Betty",
    "Margaret",
    "Sandra",
    "Ashley",
    "Kimberly",
    "Emily",
    "Donna",
    "Michelle",
    "Carol",
    "Amanda",
    "Dorothy",
    "Melissa",
    "Deborah",
    "Stephanie",
    "Rebecca",
    "Sharon",
    "Laura",
    "Cynthia",
    "Kathleen",
    "Amy",
    "Angela",
    "Shirley",
    "Anna",
    "Brenda",
    "Pamela",
    "Emma",
    "Nicole",
    "Helen",
    "Samantha",
    "Katherine",
    "Christine",
    "Debra",
    "Rachel",
    "Carolyn",
    "Janet",
    "Catherine",
    "Maria",
    "Heather",
    "Bob",
    "Bill",
    "Liz",
    "Peggy",
    "Jim",
    "Tom",
    "Kate",
    "Beth",
    "Mike",
    "Dave",
    "Sue",
    "Pat",
    "Chris",
    "Tony",
    "Alex",
    "Sam",
    "Ben",
    "Ted",
    "Dan",
    "Nick",
]
_SYLLABLES_A = [
    "Quib",
    "Zor",
    "Flim",
    "Wob",
    "Snor",
    "Gliz",
    "Plon",
    "Trub",
    "Vex",
    "Mun",
    "Bram",
    "Krel",
    "Dorf",
    "Yal",
    "Pim",
    "Tark",
    "Hob",
    "Jub",
    "Lum",
    "Nib",
    "Quar",
    "Rix",
    "Sprock",
    "Tweed",
    "Ulm",
    "Vorn",
    "Wump",
    "Xan",
    "Yib",
    "Zell",
    "Blor",
    "Crum",
    "Drev",
    "Fizz",
    "Grop",
    "Hask",
    "Jorp",
    "Klon",
    "Morb",
    "Nurt",
    "Oxl",
    "Prag",
    "Quen",
    "Rusk",
    "Slom",
    "Tibb",
    "Umber",
    "Vask",
    "Wrix",
    "Yorb",
    "Zant",
    "Bez",
    "Cog",
    "Dax",
    "Elb",
    "Fum",
    "Gub",
]
_SYLLABLES_B = [
    "ley",
    "ington",
    "worth",
    "berry",
    "son",
    "stein",
    "ford",
    "wick",
    "ham",
    "ton",
    "more",
    "dale",
    "field",
    "by",
    "ski",
    "ers",
    "man",
    "hurst",
    "well",
    "ridge",
    "low",
    "bank",
    "cott",
    "shaw",
    "thorpe",
]
LAST_NAMES = [a + b for a in _SYLLABLES_A for b in _SYLLABLES_B]  # 57 x 25 = 1,425 surnames
AREA_CODES = [f"{a}{b}{c}" for a in range(2, 10) for b in range(0, 9) for c in range(0, 10)][::7]
PAYERS = 10
BATCH = 2000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument(
        "--force", action="store_true", help="add patients even if the database already has some"
    )
    args = parser.parse_args()
    django_setup()

    from django.db import transaction

    from frontdesk.patients.models import Coverage, Patient, PatientPhone
    from frontdesk.patients.normalize import member_id_key, name_key, phonetic_key
    from frontdesk.practice.models import Payer

    if Patient.objects.exists() and not args.force:
        print("This database already has patients; use --force to add more.", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    payers = []
    for number in range(PAYERS):
        payer, _created = Payer.objects.get_or_create(
            payer_id=f"BENCH{number:02d}", defaults={"name": f"Bench Health Plan {number}"}
        )
        payers.append(payer)
    keys = {name: (name_key(name), phonetic_key(name)) for name in FIRST_NAMES + LAST_NAMES}
    start_mrn = Patient.objects.count() + 1
    first_day = dt.date(1930, 1, 1).toordinal()
    last_day = dt.date(2024, 12, 31).toordinal()
    started = time.perf_counter()
    made = 0
    while made < args.patients:
        size = min(BATCH, args.patients - made)
        batch = []
        for offset in range(size):
            number = start_mrn + made + offset
            first = rng.choice(FIRST_NAMES)
            last = rng.choice(LAST_NAMES)
            email = (
                f"{first.lower()}.{last.lower()}{number}@example.com" if rng.random() < 0.5 else ""
            )
            batch.append(
                Patient(
                    mrn=f"B{number:07d}",
                    first_name=first,
                    last_name=last,
                    date_of_birth=dt.date.fromordinal(rng.randint(first_day, last_day)),
                    sex_at_birth=rng.choice(("F", "M")),
                    email=email,
                    first_name_key=keys[first][0],
                    last_name_key=keys[last][0],
                    first_name_phonetic=keys[first][1],
                    last_name_phonetic=keys[last][1],
                )
            )
        with transaction.atomic():
            patients = Patient.objects.bulk_create(batch)
            phones = []
            coverages = []
            for patient in patients:
                for rank in range(1, rng.choice((2, 2, 3))):
                    digits = f"{rng.choice(AREA_CODES)}55501{rng.randint(0, 99):02d}"
                    phones.append(
                        PatientPhone(
                            patient=patient,
                            number=f"+1{digits}",
                            digits=digits,
                            digits_reversed=digits[::-1],
                            phone_type="mobile" if rank == 1 else "home",
                            sms_capable=rank == 1,
                            rank=rank,
                        )
                    )
                if rng.random() < 0.8:
                    member_id = f"BM{rng.randint(0, 999_999_999):09d}"
                    coverages.append(
                        Coverage(
                            patient=patient,
                            payer=rng.choice(payers),
                            member_id=member_id,
                            member_id_key=member_id_key(member_id),
                            effective_on=dt.date(2026, 1, 1),
                        )
                    )
            PatientPhone.objects.bulk_create(phones, ignore_conflicts=True)
            Coverage.objects.bulk_create(coverages)
        made += size
        if made % 20_000 == 0 or made == args.patients:
            elapsed = time.perf_counter() - started
            print(f"{made:>8,} patients  {elapsed:6.1f} s", flush=True)
    _analyze()
    return 0


def _analyze() -> None:
    """Refresh planner statistics so the first benchmark run sees the real table sizes."""
    from django.db import connection

    with connection.cursor() as cursor:
        # PostgreSQL: VACUUM also sets the visibility map, so index-only scans work at once (in
        # production autovacuum does this); SQLite: ANALYZE fills sqlite_stat1 for the planner.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


if __name__ == "__main__":
    raise SystemExit(main())
