"""Reading 271 responses: hand-written payer samples, rejections, and write_271 -> read_271 round trips."""

from __future__ import annotations

import datetime as dt
import string
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontdesk.standards.x12.aaa import REJECT_REASONS, rejection_message
from frontdesk.standards.x12.eligibility import (
    SERVICE_TYPES,
    Benefit,
    EligibilityResponse,
    Person,
    Rejection,
    describe_benefit,
    read_270,
    read_271,
    write_270,
    write_271,
)
from frontdesk.standards.x12.envelope import Delimiters
from frontdesk.standards.x12.errors import X12ParseError
from tests.x12.conftest import header, inquiry

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def find(benefits: tuple[Benefit, ...], code: str, **kw: object) -> list[Benefit]:
    return [
        b for b in benefits if b.code == code and all(getattr(b, k) == v for k, v in kw.items())
    ]


def test_active_ppo() -> None:
    (r,) = read_271(sample("active_ppo.x12"))
    assert r.active is True
    assert r.control_number == "0001"
    assert r.trace_numbers == ("ELG-000123",)  # TRN*2 only (TRN*1 is the payer's own trace)
    assert (r.payer_name, r.payer_id) == ("EXAMPLE HEALTH PLAN", "EXHP1")
    assert (r.provider_name, r.provider_npi) == ("SAMPLE FAMILY PRACTICE", "1234567893")
    assert r.subscriber.last_name == "TESTPATIENT"
    assert r.subscriber.member_id == "XZW123456789"
    assert r.subscriber.date_of_birth == dt.date(1980, 5, 17)
    assert (r.subscriber.group_number, r.subscriber.group_name) == (
        "GRP0042",
        "EXAMPLE WIDGETS INC",
    )
    assert r.subscriber.postal_code == "627011234"
    assert r.dependent is None
    assert r.rejections == ()
    assert r.plan_name == "EXAMPLE PPO GOLD"
    assert r.plan_begin == dt.date(2026, 1, 1) and r.eligibility_begin == dt.date(2026, 1, 1)
    active = find(r.benefits, "1")[0]
    assert active.service_types[:3] == ("30", "1", "33") and "98" in active.service_types
    assert active.coverage_level == "FAM" and active.insurance_type == "PR"
    # Deductible and remaining, in and out of network.
    assert find(r.benefits, "C", coverage_level="IND", time_period="23", in_network="Y")[
        0
    ].amount == Decimal("1500")
    assert find(r.benefits, "C", coverage_level="IND", time_period="29")[0].amount == Decimal(
        "1125.5"
    )
    assert find(r.benefits, "C", coverage_level="FAM", time_period="29")[0].amount == Decimal(
        "2410"
    )
    assert find(r.benefits, "C", in_network="N")[0].amount == Decimal("3000")
    # Out of pocket maximum and remaining.
    assert find(r.benefits, "G", time_period="23", in_network="Y")[0].amount == Decimal("6000")
    assert find(r.benefits, "G", time_period="29")[0].amount == Decimal("5212.75")
    # Office visit copay and coinsurance.
    copay = find(r.benefits, "B", service_types=("98",))[0]
    assert copay.amount == Decimal("25") and copay.in_network == "Y" and copay.time_period == "27"
    assert copay.messages == ("COPAY APPLIES TO OFFICE VISITS ONLY",)
    assert find(r.benefits, "A", in_network="Y")[0].percent == Decimal("0.2")
    assert find(r.benefits, "A", in_network="N")[0].percent == Decimal("0.4")
    # The 2120C benefit-related entity (LS/LE) is skipped: its NM1 is not the subscriber.
    assert find(r.benefits, "L")
    limit = find(r.benefits, "F")[0]
    assert (limit.quantity_qualifier, limit.quantity) == ("VS", Decimal("20"))
    assert limit.dates == (("348", "20260101-20261231"),)
    assert limit.messages == ("VISIT LIMIT COMBINED WITH PHYSICAL THERAPY",)
    assert "Co-payment" in describe_benefit(copay) and "$25" in describe_benefit(copay)


