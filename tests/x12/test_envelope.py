"""The envelope codec: delimiters, control numbers, counts, and clear errors for broken files."""

from __future__ import annotations

import pytest

from frontdesk.standards.x12.eligibility import read_271
from frontdesk.standards.x12.envelope import (
    Delimiters,
    Repeated,
    build,
    clean_text,
    format_amount,
    parse,
    segment_text,
    transactions_of,
)
from frontdesk.standards.x12.errors import X12BuildError, X12ParseError
from tests.x12.conftest import header

GOOD = build(
    header("HC", "005010X222A1"),
    "837",
    [[("BHT", "0019", "00", "1")], [("BHT", "0019", "00", "2")]],
)


def test_good_file_parses() -> None:
    (interchange,) = parse(GOOD)
    assert interchange.control_number == "000000101"
    assert interchange.sender_id == "FRONTDESK" and interchange.receiver_id == "PAYERSIM"
    assert interchange.usage == "T"
    (group,) = interchange.groups
    assert (group.control_number, group.functional_id, group.version) == ("7", "HC", "005010X222A1")
    first, second = group.transactions
    assert (first.code, first.control_number, second.control_number) == ("837", "0001", "0002")
    assert [s.id for s in first.body] == ["BHT"]


@pytest.mark.parametrize(
    ("old", "new", "where", "words"),
    [
        ("SE*3*0001", "SE*4*0001", "SE01", "SE01 says 4 segments"),
        ("SE*3*0001", "SE*3*0009", "SE02", "does not match ST02"),
        ("GE*2*7", "GE*3*7", "GE01", "GE01 says 3 transaction sets"),
        ("GE*2*7", "GE*2*8", "GE02", "does not match GS06"),
        ("IEA*1*000000101", "IEA*2*000000101", "IEA01", "IEA01 says 2 functional groups"),
        ("IEA*1*000000101", "IEA*1*000000102", "IEA02", "does not match ISA13"),
        ("*000000101*0*T", "*00000010X*0*T", "ISA13", "9 digits"),
        ("ST*837*0002*005010X222A1~\n", "", "SE", "expected GE (functional group 7), found BHT"),
        (
            "GS*HC*FRONTDESK*PAYERSIM*20261127*0430*7*",
            "GS*HC*FRONTDESK*PAYERSIM*20261127*0430**",
            "GS06",
            "GS06",
        ),
    ],
)
def test_envelope_errors_name_segment_and_element(
    old: str, new: str, where: str, words: str
) -> None:
    assert old in GOOD
    with pytest.raises(X12ParseError) as caught:
        parse(GOOD.replace(old, new, 1))
    message = str(caught.value)
    assert words in message
    assert "segment" in message
    assert caught.value.segment_index is not None


@pytest.mark.parametrize("cut", [10, 105, 106, 150, 200, -30, -5])
def test_truncated_files_are_refused(cut: int) -> None:
    with pytest.raises(X12ParseError) as caught:
        parse(GOOD[:cut])
    assert (
        "truncated" in str(caught.value)
        or "ends before" in str(caught.value)
        or "ISA" in str(caught.value)
    )


@pytest.mark.parametrize(
    "garbage",
    ["", "   ", "hello world", "GS*HC*X~", "<xml/>", "ISA", "\x00\x01\x02" * 50, "ISA" + "*" * 200],
)
def test_garbage_and_non_isa_starts(garbage: str) -> None:
    with pytest.raises(X12ParseError):
        parse(garbage)


def test_not_isa_start_says_what_it_found() -> None:
    with pytest.raises(X12ParseError, match="must begin with ISA, found 'GS\\*HC"):
        parse("GS*HC*X~" + GOOD)


def test_wrong_isa_width_names_the_element() -> None:
    bad = GOOD.replace("*ZZ*FRONTDESK      *", "*ZZ*FRONTDESK     *", 1)
    with pytest.raises(X12ParseError) as caught:
        parse(bad)
    assert caught.value.segment_id == "ISA"


@pytest.mark.parametrize(
    "delimiters",
    [
        Delimiters(),
        Delimiters("|", ">", "!", "'", "\r\n"),
        Delimiters("^", "\\", "{", "~", ""),
        Delimiters("+", ":", "*", "'", "\n"),
        Delimiters("*", ":", "^", "\n", ""),
        Delimiters("\x1d", "\x1f", "\x1e", "\x1c", ""),
    ],
)
def test_any_delimiters_with_or_without_line_breaks(delimiters: Delimiters) -> None:
    text = build(
        header("HC", "005010X222A1"),
        "837",
        [[("BHT", "0019", "00", "1"), ("REF", ["A", "B"], Repeated(["X", "Y"]))]],
        delimiters,
    )
    (interchange,) = parse(text)
    assert interchange.delimiters.element == delimiters.element
    ref = next(interchange.transactions()).body[1]
    assert ref.components(1) == ["A", "B"] and ref.repeats(2) == ["X", "Y"]
    crlf = (
        text.replace(delimiters.segment, delimiters.segment + "\r\n")
        if delimiters.segment != "\n"
        else text
    )
    assert [s.id for s in next(parse(crlf)[0].transactions()).body] == ["BHT", "REF"]


def test_bytes_bom_and_leading_whitespace() -> None:
    data = b"\xef\xbb\xbf\r\n  " + GOOD.encode()
    assert parse(data)[0].control_number == "000000101"
    assert parse(GOOD.encode("latin-1"))[0].control_number == "000000101"


def test_two_interchanges_in_one_file() -> None:
    second = GOOD.replace("000000101", "000000102")
    assert [i.control_number for i in parse(GOOD + second)] == ["000000101", "000000102"]


def test_transactions_of_refuses_other_transactions_and_guides() -> None:
    with pytest.raises(X12ParseError, match="expected a 835"):
        transactions_of(GOOD, "835")
    with pytest.raises(X12ParseError, match="not supported"):
        transactions_of(GOOD, "837", versions=("005010X223A2",))


def test_a_271_reader_refuses_an_837_with_a_clear_error() -> None:
    with pytest.raises(X12ParseError, match="expected a 271"):
        read_271(GOOD)


def test_building_refuses_delimiters_in_data() -> None:
    with pytest.raises(X12BuildError) as caught:
        segment_text(("NM1", "85", "A*B"), Delimiters())
    assert caught.value.field == "NM102"
    with pytest.raises(X12BuildError):
        segment_text(("EB", "1", "", Repeated(["30", "9~8"])), Delimiters())


@pytest.mark.parametrize(
    "args",
    [("*", "*", "^", "~"), ("**", ":", "^", "~"), ("A", ":", "^", "~"), (" ", ":", "^", "~")],
)
def test_bad_delimiters_are_refused(args: tuple[str, str, str, str]) -> None:
    with pytest.raises(X12BuildError):
        Delimiters(*args)


def test_header_checks() -> None:
    with pytest.raises(X12BuildError):
        header(interchange_control_number=0)
    with pytest.raises(X12BuildError):
        header(sender_id="X" * 16)
    with pytest.raises(X12BuildError):
        header(usage="Q")


def test_clean_text_and_amounts() -> None:
    assert clean_text("José  O'Brien*~^:|>", 60) == "Jose O'Brien"
    assert clean_text("x" * 80, 60) == "x" * 60
    assert (
        format_amount("25.00") == "25"
        and format_amount("25.50") == "25.5"
        and format_amount("-0.00") == "0"
    )
