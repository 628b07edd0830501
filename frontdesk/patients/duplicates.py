"""Finding patients who may be the person being registered, with a score and reasons in plain English.

Candidates come from a handful of indexed lookups (same DOB, DOBs with transposed digits, same phone,
same e-mail, a similar-sounding last name born the same year); each is then scored in Python on name
similarity (rapidfuzz), nickname equivalence (Bob = Robert) and how exactly the DOB agrees.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from rapidfuzz import fuzz

from frontdesk.patients import nicknames
from frontdesk.patients.models import Patient, PatientPhone
from frontdesk.patients.normalize import (
    InvalidPhone,
    name_key,
    phone_digits,
    phone_e164,
    phonetic_key,
)

DUPLICATE_THRESHOLD = 70  # a candidate scoring at least this stops registration without a reason
_PER_SOURCE_LIMIT = 200  # rows read per candidate lookup, so a common name cannot make it slow

# Points (they add up to 100 for the same name, DOB, phone and e-mail).
_DOB_EXACT = 40
_DOB_TRANSPOSED = 25
_LAST_EXACT = 25
_FIRST_EXACT = 25
_PHONE = 20
_EMAIL = 15
_SSN_SAME = 30
_SSN_DIFFERENT = 30


@dataclass(frozen=True)
class DuplicateCandidate:
    """An existing patient who may be the same person, how likely (0..100) and why."""

    patient: Patient
    score: int
    reasons: list[str]


def transposed_dates(value: dt.date) -> list[dt.date]:
    """Valid dates a typist could have meant: day and month swapped, adjacent digits swapped.

    Digit swaps are made within the year, the month and the day of YYYYMMDD separately (the way a
    date is keyed), plus the swap across the month/day boundary, the common MMDD slip.
    """
    text = value.strftime("%Y%m%d")
    found: set[dt.date] = set()

    def add(year: int, month: int, day: int) -> None:
        with contextlib.suppress(ValueError):  # not a real date: nobody could have meant it
            found.add(dt.date(year, month, day))

    add(value.year, value.day, value.month)
    for index in range(len(text) - 1):
        if text[index] == text[index + 1]:
            continue
        swapped = text[:index] + text[index + 1] + text[index] + text[index + 2 :]
        add(int(swapped[:4]), int(swapped[4:6]), int(swapped[6:]))
    found.discard(value)
    today = dt.date.today()
    return sorted(day for day in found if day <= today)


def _describe_dob(candidate: dt.date, wanted: dt.date) -> tuple[int, str | None]:
    if candidate == wanted:
        return _DOB_EXACT, "same date of birth"
    if (
        candidate.year == wanted.year
        and candidate.month == wanted.day
        and (candidate.day == wanted.month)
    ):
        return _DOB_TRANSPOSED, "date of birth with day and month swapped"
    if candidate in set(transposed_dates(wanted)):
        return _DOB_TRANSPOSED, "date of birth with two digits swapped"
    if candidate.year == wanted.year:
        return 5, "born the same year"
    return 0, None


def _phone_digit_set(phones: Iterable[str]) -> set[str]:
    digits: set[str] = set()
    for number in phones:
        if not number:
            continue
        try:
            digits.add(phone_digits(phone_e164(number)))
        except InvalidPhone:
            continue
    return digits


def score_candidate(
    patient: Patient,
    *,
    first: str,
    last: str,
    date_of_birth: dt.date,
    phone_digits_wanted: set[str],
    candidate_phone_digits: set[str],
    email: str,
    ssn: str = "",
) -> DuplicateCandidate:
    """Score one existing patient against the person being registered (keys already normalized)."""
    score = 0
    reasons: list[str] = []
    points, reason = _describe_dob(patient.date_of_birth, date_of_birth)
    score += points
    if reason:
        reasons.append(reason)

    last_key = patient.last_name_key or name_key(patient.last_name)
    previous = name_key(patient.previous_last_name)
    if last_key == last:
        score += _LAST_EXACT
        reasons.append("same last name")
    elif previous and previous == last:
        score += _LAST_EXACT - 5
        reasons.append("last name matches a previous last name")
    else:
        similarity = fuzz.ratio(last, last_key)
        sounds_alike = phonetic_key(last) == (patient.last_name_phonetic or phonetic_key(last_key))
        if sounds_alike or similarity >= 80:
            score += 18 if similarity >= 80 else 15
            reasons.append("similar last name" if similarity >= 80 else "last name sounds alike")

    first_key = patient.first_name_key or name_key(patient.first_name)
    preferred = name_key(patient.preferred_name)
    if first_key == first:
        score += _FIRST_EXACT
        reasons.append("same first name")
    elif preferred and preferred == first:
        score += _FIRST_EXACT - 3
        reasons.append("first name matches the preferred name")
    else:
        formal = nicknames.nickname_link(first, first_key)
        if formal is not None:
            score += _FIRST_EXACT - 5
            shorter, other = sorted((first, first_key), key=lambda n: (n != formal, n))
            nick = other if shorter == formal else shorter
            reasons.append(f"first name {nick.title()} is a nickname of {formal.title()}")
        else:
            similarity = fuzz.ratio(first, first_key)
            if similarity >= 80:
                score += 18
                reasons.append("similar first name")
            elif first and first_key and first[0] == first_key[0]:
                score += 5
                reasons.append("same first initial")

    if phone_digits_wanted & candidate_phone_digits:
        score += _PHONE
        reasons.append("same phone")
    if email and patient.email and patient.email.lower() == email:
        score += _EMAIL
        reasons.append("same e-mail")
    if ssn and patient.ssn_last4:
        # Both have an SSN: the same one is near-proof, a different one (twins!) argues against.
        if patient.ssn == ssn:
            score += _SSN_SAME
            reasons.append("same Social Security number")
        else:
            score -= _SSN_DIFFERENT
            reasons.append("different Social Security number")
    return DuplicateCandidate(patient=patient, score=max(0, min(score, 100)), reasons=reasons)


def find_duplicates(
    scoped: QuerySet[Patient],
    *,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    phones: Sequence[str] = (),
    email: str = "",
    ssn: str = "",
    exclude_id: int | None = None,
    limit: int = 10,
    threshold: int = 0,
) -> list[DuplicateCandidate]:
    """Candidates from indexed lookups in ``scoped`` (merged records excluded), best first."""
    first = name_key(first_name)
    last = name_key(last_name)
    email = (email or "").strip().lower()
    ssn = re.sub(r"\D", "", ssn or "")
    ssn = ssn if len(ssn) == 9 else ""
    wanted_digits = _phone_digit_set(phones)
    base = scoped.filter(merged_into__isnull=True)
    if exclude_id is not None:
        base = base.exclude(pk=exclude_id)

    ids: set[int] = set()

    def take(queryset: QuerySet[Patient]) -> None:
        ids.update(queryset.values_list("id", flat=True)[:_PER_SOURCE_LIMIT])

    take(base.filter(date_of_birth__in=[date_of_birth, *transposed_dates(date_of_birth)]))
    sound = phonetic_key(last)
    if sound:
        take(
            base.filter(
                last_name_phonetic=sound,
                date_of_birth__gte=dt.date(date_of_birth.year, 1, 1),
                date_of_birth__lte=dt.date(date_of_birth.year, 12, 31),
            )
        )
    if wanted_digits:
        phone_owner_ids = PatientPhone.objects.filter(digits__in=sorted(wanted_digits)).values_list(
            "patient_id", flat=True
        )[:_PER_SOURCE_LIMIT]
        take(base.filter(pk__in=list(phone_owner_ids)))
    if email:
        take(base.filter(email=email))  # the service stores e-mail addresses lower-cased
    if ssn:
        take(base.filter(ssn_last4=ssn[-4:]))  # index patient_ssn4_dob; full SSN compared below
    if not ids:
        return []

    patients = list(base.filter(pk__in=ids))
    phone_rows = PatientPhone.objects.filter(patient_id__in=ids).values_list("patient_id", "digits")
    digits_by_patient: dict[int, set[str]] = {}
    for patient_id, digits in phone_rows:
        digits_by_patient.setdefault(patient_id, set()).add(digits)
    candidates = [
        score_candidate(
            patient,
            first=first,
            last=last,
            date_of_birth=date_of_birth,
            phone_digits_wanted=wanted_digits,
            candidate_phone_digits=digits_by_patient.get(patient.pk, set()),
            email=email,
            ssn=ssn,
        )
        for patient in patients
    ]
    # Weak candidates (only "born the same year") are noise, not possible duplicates.
    candidates = [c for c in candidates if c.score >= max(threshold, 30)]
    candidates.sort(key=lambda c: (-c.score, c.patient.last_name_key, c.patient.pk))
    return candidates[:limit]
