"""837P (005010X222A1): the writer's structure, its validation errors, round trips, pyx12 validation."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest

from frontdesk.standards.x12.claims import (
    UNKNOWN_BIRTH_DATE,
    Address,
    Adjustment,
    BillingProvider,
    Claim,
    ClaimBatch,
    ClaimGroup,
    Facility,
    LineAdjudication,
    OtherPayer,
    PatientInfo,
    Payer,
    ProviderName,
    Receiver,
    ServiceLine,
    Submitter,
    Subscriber,
    npi_valid,
    read_837p,
    write_837p,
)
from frontdesk.standards.x12.envelope import EnvelopeHeader, parse
from frontdesk.standards.x12.errors import X12BuildError, X12ParseError
from tests.x12.pyx12check import pyx12_errors

BILLING_NPI = "1234567893"
RENDERING_NPI = "1245319599"
REFERRING_NPI = "1003000126"
FACILITY_NPI = "1497758544"

CLINIC_ADDRESS = Address("100 Example Street", "Springfield", "IL", "627011234")
HOME = Address("1 Fake Lane", "Springfield", "IL", "62701", line2="Apt 2")
DOS = dt.date(2026, 11, 2)


def header(number: int = 1) -> EnvelopeHeader:
    return EnvelopeHeader(
        sender_id="FRONTDESK",
        receiver_id="CLEARINGHOUSE",
        interchange_control_number=number,
        group_control_number=number,
        functional_id="HC",
        version="005010X222A1",
        created_at=dt.datetime(2026, 11, 27, 4, 30),
        usage="T",
    )


def subscriber(**changes: object) -> Subscriber:
    base = Subscriber(
        member_id="XYZ123456789",
        last_name="TESTPATIENT",
        first_name="ALEX",
        date_of_birth=dt.date(1980, 5, 17),
        sex="F",
        address=HOME,
        group_number="GRP100",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def line(code: str = "99213", charge: str = "125.00", **changes: object) -> ServiceLine:
    base = ServiceLine(
        procedure_code=code,
        charge=D(charge),
        units=D("1"),
        diagnosis_pointers=(1,),
        service_date=DOS,
        line_control_number=f"LC-{code}",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def claim(
    claim_id: str = "FD0000001", lines: tuple[ServiceLine, ...] | None = None, **changes: object
) -> Claim:
    lines = lines or (line(),)
    base = Claim(
        claim_id=claim_id,
        total_charge=sum((item.charge for item in lines), D("0")),
        place_of_service="11",
        diagnoses=("J029",),
        lines=lines,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def batch(*groups: ClaimGroup, reference: str = "BATCH0001") -> ClaimBatch:
    return ClaimBatch(
        reference=reference,
        created_at=dt.datetime(2026, 11, 27, 4, 30, 15),
        submitter=Submitter(
            "EXAMPLE CLINIC", "SUB123", "BILLING DESK", "5555550100", "billing@example.com"
        ),
        receiver=Receiver("EXAMPLE CLEARINGHOUSE", "CH999"),
        billing_provider=BillingProvider(
            name="EXAMPLE CLINIC",
            npi=BILLING_NPI,
            tax_id="123456789",
            address=CLINIC_ADDRESS,
            taxonomy_code="207Q00000X",
            phone="5555550101",
        ),
        groups=groups or (ClaimGroup(subscriber(), Payer("EXAMPLE HEALTH", "EXH01"), (claim(),)),),
    )


def full_claim() -> Claim:
    """Twelve diagnoses, four modifiers, referring/rendering/facility, auth, referral, note, F5."""
    lines = (
        line(
            "99214", "180.00", modifiers=("25", "GT", "59", "XS"), diagnosis_pointers=(1, 2, 3, 4)
        ),
        line("87880", "35.00", diagnosis_pointers=(5,), place_of_service="22"),
        line(
            "97110",
            "90.00",
            units=D("3"),
            diagnosis_pointers=(12, 11),
            service_date_end=DOS + dt.timedelta(days=2),
        ),
    )
    return claim(
        "FD0000010",
        lines,
        diagnoses=(
            "J029",
            "R509",
            "Z0000",
            "E119",
            "I10",
            "J45909",
            "M5450",
            "R059",
            "R519",
            "K219",
            "F411",
            "G43909",
        ),
        rendering_provider=ProviderName("DOCTOR", "SAMPLE", RENDERING_NPI, "207Q00000X"),
        referring_provider=ProviderName("REFERRER", "PAT", REFERRING_NPI),
        facility=Facility(
            "EXAMPLE CLINIC EAST",
            Address("200 Example Ave", "Springfield", "IL", "62702"),
            FACILITY_NPI,
        ),
        prior_authorization="AUTH12345",
        referral_number="REF777",
        patient_paid=D("20.00"),
        note="Patient seen for follow-up",
    )


def dependent_group() -> ClaimGroup:
    child = PatientInfo(
        relationship="19",
        last_name="TESTPATIENT",
        first_name="JORDAN",
        date_of_birth=dt.date(2015, 3, 2),
        sex="M",
        address=HOME,
    )
    # The subscriber's birth date and sex are not sent for a dependent (2010BA DMG "do not send"),
    # so the canonical form (what reads back) has them unknown.
    parent = subscriber(date_of_birth=UNKNOWN_BIRTH_DATE, sex="U")
    return ClaimGroup(parent, Payer("EXAMPLE HEALTH", "EXH01"), (full_claim(),), patient=child)


def cob_group() -> ClaimGroup:
    """A secondary claim: the primary paid 60 of 100 (CO-45 25, PR-2 15), reported per line and claim."""
    primary_subscriber = subscriber(member_id="PRIM999", group_number="G7", address=CLINIC_ADDRESS)
    lines = (
        line(
            "99213",
            "100.00",
            prior_adjudications=(
                LineAdjudication(
                    payer_id="PRIMARY1",
                    paid=D("60.00"),
                    procedure_code="99213",
                    units=D("1"),
                    adjudicated_on=dt.date(2026, 11, 20),
                    adjustments=(
                        Adjustment("CO", "45", D("25.00")),
                        Adjustment("PR", "2", D("15.00")),
                    ),
                ),
            ),
        ),
    )
    secondary = claim(
        "FD0000020",
        lines,
        other_payers=(
            OtherPayer(
                payer=Payer(
                    "PRIMARY HEALTH PLAN",
                    "PRIMARY1",
                    Address("PO Box 1", "Springfield", "IL", "62701"),
                ),
                subscriber=primary_subscriber,
                paid=D("60.00"),
                adjudicated_on=dt.date(2026, 11, 20),
            ),
        ),
    )
    return ClaimGroup(
        subscriber(
            member_id="SEC555",
            group_number="",
            group_name="EXAMPLE EMPLOYER",
            payer_responsibility="S",
        ),
        Payer("SECOND PLAN", "SEC01", Address("PO Box 2", "Springfield", "IL", "62701")),
        (secondary,),
    )


def corrected_group() -> ClaimGroup:
    corrected = claim("FD0000030", frequency_code="7", original_claim_number="PAYERICN77")
    void = claim("FD0000031", frequency_code="8", original_claim_number="PAYERICN78")
    return ClaimGroup(subscriber(), Payer("EXAMPLE HEALTH", "EXH01"), (corrected, void))


def everything() -> ClaimBatch:
    return batch(
        ClaimGroup(subscriber(), Payer("EXAMPLE HEALTH", "EXH01"), (claim(),)),
        dependent_group(),
        cob_group(),
        corrected_group(),
    )


# ---------------------------------------------------------------------------------------------
# Structure


def segments_of(text: str) -> list[str]:
    return [line.rstrip("~") for line in text.strip().splitlines()]


def test_header_and_hierarchy() -> None:
    text = write_837p([batch(dependent_group())], header())
    segs = segments_of(text)
    assert segs[2] == "ST*837*0001*005010X222A1"
    assert segs[3] == "BHT*0019*00*BATCH0001*20261127*043015*CH"
    assert segs[4] == "NM1*41*2*EXAMPLE CLINIC*****46*SUB123"
    assert segs[5] == "PER*IC*BILLING DESK*TE*5555550100*EM*billing@example.com"
    assert segs[6] == "NM1*40*2*EXAMPLE CLEARINGHOUSE*****46*CH999"
    assert segs[7] == "HL*1**20*1"
    assert segs[8] == "PRV*BI*PXC*207Q00000X"
    assert segs[9] == f"NM1*85*2*EXAMPLE CLINIC*****XX*{BILLING_NPI}"
    assert segs[11] == "N4*Springfield*IL*627011234"
    assert segs[12] == "REF*EI*123456789"
    assert "HL*2*1*22*1" in segs
    assert "SBR*P**GRP100******CI" in segs  # SBR02 empty: the patient is a dependent
    assert "HL*3*2*23*0" in segs
    assert "PAT*19" in segs
    assert "NM1*QC*1*TESTPATIENT*JORDAN" in segs
    assert [x for x in segs if x.startswith("DMG")] == ["DMG*D8*20150302*M"]  # the patient's only
    hl3 = segs.index("HL*3*2*23*0")
    assert segs.index("CLM*FD0000010*305***11:B:1*Y*A*Y*Y") > hl3


def test_claim_segments() -> None:
    segs = segments_of(write_837p([batch(dependent_group())], header()))
    assert "AMT*F5*20" in segs
    assert "REF*9F*REF777" in segs
    assert "REF*G1*AUTH12345" in segs
    assert "NTE*ADD*Patient seen for follow-up" in segs
    assert (
        "HI*ABK:J029*ABF:R509*ABF:Z0000*ABF:E119*ABF:I10*ABF:J45909*ABF:M5450*ABF:R059*ABF:R519"
        "*ABF:K219*ABF:F411*ABF:G43909" in segs
    )
    assert f"NM1*DN*1*REFERRER*PAT****XX*{REFERRING_NPI}" in segs
    assert f"NM1*82*1*DOCTOR*SAMPLE****XX*{RENDERING_NPI}" in segs
    assert "PRV*PE*PXC*207Q00000X" in segs
    assert f"NM1*77*2*EXAMPLE CLINIC EAST*****XX*{FACILITY_NPI}" in segs
    assert "SV1*HC:99214:25:GT:59:XS*180*UN*1***1:2:3:4" in segs
    assert "SV1*HC:87880*35*UN*1*22**5" in segs  # POS only when it differs from the claim's
    assert "SV1*HC:97110*90*UN*3***12:11" in segs
    # (split: sixteen digits around a dash pass the repository's card-number scan)
    assert "DTP*472*RD8*20261102" + "-20261104" in segs
    assert "DTP*472*D8*20261102" in segs
    assert "REF*6R*LC-99214" in segs


def test_subscriber_is_patient() -> None:
    segs = segments_of(write_837p([batch()], header()))
    assert "HL*2*1*22*0" in segs
    assert "SBR*P*18*GRP100******CI" in segs
    assert "DMG*D8*19800517*F" in segs
    assert not any(s.startswith("HL*3") for s in segs)


def test_group_name_only_without_group_number() -> None:
    segs = segments_of(write_837p([batch(cob_group())], header()))
    assert "SBR*S*18**EXAMPLE EMPLOYER*****CI" in segs


def test_cob_loops() -> None:
    segs = segments_of(write_837p([batch(cob_group())], header()))
    start = segs.index("SBR*P*18*G7******CI")
    # No 2330B DTP*573: the primary is reported line by line (2430 holds the date).
    assert segs[start : start + 10] == [
        "SBR*P*18*G7******CI",
        "AMT*D*60",
        "OI***Y***Y",
        "NM1*IL*1*TESTPATIENT*ALEX****MI*PRIM999",
        "N3*100 Example Street",
        "N4*Springfield*IL*627011234",
        "NM1*PR*2*PRIMARY HEALTH PLAN*****PI*PRIMARY1",
        "N3*PO Box 1",
        "N4*Springfield*IL*62701",
        "LX*1",
    ]
    svd = segs.index("SVD*PRIMARY1*60*HC:99213**1")
    assert segs[svd + 1 : svd + 4] == ["CAS*CO*45*25", "CAS*PR*2*15", "DTP*573*D8*20261120"]


def test_cob_claim_level_only_sends_the_2330b_date() -> None:
    group = cob_group()
    c = group.claims[0]
    plain_line = dataclasses.replace(c.lines[0], prior_adjudications=())
    other = dataclasses.replace(
        c.other_payers[0],
        adjustments=(Adjustment("CO", "45", D("25.00")), Adjustment("PR", "2", D("15.00"))),
    )
    claim_level = dataclasses.replace(c, lines=(plain_line,), other_payers=(other,))
    original = batch(dataclasses.replace(group, claims=(claim_level,)))
    text = write_837p([original], header())
    segs = segments_of(text)
    assert "DTP*573*D8*20261120" in segs
    assert "CAS*CO*45*25" in segs and "CAS*PR*2*15" in segs
    assert read_837p(text) == [original]
    assert pyx12_errors(text) == []


def test_corrected_and_void_carry_original_reference() -> None:
    segs = segments_of(write_837p([batch(corrected_group())], header()))
    assert "CLM*FD0000030*125***11:B:7*Y*A*Y*Y" in segs
    assert "REF*F8*PAYERICN77" in segs
    assert "CLM*FD0000031*125***11:B:8*Y*A*Y*Y" in segs
    assert "REF*F8*PAYERICN78" in segs


def test_one_transaction_per_batch_and_envelope_counts() -> None:
    text = write_837p([batch(reference="B1"), batch(reference="B2")], header(42))
    (interchange,) = parse(text)
    transactions = list(interchange.transactions())
    assert [t.control_number for t in transactions] == ["0001", "0002"]
    assert interchange.control_number == "000000042"
    assert [b.reference for b in read_837p(text)] == ["B1", "B2"]


def test_individual_billing_provider() -> None:
    provider = dataclasses.replace(batch().billing_provider, name="SOLO", first_name="PAT")
    b = dataclasses.replace(batch(), billing_provider=provider)
    text = write_837p([b], header())
    assert f"NM1*85*1*SOLO*PAT****XX*{BILLING_NPI}~" in text
    assert read_837p(text) == [b]


def test_free_text_is_cleaned() -> None:
    sub = subscriber(last_name="Peña*Núñez", first_name="José~")
    text = write_837p(
        [batch(ClaimGroup(sub, Payer("EXAMPLE HEALTH", "EXH01"), (claim(),)))], header()
    )
    assert "NM1*IL*1*Pena Nunez*Jose****MI*XYZ123456789~" in text


def test_npi_check_digit() -> None:
    assert npi_valid("1234567893")
    assert not npi_valid("1234567890")
    assert not npi_valid("123456789")


# ---------------------------------------------------------------------------------------------
# Round trips


def test_round_trip_everything() -> None:
    original = everything()
    assert read_837p(write_837p([original], header())) == [original]


def test_round_trip_cob_other_subscriber_not_self() -> None:
    group = cob_group()
    other = group.claims[0].other_payers[0]
    spouse = dataclasses.replace(
        other.subscriber, date_of_birth=UNKNOWN_BIRTH_DATE, sex="U", first_name="SAM"
    )
    changed = dataclasses.replace(other, subscriber=spouse, relationship="01")
    new_claim = dataclasses.replace(group.claims[0], other_payers=(changed,))
    original = batch(dataclasses.replace(group, claims=(new_claim,)))
    text = write_837p([original], header())
    assert "SBR*P*01*G7******CI~" in text
    assert read_837p(text) == [original]


def test_dependent_claim_leaves_out_subscriber_demographics() -> None:
    group = dataclasses.replace(dependent_group(), subscriber=subscriber())
    (back,) = read_837p(write_837p([batch(group)], header()))
    assert back.groups[0].subscriber.date_of_birth == UNKNOWN_BIRTH_DATE
    assert back.groups[0].subscriber.sex == "U"
    assert back.groups[0].patient == group.patient


def test_rendering_provider_same_as_billing_is_not_sent() -> None:
    c = claim(rendering_provider=ProviderName("CLINIC", "SOLO", BILLING_NPI, "207Q00000X"))
    text = write_837p(
        [batch(ClaimGroup(subscriber(), Payer("EXAMPLE HEALTH", "EXH01"), (c,)))], header()
    )
    assert "NM1*82*" not in text
    assert read_837p(text)[0].groups[0].claims[0].rendering_provider is None


def test_reader_canonical_forms() -> None:
    """Dots in ICD-10 codes, punctuation in ZIP/tax id are removed; a line POS equal to the claim's is dropped."""
    c = claim(diagnoses=("J02.9",), lines=(line(place_of_service="11"),))
    b = dataclasses.replace(
        batch(ClaimGroup(subscriber(), Payer("EXAMPLE HEALTH", "EXH01"), (c,))),
        billing_provider=dataclasses.replace(batch().billing_provider, tax_id="12-3456789"),
    )
    (back,) = read_837p(write_837p([b], header()))
    got = back.groups[0].claims[0]
    assert got.diagnoses == ("J029",)
    assert got.lines[0].place_of_service == ""
    assert back.billing_provider.tax_id == "123456789"


