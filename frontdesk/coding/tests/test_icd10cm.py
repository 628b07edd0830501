"""The in-memory ICD-10-CM code set: the bundled release, CMS order files, search ranking and speed."""

from __future__ import annotations

import time

import pytest

from frontdesk.standards import icd10cm
from frontdesk.standards.icd10cm import Icd10Entry, OrderFileError, parse_order_file


@pytest.fixture(scope="module")
def bundled() -> icd10cm.CodeSet:
    return icd10cm.bundled_code_set()


def test_the_bundled_release_is_the_full_fy2026_april_code_set(bundled: icd10cm.CodeSet) -> None:
    # CMS's FY2026 April 1 2026 update: 74,719 billable codes.
    assert bundled.billable_count == 74719
    assert len(bundled) == 98186
    assert bundled.get("E11.9") == Icd10Entry(
        "E119", "Type 2 diabetes mellitus without complications", True
    )
    assert bundled.get("e11") == Icd10Entry("E11", "Type 2 diabetes mellitus", False)
    # 7th-character codes are built from the tabular list's definitions, padded with X.
    assert bundled.get("S00.00XA") == Icd10Entry(
        "S0000XA", "Unspecified superficial injury of scalp, initial encounter", True
    )
    assert bundled.get("S00.00").billable is False  # type: ignore[union-attr]
    assert bundled.get("Z99.999") is None


def test_search_ranks_exact_code_then_code_prefix_then_words(bundled: icd10cm.CodeSet) -> None:
    assert [e.dotted for e in bundled.search("E11", limit=4)] == ["E11", "E11.0", "E11.1", "E11.2"]
    assert [e.dotted for e in bundled.search("e11.9")] == ["E11.9"]
    assert [e.dotted for e in bundled.search("chest pain", limit=4)] == [
        "R07.8",
        "R07.89",
        "R07.1",
        "R07.9",
    ]
    # Every word must match (as the start of a description word).
    words = bundled.search("asthma exac", limit=50)
    assert words and all(
        "asthma" in e.description.lower() and "exacerbation" in e.description.lower() for e in words
    )
    assert bundled.search("zzzz qqqq") == []
    assert bundled.search("   ") == []


def test_a_search_answers_in_under_50_ms(bundled: icd10cm.CodeSet) -> None:
    queries = ["E11", "diabetes mellitus type 2", "hypertens", "fracture of femur", "S72", "pain"]
    for query in queries:
        start = time.perf_counter()
        bundled.search(query, limit=20)
        assert time.perf_counter() - start < 0.05, query


def test_codes_are_normalised() -> None:
    assert icd10cm.normalize(" e11.9 ") == "E119"
    assert icd10cm.with_dot("E119") == "E11.9"
    assert icd10cm.with_dot("I10") == "I10"
    assert icd10cm.looks_like_code("s00.00xa")
    assert not icd10cm.looks_like_code("99213")
    assert not icd10cm.looks_like_code("E1")


def test_an_order_file_round_trips() -> None:
    entries = [
        Icd10Entry("A00", "Cholera", False),
        Icd10Entry("A000", "Cholera due to Vibrio cholerae 01, biovar cholerae", True),
    ]
    codes = parse_order_file(icd10cm.format_order_file(entries))
    assert list(codes) == entries


def test_the_cms_order_file_layout_is_read() -> None:
    # Two lines as CMS publishes them (the short description is cut at 60 characters).
    text = (
        "00001 A00     0 Cholera                                                      Cholera\n"
        "00002 A000    1 Cholera due to Vibrio cholerae 01, biovar cholerae           "
        "Cholera due to Vibrio cholerae 01, biovar cholerae\r\n"
    )
    codes = parse_order_file(text)
    assert [(e.code, e.billable) for e in codes] == [("A00", False), ("A000", True)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file holds no codes."),
        ("hello world\n", "Line 1 is not an order-file line"),
        (
            "00001 A00     7 Cholera\n",
            "Line 1: the billable flag (column 15) must be 0 or 1, not '7'.",
        ),
        ("00001 123     1 Not a code\n", "Line 1: '123' is not an ICD-10-CM code."),
    ],
)
def test_a_bad_order_file_names_the_line(text: str, message: str) -> None:
    with pytest.raises(OrderFileError) as caught:
        parse_order_file(text)
    assert str(caught.value).startswith(message)
