"""Synthetic patients for the demo practice: deterministic for a seed, built in batches for scale.

Rows are written with ``bulk_create`` (hundreds of thousands must load in minutes), so this module
derives the search keys itself with the same functions registration uses (``patients.normalize``).
"""

from __future__ import annotations

import datetime as dt
import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import transaction

from frontdesk.core.models import Counter
from frontdesk.demo.names import (
    AREA_CODES,
    FEMALE_FIRST_NAMES,
    MALE_FIRST_NAMES,
    MIDDLE_INITIAL_NAMES,
    STREET_NAMES,
    SURNAME_ENDINGS,
    SURNAME_ROOTS,
)
from frontdesk.demo.practice import PAYERS, DemoPractice
from frontdesk.patients import normalize
from frontdesk.patients.choices import (
    CoverageStatus,
    GenderIdentity,
    GuarantorKind,
    PhoneType,
    SexAtBirth,
    SubscriberRelationship,
)
from frontdesk.patients.models import Coverage, Patient, PatientPhone
from frontdesk.practice.choices import PayerType
from frontdesk.practice.models import Location, Payer, Plan

# Everything is dated relative to a fixed day so a seed always gives the same rows.
REFERENCE_DATE = dt.date(2026, 1, 1)
BATCH_SIZE = 2000
MRN_COUNTER = "mrn"
# The SSA reserved 987-65-4320..4329 for advertising: valid-looking, never issued to anyone.
FICTIONAL_SSNS = tuple(f"98765432{digit}" for digit in range(10))

_NICKNAMES = {
    "Robert": "Bob",
    "William": "Bill",
    "Elizabeth": "Liz",
    "Katherine": "Kate",
    "Margaret": "Peggy",
    "Richard": "Rick",
    "James": "Jim",
    "Jennifer": "Jen",
    "Michael": "Mike",
    "Patricia": "Pat",
}
_LANGUAGES = (("en", 85), ("es", 10), ("zh", 2), ("vi", 1), ("ar", 1), ("ru", 1))
_EMPLOYERS = (
    "Sample Manufacturing Co.",
    "Demo Logistics LLC",
    "Example Hospital Supply",
    "Testwell Grocers",
    "Mockup Software Inc.",
    "Placeholder Public Schools",
)
_EMERGENCY_RELATIONSHIPS = ("Spouse", "Parent", "Sibling", "Child", "Friend")
# Letters allowed in a Medicare Beneficiary Identifier (no S, L, O, I, B, Z).
_MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"


@lru_cache(maxsize=4096)
def _name_keys(name: str) -> tuple[str, str]:
    return normalize.name_key(name), normalize.phonetic_key(name)


@lru_cache(maxsize=131072)
def _phone(area_code: int, line: int) -> tuple[str, str]:
    e164 = normalize.phone_e164(f"({area_code}) 555-01{line:02d}")
    return e164, normalize.phone_digits(e164)


def mrn_reserve(count: int) -> Iterator[int]:
    """Reserve ``count`` consecutive values of the MRN counter under its row lock.

    Registration takes one value at a time with ``core.counters.counter_next("mrn")``; this advances the
    same counter by a whole batch at once, so demo MRNs and registered MRNs never collide.
    """
    with transaction.atomic():
        counter = Counter.objects.select_for_update().filter(pk=MRN_COUNTER).first()
        if counter is None:
            counter = Counter.objects.create(name=MRN_COUNTER, value=0)
        first = counter.value + 1
        counter.value += count
        counter.save(update_fields=["value"])
    return iter(range(first, first + count))


try:
    # Registration's own formatting, so demo MRNs look exactly like registered ones.
    from frontdesk.patients.services import mrn_for as mrn_format
except ImportError:  # the registration service is not merged yet: the counter value is the MRN

    def mrn_format(number: int) -> str:
        return str(number)


@dataclass
class PatientStats:
    patients: int = 0
    phones: int = 0
    coverages: int = 0
    restricted: int = 0
    by_payer_type: dict[str, int] = field(default_factory=dict)


@dataclass
class _Draft:
    """One generated patient with its phones and coverages, before it has a primary key."""

    patient: Patient
    phones: list[PatientPhone]
    coverages: list[Coverage]


