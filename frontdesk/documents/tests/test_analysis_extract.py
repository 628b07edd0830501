"""documents.analysis.extract: labelled identifiers, OCR slips, and no identifiers from senders."""

from __future__ import annotations

from datetime import date

import pytest

from frontdesk.documents.analysis.extract import Identifiers, PersonName, extract, parse_name

TODAY = date(2026, 1, 15)


def names(text: str) -> list[tuple[str, str]]:
    return [(name.first, name.last) for name in extract(text, today=TODAY).names]


@pytest.mark.parametrize(
    "text",
    [
        "DOB: 03/04/1961",
        "DOB:03/04/1961",
        "D0B 3/4/61",
        "dob - 03-04-1961",
        "D.O.B.: 1961-03-04",
        "Date of Birth: March 4, 1961",
        "DATE OF BIRTH   Mar. 4 1961",
        "Birth Date 04-Mar-1961",
        "Birthdate: 4 March 1961",
        "DOB ; O3/O4/l961",
        "OOB: 03/04/1961",
        "DO8: 03/04/1961",
        "D O B: 03 / 04 / 1961",
        "D.Q.B. 3/4/61",
        "Date of Birth\n03/04/1961",
    ],
)
def test_dates_of_birth(text: str) -> None:
    assert extract(text, today=TODAY).dobs == [date(1961, 3, 4)]


def test_two_digit_birth_years_are_never_in_the_future() -> None:
    assert extract("DOB 1/2/24", today=TODAY).dobs == [date(2024, 1, 2)]
    assert extract("DOB 1/2/27", today=TODAY).dobs == [date(1927, 1, 2)]


def test_impossible_dates_are_ignored() -> None:
    assert extract("DOB: 13/45/1961   DOB: 02/30/1961", today=TODAY).dobs == []
    assert extract("DOB: 01/02/2030", today=TODAY).dobs == []  # not born yet


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Patient: DOE, JANE", ("Jane", "Doe")),
        ("PATIENT:DOE,JANE Q", ("Jane", "Doe")),
        ("Patient Name: Jane Q. Doe", ("Jane", "Doe")),
        ("PATIENT NAME   JANE DOE", ("Jane", "Doe")),
        ("Name: DOE, JANE   DOB: 03/04/1961", ("Jane", "Doe")),
        ("Pt Name; O'BRIEN-SMITH, MARY", ("Mary", "O'Brien-Smith")),
        ("RE: Jane Doe   DOB 03/04/1961", ("Jane", "Doe")),
        ("Re: Records request for DOE, JANE", ("Jane", "Doe")),
        ("Member: JANE DOE", ("Jane", "Doe")),
        ("Member Name  Jane Doe", ("Jane", "Doe")),
        ("Member Name JANE Q DOE", ("Jane", "Doe")),
        ("Patient: Jane Doe F 54", ("Jane", "Doe")),
        ("Subscriber: Mr. John Doe Jr.", ("John", "Doe")),
        ("Patient: McTest, Zelda", ("Zelda", "McTest")),
        ("Last Name: DOE    First Name: JANE", ("Jane", "Doe")),
        ("Name:\nDOE, JANE", ("Jane", "Doe")),
        ("Collected: 10/01/2025 Patient: TESTPATIENT, ZELDA", ("Zelda", "Testpatient")),
        ("Member: ZELDA TESTPATIENT Member ID: XYZ123456789", ("Zelda", "Testpatient")),
        ("Patient Name: Otto Exampleman Date of Birth: 07/08/1955", ("Otto", "Exampleman")),
        ("Patient Name: Otto Exampleman _ Date of Birth", ("Otto", "Exampleman")),
        ("RE: Jane Doe, date of birth 01/02/1970", ("Jane", "Doe")),
        ("Patient: Jane Doe Sex F Age: 54", ("Jane", "Doe")),
    ],
)
def test_patient_names(text: str, expected: tuple[str, str]) -> None:
    assert names(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "Ordering Physician: Dr. Alan Sample, MD",
        "From: Dr. Alan Sample",
        "Provider Name: Alan Sample",
        "Physician Name: Alan Sample",
        "Name: Dr. Alan Sample",
        "Patient: Alan Sample, MD",
        "Referring: Alan Sample DO",
        "Dear Dr. Sample, thank you for seeing Jane Doe.",
        "New patient: Yes",
        "Name: ______________",
        "Please print your name clearly.",
        "PATIENT NAME AND DATE OF BIRTH MUST MATCH",
        "Patient name and date of birth must match the card.",
    ],
)
def test_no_patient_names_from_doctors_senders_or_prose(text: str) -> None:
    assert names(text) == []


