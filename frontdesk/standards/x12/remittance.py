"""835 health care claim payment/advice (ERA), 005010X221A1: read with balancing checks, write.

``read_835(data)`` returns one ``Remittance`` per ST/SE transaction set: the payment (BPR), the trace
(TRN, the check or EFT number that makes an import idempotent), the payer (1000A N1*PR, REF*2U) and
payee (1000B N1*PE with the NPI, REF*TJ tax id), each claim (2100 CLP) with its adjustments (CAS:
every reason/amount/quantity triplet becomes one ``Adjustment``), patient and insured names (NM1*QC /
NM1*IL), rendering provider (NM1*82), remark codes (MOA/MIA), statement dates (DTM*232/233), and each
service line (2110 SVC) with its date (DTM*472, or 150/151), adjustments, line control number (REF*6R,
which FrontDesk wrote in the 837P), allowed amount (AMT*B6) and remarks (LQ*HE); and the
provider-level adjustments (PLB, up to six per segment, each its own ``ProviderAdjustment``).

Before returning, the reader checks that the file balances, as the guide requires, and raises
``X12ParseError`` naming the claim (CLP01) and the segment when it does not:

- each service line: SVC02 charge - SVC03 paid = the line's CAS amounts;
- each claim: CLP03 charge - CLP04 paid = the claim's CAS amounts + its lines' CAS amounts;
- the payment: BPR02 = the sum of CLP04 - the sum of PLB amounts (a positive PLB reduces the payment).

``write_835`` writes the same dataclasses (for the simulated payer and round trips) and refuses data
that does not balance (``X12BuildError``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from frontdesk.standards.x12.claims_common import (
    Address,
    Adjustment,
    Check,
    Reader,
    adjustment_segments,
    adjustments_total,
    build_interchange,
    clean_text,
    format_amount,
    format_date,
    format_quantity,
    parse_adjustments,
    parse_amount,
    parse_date,
    transient_caches,
)
from frontdesk.standards.x12.envelope import (
    EnvelopeHeader,
    RawSegment,
    Segment,
    Transaction,
    transactions_of,
)
from frontdesk.standards.x12.errors import X12BuildError

__all__ = [
    "Adjustment",
    "ClaimPayment",
    "ProviderAdjustment",
    "Remittance",
    "ServicePayment",
    "read_835",
    "write_835",
]

VERSION = "005010X221A1"
FUNCTIONAL_ID = "HP"
PAYMENT_METHODS = frozenset(["ACH", "BOP", "CHK", "FWT", "NON"])
CLAIM_STATUSES = frozenset(["1", "2", "3", "4", "19", "20", "21", "22", "23", "25"])
ADJUSTMENT_GROUPS = frozenset(["CO", "OA", "PI", "PR"])  # CAS01 in the 835 (CR left with 5010)
# CLP06 (no CI/BL here: commercial plans report 12-15 or HM)
CLAIM_FILING_INDICATORS = frozenset(
    {"12", "13", "14", "15", "16", "17", "AM", "CH", "DS", "HM", "LM", "MA", "MB", "MC", "OF"}
    | {"TV", "VA", "WC", "ZZ"}
)
PLB_REASONS = frozenset(
    [
        "50",
        "51",
        "72",
        "90",
        "AH",
        "AM",
        "AP",
        "B2",
        "B3",
        "BD",
        "BN",
        "C5",
        "CR",
        "CS",
        "CT",
        "CV",
        "CW",
        "DM",
        "E3",
        "FB",
        "FC",
        "GO",
        "HM",
        "IP",
        "IR",
        "IS",
        "J1",
        "L3",
        "L6",
        "LE",
        "LS",
        "OA",
        "OB",
        "PI",
        "PL",
        "RA",
        "RE",
        "SL",
        "TL",
        "WO",
        "WU",
    ]
)
ZERO = Decimal("0")
_LOOP_ENDS = frozenset(["SVC", "CLP", "LX", "PLB"])


@dataclass(frozen=True)
class ServicePayment:
    """One 2110 service line: what was billed (SVC01/02), paid (SVC03), adjusted (CAS), remarked."""

    procedure_code: str
    charge: Decimal
    paid: Decimal
    modifiers: tuple[str, ...] = ()
    units: Decimal | None = None  # SVC05 (paid units; absent means 1)
    service_date: dt.date | None = None  # DTM*472 (or DTM*150 when a range)
    line_control_number: str = ""  # REF*6R: the 837P's line control number
    adjustments: tuple[Adjustment, ...] = ()
    remarks: tuple[str, ...] = ()  # LQ*HE RARC codes
    allowed: Decimal | None = None  # AMT*B6
    submitted_procedure_code: str = ""  # SVC06-2 when the payer adjudicated a different code
    service_date_end: dt.date | None = None  # DTM*151 when the payer reports a range
    procedure_qualifier: str = "HC"
    submitted_modifiers: tuple[str, ...] = ()  # SVC06-3.. (the code and modifiers as billed)


@dataclass(frozen=True)
class ClaimPayment:
    """One 2100 claim: CLP, its adjustments, names, remarks and service lines."""

    patient_control_number: str  # CLP01 = the 837P's CLM01
    status: str  # CLP02: 1 primary, 2 secondary, 3 tertiary, 4 denied, 22 reversal, ...
    total_charge: Decimal  # CLP03
    paid: Decimal  # CLP04
    patient_responsibility: Decimal | None  # CLP05
    filing_indicator: str  # CLP06
    payer_claim_number: str  # CLP07 (the payer's ICN, sent back in REF*F8 for a correction)
    adjustments: tuple[Adjustment, ...] = ()
    service_lines: tuple[ServicePayment, ...] = ()
    patient_last_name: str = ""
    patient_first_name: str = ""
    member_id: str = ""  # NM1*QC / NM1*IL NM109
    rendering_npi: str = ""  # NM1*82 with XX
    remarks: tuple[str, ...] = ()  # MOA03..07 / MIA remark codes
    frequency_code: str = ""  # CLP09
    service_date: dt.date | None = None  # DTM*232 (statement from)
    service_date_end: dt.date | None = None  # DTM*233 (statement to)
    insured_last_name: str = ""  # NM1*IL when the insured is not the patient
    insured_first_name: str = ""
    insured_member_id: str = ""


@dataclass(frozen=True)
class ProviderAdjustment:
    """One PLB adjustment pair. A positive amount reduces the payment (e.g. WO overpayment recovery);
    a negative one increases it (e.g. L6 interest paid)."""

    provider_id: str  # PLB01 (the payee's NPI, usually)
    fiscal_period_end: dt.date  # PLB02
    reason: str  # PLB03-1: WO, L6, FB, 72, CS, J1, ...
    reference: str  # PLB03-2
    amount: Decimal  # PLB04


@dataclass(frozen=True)
class Remittance:
    """One 835 transaction set: one payment (check/EFT) to one payee."""

    control_number: str  # ST02
    payer_name: str
    payer_id: str  # REF*2U (or N104)
    payee_name: str
    payee_npi: str  # N1*PE*..*XX*npi
    payment_method: str  # BPR04: ACH, CHK, BOP, FWT, NON (no payment)
    credit_debit: str  # BPR03: C or D
    total_paid: Decimal  # BPR02
    payment_date: dt.date  # BPR16
    trace_number: str  # TRN02: check or EFT trace number
    trace_originator: str  # TRN03: "1" + the payer's EIN
    claims: tuple[ClaimPayment, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...] = ()
    payee_tax_id: str = ""  # REF*TJ
    production_date: dt.date | None = None  # DTM*405
    payer_address: Address | None = None  # 1000A N3/N4 (required to write)
    payer_contact_name: str = ""  # PER*BL
    payer_contact_phone: str = ""
    # BPR06..15 for ACH/BOP/FWT payments (required by the guide for those methods).
    payer_bank_routing: str = ""
    payer_bank_account: str = ""
    payer_company_id: str = ""  # BPR10: "1" + the payer's EIN
    payee_bank_routing: str = ""
    payee_bank_account: str = ""
    handling_code: str = ""  # BPR01: "" = I (payment with remittance), or H for notification only


# ---------------------------------------------------------------------------------------------
# Reading


def read_835(data: str | bytes) -> list[Remittance]:
    """Every remittance in ``data``, balancing checked (raises ``X12ParseError``)."""
    with transient_caches():
        return [_read_transaction(t) for t in transactions_of(data, "835", versions=(VERSION,))]


def _read_transaction(t: Transaction) -> Remittance:
    r = Reader(t)
    bpr = r.expect("BPR", None, "financial information")
    total_paid = parse_amount(bpr, 2, "BPR02 (total payment)")
    assert total_paid is not None
    payment_date = parse_date(bpr, 16, "BPR16 (payment date)")
    trn = r.expect("TRN", None, "reassociation trace number")
    trace = trn.require(2, "TRN02 (check or EFT trace number)")
    production: dt.date | None = None
    while (seg := r.peek()) is not None and seg.id in ("CUR", "REF", "DTM"):
        r.next()
        if seg.id == "DTM" and seg.get(1) == "405":
            production = parse_date(seg, 2, "DTM02 (production date)")
    n1 = r.expect("N1", "PR", "1000A payer identification")
    payer_id = n1.get(4)
    payer_address: Address | None = None
    if (n3 := r.take("N3")) is not None:
        n4 = r.expect("N4", None, "1000A payer city, state, ZIP")
        payer_address = Address(
            line1=n3.get(1), line2=n3.get(2), city=n4.get(1), state=n4.get(2), postal_code=n4.get(3)
        )
    contact_name, contact_phone = "", ""
    while (seg := r.peek()) is not None and seg.id in ("REF", "PER"):
        r.next()
        if seg.id == "REF" and seg.get(1) == "2U":
            payer_id = seg.get(2)
        elif seg.id == "PER" and seg.get(1) == "BL" and not contact_name and not contact_phone:
            contact_name = seg.get(2)
            pairs = {seg.get(k): seg.get(k + 1) for k in (3, 5, 7)}
            contact_phone = pairs.get("TE", "")
    pe = r.expect("N1", "PE", "1000B payee identification")
    payee_npi = pe.get(4) if pe.get(3) == "XX" else ""
    payee_tax_id = pe.get(4) if pe.get(3) == "FI" else ""
    while (seg := r.peek()) is not None and seg.id in ("N3", "N4", "REF", "RDM"):
        r.next()
        if seg.id == "REF" and seg.get(1) == "TJ":
            payee_tax_id = seg.get(2)
    claims: list[ClaimPayment] = []
    while (seg := r.peek()) is not None and seg.id == "LX":
        r.next()
        while (seg := r.peek()) is not None and seg.id in ("TS3", "TS2"):
            r.next()
        if (seg := r.peek()) is None or seg.id != "CLP":
            raise (seg or bpr).error("a header number (LX) must be followed by a claim (CLP)")
        while (seg := r.peek()) is not None and seg.id == "CLP":
            claims.append(_read_claim(r))
    plbs: list[ProviderAdjustment] = []
    while (seg := r.peek()) is not None and seg.id == "PLB":
        plbs += _read_plb(r.next())
    if (seg := r.peek()) is not None:
        raise seg.error(f"unexpected {seg.id} segment in the 835 (expected CLP, LX, PLB or SE)")
    # Balancing: BPR02 = sum CLP04 - sum PLB04..
    paid = sum((c.paid for c in claims), ZERO)
    plb_total = sum((p.amount for p in plbs), ZERO)
    signed = -total_paid if bpr.get(3) == "D" else total_paid
    if signed != paid - plb_total:
        raise bpr.error(
            f"the payment does not balance: BPR02 is {signed} but the claims paid {paid} "
            f"and the provider adjustments (PLB) total {plb_total} (expected {paid - plb_total})",
            2,
        )
    return Remittance(
        control_number=t.control_number,
        payer_name=n1.get(2),
        payer_id=payer_id,
        payee_name=pe.get(2),
        payee_npi=payee_npi,
        payment_method=bpr.get(4),
        credit_debit=bpr.get(3),
        total_paid=total_paid,
        payment_date=payment_date,
        trace_number=trace,
        trace_originator=trn.get(3),
        claims=tuple(claims),
        provider_adjustments=tuple(plbs),
        payee_tax_id=payee_tax_id,
        production_date=production,
        payer_address=payer_address,
        payer_contact_name=contact_name,
        payer_contact_phone=contact_phone,
        payer_bank_routing=bpr.get(7),
        payer_bank_account=bpr.get(9),
        payer_company_id=bpr.get(10),
        payee_bank_routing=bpr.get(13),
        payee_bank_account=bpr.get(15),
        # "" when BPR01 is what the writer derives from the method (I, or H for no payment).
        handling_code="" if bpr.get(1) == ("H" if bpr.get(4) == "NON" else "I") else bpr.get(1),
    )


def _read_plb(seg: Segment) -> list[ProviderAdjustment]:
    provider = seg.require(1, "PLB01 (provider identifier)")
    period_end = parse_date(seg, 2, "PLB02 (fiscal period date)")
    out: list[ProviderAdjustment] = []
    for k in range(6):
        at = 3 + 2 * k
        if not seg.get(at):
            if seg.get(at + 1):
                raise seg.error("a provider adjustment amount without its reason", at)
            continue
        amount = parse_amount(seg, at + 1, f"PLB{at + 1:02d} (adjustment amount)")
        assert amount is not None
        out.append(
            ProviderAdjustment(
                provider_id=provider,
                fiscal_period_end=period_end,
                reason=seg.component(at, 1),
                reference=seg.component(at, 2),
                amount=amount,
            )
        )
    if not out:
        raise seg.error("PLB holds no adjustment", 3)
    return out


def _read_claim(r: Reader) -> ClaimPayment:
    clp = r.next()
    pcn = clp.require(1, "CLP01 (patient control number)")
    status = clp.require(2, "CLP02 (claim status)")
    charge = parse_amount(clp, 3, "CLP03 (total charge)")
    paid = parse_amount(clp, 4, "CLP04 (claim payment)")
    assert charge is not None and paid is not None
    responsibility = parse_amount(clp, 5, "CLP05 (patient responsibility)", required=False)
    adjustments: list[Adjustment] = []
    names: dict[str, Segment] = {}
    remarks: list[str] = []
    start: dt.date | None = None
    end: dt.date | None = None
    while (seg := r.peek()) is not None and seg.id not in ("SVC", "CLP", "LX", "PLB"):
        r.next()
        if seg.id == "CAS":
            adjustments += parse_adjustments(seg)
        elif seg.id == "NM1":
            names.setdefault(seg.get(1), seg)
        elif seg.id == "MOA":
            remarks += [seg.get(k) for k in range(3, 8) if seg.get(k)]
        elif seg.id == "MIA":
            remarks += [seg.get(k) for k in (5, 20, 21, 22, 23) if seg.get(k)]
        elif seg.id == "DTM" and seg.get(1) == "232":
            start = parse_date(seg, 2, "DTM02 (statement from date)")
        elif seg.id == "DTM" and seg.get(1) == "233":
            end = parse_date(seg, 2, "DTM02 (statement to date)")
    lines: list[ServicePayment] = []
    while (seg := r.peek()) is not None and seg.id == "SVC":
        lines.append(_read_line(r, pcn))
    patient = names.get("QC")
    insured = names.get("IL")
    rendering = names.get("82")
    line_cas = sum((adjustments_total(line.adjustments) for line in lines), ZERO)
    claim_cas = adjustments_total(adjustments)
    if charge - paid != claim_cas + line_cas:
        raise clp.error(
            f"claim {pcn} does not balance: charge {charge} - paid {paid} = {charge - paid}, but its "
            f"adjustments total {claim_cas + line_cas} (claim CAS {claim_cas}, line CAS {line_cas})",
            4,
        )
    member_id = ""
    if patient is not None and patient.get(9):
        member_id = patient.get(9)
    elif insured is not None:
        member_id = insured.get(9)
    return ClaimPayment(
        patient_control_number=pcn,
        status=status,
        total_charge=charge,
        paid=paid,
        patient_responsibility=responsibility,
        filing_indicator=clp.get(6),
        payer_claim_number=clp.get(7),
        adjustments=tuple(adjustments),
        service_lines=tuple(lines),
        patient_last_name=patient.get(3) if patient is not None else "",
        patient_first_name=patient.get(4) if patient is not None else "",
        member_id=member_id,
        rendering_npi=rendering.get(9)
        if rendering is not None and rendering.get(8) == "XX"
        else "",
        remarks=tuple(remarks),
        frequency_code=clp.get(9),
        service_date=start,
        service_date_end=end,
        insured_last_name=insured.get(3) if insured is not None else "",
        insured_first_name=insured.get(4) if insured is not None else "",
        insured_member_id=insured.get(9) if insured is not None else "",
    )


def _read_line(r: Reader, pcn: str) -> ServicePayment:
    svc = r.next()
    billed = svc.components(1)
    qualifier = billed[0] if billed else ""
    code = billed[1] if len(billed) > 1 else ""
    if not code:
        raise svc.error(f"claim {pcn}: SVC01-2 (procedure code) is missing", 1)
    charge = parse_amount(svc, 2, "SVC02 (line charge)")
    paid = parse_amount(svc, 3, "SVC03 (line payment)")
    assert charge is not None and paid is not None
    units = parse_amount(svc, 5, "SVC05 (units paid)", required=False)
    adjustments: list[Adjustment] = []
    remarks: list[str] = []
    start: dt.date | None = None
    end: dt.date | None = None
    control = ""
    allowed: Decimal | None = None
    segments, i, count = r.segs, r.i, len(r.segs)
    while i < count:
        seg = segments[i]
        tag = seg.id
        if tag in _LOOP_ENDS:
            break
        i += 1
        qualifier_ = seg.elements[0] if seg.elements else ""
        if tag == "CAS":
            adjustments += parse_adjustments(seg)
        elif tag == "DTM":
            if qualifier_ in ("472", "150"):
                start = parse_date(seg, 2, "DTM02 (service date)")
            elif qualifier_ == "151":
                end = parse_date(seg, 2, "DTM02 (service end date)")
        elif tag == "REF" and qualifier_ == "6R":
            control = seg.get(2)
        elif tag == "AMT" and qualifier_ == "B6":
            allowed = parse_amount(seg, 2, "AMT02 (allowed amount)")
        elif tag == "LQ" and qualifier_ == "HE":
            remarks.append(seg.require(2, "LQ02 (remark code)"))
    r.i = i
    submitted = svc.components(6)
    total = adjustments_total(adjustments)
    if charge - paid != total:
        raise svc.error(
            f"claim {pcn}, line {code}: charge {charge} - paid {paid} = {charge - paid}, but the "
            f"line's adjustments total {total}",
            3,
        )
    return ServicePayment(
        procedure_code=code,
        charge=charge,
        paid=paid,
        modifiers=tuple(m for m in billed[2:6] if m),
        units=units,
        service_date=start,
        line_control_number=control,
        adjustments=tuple(adjustments),
        remarks=tuple(remarks),
        allowed=allowed,
        submitted_procedure_code=submitted[1] if len(submitted) > 1 else "",
        service_date_end=end,
        procedure_qualifier=qualifier,
        submitted_modifiers=tuple(m for m in submitted[2:6] if m),
    )


# ---------------------------------------------------------------------------------------------
# Writing


def write_835(remittances: Sequence[Remittance], header: EnvelopeHeader) -> str:
    """An interchange with one 835 transaction set per remittance (raises ``X12BuildError``).

    ST02 numbers start at the first remittance's ``control_number`` when it is a number, else at 1.
    """
    if not remittances:
        raise X12BuildError("there is no remittance to write", field="remittances")
    header = dataclasses.replace(header, functional_id=FUNCTIONAL_ID, version=VERSION)
    first = remittances[0].control_number
    start = int(first) if re.fullmatch(r"\d{1,9}", first) and int(first) > 0 else 1
    with transient_caches():
        bodies = [_remittance_body(rem) for rem in remittances]
        # The 835 guide marks ST03 "not used" (unlike the 837P).
        return build_interchange(header, "835", bodies, first_st_control=start, st_version=False)


def _remittance_body(rem: Remittance) -> list[RawSegment]:
    check = Check(f"remittance {rem.trace_number}")
    out: list[RawSegment] = []
    check.code(rem.payment_method, "BPR04", PAYMENT_METHODS)
    check.code(rem.credit_debit, "BPR03", frozenset("CD"))
    check.amount(rem.total_paid, "BPR02")
    handling = rem.handling_code or ("H" if rem.payment_method == "NON" else "I")
    check.code(handling, "BPR01", frozenset("CDHIPUX"))
    bpr: list[str] = [
        "BPR",
        handling,
        format_amount(rem.total_paid),
        rem.credit_debit,
        rem.payment_method,
    ]
    if rem.payment_method in ("ACH", "BOP", "FWT"):
        check.ident(rem.payer_bank_routing, "BPR07", 12, min_length=3)
        check.ident(rem.payer_bank_account, "BPR09", 35)
        check.ident(rem.payer_company_id, "BPR10", 10, min_length=10)
        check.ident(rem.payee_bank_routing, "BPR13", 12, min_length=3)
        check.ident(rem.payee_bank_account, "BPR15", 35)
        bpr += [
            "CCP" if rem.payment_method == "ACH" else "",
            "01",
            rem.payer_bank_routing,
            "DA",
            rem.payer_bank_account,
            rem.payer_company_id,
            "",
            "01",
            rem.payee_bank_routing,
            "DA",
            rem.payee_bank_account,
        ]
    else:
        bpr += [""] * 11
    bpr.append(format_date(check.date(rem.payment_date, "BPR16")))
    out.append(tuple(bpr))
    out.append(
        (
            "TRN",
            "1",
            check.ident(rem.trace_number, "TRN02", 50),
            check.ident(rem.trace_originator, "TRN03", 10, min_length=10),
        )
    )
    if rem.production_date is not None:
        out.append(("DTM", "405", format_date(check.date(rem.production_date, "DTM02"))))
    # 1000A payer
    out.append(("N1", "PR", clean_text(rem.payer_name, 60) or "PAYER"))
    if rem.payer_address is None:
        raise check.fail("1000A N3", "the payer's address is required in an 835")
    address = rem.payer_address
    line1 = clean_text(address.line1, 55)
    city = clean_text(address.city, 30)
    if not line1 or len(city) < 2 or not re.fullmatch(r"[A-Z]{2}", address.state):
        raise check.fail(
            "1000A N3/N4", "the payer's address needs a street, a city and a 2-letter state"
        )
    postal = re.sub(r"\D", "", address.postal_code)
    if not re.fullmatch(r"\d{5}|\d{9}", postal):
        raise check.fail("1000A N403", f"ZIP {address.postal_code!r} must be 5 or 9 digits")
    out.append(("N3", line1, clean_text(address.line2, 55)))
    out.append(("N4", city, address.state, postal))
    out.append(("REF", "2U", check.ident(rem.payer_id, "1000A REF02 (2U)", 50, min_length=2)))
    contact: list[str] = ["PER", "BL", clean_text(rem.payer_contact_name, 60)]
    if rem.payer_contact_phone:
        phone = re.sub(r"\D", "", rem.payer_contact_phone)
        if not re.fullmatch(r"\d{10}", phone):
            raise check.fail(
                "1000A PER04", f"payer phone {rem.payer_contact_phone!r} must be 10 digits"
            )
        contact += ["TE", phone]
    elif not contact[2]:
        contact[2] = "EDI SUPPORT"
    out.append(tuple(contact))
    # 1000B payee
    out.append(
        (
            "N1",
            "PE",
            clean_text(rem.payee_name, 60) or "PAYEE",
            "XX",
            check.npi(rem.payee_npi, "1000B N104"),
        )
    )
    if rem.payee_tax_id:
        tax_id = re.sub(r"\D", "", rem.payee_tax_id)
        if not re.fullmatch(r"\d{9}", tax_id):
            raise check.fail("1000B REF02 (TJ)", f"tax id {rem.payee_tax_id!r} must be 9 digits")
        out.append(("REF", "TJ", tax_id))
    if rem.claims:
        out.append(("LX", "1"))
    for claim in rem.claims:
        out += _claim_segments(claim)
    # PLB: one segment per (provider, fiscal period) run, up to 6 adjustments each.
    runs: list[tuple[tuple[str, dt.date], list[ProviderAdjustment]]] = []
    for plb in rem.provider_adjustments:
        where = Check(f"remittance {rem.trace_number}, provider adjustment {plb.reason}")
        where.ident(plb.provider_id, "PLB01", 50)
        where.date(plb.fiscal_period_end, "PLB02")
        where.code(plb.reason, "PLB03-1", PLB_REASONS)
        where.ident(plb.reference, "PLB03-2", 50, required=False)
        where.amount(plb.amount, "PLB04", negative=True)
        key = (plb.provider_id, plb.fiscal_period_end)
        if runs and runs[-1][0] == key and len(runs[-1][1]) < 6:
            runs[-1][1].append(plb)
        else:
            runs.append((key, [plb]))
    for (provider, period_end), items in runs:
        seg: list[str | tuple[str, ...]] = ["PLB", provider, format_date(period_end)]
        for plb in items:
            seg += [
                (plb.reason, plb.reference) if plb.reference else plb.reason,
                format_amount(plb.amount),
            ]
        out.append(tuple(seg))
    paid = sum((c.paid for c in rem.claims), ZERO)
    plb_total = sum((p.amount for p in rem.provider_adjustments), ZERO)
    signed = -rem.total_paid if rem.credit_debit == "D" else rem.total_paid
    if signed != paid - plb_total:
        raise check.fail(
            "BPR02",
            f"total paid {signed} must be the claims' payments {paid} minus the provider "
            f"adjustments {plb_total} = {paid - plb_total}",
        )
    return out


def _claim_segments(claim: ClaimPayment) -> list[RawSegment]:
    check = Check(f"claim {claim.patient_control_number}")
    out: list[RawSegment] = []
    pcn = check.ident(claim.patient_control_number, "CLP01", 38)
    check.code(claim.status, "CLP02", CLAIM_STATUSES)
    check.amount(claim.total_charge, "CLP03", negative=True)
    check.amount(claim.paid, "CLP04", negative=True)
    if claim.patient_responsibility is not None:
        check.amount(claim.patient_responsibility, "CLP05", negative=True)
    out.append(
        (
            "CLP",
            pcn,
            claim.status,
            format_amount(claim.total_charge),
            format_amount(claim.paid),
            format_amount(claim.patient_responsibility)
            if claim.patient_responsibility is not None
            else "",
            check.code(claim.filing_indicator, "CLP06", CLAIM_FILING_INDICATORS),
            check.ident(claim.payer_claim_number, "CLP07", 50),
            "11",
            check.ident(claim.frequency_code, "CLP09", 1, required=False),
        )
    )
    out += _cas_835(check, claim.adjustments, "2100")
    out.append(
        (
            "NM1",
            "QC",
            "1",
            clean_text(claim.patient_last_name, 60),
            clean_text(claim.patient_first_name, 35),
            "",
            "",
            "",
            "MI" if claim.member_id else "",
            check.ident(claim.member_id, "NM109 (QC)", 80, required=False, min_length=2),
        )
    )
    if claim.insured_member_id:
        out.append(
            (
                "NM1",
                "IL",
                "1",
                clean_text(claim.insured_last_name, 60),
                clean_text(claim.insured_first_name, 35),
                "",
                "",
                "",
                "MI",
                check.ident(claim.insured_member_id, "NM109 (IL)", 80, min_length=2),
            )
        )
    if claim.rendering_npi:
        out.append(
            (
                "NM1",
                "82",
                "2",
                "",
                "",
                "",
                "",
                "",
                "XX",
                check.npi(claim.rendering_npi, "NM109 (82)"),
            )
        )
    if claim.remarks:
        if len(claim.remarks) > 5:
            raise check.fail("MOA03", "at most 5 claim remark codes")
        out.append(("MOA", "", "", *(check.ident(c, "MOA03", 5) for c in claim.remarks)))
    if claim.service_date is not None:
        out.append(("DTM", "232", format_date(check.date(claim.service_date, "DTM02 (232)"))))
    if claim.service_date_end is not None:
        out.append(("DTM", "233", format_date(check.date(claim.service_date_end, "DTM02 (233)"))))
    line_cas = ZERO
    for number, line in enumerate(claim.service_lines, start=1):
        out += _line_segments(check, line, number)
        line_cas += adjustments_total(line.adjustments)
    total = adjustments_total(claim.adjustments) + line_cas
    if claim.total_charge - claim.paid != total:
        raise check.fail(
            "CAS",
            f"charge {claim.total_charge} - paid {claim.paid} must equal the claim and line "
            f"adjustments ({total})",
        )
    return out


def _cas_835(check: Check, adjustments: Sequence[Adjustment], loop: str) -> list[RawSegment]:
    if len(adjustments) > 6 * 99:
        raise check.fail(f"{loop} CAS", "too many adjustments")
    for adj in adjustments:
        check.code(adj.group, f"{loop} CAS01", ADJUSTMENT_GROUPS)
    try:
        return adjustment_segments(check, adjustments, loop)
    except X12BuildError as exc:
        if "more than 5 CAS" not in exc.message:
            raise
    # The 835 allows up to 99 CAS per loop (the 837P's 2320/2430 only 5): write without the cap.
    by_group: dict[str, list[Adjustment]] = {}
    for adj in adjustments:
        by_group.setdefault(adj.group, []).append(adj)
    out: list[RawSegment] = []
    for group, items in by_group.items():
        for start in range(0, len(items), 6):
            seg: list[str] = ["CAS", group]
            for adj in items[start : start + 6]:
                seg += [
                    adj.reason,
                    format_amount(adj.amount),
                    format_quantity(adj.quantity) if adj.quantity is not None else "",
                ]
            out.append(tuple(seg))
    return out


def _line_segments(check: Check, line: ServicePayment, number: int) -> list[RawSegment]:
    where = f"line {number}"
    check.amount(line.charge, f"{where} SVC02", negative=True)
    check.amount(line.paid, f"{where} SVC03", negative=True)
    if not re.fullmatch(r"[A-Z0-9]{1,48}", line.procedure_code):
        raise check.fail(f"{where} SVC01-2", f"procedure code {line.procedure_code!r} is not valid")
    for modifier in (*line.modifiers, *line.submitted_modifiers):
        if not re.fullmatch(r"[A-Z0-9]{2}", modifier):
            raise check.fail(
                f"{where} SVC01-3", f"modifier {modifier!r} must be 2 letters or digits"
            )
    if len(line.modifiers) > 4 or len(line.submitted_modifiers) > 4:
        raise check.fail(f"{where} SVC01", "at most 4 modifiers")
    submitted: tuple[str, ...] | str = ""
    if line.submitted_procedure_code:
        submitted = (
            line.procedure_qualifier,
            line.submitted_procedure_code,
            *line.submitted_modifiers,
        )
    out: list[RawSegment] = [
        (
            "SVC",
            (line.procedure_qualifier, line.procedure_code, *line.modifiers),
            format_amount(line.charge),
            format_amount(line.paid),
            "",
            format_quantity(line.units) if line.units is not None else "",
            submitted,
        )
    ]
    if line.service_date is not None:
        if line.service_date_end is not None:
            out.append(("DTM", "150", format_date(check.date(line.service_date, f"{where} DTM02"))))
            out.append(
                ("DTM", "151", format_date(check.date(line.service_date_end, f"{where} DTM02")))
            )
        else:
            out.append(("DTM", "472", format_date(check.date(line.service_date, f"{where} DTM02"))))
    out += _cas_835(check, line.adjustments, f"{where} 2110")
    if line.line_control_number:
        out.append(("REF", "6R", check.ident(line.line_control_number, f"{where} REF02 (6R)", 50)))
    if line.allowed is not None:
        check.amount(line.allowed, f"{where} AMT02 (B6)", negative=True)
        out.append(("AMT", "B6", format_amount(line.allowed)))
    for remark in line.remarks:
        out.append(("LQ", "HE", check.ident(remark, f"{where} LQ02", 30)))
    total = adjustments_total(line.adjustments)
    if line.charge - line.paid != total:
        raise check.fail(
            f"{where} CAS",
            f"line charge {line.charge} - paid {line.paid} must equal its adjustments ({total})",
        )
    return out