def test_inactive() -> None:
    (r,) = read_271(sample("inactive.x12"))
    assert r.active is False
    assert r.plan_end == dt.date(2026, 6, 30)
    assert r.provider_name == "SAMPLEDOC" and r.provider_first_name == "JORDAN"
    assert r.benefits[0].messages == ("COVERAGE TERMINATED. CONTACT EMPLOYER FOR DETAILS",)


def test_subscriber_not_found() -> None:
    (r,) = read_271(sample("not_found.x12"))
    assert r.active is None
    assert r.benefits == ()
    (rej,) = r.rejections
    assert (rej.loop, rej.valid, rej.reason, rej.follow_up) == ("2100C", "N", "75", "C")
    assert rej.message.startswith("Subscriber not found — check the member ID and date of birth.")
    assert r.plan_begin is None  # a D8 DTP*291 echoes the inquiry date; it is not the plan's


def test_dependent() -> None:
    (r,) = read_271(sample("dependent.x12"))
    assert r.active is True
    assert r.subscriber.member_id == "XZW123456789"
    assert r.dependent is not None and r.dependent.first_name == "JAMIE"
    assert r.dependent.date_of_birth == dt.date(2015, 7, 4) and r.dependent.sex == "M"
    assert r.patient is r.dependent
    assert r.trace_numbers == ("ELG-000126",)
    assert r.plan_name == "EXAMPLE HMO SILVER"
    assert (r.plan_begin, r.plan_end) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert find(r.benefits, "B", in_network="N")[0].amount == Decimal("40")
    assert find(r.benefits, "A")[0].percent == Decimal("0")


@pytest.mark.parametrize(
    ("name", "twin"),
    [("one_line.x12", "active_ppo.x12"), ("other_delimiters.x12", "dependent.x12")],
)
def test_delimiter_and_layout_variants_read_the_same(name: str, twin: str) -> None:
    assert read_271(sample(name)) == read_271(sample(twin))
    assert b"\n" not in sample("one_line.x12").strip()
    assert b"\r\n" in sample("other_delimiters.x12")


def test_payer_level_rejection_yields_one_response() -> None:
    text = (
        "ISA*00*          *00*          *ZZ*EXAMPLEPAYER   *ZZ*FRONTDESK      *261127*1200*^*00501*"
        "000000009*0*P*:~GS*HB*EXAMPLEPAYER*FRONTDESK*20261127*1200*9*X*005010X279A1~"
        "ST*271*0001*005010X279A1~BHT*0022*11*X1*20261127*1200~HL*1**20*0~AAA*N**42*P~"
        "NM1*PR*2*EXAMPLE HEALTH PLAN*****PI*EXHP1~SE*6*0001~GE*1*9~IEA*1*000000009~"
    )
    (r,) = read_271(text)
    assert r.active is None and r.subscriber.last_name == ""
    assert r.rejections[0].loop == "2000A" and r.rejections[0].reason == "42"
    assert "try again later" in r.rejections[0].message
    assert "Send this request again later." in r.rejections[0].message


def test_provider_rejection_applies_to_every_subscriber() -> None:
    text = (
        "ISA*00*          *00*          *ZZ*EXAMPLEPAYER   *ZZ*FRONTDESK      *261127*1200*^*00501*"
        "000000009*0*P*:~GS*HB*EXAMPLEPAYER*FRONTDESK*20261127*1200*9*X*005010X279A1~"
        "ST*271*0001*005010X279A1~BHT*0022*11*X1*20261127*1200~HL*1**20*1~"
        "NM1*PR*2*EXAMPLE HEALTH PLAN*****PI*EXHP1~HL*2*1*21*1~"
        "NM1*1P*2*SAMPLE FAMILY PRACTICE*****XX*1234567893~AAA*N**51*N~"
        "HL*3*2*22*0~TRN*2*T9*9FRONTDESK~NM1*IL*1*TESTPATIENT*ALEX****MI*XZW123456789~"
        "SE*11*0001~GE*1*9~IEA*1*000000009~"
    )
    (r,) = read_271(text)
    assert [(x.loop, x.reason) for x in r.rejections] == [("2100B", "51")]
    assert "not on file" in r.rejections[0].message