def test_patient_labels_come_before_member_and_subscriber() -> None:
    text = "Subscriber: John Doe\nMember: Jim Doe\nPatient: DOE, JANE\nRE: Jane Doe"
    found = extract(text, today=TODAY)
    assert [(n.first, n.last) for n in found.names] == [
        ("Jane", "Doe"),
        ("Jim", "Doe"),
        ("John", "Doe"),
    ]
    assert found.names[0] == PersonName(first="Jane", last="Doe", raw="DOE, JANE")


def test_the_first_patients_birth_date_comes_first() -> None:
    text = (
        "Subscriber: DOE, JOHN\nDOB: 01/01/1950\n\nPatient: DOE, JANE\nDOB: 02/02/1980\n"
        "Relationship to subscriber: child"
    )
    found = extract(text, today=TODAY)
    assert [(n.first, n.last) for n in found.names] == [("Jane", "Doe"), ("John", "Doe")]
    assert found.dobs == [date(1980, 2, 2), date(1950, 1, 1)]
    assert found.key() == ("doe", "j", date(1980, 2, 2))


def test_parse_name_orders() -> None:
    assert parse_name("DOE, JANE Q") == PersonName("Jane", "Doe", "DOE, JANE Q")
    assert parse_name("Jane Q. Doe") == PersonName("Jane", "Doe", "Jane Q. Doe")
    assert parse_name("Ana de la Cruz") == PersonName("Ana", "De La Cruz", "Ana de la Cruz")
    assert parse_name("J. Doe") == PersonName("J", "Doe", "J. Doe")
    assert parse_name("Doe") is None
    assert parse_name("Dr. Jane Doe") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MRN: M0001234", ["M0001234"]),
        ("MRN M 000 1234", ["M0001234"]),
        ("Chart: MO001234", ["M0001234"]),
        ("mrn: m000l234", ["M0001234"]),
        ("MRN: M0001234 (also M0001234)", ["M0001234"]),
        ("M0001234 and M0005678", ["M0001234", "M0005678"]),
        ("M12345678", []),
        ("Model M1234567X", []),
        ("MOOIOOI", []),
        ("MRN: 0001234", []),
    ],
)
def test_mrns(text: str, expected: list[str]) -> None:
    assert extract(text, today=TODAY).mrns == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Member ID: XYZ 123-456-789   Group #: 4455", ["XYZ123456789"]),
        ("Member ID XYZ123456789", ["XYZ123456789"]),
        ("ID #: w123456789", ["W123456789"]),
        ("ID#W123456789", ["W123456789"]),
        ("Member !D: W123456789", ["W123456789"]),
        ("Member lD W123456789", ["W123456789"]),
        ("Policy #: ab-99887766", ["AB99887766"]),
        ("Policy Number: 99887766 Effective 01/01/2025", ["99887766"]),
        ("Subscriber ID: ABC12345  Group: 999", ["ABC12345"]),
        ("Tax ID #: 12-3456789", []),
        ("NPI ID #: 1234567890", []),
        ("Member ID: NONE", []),
        ("Patient ID: M0001234", []),
    ],
)
def test_member_ids(text: str, expected: list[str]) -> None:
    assert extract(text, today=TODAY).member_ids == expected


def test_phones_are_the_patients_not_the_senders() -> None:
    text = """Zzyzx Medical Group
100 Example Road   Phone (555) 234-1111   Fax (555) 234-2222
Patient: DOE, JANE   DOB: 01/02/1970
Home phone: (555) 234-5678   Cell: 555.234.5679
Work: 5552345670
Fax: (555) 234-9999
Ordering physician: Dr. Sample (555) 234-3333
Account 12/01/2025 total 555 234"""
    assert extract(text, today=TODAY).phones == ["5552345678", "5552345679", "5552345670"]


@pytest.mark.parametrize(
    "text",
    [
        "DOS: 10/01/2025",
        "Date of service 10/1/25",
        "Exam date: 2025-10-01",
        "Visit Date: Oct 1, 2025",
        "Collected: 10/01/2025 08:15",
        "Collection date 1 October 2025",
        "Date of Service: 1O/O1/2O25",
    ],
)
def test_service_dates(text: str) -> None:
    assert extract(text, today=TODAY).service_dates == [date(2025, 10, 1)]