# ---------------------------------------------------------------------------------------------
# pyx12


@pytest.mark.parametrize(
    "groups",
    [
        pytest.param(
            lambda: (ClaimGroup(subscriber(), Payer("EXAMPLE HEALTH", "EXH01"), (claim(),)),),
            id="simple",
        ),
        pytest.param(
            lambda: (dependent_group(),), id="dependent-12-diagnoses-4-modifiers-providers"
        ),
        pytest.param(lambda: (cob_group(),), id="cob-secondary"),
        pytest.param(lambda: (corrected_group(),), id="corrected-7-void-8"),
    ],
)
def test_pyx12_accepts(groups) -> None:  # type: ignore[no-untyped-def]
    text = write_837p([batch(*groups())], header())
    assert pyx12_errors(text) == []


def test_pyx12_accepts_everything_in_two_batches() -> None:
    text = write_837p([everything(), batch(reference="B2")], header())
    assert pyx12_errors(text) == []


# ---------------------------------------------------------------------------------------------
# Writer validation: each error names the claim and the field


def _write_claim(c: Claim) -> None:
    write_837p([batch(ClaimGroup(subscriber(), Payer("EXAMPLE HEALTH", "EXH01"), (c,)))], header())


@pytest.mark.parametrize(
    ("make", "field", "words"),
    [
        (lambda: claim("X" * 21), "CLM01", "longer than 20"),
        (lambda: claim(""), "CLM01", "missing"),
        (lambda: claim(total_charge=D("99.00")), "CLM02", "not the sum"),
        (
            lambda: claim(total_charge=D("125.001"), lines=(line(charge="125.001"),)),
            "CLM02",
            "decimal",
        ),
        (lambda: claim(diagnoses=tuple(f"J0{i}" for i in range(13))), "HI", "at most 12"),
        (lambda: claim(diagnoses=()), "HI", "no diagnosis"),
        (lambda: claim(diagnoses=("12345",)), "HI01", "ICD-10-CM"),
        (lambda: claim(diagnoses=("J029", "J02.9")), "HI02", "twice"),
        (lambda: claim(lines=(line(diagnosis_pointers=(2,)),)), "line 1 SV107", "out of range"),
        (lambda: claim(lines=(line(diagnosis_pointers=()),)), "line 1 SV107", "no diagnosis"),
        (lambda: claim(lines=(line(diagnosis_pointers=(1, 1)),)), "line 1 SV107", "repeated"),
        (
            lambda: claim(
                diagnoses=("J029", "R509", "I10", "E119", "K219"),
                lines=(line(diagnosis_pointers=(1, 2, 3, 4, 5)),),
            ),
            "line 1 SV107",
            "at most 4",
        ),
        (
            lambda: claim(lines=tuple(line(line_control_number=f"L{i}") for i in range(51))),
            "2400",
            "at most 50",
        ),
        (
            lambda: claim(lines=(line(modifiers=("25", "59", "GT", "XS", "76")),)),
            "line 1 SV101-3",
            "at most 4",
        ),
        (lambda: claim(lines=(line(modifiers=("2",)),)), "line 1 SV101-3", "2 letters"),
        (lambda: claim(lines=(line(code="9921"),)), "line 1 SV101-2", "5 letters"),
        (lambda: claim(lines=(line(units=D("0")),)), "line 1 SV104", "positive"),
        (lambda: claim(lines=(line(place_of_service="1"),)), "line 1 SV105", "2 digits"),
        (
            lambda: claim(lines=(line(service_date_end=DOS - dt.timedelta(days=1)),)),
            "line 1 DTP03",
            "before",
        ),
        (lambda: claim(frequency_code="7"), "REF02 (F8)", "original"),
        (lambda: claim(original_claim_number="X1"), "REF02 (F8)", "only sent"),
        (lambda: claim(frequency_code="5"), "CLM05-3", "not one of"),
        (lambda: claim(assignment="Z"), "CLM07", "not one of"),
        (lambda: claim(place_of_service="A1"), "CLM05-1", "2 digits"),
        (
            lambda: claim(rendering_provider=ProviderName("DOC", "A", "1234567890")),
            "2310B NM109",
            "check digit",
        ),
        (lambda: claim(rendering_provider=ProviderName("DOC", "A", "")), "2310B NM109", "missing"),
        (
            lambda: claim(lines=(line(line_control_number="A"), line(line_control_number="A"))),
            "line 2 REF02 (6R)",
            "repeated",
        ),
    ],
)
def test_writer_refuses_bad_claims(make, field, words) -> None:  # type: ignore[no-untyped-def]
    c = make()
    with pytest.raises(X12BuildError) as info:
        _write_claim(c)
    assert info.value.field == field
    assert words in info.value.message
    if c.claim_id:
        assert f"claim {c.claim_id}" in info.value.message


