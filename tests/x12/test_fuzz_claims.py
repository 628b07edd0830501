"""Hypothesis: random valid claim batches and remittances survive write -> read and pass pyx12; the
837P and 835 readers, fed mangled files, only ever raise ``X12ParseError`` and never hang."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.standards import npi
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
    read_837p,
    write_837p,
)
from frontdesk.standards.x12.envelope import EnvelopeHeader
from frontdesk.standards.x12.errors import X12ParseError
from frontdesk.standards.x12.remittance import (
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
    read_835,
    write_835,
)
from tests.x12.pyx12check import pyx12_errors

SAMPLES = Path(__file__).parent / "samples"

# ---------------------------------------------------------------------------------------------
# Building blocks (canonical values: what the reader gives back is exactly what was written)

words = st.from_regex(r"[A-Z]{1,12}( [A-Z]{1,10})?", fullmatch=True)
cities = st.from_regex(r"[A-Z]{2,12}( [A-Z]{1,10})?", fullmatch=True)
idents = st.from_regex(r"[A-Z0-9]{3,15}", fullmatch=True)
states = st.sampled_from(["IL", "CA", "NY", "TX", "WA", "MA"])
zip5 = st.from_regex(r"[0-9]{5}", fullmatch=True)
zip9 = st.from_regex(r"[0-9]{9}", fullmatch=True)
dates = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2030, 12, 31))
service_dates = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31))
cents = st.integers(min_value=1, max_value=999_999).map(lambda c: Decimal(c) / 100)
sexes = st.sampled_from(["M", "F", "U"])
taxonomies = st.sampled_from(["207Q00000X", "208D00000X", "363LF0000X", "261QP2300X"])
phones = st.from_regex(r"[2-9][0-9]{9}", fullmatch=True)


def _npi(nine: str) -> str:
    return npi.make(nine)


npis = st.from_regex(r"[12][0-9]{8}", fullmatch=True).map(_npi)


@st.composite
def addresses(draw: Any, *, nine: bool = False) -> Address:
    return Address(
        line1=f"{draw(st.integers(1, 9999))} {draw(words)} ST",
        line2=draw(st.sampled_from(["", "SUITE 100", "APT 2"])),
        city=draw(cities),
        state=draw(states),
        postal_code=draw(zip9 if nine else st.one_of(zip5, zip9)),
    )


@st.composite
def subscribers(draw: Any, *, born: dt.date | None = None, sex: str | None = None) -> Subscriber:
    group_number = draw(st.one_of(st.just(""), idents))
    return Subscriber(
        member_id=draw(idents),
        last_name=draw(words),
        first_name=draw(st.one_of(st.just(""), words)),
        middle_name=draw(st.sampled_from(["", "Q"])),
        suffix=draw(st.sampled_from(["", "JR", "III"])),
        date_of_birth=born if born is not None else draw(dates),
        sex=sex if sex is not None else draw(sexes),
        address=draw(addresses()),
        group_number=group_number,
        group_name="" if group_number else draw(st.one_of(st.just(""), words)),
        payer_responsibility=draw(st.sampled_from(["P", "S", "T"])),
        claim_filing_indicator=draw(st.sampled_from(["CI", "BL", "MB", "MC", "HM", "12"])),
    )


payers = st.builds(Payer, name=words, payer_id=idents, address=st.one_of(st.none(), addresses()))
providers = st.builds(
    ProviderName, last_name=words, first_name=words, npi=npis, taxonomy_code=taxonomies
)
referrers = st.builds(
    ProviderName, last_name=words, first_name=words, npi=npis, taxonomy_code=st.just("")
)
diagnosis_codes = st.from_regex(r"[A-Z][0-9][0-9A-Z]{1,5}", fullmatch=True)
procedure_codes = st.from_regex(r"[0-9]{5}|[A-Z][0-9]{4}", fullmatch=True)
modifier_lists = st.lists(st.from_regex(r"[A-Z0-9]{2}", fullmatch=True), max_size=4).map(tuple)


@st.composite
def claims(
    draw: Any, claim_id: str, patient_born: dt.date, patient_sex: str, billing_npi: str = ""
) -> Claim:
    diagnoses = tuple(draw(st.lists(diagnosis_codes, min_size=1, max_size=12, unique=True)))
    pos = draw(st.sampled_from(["11", "22", "02", "10"]))
    n_lines = draw(st.integers(1, 4))
    cob = draw(st.sampled_from(["none", "claim", "lines"]))
    other_id = draw(idents)
    adjudicated = draw(service_dates)
    lines: list[ServiceLine] = []
    for number in range(n_lines):
        start = draw(service_dates)
        charge = draw(cents)
        code = draw(procedure_codes)
        modifiers = draw(modifier_lists)
        units = draw(st.sampled_from([Decimal(1), Decimal(2), Decimal("1.5"), Decimal("0.25")]))
        prior: tuple[LineAdjudication, ...] = ()
        if cob == "lines":
            paid = draw(st.integers(0, int(charge * 100))) / Decimal(100)
            rest = charge - paid
            adjustments: tuple[Adjustment, ...] = ()
            if rest:
                co = draw(st.integers(0, int(rest * 100))) / Decimal(100)
                parts = [Adjustment("CO", "45", co)] if co else []
                if rest - co:
                    parts.append(
                        Adjustment("PR", draw(st.sampled_from(["1", "2", "3"])), rest - co)
                    )
                adjustments = tuple(parts)
            prior = (
                LineAdjudication(
                    payer_id=other_id,
                    paid=paid,
                    procedure_code=code,
                    units=units,
                    adjudicated_on=adjudicated,
                    modifiers=modifiers,
                    adjustments=adjustments,
                ),
            )
        lines.append(
            ServiceLine(
                procedure_code=code,
                charge=charge,
                units=units,
                diagnosis_pointers=tuple(
                    draw(
                        st.lists(
                            st.integers(1, len(diagnoses)),
                            min_size=1,
                            max_size=min(4, len(diagnoses)),
                            unique=True,
                        )
                    )
                ),
                service_date=start,
                line_control_number=f"{claim_id}-{number + 1}",
                modifiers=modifiers,
                service_date_end=draw(
                    st.one_of(
                        st.none(),
                        st.builds(lambda d: start + dt.timedelta(days=d), st.integers(1, 5)),
                    )
                ),
                place_of_service=draw(st.sampled_from(["", *({"11", "22"} - {pos})])),
                prior_adjudications=prior,
            )
        )
    total = sum((item.charge for item in lines), Decimal(0))
    others: tuple[OtherPayer, ...] = ()
    if cob != "none":
        relationship = draw(st.sampled_from(["18", "01", "19"]))
        other_subscriber = draw(
            subscribers(
                born=patient_born if relationship == "18" else UNKNOWN_BIRTH_DATE,
                sex=patient_sex if relationship == "18" else "U",
            )
        )
        if cob == "lines":
            paid = sum((ln.prior_adjudications[0].paid for ln in lines), Decimal(0))
            claim_adjustments: tuple[Adjustment, ...] = ()
        else:
            paid = draw(st.integers(0, int(total * 100))) / Decimal(100)
            claim_adjustments = (Adjustment("CO", "45", total - paid),) if total - paid else ()
        others = (
            OtherPayer(
                payer=Payer(draw(words), other_id, draw(st.one_of(st.none(), addresses()))),
                subscriber=other_subscriber,
                paid=paid,
                adjudicated_on=adjudicated,
                adjustments=claim_adjustments,
                relationship=relationship,
            ),
        )
    frequency = draw(st.sampled_from(["1", "1", "7", "8"]))
    return Claim(
        claim_id=claim_id,
        total_charge=total,
        place_of_service=pos,
        diagnoses=diagnoses,
        lines=tuple(lines),
        frequency_code=frequency,
        original_claim_number=draw(idents) if frequency in ("7", "8") else "",
        # A rendering provider with the billing NPI is not sent (2310B "do not send").
        rendering_provider=draw(
            st.one_of(st.none(), providers.filter(lambda p: p.npi != billing_npi))
        ),
        referring_provider=draw(st.one_of(st.none(), referrers)),
        facility=draw(
            st.one_of(
                st.none(),
                st.builds(
                    Facility, name=words, address=addresses(), npi=st.one_of(st.just(""), npis)
                ),
            )
        ),
        prior_authorization=draw(st.one_of(st.just(""), idents)),
        referral_number=draw(st.one_of(st.just(""), idents)),
        patient_paid=draw(st.one_of(st.none(), cents)),
        other_payers=others,
        provider_signature=draw(st.booleans()),
        assignment=draw(st.sampled_from(["A", "B", "C"])),
        benefits_assigned=draw(st.sampled_from(["Y", "N", "W"])),
        release_of_information=draw(st.sampled_from(["Y", "I"])),
        note=draw(st.one_of(st.just(""), words)),
    )


@st.composite
def batches(draw: Any, prefix: str = "C") -> ClaimBatch:
    groups: list[ClaimGroup] = []
    billing_npi = draw(npis)
    counter = 0
    for _ in range(draw(st.integers(1, 3))):
        subscriber = draw(subscribers())
        patient: PatientInfo | None = None
        if draw(st.booleans()):
            patient = PatientInfo(
                relationship=draw(st.sampled_from(["01", "19", "20", "21", "G8"])),
                last_name=draw(words),
                first_name=draw(words),
                date_of_birth=draw(dates),
                sex=draw(sexes),
                address=draw(addresses()),
                middle_name=draw(st.sampled_from(["", "B"])),
                suffix=draw(st.sampled_from(["", "JR"])),
            )
        if patient is not None:  # not sent for a dependent (2010BA DMG): reads back unknown
            subscriber = dataclasses.replace(subscriber, date_of_birth=UNKNOWN_BIRTH_DATE, sex="U")
        born = patient.date_of_birth if patient else subscriber.date_of_birth
        sex = patient.sex if patient else subscriber.sex
        group_claims = []
        for _ in range(draw(st.integers(1, 2))):
            counter += 1
            group_claims.append(draw(claims(f"{prefix}{counter:05d}", born, sex, billing_npi)))
        groups.append(ClaimGroup(subscriber, draw(payers), tuple(group_claims), patient))
    individual = draw(st.booleans())
    return ClaimBatch(
        reference=draw(idents),
        created_at=dt.datetime.combine(
            draw(service_dates),
            dt.time(draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))),
        ),
        submitter=Submitter(
            draw(words),
            draw(idents),
            draw(words),
            draw(phones),
            draw(st.sampled_from(["", "edi@example.com"])),
        ),
        receiver=Receiver(draw(words), draw(idents)),
        billing_provider=BillingProvider(
            name=draw(words),
            npi=billing_npi,
            tax_id=draw(st.from_regex(r"[0-9]{9}", fullmatch=True)),
            address=draw(addresses(nine=True)),
            taxonomy_code=draw(st.one_of(st.just(""), taxonomies)),
            phone=draw(st.one_of(st.just(""), phones)),
            first_name=draw(words) if individual else "",
        ),
        groups=tuple(groups),
        transaction_type=draw(st.sampled_from(["CH", "RP"])),
    )


def header_837() -> EnvelopeHeader:
    return EnvelopeHeader(
        "FRONTDESK", "CLEARINGHOUSE", 1, 1, "HC", "005010X222A1", dt.datetime(2026, 11, 27, 4, 30)
    )


def header_835() -> EnvelopeHeader:
    return EnvelopeHeader(
        "PAYER", "FRONTDESK", 1, 1, "HP", "005010X221A1", dt.datetime(2026, 11, 27, 4, 30)
    )


# ---------------------------------------------------------------------------------------------
# 837P


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_837p_round_trip(batch: ClaimBatch) -> None:
    assert read_837p(write_837p([batch], header_837())) == [batch]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(batches(), min_size=1, max_size=3))
def test_837p_passes_pyx12(generated: list[ClaimBatch]) -> None:
    # Claim ids must be unique only within a batch; pyx12 sees each batch as its own ST.
    text = write_837p(generated, header_837())
    assert pyx12_errors(text) == []


# ---------------------------------------------------------------------------------------------
# 835

adjustment_groups = st.sampled_from(["CO", "PR", "OA", "PI"])


@st.composite
def split_adjustments(draw: Any, total: Decimal) -> tuple[Adjustment, ...]:
    """Adjustments summing to ``total`` (grouped by group code, as the writer writes them)."""
    if total == 0 and draw(st.booleans()):
        return ()
    pieces: list[tuple[str, str, Decimal]] = []
    remaining = total
    for _ in range(draw(st.integers(0, 3))):
        amount = draw(st.integers(-5000, 5000)) / Decimal(100)
        pieces.append(
            (
                draw(adjustment_groups),
                draw(st.sampled_from(["45", "1", "2", "3", "253", "97"])),
                amount,
            )
        )
        remaining -= amount
    pieces.append((draw(adjustment_groups), draw(st.sampled_from(["45", "23", "197"])), remaining))
    order: list[str] = []
    for group, _, _ in pieces:
        if group not in order:
            order.append(group)
    return tuple(
        Adjustment(group, reason, amount, draw(st.one_of(st.none(), st.just(Decimal(1)))))
        for g in order
        for group, reason, amount in pieces
        if group == g
    )


@st.composite
def claim_payments(draw: Any, number: int) -> ClaimPayment:
    lines: list[ServicePayment] = []
    for i in range(draw(st.integers(0, 3))):
        charge = draw(cents)
        paid = draw(st.integers(0, int(charge * 100))) / Decimal(100)
        start = draw(st.one_of(st.none(), service_dates))
        lines.append(
            ServicePayment(
                procedure_code=draw(procedure_codes),
                charge=charge,
                paid=paid,
                modifiers=draw(modifier_lists),
                units=draw(st.one_of(st.none(), st.just(Decimal(2)))),
                service_date=start,
                service_date_end=(start + dt.timedelta(days=1))
                if start and draw(st.booleans())
                else None,
                line_control_number=draw(st.one_of(st.just(""), st.just(f"P{number}-{i}"))),
                adjustments=draw(split_adjustments(charge - paid)),
                remarks=tuple(
                    draw(st.lists(st.sampled_from(["N54", "N130", "M15", "MA01"]), max_size=2))
                ),
                allowed=draw(st.one_of(st.none(), cents)),
                submitted_procedure_code=draw(st.one_of(st.just(""), procedure_codes)),
            )
        )
    line_charge = sum((ln.charge for ln in lines), Decimal(0))
    line_cas = sum((a.amount for ln in lines for a in ln.adjustments), Decimal(0))
    total = line_charge if lines else draw(cents)
    paid = draw(st.integers(0, int(total * 100))) / Decimal(100)
    claim_adjustments = draw(split_adjustments(total - paid - line_cas))
    reversed_ = draw(st.booleans()) and not lines
    sign = Decimal(-1) if reversed_ else Decimal(1)
    return ClaimPayment(
        patient_control_number=f"C{number:05d}",
        status="22" if reversed_ else draw(st.sampled_from(["1", "2", "4", "19"])),
        total_charge=total * sign,
        paid=paid * sign,
        patient_responsibility=draw(st.one_of(st.none(), cents)),
        filing_indicator=draw(st.sampled_from(["12", "13", "MB", "MC", "HM"])),
        payer_claim_number=draw(idents),
        adjustments=tuple(
            Adjustment(a.group, a.reason, a.amount * sign, a.quantity) for a in claim_adjustments
        ),
        service_lines=tuple(lines),
        patient_last_name=draw(words),
        patient_first_name=draw(st.one_of(st.just(""), words)),
        member_id=draw(st.one_of(st.just(""), idents)),
        rendering_npi=draw(st.one_of(st.just(""), npis)),
        remarks=tuple(draw(st.lists(st.sampled_from(["N54", "MA01", "M15"]), max_size=3))),
        frequency_code=draw(st.sampled_from(["", "1", "7"])),
        service_date=draw(st.one_of(st.none(), service_dates)),
        service_date_end=draw(st.one_of(st.none(), service_dates)),
    )


@st.composite
def remittances(draw: Any, control: int = 1, max_plbs: int = 6) -> Remittance:
    claim_list = tuple(draw(claim_payments(i)) for i in range(draw(st.integers(0, 4))))
    npi = draw(npis)
    period = draw(service_dates)
    plbs = tuple(
        ProviderAdjustment(
            npi,
            period,
            draw(st.sampled_from(["WO", "L6", "FB", "72", "CS"])),
            draw(st.one_of(st.just(""), idents)),
            draw(st.integers(-10000, 10000)) / Decimal(100),
        )
        for _ in range(draw(st.integers(0, max_plbs)))
    )
    net = sum((c.paid for c in claim_list), Decimal(0)) - sum((p.amount for p in plbs), Decimal(0))
    method = "NON" if net == 0 else "CHK"
    return Remittance(
        control_number=f"{control:04d}",
        payer_name=draw(words),
        payer_id=draw(idents),
        payee_name=draw(words),
        payee_npi=npi,
        payment_method=method,
        credit_debit="C" if net >= 0 else "D",
        total_paid=abs(net),
        payment_date=draw(service_dates),
        trace_number=draw(idents),
        trace_originator="1" + draw(st.from_regex(r"[0-9]{9}", fullmatch=True)),
        claims=claim_list,
        provider_adjustments=plbs,
        payee_tax_id=draw(st.one_of(st.just(""), st.from_regex(r"[0-9]{9}", fullmatch=True))),
        production_date=draw(st.one_of(st.none(), service_dates)),
        payer_address=draw(addresses()),
        payer_contact_name=draw(words),  # "" would be written as "EDI SUPPORT"
        payer_contact_phone=draw(st.one_of(st.just(""), phones)),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 3).flatmap(lambda n: st.tuples(*(remittances(i + 1) for i in range(n)))))
def test_835_round_trip(generated: tuple[Remittance, ...]) -> None:
    assert read_835(write_835(list(generated), header_835())) == list(generated)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(remittances(max_plbs=1))
def test_835_passes_pyx12(remittance: Remittance) -> None:
    errors = [
        e
        for e in pyx12_errors(write_835([remittance], header_835()))
        if e != "Failed to create 999 response"
    ]
    assert errors == []


# ---------------------------------------------------------------------------------------------
# Fuzzing the readers: mangled files raise X12ParseError, nothing else, quickly


def _valid_837() -> str:
    from tests.x12.test_837p import everything, header

    return write_837p([everything()], header())


VALID = {
    "837": _valid_837(),
    "835a": (SAMPLES / "835_commercial_three_claims.x12").read_text(),
    "835b": (SAMPLES / "835_medicare_moa_reversal.x12").read_text(),
}


def _read_any(text: str | bytes, kind: str) -> None:
    try:
        if kind == "837":
            read_837p(text)
        else:
            read_835(text)
    except X12ParseError:
        pass


@st.composite
def mangled(draw: Any) -> tuple[str, str]:
    kind = draw(st.sampled_from(sorted(VALID)))
    text = VALID[kind]
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(
            st.sampled_from(
                ["replace", "delete", "insert", "truncate", "drop-seg", "dup-seg", "swap-seg"]
            )
        )
        if operation == "truncate":
            text = text[: draw(st.integers(0, len(text)))]
            continue
        if operation in ("drop-seg", "dup-seg", "swap-seg"):
            segments = text.split("~")
            if len(segments) < 4:
                continue
            i = draw(st.integers(2, len(segments) - 2))
            if operation == "drop-seg":
                del segments[i]
            elif operation == "dup-seg":
                segments.insert(i, segments[i])
            else:
                j = draw(st.integers(2, len(segments) - 2))
                segments[i], segments[j] = segments[j], segments[i]
            text = "~".join(segments)
            continue
        if not text:
            continue
        at = draw(st.integers(0, len(text) - 1))
        chunk = draw(st.text(alphabet="*:^~|>0123456789ABCDEFGHIJ-. \n\x00é", max_size=4))
        if operation == "replace":
            text = text[:at] + chunk + text[at + len(chunk) :]
        elif operation == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        else:
            text = text[:at] + chunk + text[at:]
    return kind, text


@settings(max_examples=600, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_readers_only_raise_parse_errors(case: tuple[str, str]) -> None:
    kind, text = case
    _read_any(text, kind)


@settings(max_examples=200, deadline=2000)
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400)), st.sampled_from(["837", "835a"]))
def test_readers_survive_garbage(data: str | bytes, kind: str) -> None:
    _read_any(data, kind)
    prefixed = VALID[kind][:300] + (data.decode("latin-1") if isinstance(data, bytes) else data)
    _read_any(prefixed, kind)


@st.composite
def mangled_bodies(draw: Any) -> tuple[str, str]:
    """Mangle segments between ST and SE, then fix SE01 so the envelope passes and the transaction
    reader itself meets the damage (missing, repeated, swapped segments; bad element values)."""
    kind = draw(st.sampled_from(sorted(VALID)))
    text = VALID[kind]
    element = "|" if kind == "835b" else "*"
    segments = [s.strip() for s in text.split("~") if s.strip()]
    st_at = next(i for i, s in enumerate(segments) if s.startswith("ST" + element))
    se_at = next(i for i, s in enumerate(segments) if s.startswith("SE" + element))
    body = segments[st_at + 1 : se_at]
    for _ in range(draw(st.integers(1, 3))):
        if not body:
            break
        i = draw(st.integers(0, len(body) - 1))
        operation = draw(st.sampled_from(["drop", "dup", "swap", "element", "empty", "cut"]))
        if operation == "drop":
            del body[i]
        elif operation == "dup":
            body.insert(i, body[i])
        elif operation == "swap":
            j = draw(st.integers(0, len(body) - 1))
            body[i], body[j] = body[j], body[i]
        else:
            parts = body[i].split(element)
            k = draw(st.integers(1, max(1, len(parts) - 1))) if len(parts) > 1 else 0
            if operation == "element" and k:
                parts[k] = draw(
                    st.sampled_from(
                        ["", "X", "-1", "1E5", "99999999", "20261399", "A:B:C", "0.001", "NaN"]
                    )
                )
            elif operation == "empty" and k:
                parts = parts[:k]
            elif operation == "cut":
                parts = parts[: draw(st.integers(1, len(parts)))]
            body[i] = element.join(parts)
    control = segments[st_at].split(element)[2]
    new = [
        *segments[: st_at + 1],
        *body,
        f"SE{element}{len(body) + 2}{element}{control}",
        *segments[se_at + 1 :],
    ]
    return kind, "~".join(new) + "~"


@settings(max_examples=600, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(mangled_bodies())
def test_readers_only_raise_parse_errors_on_mangled_bodies(case: tuple[str, str]) -> None:
    kind, text = case
    _read_any(text, kind)