def test_sender() -> None:
    assert extract("FAX\nFrom: Lakeside Imaging Center   To: FrontDesk").sender == (
        "Lakeside Imaging Center"
    )
    letter = "CONFIDENTIAL FAX\nZzyzx Example Laboratory\n100 Example Road\nPatient: DOE, JANE"
    assert extract(letter).sender == "Zzyzx Example Laboratory"
    assert extract("Patient: DOE, JANE\nSome Medical Group").sender is None


def test_letterhead_and_sender_block_give_no_identifiers() -> None:
    text = """Zzyzx Medical Group
Dr. Alan Sample, MD   NPI ID #: 1234567890
100 Example Road, Springfield   (555) 234-1111   Fax (555) 234-2222
From: Dr. Alan Sample   Phone: (555) 234-3333

Dear colleague,
thank you for your letter of 10/01/2025 about our mutual patient."""
    found = extract(text, today=TODAY)
    assert found.is_empty()
    assert found.key() is None
    assert found.sender == "Dr. Alan Sample"


def test_all_caps_ocr_page() -> None:
    text = (
        "RE:TESTPATIENT, ZELDA   D0B:O3/04/1961\n"
        "MEMBER ID:XYZ 987654321\n"
        "DATE OF SERVICE:11/02/2025"
    )
    found = extract(text, today=TODAY)
    assert found == Identifiers(
        names=[PersonName("Zelda", "Testpatient", "TESTPATIENT, ZELDA")],
        dobs=[date(1961, 3, 4)],
        mrns=[],
        member_ids=["XYZ987654321"],
        phones=[],
        service_dates=[date(2025, 11, 2)],
        sender=None,
    )
    assert found.key() == ("testpatient", "z", date(1961, 3, 4))
    assert not found.is_empty()


def test_key_with_partial_identity() -> None:
    assert extract("Patient: DOE, JANE").key() == ("doe", "j", None)
    assert extract("DOB: 01/02/1970").key() == (None, None, date(1970, 1, 2))
    assert Identifiers().key() is None
    assert Identifiers().is_empty()


# --- OCR'd labels, dates and name blocks ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Name: Zora Fakename ~ Date of birth: 05-0CT- 1977", date(1977, 10, 5)),
        ("DOB! 05 .OCT-1977 SEX: F", date(1977, 10, 5)),
        ("Date of birth: 05- OCT-1977", date(1977, 10, 5)),
        ("Date of birth: 05-0GT-1977", date(1977, 10, 5)),  # one letter misread, one month close
        ("Re: Zora Fakename {008 1977-10-05)", date(1977, 10, 5)),
        ("Patient: Fakename, Zora | * DOBr 10/05/1977", date(1977, 10, 5)),
        ("008 10/05/1977", date(1977, 10, 5)),
        ("Date of birth   Sex   Phone\n05-OCT-1977 | F | (555) 201-3344", date(1977, 10, 5)),
    ],
)
def test_ocr_slips_in_birth_dates_and_their_labels(text: str, expected: date) -> None:
    assert extract(text, today=TODAY).dobs == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "DOB: MAX-01-1977",  # MAR or MAY: no month
        "Room 008 10/05/1977",  # a zero-zero-eight inside a line is no label
        "DOB: lL/O5/1977",  # a capital L is no digit
    ],
)
def test_ambiguous_ocr_dates_are_not_guessed(text: str) -> None:
    assert extract(text, today=TODAY).dobs == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"Name: Zora Fakename Date of birth: 10/05/1977', ("Zora", "Fakename")),
        ("\u201cPatient; FAKENAME, ZORA DOB: 10/05/1977", ("Zora", "Fakename")),
        ("|Re: Zora Q. Fakename (DOB 10/05/1977)", ("Zora", "Fakename")),
        ("Re: Zora Q, Fakename (DOB 10/05/1977)", ("Zora", "Fakename")),
        ("Member   ZORA FAKENAME\nMember ID XQ1234567", ("Zora", "Fakename")),
        ("Member ZORA FAKENAME", ("Zora", "Fakename")),
        (
            "Patient name (last, first)   Date of birth   Phone\n| Fakename, Zora | 10/05/1977 |",
            ("Zora", "Fakename"),
        ),
        ("Pt name: Fakename, Zora DO. B. 1977-10-05", ("Zora", "Fakename")),
    ],
)
def test_ocr_d_and_form_name_labels(text: str, expected: tuple[str, str]) -> None:
    assert names(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "PATIENT INTAKE FORM",
        "MEMBER SERVICES 1-800-555-0100",
        "Our member ZORA FAKENAME called",  # not at the start of a line
        "Please call Member Services   Monday to Friday",
    ],
)
def test_no_names_from_headings_and_prose(text: str) -> None:
    assert names(text) == []