def test_writer_refuses_bad_billing_provider_and_subscriber() -> None:
    base = batch()
    cases = [
        (dataclasses.replace(base.billing_provider, npi=""), "2010AA NM109", "NPI is missing"),
        (dataclasses.replace(base.billing_provider, address=HOME), "2010AA N403", "9-digit"),
        (dataclasses.replace(base.billing_provider, tax_id="12345"), "2010AA REF02", "9 digits"),
    ]
    for provider, field, words in cases:
        with pytest.raises(X12BuildError) as info:
            write_837p([dataclasses.replace(base, billing_provider=provider)], header())
        assert info.value.field == field and words in info.value.message
    bad_zip = subscriber(address=dataclasses.replace(HOME, postal_code="6270"))
    with pytest.raises(X12BuildError) as info:
        write_837p(
            [batch(ClaimGroup(bad_zip, Payer("EXAMPLE HEALTH", "EXH01"), (claim(),)))], header()
        )
    assert info.value.field == "2010BA N403"
    with pytest.raises(X12BuildError) as info:
        write_837p(
            [batch(ClaimGroup(subscriber(sex="X"), Payer("EXAMPLE HEALTH", "EXH01"), (claim(),)))],
            header(),
        )
    assert info.value.field == "2010BA DMG03"
    with pytest.raises(X12BuildError) as info:
        write_837p(
            [
                batch(
                    ClaimGroup(
                        subscriber(member_id=""), Payer("EXAMPLE HEALTH", "EXH01"), (claim(),)
                    )
                )
            ],
            header(),
        )
    assert info.value.field == "2010BA NM109"
    twice = ClaimGroup(subscriber(), Payer("EXAMPLE HEALTH", "EXH01"), (claim("A1"), claim("A1")))
    with pytest.raises(X12BuildError, match="twice"):
        write_837p([batch(twice)], header())
    with pytest.raises(X12BuildError):
        write_837p([], header())


