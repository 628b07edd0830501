"""The simulated payer's adjudication: the documented rules, balanced 835s that pass pyx12."""

from __future__ import annotations

from decimal import Decimal

import pytest

from frontdesk.clearinghouse.simulated import plans
from frontdesk.clearinghouse.simulated.adjudication import remittance_for, trace_number
from frontdesk.clearinghouse.simulated.common import answer_header
from frontdesk.clearinghouse.tests.claim_samples import (
    TODAY,
    batch,
    claim,
    file_837,
    group,
    line,
    secondary_claim,
)
from frontdesk.standards.x12.remittance import read_835, write_835
from tests.x12.pyx12check import pyx12_errors

D = Decimal


def pyx12_835_errors(text: str) -> list[str]:
    """pyx12's errors, without its 999 generator's failure on an ST with no ST03 (the 835 guide
    marks ST03 not used; pyx12's own map agrees, but its 999 writer needs it)."""
    return [e for e in pyx12_errors(text) if e != "Failed to create 999 response"]


def _remit(*claims_, member_id: str = "ZX1234525", payer_id: str = "SIM01", today=TODAY):
    g = group(*claims_, member_id=member_id, payer_id=payer_id)
    b = batch(g)
    return remittance_for(b, payer_id, [(g, c) for c in g.claims], today)


def _text(remittance) -> str:
    header = answer_header(file_837(), TODAY, functional_id="HP", version="005010X221A1", offset=2)
    return write_835([remittance], header)


def _adjustments(service):
    return {(a.group, a.reason): a.amount for a in service.adjustments}


def test_plans_are_chosen_by_payer_id_deterministically():
    assert plans.plan_for("SIM01") == plans.plan_for("sim01")
    assert {plans.plan_for(f"P{n}").name for n in range(30)} == {p.name for p in plans.PLANS}


def test_office_visit_pays_allowed_minus_copay():
    plan = plans.plan_for("SIM01")
    remittance = _remit(claim("FD1", line("99213", "125.00")))
    (payment,) = remittance.claims
    (service,) = payment.service_lines
    allowed = plans.money(D("125.00") * plan.allowed_fraction)
    assert service.allowed == allowed
    adjustments = _adjustments(service)
    assert adjustments[("CO", "45")] == D("125.00") - allowed
    if plan.copay:
        assert adjustments[("PR", "3")] == plan.copay
        assert service.paid == allowed - plan.copay
    assert payment.status == "1"
    assert payment.patient_responsibility == sum(
        (a for (g, _r), a in adjustments.items() if g == "PR"), D("0")
    )
    assert payment.payer_claim_number == plans.payer_claim_number("SIM01", "FD1")


def test_other_lines_go_to_the_remaining_deductible_then_coinsurance():
    plan = plans.plan_for("SIM01")
    # 99 % of the deductible met: the remaining 1 % is taken first, then coinsurance.
    remittance = _remit(claim("FD2", line("87880", "200.00")), member_id="ZX1234599")
    (service,) = remittance.claims[0].service_lines
    adjustments = _adjustments(service)
    remaining = plans.deductible_remaining(plan, "ZX1234599")
    allowed = service.allowed
    assert adjustments[("PR", "1")] == remaining
    assert adjustments[("PR", "2")] == plans.money((allowed - remaining) * plan.coinsurance)
    assert service.paid == allowed - remaining - adjustments[("PR", "2")]


def test_not_covered_and_patient_liable_lines_are_denied():
    remittance = _remit(
        claim("FD3", line("99999", "50.00"), line("87880", "40.00", modifiers=("GY",)))
    )
    (payment,) = remittance.claims
    first, second = payment.service_lines
    assert _adjustments(first) == {("CO", "96"): D("50.00")}
    assert first.remarks == ("N130",)
    assert _adjustments(second) == {("PR", "96"): D("40.00")}
    assert payment.status == "4"
    assert payment.paid == 0
    assert remittance.payment_method == "NON"


def test_secondary_claims_pay_the_primarys_patient_share():
    remittance = _remit(secondary_claim())
    (payment,) = remittance.claims
    (service,) = payment.service_lines
    assert payment.status == "2"
    assert service.paid == D("15.00")
    assert _adjustments(service) == {("OA", "23"): D("85.00")}


def test_late_claims_earn_interest_and_large_checks_a_recovery():
    old = line("99213", "125.00", service_date=TODAY.replace(month=9))
    big = [claim(f"FD1{n}", line("87880", "2000.00")) for n in range(2)]
    remittance = _remit(claim("FD4", old), *big, member_id="ZX1234599")
    reasons = {a.reason: a for a in remittance.provider_adjustments}
    assert reasons["L6"].amount < 0
    assert reasons["L6"].reference == "FD4"
    assert reasons["WO"].amount == D("25.00")
    paid = sum((c.paid for c in remittance.claims), D("0"))
    assert remittance.total_paid == paid - sum(
        (a.amount for a in remittance.provider_adjustments), D("0")
    )


def test_trace_number_depends_on_the_claims_only():
    one = [claim("FD1"), claim("FD2", line("87880", "40.00"))]
    assert trace_number("SIM01", one) == trace_number("SIM01", list(reversed(one)))
    assert trace_number("SIM01", one) != trace_number("SIM01", one[:1])
    assert trace_number("SIM01", one) != trace_number("SIM02", one)
    assert len(trace_number("SIM01", one)) == 10


@pytest.mark.parametrize(
    "claims_",
    [
        (claim("FD1"),),
        (claim("FD3", line("99999", "50.00"), line("87880", "40.00", modifiers=("GY",))),),
        (secondary_claim(),),
        (
            claim("FD4", line("99213", "125.00", service_date=TODAY.replace(month=9))),
            claim("FD5", line("87880", "900.00"), line("99214", "310.55")),
            claim("FD6", line("87880", "900.00")),
        ),
    ],
    ids=["visit", "denials", "secondary", "plb"],
)
@pytest.mark.parametrize("payer_id", ["SIM01", "P1", "P2", "P4"])
def test_the_835_balances_reads_back_and_passes_pyx12(claims_, payer_id):
    remittance = _remit(*claims_, payer_id=payer_id, member_id="ZX1234560")
    text = _text(remittance)
    assert pyx12_835_errors(text) == []
    (read,) = read_835(text)
    assert read.trace_number == remittance.trace_number
    assert read.total_paid == remittance.total_paid
    assert [c.patient_control_number for c in read.claims] == [c.claim_id for c in claims_]
