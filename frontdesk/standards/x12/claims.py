"""837P professional claims, 005010X222A1: write a batch, read it back.

``write_837p(batches, header)`` writes one ST/SE transaction set per ``ClaimBatch``:

- header: BHT*0019*00*<reference>*<date>*<time>*CH, 1000A submitter (NM1*41 + PER*IC), 1000B receiver
  (NM1*40);
- 2000A billing provider (HL*1**20*1, PRV*BI*PXC when a taxonomy is known), 2010AA NM1*85 with the NPI
  (XX), N3/N4 with the 9-digit ZIP the guide requires, REF*EI tax id, PER*IC phone when known;
- per ``ClaimGroup`` a 2000B subscriber HL (SBR, 2010BA NM1*IL with N3/N4/DMG, 2010BB NM1*PR), and when
  the patient is not the subscriber a 2000C patient HL (PAT, 2010CA NM1*QC with N3/N4/DMG);
- per claim a 2300 loop (CLM, AMT*F5, REF*9F/G1/F8, NTE, HI), 2310A referring, 2310B rendering,
  2310C service facility, 2320/2330A/2330B other payers for coordination of benefits;
- per service line a 2400 loop (LX, SV1, DTP*472, REF*6R) with 2430 line adjudications (SVD, CAS,
  DTP*573) for COB.

The writer validates everything it writes and raises ``X12BuildError`` naming the claim and the field
("claim A123 CLM01: ...") rather than producing a file a payer would reject for structure. Free text
(names, addresses, the note) is cleaned to the X12 character set and cut to the element's length;
identifiers and codes are never altered silently (except ICD-10-CM dots, tax-id/ZIP/phone punctuation).

``read_837p(data)`` reads any 837P (for the simulated payer and round trips) into the same dataclasses.
What the 837P cannot carry comes back in a canonical form: the subscriber's birth date and sex are sent
(2010BA DMG) only when the subscriber is the patient (the guide says not to send them otherwise), so a
dependent's subscriber reads back with ``UNKNOWN_BIRTH_DATE`` / "U"; the other payer's subscriber (2330A)
has no demographics in the 837P, so its birth date and sex are the patient's when the relationship is 18
(self) and ``UNKNOWN_BIRTH_DATE`` / "U" otherwise; an other payer reported line by line has its
adjudication date only in 2430 (DTP*573), and reads back with the first line's date; a line's place of service equal to the claim's is not
written (SV105) and reads back as ""; a rendering provider with the billing provider's NPI is not sent
(2310B "do not send") and reads back as None; ICD-10-CM codes read back without dots; ``created_at`` reads back
naive, to the second.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from frontdesk.standards.x12.claims_common import (
    DIGITS2_RE,
    DIGITS9_RE,
    DIGITS10_RE,
    POINTER_RE,
    TAXONOMY_RE,
    TIME_RE,
    Address,
    Adjustment,
    Check,
    Reader,
    address_segments,
    adjustment_segments,
    adjustments_total,
    build_interchange,
    clean_text,
    digits_only,
    format_amount,
    format_date,
    format_quantity,
    name_text,
    npi_valid,
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
from frontdesk.standards.x12.errors import X12BuildError, X12ParseError

__all__ = [
    "Address",
    "Adjustment",
    "BillingProvider",
    "Claim",
    "ClaimBatch",
    "ClaimGroup",
    "Facility",
    "LineAdjudication",
    "OtherPayer",
    "PatientInfo",
    "Payer",
    "ProviderName",
    "Receiver",
    "ServiceLine",
    "Submitter",
    "Subscriber",
    "build_interchange",
    "npi_valid",
    "read_837p",
    "write_837p",
]

VERSION = "005010X222A1"
FUNCTIONAL_ID = "HC"
UNKNOWN_BIRTH_DATE = dt.date(1900, 1, 1)

MAX_DIAGNOSES = 12
MAX_LINES = 50
MAX_POINTERS = 4
MAX_MODIFIERS = 4
MAX_CLAIM_ID = 20

PAYER_RESPONSIBILITY = frozenset("PSTABCDEFGHU")
CLAIM_FILING_INDICATORS = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
        "17",
        "AM",
        "BL",
        "CH",
        "CI",
        "DS",
        "FI",
        "HM",
        "LM",
        "MA",
        "MB",
        "MC",
        "OF",
        "TV",
        "VA",
        "WC",
        "ZZ",
    ]
)
PATIENT_RELATIONSHIPS = frozenset(["01", "19", "20", "21", "39", "40", "53", "G8"])
OTHER_SUBSCRIBER_RELATIONSHIPS = PATIENT_RELATIONSHIPS | {"18"}
FREQUENCY_CODES = frozenset(["1", "6", "7", "8"])
PROCEDURE_QUALIFIERS = frozenset(["HC", "ER", "IV", "WK"])
TRANSACTION_TYPES = frozenset(["CH", "RP"])


# ---------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Submitter:
    name: str
    identifier: str
    contact_name: str
    phone: str
    email: str = ""


@dataclass(frozen=True)
class Receiver:
    name: str
    identifier: str


@dataclass(frozen=True)
class BillingProvider:
    name: str  # organization name, or the last name when ``first_name`` is set
    npi: str
    tax_id: str
    address: Address
    taxonomy_code: str = ""
    phone: str = ""
    first_name: str = ""  # set => an individual (NM102=1)


@dataclass(frozen=True)
class ProviderName:  # rendering / referring
    last_name: str
    first_name: str
    npi: str
    taxonomy_code: str = ""


@dataclass(frozen=True)
class Facility:
    name: str
    address: Address
    npi: str = ""


@dataclass(frozen=True)
class Payer:
    name: str
    payer_id: str
    address: Address | None = None


@dataclass(frozen=True)
class Subscriber:
    member_id: str
    last_name: str
    first_name: str
    date_of_birth: dt.date
    sex: str
    address: Address
    middle_name: str = ""
    suffix: str = ""
    group_number: str = ""
    group_name: str = ""
    payer_responsibility: str = "P"
    claim_filing_indicator: str = "CI"


@dataclass(frozen=True)
class PatientInfo:
    relationship: str
    last_name: str
    first_name: str
    date_of_birth: dt.date
    sex: str
    address: Address
    middle_name: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class LineAdjudication:  # 2430 (COB)
    payer_id: str
    paid: Decimal
    procedure_code: str
    units: Decimal
    adjudicated_on: dt.date
    modifiers: tuple[str, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()


@dataclass(frozen=True)
class ServiceLine:
    procedure_code: str
    charge: Decimal
    units: Decimal
    diagnosis_pointers: tuple[int, ...]
    service_date: dt.date
    line_control_number: str
    modifiers: tuple[str, ...] = ()
    service_date_end: dt.date | None = None
    place_of_service: str = ""  # "" = the claim's
    prior_adjudications: tuple[LineAdjudication, ...] = ()
    procedure_qualifier: str = "HC"


@dataclass(frozen=True)
class OtherPayer:  # 2320/2330A/2330B (COB)
    payer: Payer
    subscriber: Subscriber
    paid: Decimal
    adjudicated_on: dt.date
    adjustments: tuple[Adjustment, ...] = ()
    relationship: str = "18"  # SBR02 of 2320: the patient's relationship to this subscriber


@dataclass(frozen=True)
class Claim:
    claim_id: str
    total_charge: Decimal
    place_of_service: str
    diagnoses: tuple[str, ...]
    lines: tuple[ServiceLine, ...]
    frequency_code: str = "1"
    original_claim_number: str = ""
    rendering_provider: ProviderName | None = None
    referring_provider: ProviderName | None = None
    facility: Facility | None = None
    prior_authorization: str = ""
    referral_number: str = ""
    patient_paid: Decimal | None = None
    other_payers: tuple[OtherPayer, ...] = ()
    provider_signature: bool = True
    assignment: str = "A"
    benefits_assigned: str = "Y"
    release_of_information: str = "Y"
    note: str = ""


@dataclass(frozen=True)
class ClaimGroup:
    subscriber: Subscriber
    payer: Payer
    claims: tuple[Claim, ...]
    patient: PatientInfo | None = None  # None: the subscriber is the patient


@dataclass(frozen=True)
class ClaimBatch:
    reference: str
    created_at: dt.datetime
    submitter: Submitter
    receiver: Receiver
    billing_provider: BillingProvider
    groups: tuple[ClaimGroup, ...]
    transaction_type: str = "CH"


# ---------------------------------------------------------------------------------------------
# Writing


def write_837p(batches: Sequence[ClaimBatch], header: EnvelopeHeader) -> str:
    """An interchange with one 837P transaction set per batch (raises ``X12BuildError``)."""
    if not batches:
        raise X12BuildError("there is no claim batch to write", field="batches")
    header = dataclasses.replace(header, functional_id=FUNCTIONAL_ID, version=VERSION)
    with transient_caches():
        bodies = [_batch_body(batch) for batch in batches]
        return build_interchange(header, "837", bodies)


def _batch_body(batch: ClaimBatch) -> list[RawSegment]:
    check = Check(f"batch {batch.reference}")
    out: list[RawSegment] = []
    reference = check.ident(batch.reference, "BHT03", 50)
    check.code(batch.transaction_type, "BHT06", TRANSACTION_TYPES)
    created = batch.created_at
    out.append(
        (
            "BHT",
            "0019",
            "00",
            reference,
            format_date(created.date()),
            created.strftime("%H%M%S"),
            batch.transaction_type,
        )
    )
    # 1000A submitter, 1000B receiver
    sub = batch.submitter
    out.append(
        (
            "NM1",
            "41",
            "2",
            name_text(sub.name, "1000A NM103", check, 60),
            "",
            "",
            "",
            "",
            "46",
            check.ident(sub.identifier, "1000A NM109", 80, min_length=2),
        )
    )
    phone = digits_only(sub.phone)
    if not DIGITS10_RE.fullmatch(phone):
        raise check.fail("1000A PER04", f"submitter phone {sub.phone!r} must be 10 digits")
    per: list[str] = [
        "PER",
        "IC",
        name_text(sub.contact_name, "1000A PER02", check, 60),
        "TE",
        phone,
    ]
    if sub.email:
        per += ["EM", check.ident(sub.email, "1000A PER06", 256)]
    out.append(tuple(per))
    rec = batch.receiver
    out.append(
        (
            "NM1",
            "40",
            "2",
            name_text(rec.name, "1000B NM103", check, 60),
            "",
            "",
            "",
            "",
            "46",
            check.ident(rec.identifier, "1000B NM109", 80, min_length=2),
        )
    )
    # 2000A billing provider
    bp = batch.billing_provider
    out.append(("HL", "1", "", "20", "1"))
    if bp.taxonomy_code:
        out.append(("PRV", "BI", "PXC", _taxonomy(check, bp.taxonomy_code, "2000A PRV03")))
    if bp.first_name:
        nm1: RawSegment = (
            "NM1",
            "85",
            "1",
            name_text(bp.name, "2010AA NM103", check, 60),
            name_text(bp.first_name, "2010AA NM104", check, 35),
            "",
            "",
            "",
            "XX",
            check.npi(bp.npi, "2010AA NM109"),
        )
    else:
        nm1 = (
            "NM1",
            "85",
            "2",
            name_text(bp.name, "2010AA NM103", check, 60),
            "",
            "",
            "",
            "",
            "XX",
            check.npi(bp.npi, "2010AA NM109"),
        )
    out.append(nm1)
    out += address_segments(check, bp.address, "2010AA", zip9=True)
    tax_id = digits_only(bp.tax_id)
    if not DIGITS9_RE.fullmatch(tax_id):
        raise check.fail("2010AA REF02", f"tax id {bp.tax_id!r} must be 9 digits (EIN or SSN)")
    out.append(("REF", "EI", tax_id))
    if bp.phone:
        bphone = digits_only(bp.phone)
        if not DIGITS10_RE.fullmatch(bphone):
            raise check.fail(
                "2010AA PER04", f"billing provider phone {bp.phone!r} must be 10 digits"
            )
        out.append(("PER", "IC", "BILLING OFFICE", "TE", bphone))
    if not batch.groups:
        raise check.fail("2000B", "the batch holds no claims")
    hl = 1
    claim_ids: set[str] = set()
    for group in batch.groups:
        if not group.claims:
            raise check.fail("2300", f"subscriber {group.subscriber.member_id} has no claims")
        hl += 1
        subscriber_hl = hl
        out.append(("HL", str(hl), "1", "22", "1" if group.patient else "0"))
        out.append(_sbr(check, group.subscriber, "" if group.patient else "18", "2000B"))
        # 2010BA DMG: "required when the subscriber is the patient; if not required, do not send".
        out += _subscriber_name(
            check, group.subscriber, "2010BA", demographics=group.patient is None
        )
        out += _payer_name(check, group.payer, "2010BB")
        if group.patient:
            hl += 1
            pat = group.patient
            out.append(("HL", str(hl), str(subscriber_hl), "23", "0"))
            out.append(("PAT", check.code(pat.relationship, "2000C PAT01", PATIENT_RELATIONSHIPS)))
            out.append(
                (
                    "NM1",
                    "QC",
                    "1",
                    name_text(pat.last_name, "2010CA NM103", check, 60),
                    name_text(pat.first_name, "2010CA NM104", check, 35, required=False),
                    name_text(pat.middle_name, "2010CA NM105", check, 25, required=False),
                    "",
                    name_text(pat.suffix, "2010CA NM107", check, 10, required=False),
                )
            )
            out += address_segments(check, pat.address, "2010CA", zip9=False)
            out.append(_dmg(check, pat.date_of_birth, pat.sex, "2010CA"))
            patient_dob, patient_sex = pat.date_of_birth, pat.sex
        else:
            patient_dob, patient_sex = group.subscriber.date_of_birth, group.subscriber.sex
        for claim in group.claims:
            if claim.claim_id in claim_ids:
                raise check.fail("CLM01", f"claim {claim.claim_id} appears twice in the batch")
            claim_ids.add(claim.claim_id)
            out += _claim_segments(claim, patient_dob, patient_sex, bp.npi)
    return out


def _taxonomy(check: Check, value: str, field: str) -> str:
    if not TAXONOMY_RE.fullmatch(value):
        raise check.fail(field, f"taxonomy code {value!r} must be 10 characters")
    return value


def _sbr(check: Check, s: Subscriber, relationship: str, loop: str) -> RawSegment:
    check.code(s.payer_responsibility, f"{loop} SBR01", PAYER_RESPONSIBILITY)
    check.code(s.claim_filing_indicator, f"{loop} SBR09", CLAIM_FILING_INDICATORS)
    group_number = check.ident(s.group_number, f"{loop} SBR03", 50, required=False)
    group_name = "" if group_number else clean_text(s.group_name, 60)
    return (
        "SBR",
        s.payer_responsibility,
        relationship,
        group_number,
        group_name,
        "",
        "",
        "",
        "",
        s.claim_filing_indicator,
    )


def _subscriber_name(
    check: Check, s: Subscriber, loop: str, *, demographics: bool
) -> list[RawSegment]:
    out: list[RawSegment] = [
        (
            "NM1",
            "IL",
            "1",
            name_text(s.last_name, f"{loop} NM103", check, 60),
            name_text(s.first_name, f"{loop} NM104", check, 35, required=False),
            name_text(s.middle_name, f"{loop} NM105", check, 25, required=False),
            "",
            name_text(s.suffix, f"{loop} NM107", check, 10, required=False),
            "MI",
            check.ident(s.member_id, f"{loop} NM109", 80, min_length=2),
        )
    ]
    out += address_segments(check, s.address, loop, zip9=False)
    if demographics:
        out.append(_dmg(check, s.date_of_birth, s.sex, loop))
    return out


def _dmg(check: Check, born: dt.date, sex: str, loop: str) -> RawSegment:
    check.date(born, f"{loop} DMG02")
    check.code(sex, f"{loop} DMG03", frozenset("MFU"))
    return ("DMG", "D8", format_date(born), sex)


def _payer_name(check: Check, payer: Payer, loop: str) -> list[RawSegment]:
    out: list[RawSegment] = [
        (
            "NM1",
            "PR",
            "2",
            name_text(payer.name, f"{loop} NM103", check, 60),
            "",
            "",
            "",
            "",
            "PI",
            check.ident(payer.payer_id, f"{loop} NM109", 80, min_length=2),
        )
    ]
    if payer.address is not None:
        out += address_segments(check, payer.address, loop, zip9=False)
    return out


def _provider(check: Check, p: ProviderName, qualifier: str, loop: str) -> list[RawSegment]:
    out: list[RawSegment] = [
        (
            "NM1",
            qualifier,
            "1",
            name_text(p.last_name, f"{loop} NM103", check, 60),
            name_text(p.first_name, f"{loop} NM104", check, 35, required=False),
            "",
            "",
            "",
            "XX",
            check.npi(p.npi, f"{loop} NM109"),
        )
    ]
    if p.taxonomy_code and qualifier == "82":
        out.append(("PRV", "PE", "PXC", _taxonomy(check, p.taxonomy_code, f"{loop} PRV03")))
    return out


_DIAGNOSIS_RE = re.compile(r"[A-Z][0-9][0-9A-Z]{1,5}", re.ASCII)
_PROCEDURE_RE = re.compile(r"[A-Z0-9]{5}", re.ASCII)
_MODIFIER_RE = re.compile(r"[A-Z0-9]{2}", re.ASCII)


def _claim_segments(
    claim: Claim, patient_dob: dt.date, patient_sex: str, billing_npi: str = ""
) -> list[RawSegment]:
    check = Check(f"claim {claim.claim_id}")
    out: list[RawSegment] = []
    claim_id = check.ident(claim.claim_id, "CLM01", MAX_CLAIM_ID)
    check.amount(claim.total_charge, "CLM02")
    if not DIGITS2_RE.fullmatch(claim.place_of_service):
        raise check.fail("CLM05-1", f"place of service {claim.place_of_service!r} must be 2 digits")
    check.code(claim.frequency_code, "CLM05-3", FREQUENCY_CODES)
    check.code(claim.assignment, "CLM07", frozenset("ABC"))
    check.code(claim.benefits_assigned, "CLM08", frozenset("YNW"))
    check.code(claim.release_of_information, "CLM09", frozenset("IY"))
    if not claim.lines:
        raise check.fail("2400", "the claim has no service lines")
    if len(claim.lines) > MAX_LINES:
        raise check.fail(
            "2400", f"{len(claim.lines)} service lines; an 837P claim holds at most {MAX_LINES}"
        )
    line_total = sum((line.charge for line in claim.lines), Decimal("0"))
    if line_total != claim.total_charge:
        raise check.fail(
            "CLM02",
            f"total charge {claim.total_charge} is not the sum of the line charges ({line_total})",
        )
    if not claim.diagnoses:
        raise check.fail("HI", "the claim has no diagnosis")
    if len(claim.diagnoses) > MAX_DIAGNOSES:
        raise check.fail(
            "HI", f"{len(claim.diagnoses)} diagnoses; an 837P claim holds at most {MAX_DIAGNOSES}"
        )
    diagnoses = []
    for number, code in enumerate(claim.diagnoses, start=1):
        plain = code.replace(".", "").strip().upper()
        if not _DIAGNOSIS_RE.fullmatch(plain):
            raise check.fail(f"HI{number:02d}", f"diagnosis {code!r} is not an ICD-10-CM code")
        if plain in diagnoses:
            raise check.fail(f"HI{number:02d}", f"diagnosis {code} is listed twice")
        diagnoses.append(plain)
    out.append(
        (
            "CLM",
            claim_id,
            format_amount(claim.total_charge),
            "",
            "",
            (claim.place_of_service, "B", claim.frequency_code),
            "Y" if claim.provider_signature else "N",
            claim.assignment,
            claim.benefits_assigned,
            claim.release_of_information,
        )
    )
    if claim.patient_paid is not None:
        check.amount(claim.patient_paid, "AMT02 (F5)")
        out.append(("AMT", "F5", format_amount(claim.patient_paid)))
    if claim.referral_number:
        out.append(("REF", "9F", check.ident(claim.referral_number, "REF02 (9F)", 50)))
    if claim.prior_authorization:
        out.append(("REF", "G1", check.ident(claim.prior_authorization, "REF02 (G1)", 50)))
    if claim.frequency_code in ("7", "8"):
        if not claim.original_claim_number:
            raise check.fail(
                "REF02 (F8)",
                f"frequency {claim.frequency_code} (corrected/void) needs the payer's original "
                "claim number",
            )
        out.append(("REF", "F8", check.ident(claim.original_claim_number, "REF02 (F8)", 50)))
    elif claim.original_claim_number:
        raise check.fail(
            "REF02 (F8)", "an original claim number is only sent with frequency 7 or 8"
        )
    if claim.note:
        note = clean_text(claim.note, 80)
        if note:
            out.append(("NTE", "ADD", note))
    out.append(("HI", ("ABK", diagnoses[0]), *[("ABF", d) for d in diagnoses[1:]]))
    if claim.referring_provider is not None:
        out += _provider(check, claim.referring_provider, "DN", "2310A")
    # 2310B: "required when the rendering provider's NPI differs from the billing provider's;
    # if not required, do not send" (a sole provider billing under their own NPI).
    if claim.rendering_provider is not None and claim.rendering_provider.npi != billing_npi:
        out += _provider(check, claim.rendering_provider, "82", "2310B")
    if claim.facility is not None:
        fac = claim.facility
        out.append(
            (
                "NM1",
                "77",
                "2",
                name_text(fac.name, "2310C NM103", check, 60),
                "",
                "",
                "",
                "",
                *(("XX", check.npi(fac.npi, "2310C NM109")) if fac.npi else ()),
            )
        )
        out += address_segments(check, fac.address, "2310C", zip9=False)
    # 2320 other payers (coordination of benefits)
    if len(claim.other_payers) > 10:
        raise check.fail("2320", "more than 10 other payers")
    other_ids: set[str] = set()
    for other in claim.other_payers:
        loop = f"2320 ({other.payer.payer_id})"
        if other.payer.payer_id in other_ids:
            raise check.fail(f"{loop} NM109", "the same other payer is listed twice")
        other_ids.add(other.payer.payer_id)
        check.code(other.relationship, f"{loop} SBR02", OTHER_SUBSCRIBER_RELATIONSHIPS)
        out.append(_sbr(check, other.subscriber, other.relationship, loop))
        out += adjustment_segments(check, other.adjustments, loop)
        check.amount(other.paid, f"{loop} AMT02 (D)")
        out.append(("AMT", "D", format_amount(other.paid)))
        out.append(("OI", "", "", claim.benefits_assigned, "", "", claim.release_of_information))
        out += _subscriber_name(check, other.subscriber, "2330A", demographics=False)
        out += _payer_name(check, other.payer, "2330B")
        adjudicated = format_date(check.date(other.adjudicated_on, f"{loop} DTP03"))
        by_line = any(
            adj.payer_id == other.payer.payer_id
            for line in claim.lines
            for adj in line.prior_adjudications
        )
        if not by_line:  # with line adjudications the date is in 2430 ("do not send" here)
            out.append(("DTP", "573", "D8", adjudicated))
    # 2400 service lines
    control_numbers: set[str] = set()
    for number, line in enumerate(claim.lines, start=1):
        out += _line_segments(
            check, claim, line, number, len(diagnoses), other_ids, control_numbers
        )
    # Checked after the lines, so a line that does not balance is named first.
    for other in claim.other_payers:
        loop = f"2320 ({other.payer.payer_id})"
        # Coordination of benefits balances: charge - paid = claim + line adjustments of that payer.
        line_adjudications = [
            adj
            for line in claim.lines
            for adj in line.prior_adjudications
            if adj.payer_id == other.payer.payer_id
        ]
        balance = adjustments_total(other.adjustments) + sum(
            (adjustments_total(a.adjustments) for a in line_adjudications), Decimal("0")
        )
        if line_adjudications:
            line_paid = sum((a.paid for a in line_adjudications), Decimal("0"))
            if line_paid != other.paid:
                raise check.fail(
                    f"{loop} AMT02 (D)",
                    f"other payer paid {other.paid} but its line adjudications total {line_paid}",
                )
        if claim.total_charge - other.paid != balance:
            raise check.fail(
                f"{loop} CAS",
                f"charge {claim.total_charge} - paid {other.paid} must equal the adjustments "
                f"({balance}) for other payer {other.payer.payer_id}",
            )
    return out


def _procedure(
    check: Check, qualifier: str, code: str, modifiers: Sequence[str], loop: str
) -> tuple[str, ...]:
    check.code(qualifier, f"{loop}-1", PROCEDURE_QUALIFIERS)
    if qualifier == "HC" and not _PROCEDURE_RE.fullmatch(code):
        raise check.fail(
            f"{loop}-2", f"procedure code {code!r} must be 5 letters or digits (CPT/HCPCS)"
        )
    check.ident(code, f"{loop}-2", 48)
    if len(modifiers) > MAX_MODIFIERS:
        raise check.fail(f"{loop}-3", f"{len(modifiers)} modifiers; at most {MAX_MODIFIERS}")
    for k, modifier in enumerate(modifiers, start=3):
        if not _MODIFIER_RE.fullmatch(modifier):
            raise check.fail(f"{loop}-{k}", f"modifier {modifier!r} must be 2 letters or digits")
    return (qualifier, code, *modifiers)


def _line_segments(
    check: Check,
    claim: Claim,
    line: ServiceLine,
    number: int,
    diagnosis_count: int,
    other_ids: set[str],
    control_numbers: set[str],
) -> list[RawSegment]:
    loop = f"line {number}"
    out: list[RawSegment] = [("LX", str(number))]
    composite = _procedure(
        check, line.procedure_qualifier, line.procedure_code, line.modifiers, f"{loop} SV101"
    )
    check.amount(line.charge, f"{loop} SV102")
    check.quantity(line.units, f"{loop} SV104")
    pos = line.place_of_service
    if pos and not DIGITS2_RE.fullmatch(pos):
        raise check.fail(f"{loop} SV105", f"place of service {pos!r} must be 2 digits")
    if pos == claim.place_of_service:
        pos = ""
    pointers = line.diagnosis_pointers
    if not pointers:
        raise check.fail(f"{loop} SV107", "the line points to no diagnosis")
    if len(pointers) > MAX_POINTERS:
        raise check.fail(
            f"{loop} SV107", f"{len(pointers)} diagnosis pointers; at most {MAX_POINTERS}"
        )
    for pointer in pointers:
        if not isinstance(pointer, int) or not 1 <= pointer <= diagnosis_count:
            raise check.fail(
                f"{loop} SV107",
                f"diagnosis pointer {pointer} is out of range (the claim has {diagnosis_count})",
            )
    if len(set(pointers)) != len(pointers):
        raise check.fail(f"{loop} SV107", "a diagnosis pointer is repeated")
    out.append(
        (
            "SV1",
            composite,
            format_amount(line.charge),
            "UN",
            format_quantity(line.units),
            pos,
            "",
            tuple(str(p) for p in pointers),
        )
    )
    start = check.date(line.service_date, f"{loop} DTP03")
    if line.service_date_end is not None and line.service_date_end != start:
        end = check.date(line.service_date_end, f"{loop} DTP03")
        if end < start:
            raise check.fail(f"{loop} DTP03", "the service end date is before its start")
        out.append(("DTP", "472", "RD8", f"{format_date(start)}-{format_date(end)}"))
    else:
        out.append(("DTP", "472", "D8", format_date(start)))
    control = check.ident(line.line_control_number, f"{loop} REF02 (6R)", 50, required=False)
    if control:
        if control in control_numbers:
            raise check.fail(f"{loop} REF02 (6R)", f"line control number {control} is repeated")
        control_numbers.add(control)
        out.append(("REF", "6R", control))
    if len(line.prior_adjudications) > 15:
        raise check.fail(f"{loop} 2430", "more than 15 line adjudications")
    for adj in line.prior_adjudications:
        where = f"{loop} 2430 ({adj.payer_id})"
        if adj.payer_id not in other_ids:
            raise check.fail(
                f"{where} SVD01", "the payer is not one of the claim's other payers (2330B)"
            )
        check.amount(adj.paid, f"{where} SVD02", negative=True)
        check.quantity(adj.units, f"{where} SVD05")
        if line.charge - adj.paid != adjustments_total(adj.adjustments):
            raise check.fail(
                f"{where} CAS",
                f"line charge {line.charge} - paid {adj.paid} must equal its adjustments "
                f"({adjustments_total(adj.adjustments)})",
            )
        out.append(
            (
                "SVD",
                adj.payer_id,
                format_amount(adj.paid),
                _procedure(
                    check,
                    line.procedure_qualifier,
                    adj.procedure_code,
                    adj.modifiers,
                    f"{where} SVD03",
                ),
                "",
                format_quantity(adj.units),
            )
        )
        out += adjustment_segments(check, adj.adjustments, where)
        out.append(
            ("DTP", "573", "D8", format_date(check.date(adj.adjudicated_on, f"{where} DTP03")))
        )
    return out


# ---------------------------------------------------------------------------------------------
# Reading


def read_837p(data: str | bytes) -> list[ClaimBatch]:
    """Every claim batch in ``data`` (one per 2000A billing provider of each 837P transaction set)."""
    batches: list[ClaimBatch] = []
    with transient_caches():
        for transaction in transactions_of(data, "837", versions=(VERSION,)):
            batches += _read_transaction(transaction)
    return batches


def _read_address(r: Reader, loop: str, *, required: bool) -> Address | None:
    n3 = r.take("N3")
    if n3 is None:
        if required:
            seg = r.peek()
            if seg is None:
                raise X12ParseError(f"{loop} address (N3) is missing", segment_id="N3")
            raise seg.error(f"{loop} address (N3) is missing, found {seg.id}")
        return None
    n4 = r.expect("N4", None, f"{loop} city, state, ZIP")
    return Address(
        line1=n3.require(1, f"{loop} N301 address line"),
        line2=n3.get(2),
        city=n4.get(1),
        state=n4.get(2),
        postal_code=n4.get(3),
    )


_ADDRESS_NONE = Address("", "", "", "")


def _read_transaction(t: Transaction) -> list[ClaimBatch]:
    r = Reader(t)
    bht = r.expect("BHT", None, "beginning of hierarchical transaction")
    if bht.get(1) != "0019":
        raise bht.error(f"BHT01 must be 0019 for an 837, found {bht.get(1)!r}", 1)
    reference = bht.require(3, "BHT03 (batch reference)")
    day = parse_date(bht, 4, "BHT04")
    clock = bht.get(5)
    if not TIME_RE.fullmatch(clock):
        raise bht.error(f"BHT05 {clock!r} must be a time HHMM or HHMMSS", 5)
    try:
        created = dt.datetime(
            day.year, day.month, day.day, int(clock[:2]), int(clock[2:4]), int(clock[4:6] or 0)
        )
    except ValueError as exc:
        raise bht.error(f"BHT05 {clock!r} is not a real time", 5) from exc
    transaction_type = bht.get(6)
    submitter_seg = r.expect("NM1", "41", "1000A submitter")
    contact_name, phone, email = "", "", ""
    while (per := r.take("PER")) is not None:
        if not contact_name:
            contact_name = per.get(2)
            pairs = {per.get(k): per.get(k + 1) for k in (3, 5, 7)}
            phone = pairs.get("TE", "")
            email = pairs.get("EM", "")
    submitter = Submitter(
        name=submitter_seg.get(3),
        identifier=submitter_seg.require(9, "NM109 (submitter id)"),
        contact_name=contact_name,
        phone=phone,
        email=email,
    )
    receiver_seg = r.expect("NM1", "40", "1000B receiver")
    receiver = Receiver(
        name=receiver_seg.get(3), identifier=receiver_seg.require(9, "NM109 (receiver id)")
    )
    batches: list[ClaimBatch] = []
    seg = r.peek()
    if seg is None or seg.id != "HL":
        raise (seg or bht).error("expected the 2000A billing provider HL")
    while r.peek() is not None:
        hl = r.expect("HL", None, "2000A billing provider")
        if hl.get(3) != "20":
            raise hl.error(f"expected a billing provider HL (HL03 20), found {hl.get(3)!r}", 3)
        provider, groups = _read_billing_provider(r)
        batches.append(
            ClaimBatch(
                reference=reference,
                created_at=created,
                submitter=submitter,
                receiver=receiver,
                billing_provider=provider,
                groups=tuple(groups),
                transaction_type=transaction_type,
            )
        )
    return batches


def _read_billing_provider(r: Reader) -> tuple[BillingProvider, list[ClaimGroup]]:
    taxonomy = ""
    while (seg := r.peek()) is not None and seg.id in ("PRV", "CUR"):
        r.next()
        if seg.id == "PRV":
            taxonomy = seg.get(3)
    nm1 = r.expect("NM1", "85", "2010AA billing provider")
    address = _read_address(r, "2010AA", required=True) or _ADDRESS_NONE
    tax_id, phone = "", ""
    while (seg := r.peek()) is not None and seg.id in ("REF", "PER"):
        r.next()
        if seg.id == "REF" and seg.get(1) in ("EI", "SY"):
            tax_id = seg.get(2)
        elif seg.id == "PER" and not phone:
            pairs = {seg.get(k): seg.get(k + 1) for k in (3, 5, 7)}
            phone = pairs.get("TE", "")
    individual = nm1.get(2) == "1"
    provider = BillingProvider(
        name=nm1.get(3),
        npi=nm1.get(9),
        tax_id=tax_id,
        address=address,
        taxonomy_code=taxonomy,
        phone=phone,
        first_name=nm1.get(4) if individual else "",
    )
    # 2010AB / 2010AC (pay-to) are skipped.
    r.skip_until({"HL"})
    groups: list[ClaimGroup] = []
    while (seg := r.peek()) is not None and seg.id == "HL" and seg.get(3) != "20":
        hl = r.next()
        if hl.get(3) != "22":
            raise hl.error(f"expected a subscriber HL (HL03 22), found {hl.get(3)!r}", 3)
        groups += _read_subscriber(r)
    return provider, groups


def _read_person_nm1(nm1: Segment) -> tuple[str, str, str, str]:
    return nm1.get(3), nm1.get(4), nm1.get(5), nm1.get(7)


def _read_subscriber(r: Reader) -> list[ClaimGroup]:
    sbr = r.expect("SBR", None, "2000B subscriber information")
    r.take("PAT")
    nm1 = r.expect("NM1", "IL", "2010BA subscriber name")
    address = _read_address(r, "2010BA", required=False) or _ADDRESS_NONE
    born, sex = UNKNOWN_BIRTH_DATE, "U"
    if (dmg := r.take("DMG")) is not None:
        born = parse_date(dmg, 2, "DMG02 (date of birth)")
        sex = dmg.get(3)
    r.skip_until({"NM1", "CLM", "HL"})
    last, first, middle, suffix = _read_person_nm1(nm1)
    subscriber = Subscriber(
        member_id=nm1.require(9, "NM109 (member id)"),
        last_name=last,
        first_name=first,
        middle_name=middle,
        suffix=suffix,
        date_of_birth=born,
        sex=sex,
        address=address,
        group_number=sbr.get(3),
        group_name=sbr.get(4),
        payer_responsibility=sbr.get(1),
        claim_filing_indicator=sbr.get(9),
    )
    payer_nm1 = r.expect("NM1", "PR", "2010BB payer name")
    payer_address = _read_address(r, "2010BB", required=False)
    payer = Payer(
        name=payer_nm1.get(3),
        payer_id=payer_nm1.require(9, "NM109 (payer id)"),
        address=payer_address,
    )
    r.skip_until({"CLM", "HL"})
    groups: list[ClaimGroup] = []
    own_claims = _read_claims(r, born, sex)
    if own_claims:
        groups.append(ClaimGroup(subscriber=subscriber, payer=payer, claims=tuple(own_claims)))
    while (seg := r.peek()) is not None and seg.id == "HL" and seg.get(3) == "23":
        r.next()
        pat = r.expect("PAT", None, "2000C patient information")
        pnm1 = r.expect("NM1", "QC", "2010CA patient name")
        paddress = _read_address(r, "2010CA", required=True) or _ADDRESS_NONE
        pdmg = r.expect("DMG", None, "2010CA patient demographics")
        plast, pfirst, pmiddle, psuffix = _read_person_nm1(pnm1)
        patient = PatientInfo(
            relationship=pat.get(1),
            last_name=plast,
            first_name=pfirst,
            middle_name=pmiddle,
            suffix=psuffix,
            date_of_birth=parse_date(pdmg, 2, "DMG02 (date of birth)"),
            sex=pdmg.get(3),
            address=paddress,
        )
        r.skip_until({"CLM", "HL"})
        claims = _read_claims(r, patient.date_of_birth, patient.sex)
        if not claims:
            seg = r.peek()
            raise (seg or pdmg).error("the patient has no claim (2300)")
        groups.append(
            ClaimGroup(subscriber=subscriber, payer=payer, claims=tuple(claims), patient=patient)
        )
    if not groups:
        raise sbr.error("the subscriber has no claim (2300) and no patient (2000C)")
    return groups


def _read_claims(r: Reader, patient_dob: dt.date, patient_sex: str) -> list[Claim]:
    claims: list[Claim] = []
    while (seg := r.peek()) is not None and seg.id == "CLM":
        claims.append(_read_claim(r, patient_dob, patient_sex))
    return claims


def _read_provider(nm1: Segment) -> ProviderName:
    return ProviderName(last_name=nm1.get(3), first_name=nm1.get(4), npi=nm1.get(9))


def _read_claim(r: Reader, patient_dob: dt.date, patient_sex: str) -> Claim:
    clm = r.next()
    claim_id = clm.require(1, "CLM01 (patient control number)")
    total = parse_amount(clm, 2, "CLM02 (total charge)")
    assert total is not None
    place = clm.component(5, 1)
    frequency = clm.component(5, 3) or "1"
    patient_paid: Decimal | None = None
    refs: dict[str, str] = {}
    note = ""
    diagnoses: list[str] = []
    # 2300 segments up to the first NM1 (2310x), SBR (2320) or LX (2400)
    while (seg := r.peek()) is not None and seg.id not in ("NM1", "SBR", "LX", "CLM", "HL"):
        r.next()
        if seg.id == "AMT" and seg.get(1) == "F5":
            patient_paid = parse_amount(seg, 2, "AMT02 (patient paid)")
        elif seg.id == "REF":
            refs.setdefault(seg.get(1), seg.get(2))
        elif seg.id == "NTE" and not note:
            note = seg.get(2)
        elif seg.id == "HI" and seg.component(1, 1) in ("ABK", "BK"):
            separator = seg.delimiters.component
            for element in seg.elements[:12]:
                qualifier, _, rest = element.partition(separator)
                code = rest.partition(separator)[0]
                if qualifier and code:
                    diagnoses.append(code)
    rendering: ProviderName | None = None
    referring: ProviderName | None = None
    facility: Facility | None = None
    while (seg := r.peek()) is not None and seg.id == "NM1":
        nm1 = r.next()
        qualifier = nm1.get(1)
        if qualifier == "82":
            taxonomy = ""
            if (prv := r.take("PRV")) is not None:
                taxonomy = prv.get(3)
            rendering = dataclasses.replace(_read_provider(nm1), taxonomy_code=taxonomy)
        elif qualifier == "DN" and referring is None:
            referring = _read_provider(nm1)
        elif qualifier == "77":
            address = _read_address(r, "2310C", required=True) or _ADDRESS_NONE
            facility = Facility(name=nm1.get(3), address=address, npi=nm1.get(9))
        r.skip_until({"NM1", "SBR", "LX", "CLM", "HL"})
    others: list[OtherPayer] = []
    while (seg := r.peek()) is not None and seg.id == "SBR":
        others.append(_read_other_payer(r, patient_dob, patient_sex))
    lines: list[ServiceLine] = []
    while (seg := r.peek()) is not None and seg.id == "LX":
        lines.append(_read_line(r))
    if not lines:
        raise clm.error(f"claim {claim_id} has no service line (2400)")
    # A payer reported line by line has its adjudication date in 2430, not 2330B.
    for k, other in enumerate(others):
        if other.adjudicated_on is UNKNOWN_BIRTH_DATE:
            dates = [
                adj.adjudicated_on
                for line in lines
                for adj in line.prior_adjudications
                if adj.payer_id == other.payer.payer_id
            ]
            if dates:
                others[k] = dataclasses.replace(other, adjudicated_on=dates[0])
    return Claim(
        claim_id=claim_id,
        total_charge=total,
        place_of_service=place,
        diagnoses=tuple(diagnoses),
        lines=tuple(lines),
        frequency_code=frequency,
        original_claim_number=refs.get("F8", ""),
        rendering_provider=rendering,
        referring_provider=referring,
        facility=facility,
        prior_authorization=refs.get("G1", ""),
        referral_number=refs.get("9F", ""),
        patient_paid=patient_paid,
        other_payers=tuple(others),
        provider_signature=clm.get(6) != "N",
        assignment=clm.get(7),
        benefits_assigned=clm.get(8),
        release_of_information=clm.get(9),
        note=note,
    )


def _read_other_payer(r: Reader, patient_dob: dt.date, patient_sex: str) -> OtherPayer:
    sbr = r.next()
    adjustments: list[Adjustment] = []
    paid = Decimal("0")
    while (seg := r.peek()) is not None and seg.id in ("CAS", "AMT", "OI", "MOA"):
        r.next()
        if seg.id == "CAS":
            adjustments += parse_adjustments(seg)
        elif seg.id == "AMT" and seg.get(1) == "D":
            paid = parse_amount(seg, 2, "AMT02 (payer paid)") or Decimal("0")
    nm1 = r.expect("NM1", "IL", "2330A other subscriber name")
    address = _read_address(r, "2330A", required=False) or _ADDRESS_NONE
    r.skip_until({"NM1", "LX", "SBR", "CLM", "HL"})
    payer_nm1 = r.expect("NM1", "PR", "2330B other payer name")
    payer_address = _read_address(r, "2330B", required=False)
    adjudicated = UNKNOWN_BIRTH_DATE
    while (seg := r.peek()) is not None and seg.id in ("DTP", "REF"):
        r.next()
        if seg.id == "DTP" and seg.get(1) == "573":
            adjudicated = parse_date(seg, 3, "DTP03 (adjudication date)")
    r.skip_until({"LX", "SBR", "CLM", "HL"})
    relationship = sbr.get(2)
    last, first, middle, suffix = _read_person_nm1(nm1)
    self_ = relationship == "18"
    subscriber = Subscriber(
        member_id=nm1.get(9),
        last_name=last,
        first_name=first,
        middle_name=middle,
        suffix=suffix,
        date_of_birth=patient_dob if self_ else UNKNOWN_BIRTH_DATE,
        sex=patient_sex if self_ else "U",
        address=address,
        group_number=sbr.get(3),
        group_name=sbr.get(4),
        payer_responsibility=sbr.get(1),
        claim_filing_indicator=sbr.get(9),
    )
    return OtherPayer(
        payer=Payer(name=payer_nm1.get(3), payer_id=payer_nm1.get(9), address=payer_address),
        subscriber=subscriber,
        paid=paid,
        adjudicated_on=adjudicated,
        adjustments=tuple(adjustments),
        relationship=relationship,
    )


def _read_line(r: Reader) -> ServiceLine:
    lx = r.next()
    sv1 = r.expect("SV1", None, "2400 professional service")
    service = sv1.components(1)
    qualifier = service[0] if service else ""
    code = service[1] if len(service) > 1 else ""
    if not code:
        raise sv1.error("SV101-2 (procedure code) is missing", 1)
    modifiers = tuple(m for m in service[2:6] if m)
    charge = parse_amount(sv1, 2, "SV102 (line charge)")
    units = parse_amount(sv1, 4, "SV104 (units)")
    assert charge is not None and units is not None
    pointers: list[int] = []
    for p in sv1.components(7):
        if not POINTER_RE.fullmatch(p):
            raise sv1.error(f"diagnosis pointer {p[:10]!r} is not a number", 7)
        pointers.append(int(p))
    start: dt.date | None = None
    end: dt.date | None = None
    control = ""
    adjudications: list[LineAdjudication] = []
    while (seg := r.peek()) is not None and seg.id not in ("LX", "CLM", "HL", "SVD"):
        r.next()
        if seg.id == "DTP" and seg.get(1) == "472":
            if seg.get(2) == "RD8":
                first, _, last = seg.get(3).partition("-")
                start = parse_date(seg, 3, "DTP03 (service dates)", first)
                end = parse_date(seg, 3, "DTP03 (service dates)", last)
            else:
                start = parse_date(seg, 3, "DTP03 (service date)")
        elif seg.id == "REF" and seg.get(1) == "6R":
            control = seg.get(2)
    while (seg := r.peek()) is not None and seg.id == "SVD":
        svd = r.next()
        paid = parse_amount(svd, 2, "SVD02 (paid)")
        adj_units = parse_amount(svd, 5, "SVD05 (units)")
        assert paid is not None and adj_units is not None
        adjustments: list[Adjustment] = []
        adjudicated: dt.date | None = None
        while (seg := r.peek()) is not None and seg.id in ("CAS", "DTP", "AMT"):
            r.next()
            if seg.id == "CAS":
                adjustments += parse_adjustments(seg)
            elif seg.id == "DTP" and seg.get(1) == "573":
                adjudicated = parse_date(seg, 3, "DTP03 (adjudication date)")
        if adjudicated is None:
            raise svd.error("the line adjudication has no DTP*573 date")
        adjudications.append(
            LineAdjudication(
                payer_id=svd.get(1),
                paid=paid,
                procedure_code=svd.component(3, 2),
                modifiers=tuple(m for m in svd.components(3)[2:6] if m),
                units=adj_units,
                adjudicated_on=adjudicated,
                adjustments=tuple(adjustments),
            )
        )
        r.skip_until({"SVD", "LX", "CLM", "HL"})
    if start is None:
        raise lx.error("the service line has no DTP*472 service date")
    return ServiceLine(
        procedure_code=code,
        charge=charge,
        units=units,
        diagnosis_pointers=tuple(pointers),
        service_date=start,
        line_control_number=control,
        modifiers=modifiers,
        service_date_end=end if end != start else None,
        place_of_service=sv1.get(5),
        prior_adjudications=tuple(adjudications),
        procedure_qualifier=qualifier,
    )