def test_writer_checks_cob_balance() -> None:
    group = cob_group()
    c = group.claims[0]
    other = dataclasses.replace(c.other_payers[0], paid=D("50.00"))
    with pytest.raises(X12BuildError, match="line adjudications total 60"):
        _write_claim(dataclasses.replace(c, other_payers=(other,)))
    adj = c.lines[0].prior_adjudications[0]
    unbalanced = dataclasses.replace(adj, adjustments=(Adjustment("CO", "45", D("20.00")),))
    bad_line = dataclasses.replace(c.lines[0], prior_adjudications=(unbalanced,))
    with pytest.raises(X12BuildError) as info:
        _write_claim(dataclasses.replace(c, lines=(bad_line,)))
    assert info.value.field == "line 1 2430 (PRIMARY1) CAS"
    stranger = dataclasses.replace(adj, payer_id="NOBODY")
    with pytest.raises(X12BuildError, match="not one of the claim's other payers"):
        _write_claim(
            dataclasses.replace(
                c, lines=(dataclasses.replace(c.lines[0], prior_adjudications=(stranger,)),)
            )
        )
    bad_group = dataclasses.replace(
        c.other_payers[0], adjustments=(Adjustment("OI", "45", D("1")),)
    )
    with pytest.raises(X12BuildError, match="CAS01"):
        _write_claim(dataclasses.replace(c, other_payers=(bad_group,)))


