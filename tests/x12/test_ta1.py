"""TA1 interchange acknowledgments: read, write, round trip, the envelope around them, bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from frontdesk.standards.x12.envelope import parse
from frontdesk.standards.x12.errors import X12BuildError, X12ParseError
from frontdesk.standards.x12.ta1 import InterchangeAck, read_ta1, write_ta1
from tests.x12.conftest import header

REJECTED = InterchangeAck("000000417", dt.date(2026, 11, 26), "0915", "R", "025")


def test_a_rejection_round_trips_and_says_why() -> None:
    text = write_ta1(REJECTED, header(sender_id="CLEARHOUSE", receiver_id="FRONTDESK"))

    assert text.splitlines() == [
        "ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*FRONTDESK      *261127*0430*^*00501"
        "*000000101*0*T*:~",
        "TA1*000000417*261126*0915*R*025~",
        "IEA*0*000000101~",
    ]
    assert read_ta1(text) == [REJECTED]
    assert REJECTED.rejected
    assert REJECTED.message == (
        "interchange 000000417 was rejected: Duplicate interchange control number (TA105 025)"
    )


def test_an_acceptance_has_no_note() -> None:
    accepted = InterchangeAck("000000418", dt.date(2026, 11, 26), "0915", "A", "000")
    (read,) = read_ta1(write_ta1(accepted, header()))
    assert not read.rejected
    assert read.message == "interchange 000000418 was accepted"


def test_a_ta1_ahead_of_the_groups_of_an_interchange() -> None:
    text = (
        "ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*FRONTDESK      *261127*0430*^*00501"
        "*000000102*0*P*:~TA1*000000417*261126*0915*E*024~"
        "GS*FA*CLEARHOUSE*FRONTDESK*20261127*0430*9*X*005010X231A1~"
        "ST*999*0001*005010X231A1~AK1*HC*417*005010X222A1~AK9*A*1*1*1~SE*4*0001~"
        "GE*1*9~IEA*1*000000102~"
    )
    (interchange,) = parse(text)
    assert [g.gs.get(6) for g in interchange.groups] == ["9"]
    (ack,) = read_ta1(text)
    assert (ack.code, ack.note_code) == ("E", "024")
    assert ack.message == (
        "interchange 000000417 was accepted with errors: Invalid interchange content (e.g., "
        "invalid GS segment) (TA105 024)"
    )


@pytest.mark.parametrize(
    ("ta1", "message"),
    [
        ("TA1*417*261126*0915*R*025", "TA101 (interchange control number) must be 9 digits"),
        ("TA1*000000417*261340*0915*R*025", "TA102 '261340' is not a YYMMDD date"),
        ("TA1*000000417*261126*2460*R*025", "TA103 '2460' is not an HHMM time"),
        ("TA1*000000417*261126*0915*X*025", "TA104 'X' is not A, E or R"),
        ("TA1*000000417*261126*0915*R*25", "TA105 '25' is not a 3-digit note code"),
    ],
)
def test_bad_ta1_elements_are_named(ta1: str, message: str) -> None:
    text = (
        "ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*FRONTDESK      *261127*0430*^*00501"
        f"*000000103*0*P*:~{ta1}~IEA*0*000000103~"
    )
    with pytest.raises(X12ParseError) as caught:
        read_ta1(text)
    assert message in str(caught.value)
    assert caught.value.segment_id == "TA1"


def test_a_file_without_a_ta1_or_cut_short_is_refused() -> None:
    no_ta1 = (
        "ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*FRONTDESK      *261127*0430*^*00501"
        "*000000104*0*P*:~IEA*0*000000104~"
    )
    with pytest.raises(X12ParseError, match="holds no TA1"):
        read_ta1(no_ta1)
    with pytest.raises(X12ParseError, match="truncated"):
        read_ta1(write_ta1(REJECTED, header())[:-25])


def test_the_writer_refuses_what_the_reader_would() -> None:
    with pytest.raises(X12BuildError):
        write_ta1(InterchangeAck("417", dt.date(2026, 11, 26), "0915", "R", "025"), header())
    with pytest.raises(X12BuildError):
        write_ta1(InterchangeAck("000000417", dt.date(2026, 11, 26), "0915", "Q", "025"), header())
