"""documents.matching: names written last name first, and the safety rules that still refuse."""

from __future__ import annotations

import datetime as dt

import pytest

from frontdesk.documents.matching import Evidence, match
from frontdesk.patients.normalize import name_search_columns
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

DOB = dt.date(1971, 5, 6)
OTHER_DOB = dt.date(1980, 9, 10)


def patient(first: str, last: str, dob: dt.date):  # type: ignore[no-untyped-def]
    return PatientFactory(
        first_name=first, last_name=last, date_of_birth=dob, **name_search_columns(first, last)
    )


def swapped(last: str, first: str, *dobs: dt.date) -> Evidence:
    """What the extractor gives for "PATIENT: LAST FIRST": first "Last", last "First"."""
    return Evidence(names=((last, first),), dobs=frozenset(dobs))


def test_a_name_written_last_name_first_without_a_comma_files_with_its_birth_date() -> None:
    quincy = patient("Quincy", "Zzfakeperson", DOB)
    result = match(swapped("ZZFAKEPERSON", "QUINCY", DOB))
    assert result.certain is not None
    assert result.certain.patient_id == quincy.pk
    assert "name matches (written last name first)" in result.certain.reasons


def test_swapped_namesakes_are_told_apart_only_by_their_birth_date() -> None:
    first = patient("Quincy", "Zzfakeperson", DOB)
    patient("Quincy", "Zzfakeperson", OTHER_DOB)
    result = match(swapped("ZZFAKEPERSON", "QUINCY", DOB))
    assert result.certain is not None and result.certain.patient_id == first.pk
    # A third birth date: neither namesake.
    assert match(swapped("ZZFAKEPERSON", "QUINCY", dt.date(1990, 1, 2))).certain is None
    # No birth date: the name alone never files.
    assert match(swapped("ZZFAKEPERSON", "QUINCY")).certain is None


def test_swapped_name_with_another_first_name_and_the_same_birth_date_is_refused() -> None:
    patient("Quincy", "Zzfakeperson", DOB)
    ursula = patient("Ursula", "Zzfakeperson", DOB)
    result = match(swapped("ZZFAKEPERSON", "VERA", DOB))
    assert result.certain is None
    certain = match(swapped("ZZFAKEPERSON", "URSULA", DOB)).certain
    assert certain is not None and certain.patient_id == ursula.pk


def test_a_non_patient_with_a_patients_surname_and_birth_date_is_refused() -> None:
    patient("Quincy", "Zzfakeperson", DOB)
    assert match(swapped("ZZFAKEPERSON", "WALTER", DOB)).certain is None
    assert (
        match(Evidence(names=(("Walter", "Zzfakeperson"),), dobs=frozenset({DOB}))).certain is None
    )
    # Half of the swap is not enough: the words must be the last and the first name exactly.
    assert match(swapped("ZZFAKEPERSN", "QUINCY", DOB)).certain is None


def test_a_document_naming_a_second_person_is_refused_even_when_one_name_is_swapped() -> None:
    patient("Quincy", "Zzfakeperson", DOB)
    patient("Ravi", "Yyexampleton", OTHER_DOB)
    evidence = Evidence(
        names=(("ZZFAKEPERSON", "QUINCY"), ("Ravi", "Yyexampleton")), dobs=frozenset({DOB})
    )
    result = match(evidence)
    assert result.certain is None
    assert result.reasons == ["the document names more than one person"]


def _letter(names: tuple[tuple[str, str], ...], text: str) -> Evidence:
    return Evidence.from_json(
        [{"names": [{"first": f, "last": la} for f, la in names], "dobs": [DOB.isoformat()]}],
        text=text,
    )


def test_a_page_naming_another_patient_the_extractor_missed_stops_the_filing() -> None:
    quincy = patient("Quincy", "Zzfakeperson", DOB)
    patient("Cynthia", "Yyexampleton", OTHER_DOB)
    alone = _letter((("Quincy", "Zzfakeperson"),), "Name: Quincy Zzfakeperson DOB 05/06/1971")
    certain = match(alone).certain
    assert certain is not None and certain.patient_id == quincy.pk
    # The next page's label was misread ("Narne:"): its patient is still named on the pages.
    for other in ("Narne: Cynthia Yyexampleton", "Narne: YYEXAMPLETON, CYNTHIA R"):
        evidence = _letter(
            (("Quincy", "Zzfakeperson"),),
            f"Name: Quincy Zzfakeperson DOB 05/06/1971\n{other} Date of birth 10/09/1980",
        )
        result = match(evidence)
        assert result.certain is None
        assert result.reasons == ["the document also names another patient of the practice"]


