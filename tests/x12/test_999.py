"""999 acknowledgments: reading a payer's, writing the simulated payer's (checked by pyx12), round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontdesk.standards.x12.acks import (
    AckError,
    FunctionalAck,
    TransactionAck,
    acknowledge,
    read_999,
    write_999,
)
from frontdesk.standards.x12.envelope import Delimiters
from frontdesk.standards.x12.errors import X12BuildError, X12ParseError
from frontdesk.standards.x12.stc import ELEMENT_ERRORS, SEGMENT_ERRORS
from tests.x12.conftest import header
from tests.x12.pyx12check import pyx12_errors

SAMPLE = (Path(__file__).parent / "samples" / "999_rejected.x12").read_text()


def test_read_a_rejected_batch() -> None:
    (ack,) = read_999(SAMPLE)
    assert (ack.functional_id, ack.group_control_number, ack.version) == (
        "HC",
        "42",
        "005010X222A1",
    )
    assert ack.status == "R" and (ack.included, ack.received, ack.accepted) == (2, 2, 0)
    assert ack.control_number == "2001"
    assert "rejected" in ack.message and "0 of 2" in ack.message
    first, second = ack.transactions
    assert first.control_number == "0001" and first.status == "R" and not first.accepted
    assert first.syntax_errors == ("5",)
    nm1, dtp, zzz = first.errors
    assert (nm1.segment_id, nm1.segment_position, nm1.loop, nm1.element_position) == (
        "NM1",
        12,
        "2010",
        9,
    )
    assert nm1.code == "1" and nm1.element_code == "67"
    assert nm1.message == "NM109 (segment 12, data element 67): required element missing"
    assert (nm1.context_name, nm1.context_value) == ("CLM01", "FD-000123")
    assert dtp.bad_value == "20261332" and "invalid date" in dtp.message
    assert zzz.element_position is None and zzz.code == "1"
    assert zzz.message == "ZZZ segment (position 40): unrecognized segment"
    assert second.errors == () and second.syntax_errors == ("4",)
    assert "segment count" in second.message


def test_the_situational_trigger_ctx_is_not_the_business_context() -> None:
    text = SAMPLE.replace(
        "IK3*DTP*31*2300*8~\nCTX*CLM01:FD-000123~",
        "IK3*DTP*31*2300*8~\nCTX*SITUATIONAL TRIGGER*CLM*25**5:3~\nCTX*CLM01:FD-000124~",
    ).replace("SE*15*2001", "SE*16*2001")
    dtp = read_999(text)[0].transactions[0].errors[1]
    assert dtp.context_value == "FD-000124"


def _batch() -> FunctionalAck:
    ok = TransactionAck("837", "0001", "A", (), "005010X222A1")
    bad = TransactionAck(
        "837",
        "0002",
        "R",
        (
            AckError("CLM", 23, "2300", "7", 5, "1331", "ZZ", "", 3, "CLM01", "FD-1"),
            AckError("NM1", 9, "2010BA", "3", None, "", "", ""),
        ),
        "005010X222A1",
        ("5",),
    )
    return acknowledge(
        functional_id="HC",
        group_control_number="17",
        version="005010X222A1",
        transactions=[ok, bad],
    )


def test_written_999_passes_pyx12_and_reads_back() -> None:
    ack = _batch()
    assert (ack.status, ack.included, ack.accepted) == ("P", 2, 1)
    text = write_999([ack], header("FA"))
    assert pyx12_errors(text) == []
    (back,) = read_999(text)
    assert back.status == "P" and back.accepted == 1
    clm, nm1 = back.transactions[1].errors
    assert (clm.element_position, clm.component_position, clm.bad_value, clm.context_value) == (
        5,
        3,
        "ZZ",
        "FD-1",
    )
    assert nm1.loop == "2010"  # IK303 is at most 4 characters
    assert "invalid code value" in clm.message


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [(["A", "A"], "A"), (["A", "E"], "E"), (["A", "R"], "P"), (["R", "R"], "R")],
)
def test_acknowledge_derives_the_group_status(statuses: list[str], expected: str) -> None:
    txs = [TransactionAck("837", f"{i:04d}", s, ()) for i, s in enumerate(statuses, start=1)]
    ack = acknowledge(
        functional_id="HC", group_control_number="1", version="005010X222A1", transactions=txs
    )
    assert ack.status == expected
    assert pyx12_errors(write_999([ack], header("FA"))) == []


def test_whole_batch_rejected_passes_pyx12() -> None:
    ack = FunctionalAck("HC", "9", "005010X222A1", "R", (), 1, 1, 0, ("5",))
    text = write_999([ack], header("FA"))
    assert pyx12_errors(text) == []
    assert read_999(text)[0].syntax_errors == ("5",)


def test_write_999_refuses_nothing_to_say() -> None:
    with pytest.raises(X12BuildError):
        write_999([], header("FA"))


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("AK1*HC*42*005010X222A1~\n", "", "AK1"),
        ("AK9*R*2*2*0~\n", "", "no AK9"),
        ("IK5*R*4~\n", "", "before the last transaction set's IK5"),
        ("AK9*R*2*2*0", "AK9*R*2*X*0", "AK903"),
        ("IK4*9*67*1", "IK4*X*67*1", "IK401"),
        ("AK2*837*0002*005010X222A1~\n", "", "IK5 without AK2"),
    ],
)
def test_malformed_999(old: str, new: str, words: str) -> None:
    text = SAMPLE.replace(old, new)
    if new == "":  # one segment fewer: keep the envelope right so the 999 reader is what fails
        text = text.replace("SE*15*2001", "SE*14*2001")
    with pytest.raises(X12ParseError) as caught:
        read_999(text)
    assert words in str(caught.value)


def test_every_code_has_words() -> None:
    assert set(SEGMENT_ERRORS) >= {
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "I4",
        "I6",
        "I7",
        "I8",
        "I9",
    }
    assert set(ELEMENT_ERRORS) >= {
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "10",
        "12",
        "13",
        "I6",
        "I9",
        "I10",
        "I11",
        "I12",
        "I13",
    }


_codes = st.sampled_from(sorted(ELEMENT_ERRORS))
_segs = st.sampled_from(["CLM", "NM1", "DTP", "SV1", "HI", "REF"])


@st.composite
def errors(draw: st.DrawFn) -> AckError:
    element = draw(st.one_of(st.none(), st.integers(1, 20)))
    seg = draw(_segs)
    position = draw(st.integers(1, 9999))
    return AckError(
        segment_id=seg,
        segment_position=position,
        loop=draw(st.sampled_from(["", "2000", "2300", "2400"])),
        code=draw(_codes) if element else draw(st.sampled_from(sorted(SEGMENT_ERRORS))),
        element_position=element,
        element_code=draw(st.sampled_from(["", "1331", "67"])) if element else "",
        bad_value=draw(st.from_regex(r"[A-Z0-9]{0,10}", fullmatch=True)) if element else "",
        message="",
        context_name="",
        context_value="",
    )


@st.composite
def transaction_acks(draw: st.DrawFn, number: int) -> TransactionAck:
    errs = draw(
        st.lists(errors(), max_size=4, unique_by=lambda e: (e.segment_position, e.element_position))
    )
    # One error per segment position keeps the grouping unambiguous.
    seen: dict[int, AckError] = {}
    for e in errs:
        seen.setdefault(e.segment_position, e)
    return TransactionAck(
        "837",
        f"{number:04d}",
        "R" if seen else draw(st.sampled_from(["A", "E"])),
        tuple(seen.values()),
        "005010X222A1",
        ("5",) if seen else (),
    )


def _normalize(ack: FunctionalAck) -> FunctionalAck:
    from dataclasses import replace

    return replace(
        ack,
        control_number="",
        transactions=tuple(
            replace(t, errors=tuple(replace(e, message="") for e in t.errors))
            for t in ack.transactions
        ),
    )


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 4).flatmap(lambda n: st.tuples(*[transaction_acks(i + 1) for i in range(n)])),
    st.sampled_from([Delimiters(), Delimiters("|", ">", "!", "'", "\r\n")]),
)
def test_generated_999s_pass_pyx12_and_round_trip(
    txs: tuple[TransactionAck, ...], delimiters: Delimiters
) -> None:
    ack = acknowledge(
        functional_id="HC", group_control_number="5", version="005010X222A1", transactions=txs
    )
    text = write_999([ack], header("FA"), delimiters)
    assert pyx12_errors(text) == []
    (back,) = read_999(text)
    assert _normalize(back) == _normalize(ack)
    assert all(e.message for t in back.transactions for e in t.errors)
