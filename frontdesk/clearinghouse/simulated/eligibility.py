"""The simulated payer's eligibility answers: a 270 in, a 271 out (docs/simulated-payer.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from frontdesk.clearinghouse.simulated import plans
from frontdesk.clearinghouse.simulated.common import answer_header
from frontdesk.standards.x12.eligibility import (
    Benefit,
    EligibilityInquiry,
    EligibilityResponse,
    Rejection,
    read_270,
    write_271,
)

VERSION = "005010X279A1"
MSG_NOT_FOUND = "Subscriber not found - check the member ID and date of birth."
MSG_BIRTH_DATE = "The date of birth does not match the payer's records."


def _benefits(plan: plans.Plan, member_id: str, service_types: tuple[str, ...]) -> list[Benefit]:
    asked = tuple(t for t in service_types if t not in ("30",))
    remaining = plans.deductible_remaining(plan, member_id)
    benefits = [
        Benefit(
            code="1",
            coverage_level="IND",
            service_types=("30", *asked),
            insurance_type=plan.insurance_type,
            plan_description=plan.name,
        )
    ]
    if plan.copay > 0:
        benefits.append(
            Benefit(
                code="B",
                coverage_level="IND",
                service_types=("98",),
                time_period="27",
                amount=plan.copay,
                in_network="Y",
            )
        )
    benefits += [
        Benefit(
            code="A",
            coverage_level="IND",
            service_types=("98",),
            time_period="27",
            percent=plan.coinsurance,
            in_network="Y",
        ),
        Benefit(
            code="A",
            coverage_level="IND",
            service_types=("98",),
            time_period="27",
            percent=plan.coinsurance + plans.Decimal("0.2"),
            in_network="N",
        ),
        Benefit(
            code="C",
            coverage_level="IND",
            service_types=("30",),
            time_period="23",
            amount=plan.deductible,
            in_network="Y",
        ),
        Benefit(
            code="C",
            coverage_level="IND",
            service_types=("30",),
            time_period="29",
            amount=remaining,
            in_network="Y",
        ),
        Benefit(
            code="C",
            coverage_level="IND",
            service_types=("30",),
            time_period="23",
            amount=plan.deductible * 2,
            in_network="N",
        ),
        Benefit(
            code="G",
            coverage_level="IND",
            service_types=("30",),
            time_period="23",
            amount=plan.out_of_pocket,
            in_network="Y",
        ),
        Benefit(
            code="G",
            coverage_level="IND",
            service_types=("30",),
            time_period="29",
            amount=plans.out_of_pocket_remaining(plan, member_id),
            in_network="Y",
        ),
    ]
    return benefits


def _response(inquiry: EligibilityInquiry, number: int, today: dt.date) -> EligibilityResponse:
    member_id = inquiry.subscriber.member_id
    plan = plans.plan_for(inquiry.payer_id)
    patient_loop = "2100D" if inquiry.dependent is not None else "2100C"
    subscriber = inquiry.subscriber
    base = EligibilityResponse(
        control_number=f"{number:04d}",
        trace_numbers=(inquiry.trace_number,),
        payer_name=inquiry.payer_name or plans.PAYER_NAME,
        payer_id=inquiry.payer_id,
        provider_name=inquiry.provider_name,
        provider_npi=inquiry.provider_npi,
        provider_first_name=inquiry.provider_first_name,
        subscriber=subscriber,
        dependent=inquiry.dependent,
        benefits=(),
        rejections=(),
    )
    if plans.member_not_found(member_id):
        rejection = Rejection("2100C", "N", "75", "C", MSG_NOT_FOUND)
        return dataclasses.replace(base, rejections=(rejection,))
    if plans.birth_date_mismatch(member_id):
        rejection = Rejection(patient_loop, "N", "71", "C", MSG_BIRTH_DATE)
        return dataclasses.replace(base, rejections=(rejection,))
    begin, end = plans.coverage_period(today)
    known = dataclasses.replace(
        subscriber,
        group_number=subscriber.group_number or f"SIMGRP{plans.digest(member_id)[:6].upper()}",
        group_name=subscriber.group_name or "SIMULATED EMPLOYER GROUP",
    )
    if plans.member_inactive(member_id):
        ended = plans.terminated_on(today)
        return dataclasses.replace(
            base,
            subscriber=known,
            benefits=(
                Benefit(
                    code="6",
                    coverage_level="IND",
                    service_types=("30",),
                    insurance_type=plan.insurance_type,
                    plan_description=plan.name,
                ),
            ),
            plan_begin=dt.date(ended.year, 1, 1),
            plan_end=ended,
            eligibility_begin=dt.date(ended.year, 1, 1),
            eligibility_end=ended,
            plan_name=plan.name,
        )
    return dataclasses.replace(
        base,
        subscriber=known,
        benefits=tuple(_benefits(plan, member_id, inquiry.service_types)),
        plan_begin=begin,
        plan_end=end,
        eligibility_begin=begin,
        plan_name=plan.name,
    )


def answer_270(text: str | bytes, today: dt.date) -> str:
    """The 271 answering every inquiry in the 270 ``text`` (raises ``X12ParseError`` on a bad 270)."""
    inquiries = read_270(text)
    header = answer_header(text, today, functional_id="HB", version=VERSION)
    responses = [_response(inquiry, n, today) for n, inquiry in enumerate(inquiries, start=1)]
    return write_271(responses, header)