def test_eb_loop_aaa_is_labelled_2110c() -> None:
    text = (
        sample("active_ppo.x12")
        .decode()
        .replace("EB*B*IND*UC*PR**27*50*****Y~", "EB*B*IND*UC*PR**27*50*****Y~\nAAA*N**57*C~")
        .replace("SE*46*0001", "SE*47*0001")
    )
    (r,) = read_271(text)
    assert [(x.loop, x.reason) for x in r.rejections] == [("2110C", "57")]


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("EB*C*IND*30***23*1500*****Y~", "EB*C*IND*30***23*15X0*****Y~", "not a number"),
        ("DMG*D8*19800517*F~", "DMG*D8*19801317*F~", "not a real date"),
        ("HL*3*2*22*0~", "HL*3*9*22*0~", "HL02"),
        ("HL*3*2*22*0~", "HL*3*2*99*0~", "HL03"),
        ("LE*2120~", "MSG*X~", "no closing LE"),
        ("BHT*0022*11", "BHT*0099*11", "BHT01"),
        ("005010X279A1", "005010X212", "not supported"),
    ],
)
def test_malformed_271_names_what_and_where(old: str, new: str, words: str) -> None:
    text = sample("active_ppo.x12").decode()
    assert old in text
    with pytest.raises(X12ParseError) as caught:
        read_271(text.replace(old, new, 2 if old == "005010X279A1" else 1))
    assert words in str(caught.value)
    assert "segment" in str(caught.value)


def test_a_270_is_not_a_271() -> None:
    with pytest.raises(X12ParseError, match="expected a 271"):
        read_271(write_270([inquiry()], header()))
    with pytest.raises(X12ParseError, match="expected a 270"):
        read_270(sample("active_ppo.x12"))


def test_every_aaa_code_of_the_brief_has_plain_words() -> None:
    for code in [
        "15",
        "41",
        "42",
        "43",
        "44",
        "45",
        "47",
        "48",
        "49",
        "51",
        "52",
        "56",
        "57",
        "58",
        "60",
        "61",
        "62",
        "63",
        "71",
        "72",
        "73",
        "74",
        "75",
        "76",
        "78",
        "79",
        "80",
        "97",
        "T4",
    ]:
        assert code in REJECT_REASONS
        assert "code" not in REJECT_REASONS[code]
    assert rejection_message("75", "C").startswith("Subscriber not found — check the member ID")
    assert "reason code ZZ" in rejection_message("ZZ", "")
    assert rejection_message("72", "Y").endswith("call the payer to get the answer.")


# ---------------------------------------------------------------------------------------------
# write_271 -> read_271 round trips (write_271 is what the simulated payer answers with).

_word = st.text(string.ascii_uppercase, min_size=1, max_size=10)
_name = st.lists(_word, min_size=1, max_size=3).map(" ".join)
_money = st.decimals(min_value=0, max_value=99999, places=2).map(lambda d: d.normalize())
_pct = st.sampled_from(
    [Decimal("0"), Decimal("0.1"), Decimal("0.2"), Decimal("0.25"), Decimal("1")]
)
_date = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31))


@st.composite
def benefits(draw: st.DrawFn) -> Benefit:
    return Benefit(
        code=draw(st.sampled_from(["1", "6", "A", "B", "C", "G", "F", "L", "I"])),
        coverage_level=draw(st.sampled_from(["", "IND", "FAM"])),
        service_types=tuple(
            draw(st.lists(st.sampled_from(sorted(SERVICE_TYPES)), max_size=4, unique=True))
        ),
        insurance_type=draw(st.sampled_from(["", "PR", "HM", "MB"])),
        plan_description=draw(st.one_of(st.just(""), _name)),
        time_period=draw(st.sampled_from(["", "23", "29", "27"])),
        amount=draw(st.one_of(st.none(), _money)),
        percent=draw(st.one_of(st.none(), _pct)),
        quantity_qualifier="VS" if draw(st.booleans()) else "",
        quantity=None,
        authorization_required=draw(st.sampled_from(["", "Y", "N"])),
        in_network=draw(st.sampled_from(["", "Y", "N", "W"])),
        procedure_code=draw(st.sampled_from(["", "99213"])),
        messages=tuple(draw(st.lists(_name, max_size=2))),
        dates=tuple(
            draw(
                st.lists(
                    st.sampled_from([("348", "20260101"), ("292", "20260101-20261231")]), max_size=2
                )
            )
        ),
    )