class PatientGenerator:
    """Turns a seeded random stream into patient drafts (one ``random.Random`` so seeds replay)."""

    def __init__(self, *, seed: int, practice: DemoPractice) -> None:
        self.rng = random.Random(seed)
        self.locations: list[Location] = practice.locations
        self.payers = practice.payers
        self.plans = practice.plans
        self.prefixes = {spec.payer_id: spec.member_prefix for spec in PAYERS}
        self.plan_specs = {
            (payer_spec.payer_id, plan_spec.name): plan_spec
            for payer_spec in PAYERS
            for plan_spec in payer_spec.plans
        }
        self.by_type: dict[str, list[Payer]] = {}
        for payer in practice.payers.values():
            self.by_type.setdefault(payer.payer_type, []).append(payer)
        self.surnames = [root + ending for root in SURNAME_ROOTS for ending in SURNAME_ENDINGS]
        self.location_areas = {"alb": (518, 838), "buf": (716,), "chi": (312, 773, 872)}

    # --- people ------------------------------------------------------------------------------
    def _first_name(self, sex: str) -> str:
        if sex == SexAtBirth.FEMALE:
            return self.rng.choice(FEMALE_FIRST_NAMES)
        if sex == SexAtBirth.MALE:
            return self.rng.choice(MALE_FIRST_NAMES)
        return self.rng.choice(FEMALE_FIRST_NAMES + MALE_FIRST_NAMES)

    def _age(self) -> int:
        bucket = self.rng.random()
        if bucket < 0.18:
            return self.rng.randint(0, 17)
        if bucket < 0.70:
            return self.rng.randint(18, 64)
        return self.rng.randint(65, 98)

    def _area_code(self, location: Location) -> int:
        # Most patients have a local area code; some kept a number from elsewhere.
        if self.rng.random() < 0.8:
            return self.rng.choice(self.location_areas.get(location.code, (518,)))
        return self.rng.choice(AREA_CODES)

    def _member_id(self, payer: Payer) -> str:
        rng = self.rng
        if payer.payer_type == PayerType.MEDICARE:
            # MBI layout: C A AN N A AN N A A N N (C = 1-9, A = letter, N = digit).
            def letter() -> str:
                return rng.choice(_MBI_LETTERS)

            def alnum() -> str:
                return rng.choice(_MBI_LETTERS + string.digits)

            parts = [
                str(rng.randint(1, 9)),
                letter(),
                alnum(),
                str(rng.randint(0, 9)),
                letter(),
                alnum(),
                str(rng.randint(0, 9)),
                letter(),
                letter(),
                str(rng.randint(0, 9)),
                str(rng.randint(0, 9)),
            ]
            return "".join(parts)
        if payer.payer_type == PayerType.MEDICAID and not self.prefixes[payer.payer_id]:
            return f"{rng.randint(10**7, 10**8 - 1)}{rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}"
        prefix = self.prefixes[payer.payer_id] or "ID"
        return f"{prefix}{rng.randint(10**8, 10**9 - 1)}"

    def _coverage(
        self,
        patient: Patient,
        *,
        payer: Payer,
        priority: int,
        subscriber: tuple[str, str, dt.date, str] | None,
        relationship: str = SubscriberRelationship.SELF,
        status: str = CoverageStatus.ACTIVE,
        terminated: bool = False,
    ) -> Coverage:
        rng = self.rng
        plans: list[Plan] = self.plans.get(payer.payer_id, [])
        plan = rng.choice(plans) if plans else None
        effective_year = REFERENCE_DATE.year - rng.randint(0, 8)
        effective_on = dt.date(effective_year, rng.choice((1, 1, 1, 4, 7, 10)), 1)
        terminates_on = None
        if terminated:
            effective_on = dt.date(REFERENCE_DATE.year - rng.randint(4, 10), 1, 1)
            terminates_on = dt.date(effective_on.year + rng.randint(1, 3), 12, 31)
        member_id = self._member_id(payer)
        coverage = Coverage(
            patient=patient,
            priority=priority,
            status=status,
            payer=payer,
            plan=plan,
            member_id=member_id,
            member_id_key=normalize.member_id_key(member_id),
            group_number=(
                f"GRP{rng.randint(10000, 99999)}"
                if payer.payer_type == PayerType.COMMERCIAL
                else ""
            ),
            relationship=relationship,
            effective_on=effective_on,
            terminates_on=terminates_on,
        )
        if plan is not None:
            spec = self.plan_specs[(payer.payer_id, plan.name)]
            for name, amount in spec.copay_fields().items():
                setattr(coverage, name, amount)
        if subscriber is not None:
            first, last, born, sex = subscriber
            coverage.subscriber_first_name = first
            coverage.subscriber_last_name = last
            coverage.subscriber_date_of_birth = born
            coverage.subscriber_sex = sex
        return coverage

    def draft(self, mrn: str, index: int) -> _Draft:
        """Generate one patient (the ``index`` only spreads rare flags evenly, never randomness)."""
        rng = self.rng
        roll = rng.random()
        sex = SexAtBirth.FEMALE if roll < 0.505 else SexAtBirth.MALE
        if roll > 0.997:
            sex = SexAtBirth.UNKNOWN
        first_name = self._first_name(sex)
        last_name = rng.choice(self.surnames)
        age = self._age()
        born = REFERENCE_DATE - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        location = rng.choice(self.locations)
        first_key, first_phonetic = _name_keys(first_name)
        last_key, last_phonetic = _name_keys(last_name)
        language = rng.choices(
            [code for code, _ in _LANGUAGES], weights=[w for _, w in _LANGUAGES]
        )[0]
        consent_day = REFERENCE_DATE - dt.timedelta(days=rng.randint(0, 2000))
        patient = Patient(
            mrn=mrn,
            first_name=first_name,
            middle_name=rng.choice(MIDDLE_INITIAL_NAMES) if rng.random() < 0.4 else "",
            last_name=last_name,
            preferred_name=(
                _NICKNAMES[first_name] if first_name in _NICKNAMES and rng.random() < 0.3 else ""
            ),
            date_of_birth=born,
            sex_at_birth=sex,
            gender_identity=(
                GenderIdentity.FEMALE
                if sex == SexAtBirth.FEMALE
                else GenderIdentity.MALE
                if sex == SexAtBirth.MALE
                else GenderIdentity.ASKED_DECLINED
            ),
            email=(f"{first_key}.{last_key}.{mrn}@example.com" if rng.random() < 0.7 else ""),
            address_line1=f"{rng.randint(1, 9999)} {rng.choice(STREET_NAMES)}",
            address_line2=f"Apt {rng.randint(1, 40)}" if rng.random() < 0.15 else "",
            city=location.city,
            state=location.state,
            postal_code=location.postal_code,
            preferred_language=language,
            interpreter_needed=language != "en" and rng.random() < 0.6,
            sms_consent_at=consent_day if rng.random() < 0.6 else None,
            email_consent_at=consent_day if rng.random() < 0.5 else None,
            voice_consent_at=consent_day if rng.random() < 0.8 else None,
            is_restricted=index % 400 == 7,
            first_name_key=first_key,
            last_name_key=last_key,
            first_name_phonetic=first_phonetic,
            last_name_phonetic=last_phonetic,
        )
        if index % 50 == 3:
            patient.ssn = FICTIONAL_SSNS[index % 10]
            patient.ssn_last4 = patient.ssn[-4:]
        if age >= 85 and rng.random() < 0.02:
            patient.deceased_on = REFERENCE_DATE - dt.timedelta(days=rng.randint(1, 300))

        parent: tuple[str, str, dt.date, str] | None = None
        if age < 18:
            parent_sex = rng.choice((SexAtBirth.FEMALE, SexAtBirth.MALE))
            parent = (
                self._first_name(parent_sex),
                last_name,
                born - dt.timedelta(days=rng.randint(20 * 365, 40 * 365)),
                parent_sex,
            )
            patient.guarantor_kind = GuarantorKind.PERSON
            patient.guarantor_name = f"{parent[0]} {parent[1]}"
            patient.guarantor_relationship = SubscriberRelationship.CHILD
        elif rng.random() < 0.5:
            patient.employer_name = rng.choice(_EMPLOYERS)
        if rng.random() < 0.7:
            contact_first = parent[0] if parent else self._first_name(SexAtBirth.UNKNOWN)
            patient.emergency_contact_name = f"{contact_first} {last_name}"
            patient.emergency_contact_relationship = (
                "Parent" if parent else rng.choice(_EMERGENCY_RELATIONSHIPS)
            )
            patient.emergency_contact_phone = _phone(self._area_code(location), rng.randint(0, 99))[
                0
            ]

        phones = self._phones(patient, location)
        coverages = self._coverages(patient, age=age, parent=parent)
        return _Draft(patient=patient, phones=phones, coverages=coverages)

    def _phones(self, patient: Patient, location: Location) -> list[PatientPhone]:
        rng = self.rng
        mobile, _ = _phone(self._area_code(location), rng.randint(0, 99))
        phones = [
            PatientPhone(
                patient=patient,
                number=mobile,
                **normalize.phone_search_columns(mobile),
                phone_type=PhoneType.MOBILE,
                sms_capable=patient.sms_consent_at is not None,
                rank=1,
            )
        ]
        if rng.random() < 0.35:
            home, _ = _phone(self._area_code(location), rng.randint(0, 99))
            if home != mobile:
                phones.append(
                    PatientPhone(
                        patient=patient,
                        number=home,
                        **normalize.phone_search_columns(home),
                        phone_type=PhoneType.HOME,
                        rank=2,
                    )
                )
        return phones

    def _pick(self, payer_type: str) -> Payer:
        return self.rng.choice(self.by_type[payer_type])

    def _coverages(
        self, patient: Patient, *, age: int, parent: tuple[str, str, dt.date, str] | None
    ) -> list[Coverage]:
        rng = self.rng
        coverages: list[Coverage] = []
        roll = rng.random()
        if age >= 65:
            if roll < 0.65:
                coverages.append(
                    self._coverage(
                        patient, payer=self._pick(PayerType.MEDICARE), priority=1, subscriber=None
                    )
                )
                second = rng.random()
                if second < 0.12:  # dual eligible
                    coverages.append(
                        self._coverage(
                            patient,
                            payer=self._pick(PayerType.MEDICAID),
                            priority=2,
                            subscriber=None,
                        )
                    )
                elif second < 0.55:  # a supplement or a working spouse's plan
                    coverages.append(
                        self._coverage(
                            patient,
                            payer=self._pick(PayerType.COMMERCIAL),
                            priority=2,
                            subscriber=None,
                        )
                    )
            else:
                coverages.append(
                    self._coverage(
                        patient,
                        payer=self._pick(PayerType.MEDICARE_ADVANTAGE),
                        priority=1,
                        subscriber=None,
                    )
                )
        elif roll < 0.10:
            return coverages  # uninsured: self-pay, no coverage on file
        elif roll < 0.32:
            coverages.append(
                self._coverage(
                    patient, payer=self._pick(PayerType.MEDICAID), priority=1, subscriber=None
                )
            )
        else:
            relationship = SubscriberRelationship.CHILD if parent else SubscriberRelationship.SELF
            coverages.append(
                self._coverage(
                    patient,
                    payer=self._pick(PayerType.COMMERCIAL),
                    priority=1,
                    subscriber=parent,
                    relationship=relationship,
                )
            )
            if rng.random() < 0.12:
                spouse = (
                    self._first_name(SexAtBirth.UNKNOWN),
                    patient.last_name,
                    patient.date_of_birth - dt.timedelta(days=rng.randint(-3000, 3000)),
                    rng.choice((SexAtBirth.FEMALE, SexAtBirth.MALE)),
                )
                coverages.append(
                    self._coverage(
                        patient,
                        payer=self._pick(PayerType.COMMERCIAL),
                        priority=2,
                        subscriber=parent or spouse,
                        relationship=(
                            SubscriberRelationship.CHILD
                            if parent
                            else SubscriberRelationship.SPOUSE
                        ),
                    )
                )
        if age >= 18 and rng.random() < 0.01 and len(coverages) < 3:
            # An open workers' compensation case billed after the patient's own coverage.
            coverages.append(
                self._coverage(
                    patient,
                    payer=self._pick(PayerType.WORKERS_COMP),
                    priority=len(coverages) + 1,
                    subscriber=None,
                    relationship=SubscriberRelationship.EMPLOYEE,
                )
            )
        if coverages and rng.random() < 0.04:
            # A plan the patient used to have: history, not active.
            coverages.append(
                self._coverage(
                    patient,
                    payer=self._pick(PayerType.COMMERCIAL),
                    priority=1,
                    subscriber=None,
                    status=CoverageStatus.CANCELLED,
                    terminated=True,
                )
            )
        return coverages


