"""The simulated payer's answers: documented rules, deterministic, valid X12 (pyx12 for the 999,
277CA and 835; the codecs' own readers for the 271)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from frontdesk.clearinghouse.simulated import answer_270, answer_837, plans
from frontdesk.clearinghouse.tests.claim_samples import (
    TODAY,
    batch,
    claim,
    file_837,
    group,
    line,
    secondary_claim,
)
from frontdesk.standards.x12.acks import read_277ca, read_999
from frontdesk.standards.x12.eligibility import (
    EligibilityInquiry,
    Person,
    read_271,
    write_270,
)
from frontdesk.standards.x12.envelope import EnvelopeHeader
from frontdesk.standards.x12.remittance import read_835
from tests.x12.pyx12check import pyx12_errors

D = Decimal


def pyx12_clean(text: str) -> list[str]:
    # pyx12's own 999 writer cannot answer an ST without ST03 (the 835 guide does not use ST03).
    return [e for e in pyx12_errors(text) if e != "Failed to create 999 response"]


def _270(member_id: str, *, payer_id: str = "SIM01", dependent: bool = False, dob=None) -> str:
    header = EnvelopeHeader(
        sender_id="FRONTDESK",
        receiver_id="CLEARINGHOUSE",
        interchange_control_number=42,
        group_control_number=42,
        functional_id="HS",
        version="005010X279A1",
        created_at=dt.datetime(2026, 11, 27, 9, 0),
        usage="T",
    )
    subscriber = Person(
        last_name="TESTPATIENT",
        first_name="ALEX",
        member_id=member_id,
        date_of_birth=dob or dt.date(1980, 5, 17),
        sex="F",
    )
    inquiry = EligibilityInquiry(
        trace_number=f"T{member_id}",
        payer_name="SIMULATED HEALTH PLAN",
        payer_id=payer_id,
        provider_name="EXAMPLE CLINIC",
        provider_npi="1234567893",
        subscriber=subscriber,
        date_of_service=TODAY,
        dependent=Person(
            last_name="TESTPATIENT", first_name="JORDAN", date_of_birth=dt.date(2015, 3, 2), sex="M"
        )
        if dependent
        else None,
        relationship="19",
        service_types=("30", "98"),
    )
    return write_270([inquiry], header)


def _answer(member_id: str, **kwargs):
    (response,) = read_271(answer_270(_270(member_id, **kwargs), TODAY))
    return response


def test_active_member_gets_the_payers_plan_benefits():
    plan = plans.plan_for("SIM01")
    response = _answer("ZX1234525")
    assert response.active is True
    assert response.trace_numbers == ("TZX1234525",)
    assert response.plan_name == plan.name
    assert (response.plan_begin, response.plan_end) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    by_key = {(b.code, b.time_period, b.in_network): b for b in response.benefits}
    assert by_key[("C", "23", "Y")].amount == plan.deductible
    assert by_key[("C", "29", "Y")].amount == plans.money(plan.deductible * D("0.75"))
    assert by_key[("A", "27", "Y")].percent == plan.coinsurance
    assert by_key[("G", "23", "Y")].amount == plan.out_of_pocket
    if plan.copay:
        assert by_key[("B", "27", "Y")].amount == plan.copay
    assert by_key[("C", "23", "N")].amount == plan.deductible * 2


@pytest.mark.parametrize(("member_id", "reason"), [("ZX1230000", "75"), ("ZX1238888", "71")])
def test_rejections(member_id, reason):
    response = _answer(member_id)
    assert response.active is None
    assert [r.reason for r in response.rejections] == [reason]


def test_inactive_member():
    response = _answer("ZX1239999")
    assert response.active is False
    assert response.eligibility_end == dt.date(2026, 10, 31)


def test_dependent_is_answered_in_2000d():
    response = _answer("ZX1234525", dependent=True)
    assert response.dependent is not None and response.dependent.first_name == "JORDAN"
    assert response.active is True


def test_answers_are_deterministic():
    assert answer_270(_270("ZX1234525"), TODAY) == answer_270(_270("ZX1234525"), TODAY)
    text = file_837()
    assert answer_837(text, TODAY) == answer_837(text, TODAY)


def test_claims_are_acknowledged_and_paid():
    text = file_837(
        batch(
            group(
                claim("FD1", line("99213", "125.00")),
                claim("FD2", line("87880", "40.00"), line("99999", "15.00")),
                secondary_claim("FD3"),
                claim(
                    "FD4", line("99213", "125.00"), frequency_code="8", original_claim_number="X1"
                ),
            ),
            group(claim("FD5"), member_id="ZX1237777"),
            group(claim("FD6", line("99213", "80.00", service_date=TODAY + dt.timedelta(days=1)))),
            group(claim("FD7", diagnoses=("R69",))),
            group(claim("FD8"), payer_id="OTHERPAYER"),
        )
    )
    replies = answer_837(text, TODAY)
    for name in ("ack_999", "ack_277ca", "remittance_835"):
        assert pyx12_clean(getattr(replies, name)) == [], name
    (functional,) = read_999(replies.ack_999)
    assert functional.status == "A"
    (report,) = read_277ca(replies.ack_277ca)
    by_claim = {c.patient_control_number: c for c in report.claims}
    assert by_claim["FD1"].accepted
    assert by_claim["FD1"].payer_claim_number == plans.payer_claim_number("SIM01", "FD1")
    assert [(s.category, s.code) for s in by_claim["FD5"].statuses] == [("A3", "33")]
    assert [(s.category, s.code) for s in by_claim["FD6"].statuses] == [("A7", "187")]
    assert [(s.category, s.code) for s in by_claim["FD7"].statuses] == [("A7", "254")]
    remittances = {r.payer_id: r for r in read_835(replies.remittance_835)}
    assert sorted(remittances) == ["OTHERPAYER", "SIM01"]
    paid = {c.patient_control_number: c for c in remittances["SIM01"].claims}
    assert sorted(paid) == ["FD1", "FD2", "FD3"]  # rejected and void claims are not remitted
    assert paid["FD3"].status == "2"
    assert paid["FD1"].payer_claim_number == by_claim["FD1"].payer_claim_number


def test_a_malformed_claim_is_rejected_in_the_999_with_its_segment():
    good = file_837(number=601)
    # Break the claim: the subscriber's member ID (NM109) is missing.
    broken = good.replace("*MI*ZX1234525~", "*MI~")
    assert broken != good
    replies = answer_837(broken, TODAY)
    assert pyx12_errors(replies.ack_999) == []
    (functional,) = read_999(replies.ack_999)
    assert functional.status == "R"
    (transaction,) = functional.transactions
    assert transaction.status == "R"
    (error,) = transaction.errors
    assert error.segment_id == "NM1"
    assert error.element_position == 9
    assert error.code == "1"  # required data element missing
    assert replies.ack_277ca == "" and replies.remittance_835 == ""


def test_same_claims_same_trace_number_even_in_a_new_file():
    first = answer_837(file_837(number=701), TODAY)
    second = answer_837(file_837(number=702), TODAY)
    (one,) = read_835(first.remittance_835)
    (two,) = read_835(second.remittance_835)
    assert one.trace_number == two.trace_number