@st.composite
def responses(draw: st.DrawFn) -> EligibilityResponse:
    dependent = draw(st.booleans())
    subscriber = Person(
        last_name=draw(_name),
        first_name=draw(_name),
        member_id=draw(st.from_regex(r"[A-Z0-9]{2,15}", fullmatch=True)),
        date_of_birth=draw(_date),
        sex=draw(st.sampled_from(["M", "F", "U"])),
        group_number=draw(st.sampled_from(["", "G1"])),
    )
    reasons = draw(st.lists(st.sampled_from(["72", "75", "42", "58"]), max_size=2))
    loop = "2100D" if dependent else "2100C"
    bens = tuple(draw(st.lists(benefits(), max_size=6)))
    return EligibilityResponse(
        control_number="0001",
        trace_numbers=(draw(st.from_regex(r"[A-Z0-9]{1,20}", fullmatch=True)),),
        payer_name=draw(_name),
        payer_id=draw(st.from_regex(r"[A-Z0-9]{2,10}", fullmatch=True)),
        provider_name=draw(_name),
        provider_npi="1234567893",
        subscriber=subscriber,
        dependent=Person(draw(_name), draw(_name), date_of_birth=draw(_date), sex="F")
        if dependent
        else None,
        benefits=bens,
        rejections=tuple(
            Rejection(loop, "N", r, "C", rejection_message(r, "C", loop)) for r in reasons
        ),
        plan_begin=draw(st.one_of(st.none(), _date)),
        plan_end=draw(st.one_of(st.none(), _date)),
        eligibility_begin=draw(st.one_of(st.none(), _date)),
        eligibility_end=None,
        plan_name=draw(st.one_of(st.just(""), _name)),
    )


def _expected(r: EligibilityResponse) -> EligibilityResponse:
    """What reading gives back: the plan name falls back on the active EB's description."""
    from dataclasses import replace

    from frontdesk.standards.x12.eligibility import _plan_name

    return replace(r, plan_name=_plan_name(r.benefits, ()) or r.plan_name)


@settings(max_examples=120, deadline=None)
@given(responses(), st.sampled_from([Delimiters(), Delimiters("|", ">", "!", "\n", "")]))
def test_write_271_round_trips(response: EligibilityResponse, delimiters: Delimiters) -> None:
    text = write_271([response], header("HB"), delimiters)
    assert read_271(text) == [_expected(response)]


def test_write_271_several_responses_get_their_own_control_numbers() -> None:
    r = read_271(sample("active_ppo.x12"))[0]
    d = read_271(sample("dependent.x12"))[0]
    back = read_271(write_271([r, d], header("HB")))
    assert [x.control_number for x in back] == ["0001", "0002"]
    assert back[1].dependent == d.dependent
    assert back[0].benefits == r.benefits


def test_read_271_answers_the_270_it_was_asked() -> None:
    """A trip through both halves: the 270's trace comes back in TRN*2."""
    asked = read_270(write_270([inquiry()], header()))[0]
    answer = EligibilityResponse(
        control_number="0001",
        trace_numbers=(asked.trace_number,),
        payer_name=asked.payer_name,
        payer_id=asked.payer_id,
        provider_name=asked.provider_name,
        provider_npi=asked.provider_npi,
        subscriber=asked.subscriber,
        dependent=None,
        benefits=(Benefit("1", "IND", ("30",)),),
        rejections=(),
    )
    (back,) = read_271(write_271([answer], header("HB")))
    assert back.trace_numbers == ("ELG-000123",) and back.active is True
    assert back.subscriber == asked.subscriber