def test_a_letter_about_one_patient_from_a_doctor_who_shares_a_patients_name_is_refused() -> None:
    patient("Quincy", "Zzfakeperson", DOB)
    patient("Alan", "Xxsampleton", OTHER_DOB)  # a patient, and also the name of the sender
    text = "Dr. Alan Xxsampleton, MD\nRe: Quincy Zzfakeperson (DOB 05/06/1971)\nDear colleague,"
    assert match(_letter((("Quincy", "Zzfakeperson"),), text)).certain is None
    # The same surname alone, with another first name, is no other person of the practice.
    text = "Dr. Beth Xxsampleton, MD\nRe: Quincy Zzfakeperson (DOB 05/06/1971)\nDear colleague,"
    assert match(_letter((("Quincy", "Zzfakeperson"),), text)).certain is not None


def test_a_patient_named_on_the_page_without_a_label_is_suggested_but_never_filed_by_name() -> None:
    quincy = patient("Quincy", "Zzfakeperson", DOB)
    text = "REFERRAL\nPatlent narne (last, first)   Date of birth\nZzfakeperson, Quincy   5/6/71"
    result = match(Evidence.from_json([{}], text=text))
    assert [c.patient_id for c in result.candidates] == [quincy.pk]
    assert result.certain is None
    assert match(Evidence.from_json([{}], text="Nothing about anyone")).candidates == []


def test_a_namesake_is_not_another_person_named_on_the_page() -> None:
    quincy = patient("Quincy", "Zzfakeperson", DOB)
    patient("Quincy", "Zzfakeperson", OTHER_DOB)  # same name, told apart by the birth date
    text = "Name: Quincy Zzfakeperson DOB 05/06/1971"
    certain = match(_letter((("Quincy", "Zzfakeperson"),), text)).certain
    assert certain is not None and certain.patient_id == quincy.pk


def _named(first: str, last: str, dob: dt.date | None = DOB) -> Evidence:
    return Evidence(names=((first, last),), dobs=frozenset({dob}) if dob else frozenset())


def test_a_first_name_with_one_letter_misread_files_only_with_the_exact_birth_date() -> None:
    cynthia = patient("Cynthia", "Zzfakeperson", DOB)
    certain = match(_named("Cynthla", "Zzfakeperson")).certain
    assert certain is not None and certain.patient_id == cynthia.pk
    assert "first name found with one letter misread" in certain.reasons
    assert match(_named("Cynthla", "Zzfakeperson", None)).certain is None  # no birth date
    assert match(_named("Cynthla", "Zzfakeperson", OTHER_DOB)).certain is None
    assert match(_named("Cyntxla", "Zzfakeperson")).certain is None  # two letters off
    assert match(_named("Cynthla", "Zzfakepersen")).certain is None  # and the last name too


def test_a_misread_first_name_that_is_another_patients_name_is_that_person() -> None:
    patient("Amanda", "Zzfakeperson", DOB)
    patient("Ananda", "Zzfakeperson", OTHER_DOB)
    # "Ananda" is a patient of the practice (born another day): no slip for Amanda.
    assert match(_named("Ananda", "Zzfakeperson")).certain is None


def test_a_misread_first_name_close_to_two_siblings_born_the_same_day_is_refused() -> None:
    patient("Marla", "Zzfakeperson", DOB)
    patient("Maria", "Zzfakeperson", DOB)
    result = match(_named("Marja", "Zzfakeperson"))
    assert result.certain is None


def test_a_member_id_with_two_characters_misread_suggests_its_patient_but_never_files() -> None:
    from tests.factories import CoverageFactory

    holder = patient("Sandra", "Madeupridge", dt.date(1970, 4, 5))
    CoverageFactory(patient=holder, member_id="MMI132371074", member_id_key="mmi132371074")

    result = match(
        Evidence.from_json(
            [
                {
                    "names": [{"first": "Sandra", "last": "Madeupridqe"}],
                    "member_ids": ["MMI1323571074"],
                }
            ]
        )
    )

    assert result.candidates[0].patient_id == holder.pk
    assert "member ID nearly matches (a character or two misread)" in result.candidates[0].reasons
    assert result.certain is None
