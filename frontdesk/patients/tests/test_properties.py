"""Property tests: the normalizers and the search-box parser never crash, whatever is typed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.patients import nicknames
from frontdesk.patients.duplicates import transposed_dates
from frontdesk.patients.models import Patient
from frontdesk.patients.normalize import (
    InvalidPhone,
    member_id_key,
    name_key,
    phone_digits,
    phone_e164,
    phonetic_key,
)
from frontdesk.patients.search import parse_dob, parse_query
from frontdesk.patients.selectors import patient_duplicates, patient_search

KINDS = {"empty", "identifier", "phone", "dob", "name", "name_dob"}
MATCHED_ON = {"mrn", "member_id", "phone", "dob", "name", "name_fuzzy"}


@given(st.text())
def test_name_key_is_lowercase_ascii_letters(value: str) -> None:
    key = name_key(value)
    assert key == "".join(ch for ch in key if "a" <= ch <= "z")
    assert len(key) <= 60
    assert name_key(key) == key  # idempotent


@given(st.text())
def test_phonetic_key_never_crashes_and_is_bounded(value: str) -> None:
    key = phonetic_key(value)
    assert len(key) <= 12
    assert key == "" or name_key(value) != ""


@given(st.text())
def test_member_id_key(value: str) -> None:
    key = member_id_key(value)
    assert key == "".join(ch for ch in key if ch.isascii() and (ch.isdigit() or ch.islower()))
    assert member_id_key(key) == key


@given(st.text(max_size=40))
def test_phone_e164_parses_or_says_why(value: str) -> None:
    try:
        e164 = phone_e164(value)
    except InvalidPhone as exc:
        assert str(exc)
    else:
        assert e164.startswith("+")
        assert phone_digits(e164).isdigit()


@given(st.text())
@settings(max_examples=300)
def test_parse_query_never_crashes(value: str) -> None:
    parsed = parse_query(value, today=dt.date(2026, 11, 26))
    assert parsed.kind in KINDS
    assert all(token == name_key(token) and token for token in parsed.tokens)


@given(st.text(alphabet="0123456789/-. ", max_size=14))
@settings(max_examples=500)
def test_parse_dob_only_returns_real_past_dates(value: str) -> None:
    today = dt.date(2026, 11, 26)
    parsed = parse_dob(value, today=today)
    assert parsed is None or dt.date(1850, 1, 1) <= parsed <= today


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 11, 26)))
def test_dob_formats_round_trip(value: dt.date) -> None:
    today = dt.date(2026, 11, 26)
    assert parse_dob(value.isoformat(), today=today) == value
    assert parse_dob(value.strftime("%m/%d/%Y"), today=today) == value
    assert parse_dob(f"{value.month}/{value.day}/{value.year}", today=today) == value
    short = parse_dob(f"{value.month}/{value.day}/{value.year % 100:02d}", today=today)
    assert short is not None and short.year % 100 == value.year % 100 and short <= today
    assert short > today.replace(year=today.year - 100)  # never more than a century back


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 11, 26)))
def test_transposed_dates_are_other_real_past_dates(value: dt.date) -> None:
    for candidate in transposed_dates(value):
        assert candidate != value
        assert candidate <= dt.date.today()


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=12))
def test_nickname_variants_contain_the_name(value: str) -> None:
    assert value in nicknames.variants(value)


@given(text=st.text(max_size=60))
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@pytest.mark.django_db
def test_patient_search_never_crashes_on_arbitrary_text(
    clerk: Any, register: Any, text: str
) -> None:
    if not Patient.objects.exists():
        register("Robert", "Quibley", dt.date(1960, 1, 2), phones=("(202) 555-0123",))
    hits = patient_search(user=clerk, query=text)
    assert len(hits) <= 25
    assert all(hit.matched_on in MATCHED_ON for hit in hits)


@given(
    first=st.text(max_size=30),
    last=st.text(max_size=30),
    dob=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 11, 26)),
    phone=st.text(alphabet="0123456789()-+ .", max_size=16),
)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@pytest.mark.django_db
def test_duplicate_check_never_crashes(
    clerk: Any, register: Any, first: str, last: str, dob: dt.date, phone: str
) -> None:
    if not Patient.objects.exists():
        register("Robert", "Quibley", dt.date(1960, 1, 2), phones=("(202) 555-0123",))
    candidates = patient_duplicates(
        user=clerk, first_name=first, last_name=last, date_of_birth=dob, phones=[phone]
    )
    assert all(0 <= c.score <= 100 and c.reasons for c in candidates)