def test_find_benefits_filters_and_falls_back_on_plan_coverage() -> None:
    from frontdesk.standards.x12.eligibility import find_benefits

    (r,) = read_271(sample("active_ppo.x12"))
    (copay,) = find_benefits(r, "B", service_type="98", in_network="Y")
    assert copay.amount == Decimal("25")
    remaining = find_benefits(
        r, "C", service_type="98", coverage_level="IND", time_period="29", in_network="Y"
    )
    assert [b.amount for b in remaining] == [Decimal("1125.5")]  # stated for 30, applies to 98
    assert [b.percent for b in find_benefits(r, "A", service_type="98", in_network="N")] == [
        Decimal("0.4")
    ]
    assert find_benefits(r, "B", service_type="UC")[0].amount == Decimal("50")


def test_a_271_for_a_different_member_is_flagged() -> None:
    from dataclasses import replace

    from frontdesk.standards.x12.eligibility import response_mismatches

    asked = inquiry()
    (r,) = read_271(sample("active_ppo.x12"))
    assert response_mismatches(asked, r) == []
    wrong = replace(
        r,
        trace_numbers=("OTHER",),
        subscriber=replace(r.subscriber, member_id="ZZZ999", date_of_birth=dt.date(1981, 1, 1)),
    )
    problems = response_mismatches(asked, wrong)
    assert any("trace OTHER" in p for p in problems)
    assert any("member ID ZZZ999" in p for p in problems)
    assert any("date of birth" in p for p in problems)
    child = Person("TESTPATIENT", "JAMIE", date_of_birth=dt.date(2015, 7, 4))
    (d,) = read_271(sample("dependent.x12"))
    assert (
        response_mismatches(
            inquiry(trace_number="ELG-000126", dependent=child, relationship="19"), d
        )
        == []
    )


def test_write_271_payer_level_rejection_round_trips() -> None:
    rejected = EligibilityResponse(
        control_number="0001",
        trace_numbers=(),
        payer_name="EXAMPLE HEALTH PLAN",
        payer_id="EXHP1",
        provider_name="",
        provider_npi="",
        subscriber=Person(last_name=""),
        dependent=None,
        benefits=(),
        rejections=(Rejection("2000A", "N", "42", "P", rejection_message("42", "P", "2000A")),),
    )
    text = write_271([rejected], header("HB"))
    assert "HL*1**20*0~" in text and "HL*2" not in text
    assert read_271(text) == [rejected]


def test_read_270_from_another_system_with_eq_repetitions() -> None:
    text = (
        "ISA*00*          *00*          *ZZ*OTHERPMS       *ZZ*PAYERSIM       *261127*0800*^*00501*"
        "000000555*0*P*:~GS*HS*OTHERPMS*PAYERSIM*20261127*0800*555*X*005010X279A1~"
        "ST*270*1234*005010X279A1~BHT*0022*13*REF1*20261127*0800~HL*1**20*1~"
        "NM1*PR*2*EXAMPLE HEALTH PLAN*****PI*EXHP1~HL*2*1*21*1~"
        "NM1*1P*1*SAMPLEDOC*JORDAN****XX*1234567893~HL*3*2*22*0~TRN*1*TR-9*1234567890~"
        "NM1*IL*1*TESTPATIENT*ALEX****MI*XZW123456789~DMG*D8*19800517~"
        "EQ*30^98^UC~DTP*291*D8*20261203~HL*4*2*22*0~TRN*1*TR-10*1234567890~"
        "NM1*IL*1*SAMPLEPERSON*CASEY****MI*XZW987654321~DTP*291*D8*20261204~EQ*30~"
        "SE*18*1234~GE*1*555~IEA*1*000000555~"
    )
    first, second = read_270(text)
    assert first.service_types == ("30", "98", "UC")
    assert first.date_of_service == dt.date(2026, 12, 3)  # DTP in 2110C
    assert (first.provider_name, first.provider_first_name) == ("SAMPLEDOC", "JORDAN")
    assert (second.trace_number, second.subscriber.member_id) == ("TR-10", "XZW987654321")
    assert second.date_of_service == dt.date(2026, 12, 4)
