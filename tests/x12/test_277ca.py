"""277CA claim acknowledgments: a payer's sample, the simulated payer's (checked by pyx12), round trips."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontdesk.standards.x12.acks import (
    ClaimAck,
    ClaimAckReport,
    ClaimStatus,
    read_277ca,
    write_277ca,
)
from frontdesk.standards.x12.envelope import Delimiters
from frontdesk.standards.x12.errors import X12BuildError, X12ParseError
from frontdesk.standards.x12.stc import CATEGORIES, STATUS_CODES, status_message
from tests.x12.conftest import header
from tests.x12.pyx12check import pyx12_errors

SAMPLE = (Path(__file__).parent / "samples" / "277ca_mixed.x12").read_text()


def test_sample_passes_pyx12() -> None:
    assert pyx12_errors(SAMPLE) == []


def test_read_mixed_acknowledgment() -> None:
    (report,) = read_277ca(SAMPLE)
    assert (report.payer_name, report.payer_id) == ("EXAMPLE HEALTH PLAN", "EXHP1")
    assert (report.receiver_name, report.receiver_id) == ("SAMPLE FAMILY PRACTICE", "FRONTDESK")
    assert (report.reference, report.batch_reference) == ("RCPT0099", "BATCH-42")
    assert (report.received_date, report.processed_date) == (
        dt.date(2026, 11, 26),
        dt.date(2026, 11, 27),
    )
    assert [s.category for s in report.batch_statuses] == ["A1"]
    assert (report.accepted_count, report.rejected_count) == (2, 1)
    assert (report.accepted_amount, report.rejected_amount) == (Decimal("225"), Decimal("80"))
    assert report.billing_provider_npi == "1234567893"
    first, second, third = report.claims
    assert first.patient_control_number == "FD-000123" and first.accepted
    assert first.payer_claim_number == "PCN-26331000123" and first.clearinghouse_trace == "CH-77123"
    assert first.total_charge == Decimal("150") and first.service_date == dt.date(2026, 11, 20)
    assert (first.patient_last_name, first.member_id) == ("TESTPATIENT", "XZW123456789")
    # Two claims under one patient; the 2220D line's STC stays with the line.
    assert second.patient_control_number == "FD-000124" and second.accepted
    assert [s.category for s in second.statuses] == ["A2"]
    assert (second.service_date, second.service_date_end) == (
        dt.date(2026, 11, 18),
        dt.date(2026, 11, 19),
    )
    assert third.patient_last_name == "SAMPLEPERSON" and not third.accepted
    a7, dob = third.statuses
    assert (a7.category, a7.code, a7.entity, a7.action) == ("A7", "33", "IL", "U")
    assert a7.free_text == "SUBSCRIBER ID NOT ON FILE"
    assert (
        a7.message
        == "A7 Rejected for invalid information: 33 subscriber and subscriber ID not found (insured or subscriber)"
    )
    assert (dob.code, dob.amount) == ("158", Decimal("80"))
    assert "date of birth" in third.message


def test_accepted_needs_an_acceptance_and_no_rejection() -> None:
    assert ClaimAck("X", statuses=(ClaimStatus("A1", "19"),)).accepted
    assert not ClaimAck("X", statuses=(ClaimStatus("A1", "19"), ClaimStatus("A6", "21"))).accepted
    assert not ClaimAck("X", statuses=(ClaimStatus("P1", "0"),)).accepted
    assert not ClaimAck("X").accepted


def _report(**kw: object) -> ClaimAckReport:
    values: dict[str, object] = {
        "control_number": "0001",
        "payer_name": "EXAMPLE HEALTH PLAN",
        "payer_id": "EXHP1",
        "receiver_name": "SAMPLE FAMILY PRACTICE",
        "batch_statuses": (),
        "claims": (
            ClaimAck(
                "FD-1",
                "PCN1",
                (ClaimStatus("A2", "20", "PR"),),
                Decimal("150.00"),
                dt.date(2026, 11, 20),
                "TESTPATIENT",
                "ALEX",
                "XZW123",
            ),
            ClaimAck(
                "FD-2",
                "",
                (ClaimStatus("A7", "33", "IL", free_text="ID NOT FOUND"),),
                Decimal("80"),
                dt.date(2026, 11, 21),
                "SAMPLEPERSON",
                "CASEY",
                "ZZZ000",
            ),
        ),
        "billing_provider_npi": "1234567893",
    }
    values.update(kw)
    return ClaimAckReport(**values)  # type: ignore[arg-type]


def test_written_277ca_passes_pyx12_and_reads_back() -> None:
    text = write_277ca([_report()], header("HN"))
    assert pyx12_errors(text) == []
    (back,) = read_277ca(text)
    assert [c.accepted for c in back.claims] == [True, False]
    assert (back.accepted_count, back.rejected_count) == (1, 1)
    assert (back.accepted_amount, back.rejected_amount) == (Decimal("150"), Decimal("80"))
    assert back.claims[1].statuses[0].action == "U" and back.claims[0].statuses[0].action == "WQ"
    assert back.claims[1].statuses[0].free_text == "ID NOT FOUND"
    assert back.batch_statuses[0].category == "A1"


def test_without_an_npi_the_billing_provider_is_named_by_the_receiver_id() -> None:
    text = write_277ca([_report(billing_provider_npi="")], header("HN"))
    assert "NM1*85*2*SAMPLE FAMILY PRACTICE*****SV*PAYERSIM~" in text
    assert pyx12_errors(text) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"claims": ()}, "claims"),
        ({"payer_id": ""}, "payer_id"),
        (
            {
                "claims": (
                    ClaimAck("FD-1", service_date=dt.date(2026, 1, 1), patient_last_name="X"),
                )
            },
            "member_id",
        ),
        ({"claims": (ClaimAck("FD-1", member_id="AB", patient_last_name="X"),)}, "service_date"),
        (
            {"claims": (ClaimAck("FD-1", member_id="AB", service_date=dt.date(2026, 1, 1)),)},
            "patient_last_name",
        ),
    ],
)
def test_bad_reports_are_refused(change: dict[str, object], field: str) -> None:
    with pytest.raises(X12BuildError) as caught:
        write_277ca([_report(**change)], header("HN"))
    assert field in caught.value.field


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("BHT*0085", "BHT*0019", "BHT01"),
        ("STC*A2:20:PR*20261127*WQ*150~", "STC**20261127*WQ*150~", "STC01"),
        ("STC*A2:20:PR*20261127*WQ*150~", "STC*A2:20:PR*20261327*WQ*150~", "not a real date"),
        ("HL*4*3*PT~", "HL*4*9*PT~", "HL02"),
        ("DTP*472*RD8*20261118-20261119~", "DTP*472*RD8*20261118~", "date range"),
    ],
)
def test_malformed_277ca(old: str, new: str, words: str) -> None:
    assert old in SAMPLE
    with pytest.raises(X12ParseError) as caught:
        read_277ca(SAMPLE.replace(old, new))
    assert words in str(caught.value)


def test_status_words() -> None:
    for code in ("A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "E0", "F1", "P1", "R0"):
        assert code in CATEGORIES
    assert {"19", "20", "21", "33", "97", "116", "164", "187", "562"} <= set(STATUS_CODES)
    assert (
        status_message("A3", "21")
        == "A3 Returned as unprocessable: 21 missing or invalid information"
    )
    assert status_message("ZZ", "9999", "QQ") == "ZZ Status category: 9999 status code (entity QQ)"


_name = st.from_regex(r"[A-Z]{1,12}( [A-Z]{1,8})?", fullmatch=True)


@st.composite
def claim_acks(draw: st.DrawFn, index: int) -> ClaimAck:
    start = draw(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)))
    statuses = draw(
        st.lists(
            st.builds(
                ClaimStatus,
                category=st.sampled_from(["A1", "A2", "A3", "A6", "A7", "A8"]),
                code=st.sampled_from(["19", "20", "21", "33", "158", "187"]),
                entity=st.sampled_from(["", "IL", "QC", "85", "PR"]),
                effective=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)),
                free_text=st.one_of(st.just(""), _name),
            ),
            min_size=1,
            max_size=3,
        )
    )
    return ClaimAck(
        patient_control_number=f"FD-{index:06d}",
        payer_claim_number=draw(
            st.one_of(st.just(""), st.from_regex(r"[A-Z0-9]{5,20}", fullmatch=True))
        ),
        statuses=tuple(statuses),
        total_charge=draw(st.decimals(min_value=1, max_value=99999, places=2)).normalize(),
        service_date=start,
        patient_last_name=draw(_name),
        patient_first_name=draw(st.one_of(st.just(""), _name)),
        member_id=draw(st.from_regex(r"[A-Z0-9]{2,20}", fullmatch=True)),
        clearinghouse_trace=draw(
            st.one_of(st.just(""), st.from_regex(r"[A-Z0-9]{3,12}", fullmatch=True))
        ),
        service_date_end=draw(st.one_of(st.none(), st.just(start + dt.timedelta(days=2)))),
    )


def _expected(report: ClaimAckReport, text_report: ClaimAckReport) -> ClaimAckReport:
    """What reading gives back: actions, amounts and messages filled in, defaults made explicit."""
    claims = tuple(
        replace(
            c,
            statuses=tuple(
                replace(
                    s,
                    action="U" if s.rejecting else "WQ",
                    amount=c.total_charge,
                    message=status_message(s.category, s.code, s.entity),
                )
                for s in c.statuses
            ),
        )
        for c in report.claims
    )
    return replace(
        report,
        claims=claims,
        batch_statuses=text_report.batch_statuses,
        provider_statuses=text_report.provider_statuses,
        receiver_id=text_report.receiver_id,
        reference=text_report.reference,
        batch_reference=text_report.batch_reference,
        received_date=text_report.received_date,
        processed_date=text_report.processed_date,
        billing_provider_name=text_report.billing_provider_name,
        accepted_count=sum(1 for c in report.claims if c.accepted),
        rejected_count=sum(1 for c in report.claims if not c.accepted),
        accepted_amount=sum(
            (c.total_charge or Decimal(0) for c in report.claims if c.accepted), Decimal(0)
        ),
        rejected_amount=sum(
            (c.total_charge or Decimal(0) for c in report.claims if not c.accepted), Decimal(0)
        ),
    )


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 4).flatmap(lambda n: st.tuples(*[claim_acks(i) for i in range(n)])),
    st.sampled_from([Delimiters(), Delimiters("|", ">", "!", "'", "\r\n")]),
)
def test_generated_277cas_pass_pyx12_and_round_trip(
    claims: tuple[ClaimAck, ...], delimiters: Delimiters
) -> None:
    report = _report(claims=claims)
    text = write_277ca([report], header("HN"), delimiters)
    assert pyx12_errors(text) == []
    (back,) = read_277ca(text)
    assert back == _expected(report, back)