def patients_create(
    *,
    practice: DemoPractice,
    count: int,
    seed: int,
    on_progress: Callable[[int], None] | None = None,
) -> PatientStats:
    """Write ``count`` demo patients in batches; call inside a transaction."""
    generator = PatientGenerator(seed=seed, practice=practice)
    stats = PatientStats()
    mrns = mrn_reserve(count)
    payer_types = {payer.pk: payer.payer_type for payer in practice.payers.values()}
    done = 0
    while done < count:
        size = min(BATCH_SIZE, count - done)
        drafts = [generator.draft(mrn_format(next(mrns)), done + offset) for offset in range(size)]
        Patient.objects.bulk_create([draft.patient for draft in drafts])
        phones: list[PatientPhone] = []
        coverages: list[Coverage] = []
        for draft in drafts:
            # bulk_create has set the primary keys; re-point the children at the saved rows.
            for phone in draft.phones:
                phone.patient = draft.patient
                phones.append(phone)
            for coverage in draft.coverages:
                coverage.patient = draft.patient
                coverages.append(coverage)
                if coverage.status == CoverageStatus.ACTIVE:
                    kind = payer_types[coverage.payer.pk]
                    stats.by_payer_type[kind] = stats.by_payer_type.get(kind, 0) + 1
            stats.restricted += int(draft.patient.is_restricted)
        PatientPhone.objects.bulk_create(phones)
        Coverage.objects.bulk_create(coverages)
        stats.patients += size
        stats.phones += len(phones)
        stats.coverages += len(coverages)
        done += size
        if on_progress is not None:
            on_progress(size)
    return stats