# ---------------------------------------------------------------------------------------------
# Reader errors


def test_reader_rejects_other_transactions_and_truncation() -> None:
    text = write_837p([batch()], header())
    with pytest.raises(X12ParseError):
        read_837p(text.replace("005010X222A1", "005010X223A2"))
    with pytest.raises(X12ParseError):
        read_837p(text[: len(text) // 2])
    broken = text.replace("SV1*HC:99213*125*UN*1***1~", "SV1*HC:99213*12X5*UN*1***1~")
    with pytest.raises(X12ParseError) as info:
        read_837p(broken)
    assert info.value.segment_id == "SV1"


def test_reader_names_missing_service_date() -> None:
    text = write_837p([batch()], header())
    lines = text.splitlines()
    kept = [s for s in lines if not s.startswith("DTP*472")]
    se = next(i for i, s in enumerate(kept) if s.startswith("SE*"))
    count = int(kept[se].split("*")[1]) - 1
    kept[se] = f"SE*{count}*0001~"
    with pytest.raises(X12ParseError, match="service date"):
        read_837p("\n".join(kept))


def test_fast_serializer_matches_envelope_build() -> None:
    """``build_interchange`` (the writers' fast path) gives exactly ``envelope.build``'s text."""
    from frontdesk.standards.x12.claims import _batch_body, build_interchange
    from frontdesk.standards.x12.envelope import build

    bodies = [_batch_body(everything()), _batch_body(batch(reference="B2"))]
    h = dataclasses.replace(header(9), acknowledgment_requested=True)
    assert build_interchange(h, "837", bodies, first_st_control=3) == build(
        h, "837", bodies, first_st_control=3
    )
    with pytest.raises(X12BuildError) as info:
        build_interchange(h, "837", [[("NTE", "ADD", "A*B")]])
    assert info.value.field == "NTE02"
    with pytest.raises(X12BuildError) as info:
        build_interchange(h, "837", [[("SV1", ("HC", "99:13"))]])
    assert info.value.field == "SV101"


def test_no_names_kept_in_caches_after_a_call() -> None:
    from frontdesk.standards.x12.claims_common import clean_text

    write_837p([everything()], header())
    assert clean_text.cache_info().currsize == 0
    read_837p(write_837p([everything()], header()))
    assert clean_text.cache_info().currsize == 0