def test_an_id_cards_unlabelled_name_block_next_to_its_birth_date() -> None:
    card = (
        "EXAMPLE STATE DRIVER LICENSE\nDL X1234567\nDOB 10/05/1977\nEXP 01/01/2031\n"
        "FAKENAME\nZORA Q\n12 EXAMPLE STREET, SPRINGFIELD\nSEX F"
    )
    found = extract(card, today=TODAY)
    assert [(n.first, n.last) for n in found.names] == [("Zora", "Fakename")]
    assert found.dobs == [date(1977, 10, 5)]


def test_capitals_on_a_page_that_is_no_id_card_are_not_a_name() -> None:
    page = "LABORATORY REPORT\nDOB 10/05/1977\nTHYROID\nPANEL\nGlucose 99"
    assert names(page) == []
    # On a card, a labelled name wins and the block is not read.
    card = "STATE ID CARD\nName: Zora Fakename\nDOB 10/05/1977\nEXAMPLE\nCOUNTY"
    assert names(card) == [("Zora", "Fakename")]


def test_a_name_ends_at_a_dash_between_spaces() -> None:
    assert names("Member: Zora Fakename - , \u2014\u2014 oO") == [("Zora", "Fakename")]
    assert names("Patient: Zora Fakename-Example") == [("Zora", "Fakename-Example")]


def test_member_ids_with_signs_ocr_reads_for_letters() -> None:
    found = extract("Member ID: X\u00a5Z987654   Policy #: \u00a7Q12345", today=TODAY)
    assert found.member_ids == ["XYZ987654", "SQ12345"]


def test_ocr_commas_in_the_birth_date_label_and_headings_that_are_no_name() -> None:
    found = extract("Pt name: Fakename, Zora R. D,O.B. 10/5/77", today=TODAY)
    assert [(n.first, n.last) for n in found.names] == [("Zora", "Fakename")]
    assert found.dobs == [date(1977, 10, 5)]
    assert names("Patient: name (last, first) __ Date of birth") == []


def test_a_page_naming_no_patient_gives_no_phone_numbers() -> None:
    page = "EXAMPLE ORTHOPEDICS\nTel (555) 234-5678   Fux (555) 234-5679\nReason: knee pain"
    assert extract(page, today=TODAY).phones == []
    page = "Patient: Zora Fakename\nHome phone: (555) 234-5678"
    assert extract(page, today=TODAY).phones == ["5552345678"]


@pytest.mark.parametrize(
    "text",
    [
        "Patiant name (last first) i Date of birth Phone\n[ Fakename, Zora 1977-10-05 | (555) 201",
        "Patient name (last, first) first) Date\n| Fakename, Zora | 10/5/1977",
        "Patient Name: Date of Birth:\nFakename, Zora   10/05/1977",
    ],
)
def test_an_ocr_d_form_heading_with_its_values_on_the_next_line(text: str) -> None:
    assert names(text) == [("Zora", "Fakename")]


def test_a_sentence_about_names_is_no_heading() -> None:
    assert names("PATIENT NAME AND DATE OF BIRTH MUST MATCH\nZora Fakename") == []


def test_more_ocr_d_labels_py_name_and_dotted_zero_dob() -> None:
    found = extract("Pt name: Fakename, Zora M. 0.0.8. 10/05/1977", today=TODAY)
    assert [(n.first, n.last) for n in found.names] == [("Zora", "Fakename")]
    assert found.dobs == [date(1977, 10, 5)]
    found = extract("Py name: Fakename, Zora D.O,B. 05-OCT-1977", today=TODAY)
    assert [(n.first, n.last) for n in found.names] == [("Zora", "Fakename")]
    assert found.dobs == [date(1977, 10, 5)]
    assert extract("Version 1.0.8 10/05/1977", today=TODAY).dobs == []


def test_every_possible_birth_date_on_a_page_labelled_or_not() -> None:
    from frontdesk.documents.analysis.extract import page_dates

    text = (
        "Dare of birth: 06/19/1985\nCollected: 09/30/2025 Reported: 2025-10-02\n"
        "Next visit 03/05/2026\nDOB 06/19/1985"
    )
    # In reading order, once each; a date after today is nobody's birth date.
    assert page_dates(text, today=TODAY) == [
        date(1985, 6, 19),
        date(2025, 9, 30),
        date(2025, 10, 2),
    ]
