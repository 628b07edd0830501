"""documents.analysis.segment: splitting a packet into one range per patient."""

from __future__ import annotations

from datetime import date

import pytest

from frontdesk.documents.analysis import ocr
from frontdesk.documents.analysis.extract import Identifiers, PersonName, extract
from frontdesk.documents.analysis.pages import iter_pages
from frontdesk.documents.analysis.segment import conflicts, segment
from frontdesk.documents.tests import analysis_samples as samples

TODAY = date(2026, 1, 15)


def ids(first: str = "", last: str = "", dob: date | None = None) -> Identifiers:
    names = [PersonName(first, last, f"{last}, {first}")] if last else []
    return Identifiers(names=names, dobs=[dob] if dob else [])


def test_single_patient_document_is_one_range() -> None:
    pages = [ids("Jane", "Doe", date(1970, 1, 2)), Identifiers(), ids("Jane", "Doe")]
    assert segment(pages) == [(0, 3)]
    assert segment([Identifiers(), Identifiers()]) == [(0, 2)]
    assert segment([]) == []


def test_new_patient_starts_a_new_range_and_blank_pages_join_the_current_one() -> None:
    pages = [
        ids("Jane", "Doe", date(1970, 1, 2)),
        Identifiers(),  # a second page without a header
        ids("John", "Roe", date(1955, 5, 6)),
        ids("John", "Roe"),
        Identifiers(),
        ids("Jane", "Doe", date(1970, 1, 2)),  # the first patient again, later in the packet
    ]
    assert segment(pages) == [(0, 2), (2, 5), (5, 6)]


def test_same_name_other_birth_date_is_another_patient() -> None:
    pages = [ids("Jane", "Doe", date(1970, 1, 2)), ids("Jane", "Doe", date(1998, 7, 8))]
    assert segment(pages) == [(0, 1), (1, 2)]


def test_ocr_slips_in_the_name_do_not_split() -> None:
    pages = [ids("Zelda", "Testpatient", date(1961, 3, 4)), ids("Zelda", "Testpatlent")]
    assert segment(pages) == [(0, 2)]


def test_a_range_learns_the_birth_date_from_a_later_page() -> None:
    pages = [
        ids("Jane", "Doe"),
        ids("Jane", "Doe", date(1970, 1, 2)),
        ids("Jane", "Doe", date(1971, 1, 2)),
    ]
    assert segment(pages) == [(0, 2), (2, 3)]


def test_conflicts() -> None:
    assert not conflicts(("doe", "j", None), (None, None, date(1970, 1, 2)))
    assert conflicts(("doe", "j", None), ("doe", "k", None))
    assert conflicts(("doe", "j", None), ("roe", "j", None))
    assert not conflicts(("doe", "j", date(1970, 1, 2)), ("doe", None, date(1970, 1, 2)))


PACKET = [
    [
        "# Zzyzx Example Laboratory",
        "Patient: TESTPATIENT, ZELDA    DOB: 03/04/1961",
        "Collected: 11/02/2025",
        "Glucose   112   mg/dL   70-99",
    ],
    ["Page 2 of 2", "Comments: specimen slightly hemolyzed.", "End of report."],
    [
        "# Zzyzx Example Laboratory",
        "Patient: EXAMPLEMAN, OTTO    DOB: 07/08/1955",
        "Collected: 11/02/2025",
        "Sodium   139   mmol/L   135-145",
    ],
    [
        "# Zzyzx Example Laboratory",
        "Patient: SAMPLETON, WILMA    DOB: 12/24/1988",
        "Collected: 11/03/2025",
        "Potassium   4.1   mmol/L   3.5-5.1",
    ],
    [
        "Patient: SAMPLETON, WILMA",
        "Continued from the previous page.",
    ],
]


def _expected_keys() -> list[tuple | None]:
    return [
        ("testpatient", "z", date(1961, 3, 4)),
        None,
        ("exampleman", "o", date(1955, 7, 8)),
        ("sampleton", "w", date(1988, 12, 24)),
        ("sampleton", "w", None),
    ]


def test_three_patient_packet_from_the_pdf_text_layer() -> None:
    pages = list(iter_pages(samples.pdf_bytes(PACKET), "pdf", dpi=50))
    found = [extract(page.text_layer, today=TODAY) for page in pages]
    assert [item.key() for item in found] == _expected_keys()
    assert segment(found) == [(0, 2), (2, 3), (3, 5)]


@pytest.mark.skipif(not ocr.ocr_available(), reason="Tesseract is not installed")
def test_three_patient_packet_faxed_and_read_by_ocr() -> None:
    pdf = samples.pdf_bytes(PACKET)
    frames = [
        samples.fax(samples.render(pdf, index=index), seed=index, skew=1.0 if index % 2 else 0.0)
        for index in range(len(PACKET))
    ]
    frames[3] = frames[3].rotate(180)  # one page went through the fax upside down
    pages = list(iter_pages(samples.tiff_bytes(frames), "tiff"))
    results = [ocr.ocr_image(page.image) for page in pages]
    assert [result.rotation for result in results] == [0, 0, 0, 180, 0]
    found = [extract(result.text, today=TODAY) for result in results]
    assert [item.key() for item in found] == _expected_keys()
    assert segment(found) == [(0, 2), (2, 3), (3, 5)]


def test_mrns_split_and_join() -> None:
    pages = [
        Identifiers(mrns=["M0001234"]),
        ids("Jane", "Doe", date(1970, 1, 2)),
        Identifiers(mrns=["M0001234"]),
        Identifiers(mrns=["M0005678"]),  # another patient, known only by MRN
        ids("John", "Roe"),  # may well be M0005678: nothing conflicts
        Identifiers(mrns=["M0001234"]),  # the first patient again
    ]
    assert segment(pages) == [(0, 3), (3, 5), (5, 6)]
