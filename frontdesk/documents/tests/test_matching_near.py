"""documents.matching: names and birth dates read imperfectly find their patient as a suggestion,
and never file a document by themselves."""

from __future__ import annotations

import datetime as dt

import pytest

from frontdesk.documents.matching import Evidence, match
from frontdesk.patients.normalize import name_search_columns
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

DOB = dt.date(1979, 5, 21)
TODAY = dt.date(2026, 11, 27)


def patient(first: str, last: str, dob: dt.date = DOB):  # type: ignore[no-untyped-def]
    return PatientFactory(
        first_name=first, last_name=last, date_of_birth=dob, **name_search_columns(first, last)
    )


def page(text: str, *identifiers: dict) -> Evidence:  # type: ignore[type-arg]
    return Evidence.from_json(list(identifiers) or [{}], text=text)


def ranked(evidence: Evidence) -> list[int]:
    return [c.patient_id for c in match(evidence).candidates]


def test_a_boxed_form_whose_name_ocr_broke_up_suggests_its_patient() -> None:
    brenda = patient("Brenda", "Zzsynthwood")
    patient("Carol", "Zzsynthwood", dt.date(1950, 1, 2))
    text = (
        "REFERRAL / CONSULTATION REQUEST\nPatient AMG 6 (last, first)\n"
        "[ syn Zzsynthwood, ood, Brenda | e279"
    )

    result = match(page(text))

    # Found by the last name next to (not beside) the first name; confirmed by the page's words.
    assert [c.patient_id for c in result.candidates] == [brenda.pk]
    assert result.candidates[0].reasons == ["name found on the page"]
    assert result.certain is None
    assert result.reasons == ["the name matches but no date of birth, MRN or member ID confirms it"]


def test_a_last_name_with_two_letters_swapped_near_the_first_name_is_suggested() -> None:
    ryan = patient("Ryan", "Zzfakelydale")
    text = "Patlant nama (last, first) Date of bith Phong [ Zzfakelydael, Ryan : Jul 23,1999"

    result = match(page(text))

    assert [c.patient_id for c in result.candidates] == [ryan.pk]
    assert result.candidates[0].name == "near"
    assert result.candidates[0].reasons == ["first name on the page, last name read closely"]
    assert result.certain is None


def test_a_name_written_last_first_with_letters_swapped_is_suggested() -> None:
    angela = patient("Angela", "Zzpseudomore")
    evidence = page(
        "Re: Zzpseudomore, Agnela", {"names": [{"first": "Zzpseudomore", "last": "Agnela"}]}
    )

    assert ranked(evidence) == [angela.pk]
    assert match(evidence).certain is None


def test_an_unlabelled_birth_date_and_a_resembling_name_rank_but_never_file() -> None:
    dennis = patient("Dennis", "Zzmockupby", dt.date(1985, 6, 19))
    patient("Walter", "Zzunrelated", dt.date(1985, 6, 19))
    text = (
        "LABORATORY REPORT\nName: Dennia Zzmdckupby Dare of birth: 06/19/1985\n"
        "Collected: 09/30/2026"
    )

    result = match(page(text))

    assert result.candidates[0].patient_id == dennis.pk
    assert result.candidates[0].reasons == [
        "date of birth found on the page (unlabelled)",
        "name resembles words on the page",
    ]
    assert result.candidates[0].score > result.candidates[1].score
    assert result.certain is None


def test_a_misread_last_name_finds_the_family_and_the_first_name_ranks_it() -> None:
    luca = patient("Luca", "Zzplaceholderer", dt.date(2015, 7, 10))
    patient("Mark", "Zzplaceholderer", dt.date(2012, 3, 4))
    patient("Dorothy", "Zzplaceholderer", dt.date(1940, 3, 4))
    evidence = page(
        "Pt name: Zzplaccholderer, Lea", {"names": [{"first": "Lea", "last": "Zzplaccholderer"}]}
    )

    result = match(evidence)

    assert result.candidates[0].patient_id == luca.pk
    assert len(result.candidates) == 3
    assert result.certain is None


def test_a_close_reading_never_makes_a_document_certain_even_with_the_birth_date() -> None:
    patient("Ryan", "Zzfakelydale")
    evidence = page(
        "Name: Ryan Zzfakelydael  DOB: 05/21/1979",
        {"names": [{"first": "Ryan", "last": "Zzfakelydael"}], "dobs": [DOB.isoformat()]},
    )

    result = match(evidence)

    assert len(result.candidates) == 1
    assert result.certain is None
    assert result.reasons == ["no patient's full name matches the document"]


def test_short_names_are_not_read_closely() -> None:
    patient("Amy", "Zzlee")
    # "Zzlea" is one letter from "Zzlee", but a five-letter name tolerates no slip next to a
    # first name that is not on the page.
    assert ranked(page("Patient: Ann Zzlea")) == []
