"""The duplicate check: candidate sources, scores, plain-English reasons, scoping."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from frontdesk.patients import nicknames
from frontdesk.patients.duplicates import DUPLICATE_THRESHOLD, transposed_dates
from frontdesk.patients.models import Patient
from frontdesk.patients.selectors import patient_duplicates

pytestmark = pytest.mark.django_db

DOB = dt.date(1975, 3, 14)


def test_transposed_dates_cover_swaps() -> None:
    # 1975-03-14 as 19750314: swaps within the year (9175, 1795, 1957), month/day boundary
    # (0314 -> 0341 invalid, 0314 -> 3014 invalid, 0134 invalid), the day (0341 invalid) and the
    # day/month swap (14/03 invalid); 9175 is in the future.
    assert transposed_dates(DOB) == [dt.date(1795, 3, 14), dt.date(1957, 3, 14)]
    assert dt.date(1960, 2, 1) in transposed_dates(dt.date(1960, 1, 2))  # day and month swapped
    assert dt.date(1960, 1, 21) in transposed_dates(dt.date(1960, 1, 12))  # day digits swapped
    assert dt.date(1978, 12, 5) in transposed_dates(dt.date(1987, 12, 5))  # year digits swapped
    assert dt.date(2001, 1, 1) not in transposed_dates(dt.date(2001, 1, 1))


def test_nickname_table() -> None:
    assert nicknames.pair_count() >= 150
    assert nicknames.nickname_link("bob", "robert") == "robert"
    assert nicknames.nickname_link("liz", "elizabeth") == "elizabeth"
    assert nicknames.nickname_link("bill", "william") == "william"
    assert nicknames.nickname_link("peggy", "margaret") == "margaret"
    assert nicknames.nickname_link("jim", "james") == "james"
    assert nicknames.nickname_link("bob", "bobby") == "robert"  # two short forms of one name
    assert nicknames.nickname_link("bob", "william") is None
    assert nicknames.nickname_link("bob", "bob") is None
    assert nicknames.variants("zzz") == frozenset({"zzz"})


def _check(user: Any, **overrides: Any) -> list[Any]:
    fields: dict[str, Any] = {
        "first_name": "Zelda",
        "last_name": "Quibworth",
        "date_of_birth": DOB,
    }
    fields.update(overrides)
    return patient_duplicates(user=user, **fields)


def _summary(candidates: list[Any]) -> list[tuple[int, int, list[str]]]:
    return [(c.patient.pk, c.score, c.reasons) for c in candidates]


def test_same_name_and_dob(clerk: Any, register: Any) -> None:
    existing = register("Zelda", "Quibworth", DOB)
    assert _summary(_check(clerk)) == [
        (existing.pk, 90, ["same date of birth", "same last name", "same first name"])
    ]


def test_nickname_and_swapped_day_month(clerk: Any, register: Any) -> None:
    existing = register("Elizabeth", "Quibworth", dt.date(1960, 1, 2))
    candidates = _check(clerk, first_name="Liz", date_of_birth=dt.date(1960, 2, 1))
    assert _summary(candidates) == [
        (
            existing.pk,
            70,
            [
                "date of birth with day and month swapped",
                "same last name",
                "first name Liz is a nickname of Elizabeth",
            ],
        )
    ]
    assert candidates[0].score >= DUPLICATE_THRESHOLD


def test_transposed_year_digits_and_similar_last_name(clerk: Any, register: Any) -> None:
    existing = register("Zelda", "Quibworth", dt.date(1957, 3, 14))
    assert _summary(_check(clerk, last_name="Quibwort")) == [
        (
            existing.pk,
            68,
            ["date of birth with two digits swapped", "similar last name", "same first name"],
        )
    ]


def test_same_phone_and_email_from_another_dob(clerk: Any, register: Any) -> None:
    existing = register(
        "Zelda",
        "Quibworth",
        dt.date(1990, 6, 6),
        phones=("(202) 555-0111",),
        email="zq@example.com",
    )
    candidates = _check(clerk, phones=["202.555.0111"], email="ZQ@example.com")
    assert _summary(candidates) == [
        (existing.pk, 85, ["same last name", "same first name", "same phone", "same e-mail"])
    ]


def test_sounds_alike_last_name_same_birth_year(clerk: Any, register: Any) -> None:
    existing = register("Zelda", "Philips", dt.date(1975, 8, 30))
    assert _summary(_check(clerk, last_name="Fillips")) == [
        (existing.pk, 45, ["born the same year", "last name sounds alike", "same first name"])
    ]
    other = register("Zelda", "Smyth", dt.date(1975, 8, 30))
    assert _summary(_check(clerk, last_name="Smith")) == [
        (other.pk, 48, ["born the same year", "similar last name", "same first name"])
    ]


def test_previous_last_name_counts(clerk: Any, register: Any) -> None:
    existing = register("Zelda", "Vexham", DOB, previous_last_name="Quibworth")
    assert _summary(_check(clerk)) == [
        (
            existing.pk,
            85,
            ["same date of birth", "last name matches a previous last name", "same first name"],
        )
    ]


def test_merged_records_are_not_candidates(clerk: Any, register: Any) -> None:
    register("Yorick", "Tarkham", DOB)  # same DOB only: a weak candidate (40)
    merged = register("Zelda", "Quibworth", DOB)
    survivor = register("Zed", "Plonk", dt.date(2001, 1, 1))
    Patient.objects.filter(pk=merged.pk).update(merged_into=survivor, is_active=False)
    candidates = _check(clerk)
    assert [c.patient.last_name for c in candidates] == ["Tarkham"]
    assert candidates[0].score == 40


def test_exclude_id_and_limit(clerk: Any, register: Any) -> None:
    first = register("Zelda", "Quibworth", DOB)
    second = register("Zelda", "Quibworth", DOB, email="other@example.com")
    assert [c.patient.pk for c in _check(clerk, exclude_id=first.pk)] == [second.pk]
    assert len(_check(clerk, limit=1)) == 1


def test_restricted_records_are_not_offered_without_access(
    clerk: Any, register: Any, make_user: Any, location: Any
) -> None:
    existing = register("Zelda", "Quibworth", DOB)
    Patient.objects.filter(pk=existing.pk).update(is_restricted=True)
    assert _check(clerk) == []
    officer = make_user("privacy_officer", location)
    assert [c.patient.pk for c in _check(officer)] == [existing.pk]


def test_duplicate_check_is_not_audited(clerk: Any, register: Any) -> None:
    from frontdesk.audit.models import AuditEvent

    register("Zelda", "Quibworth", DOB)
    before = AuditEvent.objects.count()
    _check(clerk)
    assert AuditEvent.objects.count() == before


def test_same_ssn_is_strong_evidence(clerk: Any, register: Any) -> None:
    existing = register("Zelda", "Vexham", dt.date(1991, 4, 4), ssn="123-45-6789")
    register("Yorick", "Tarkham", dt.date(1992, 5, 5), ssn="234-56-6789")  # same last 4 only
    candidates = _check(clerk, ssn="123456789")
    assert _summary(candidates) == [
        (existing.pk, 55, ["same first name", "same Social Security number"])
    ]


def test_different_ssn_argues_against_twins(clerk: Any, register: Any) -> None:
    twin = register("Zara", "Quibworth", DOB, phones=("202-555-0111",), ssn="123-45-6789")
    without_ssn = _check(clerk, phones=["202-555-0111"])
    assert _summary(without_ssn) == [
        (twin.pk, 90, ["same date of birth", "same last name", "same first initial", "same phone"])
    ]
    with_ssn = _check(clerk, phones=["202-555-0111"], ssn="555-12-3456")
    assert [(c.score, c.reasons[-1]) for c in with_ssn] == [
        (60, "different Social Security number")
    ]
    assert with_ssn[0].score < DUPLICATE_THRESHOLD
