"""Eligibility inquiry and response, X12 270/271 005010X279A1 (pure Python, no Django).

``write_270`` writes one transaction set (ST/SE) per inquiry, as real-time exchanges require and batch
exchanges allow: 2000A information source (the payer, NM1*PR with its PI payer ID), 2000B information
receiver (the provider, NM1*1P with its XX NPI), 2000C subscriber (TRN*1 trace, NM1*IL with the MI member
ID, REF*6P group, N3/N4, DMG, DTP*291 date of service, EQ service types) and, when the patient is not
the subscriber, 2000D dependent (TRN, NM1*03, DMG, INS*N relationship, DTP*291, EQ). The date of
service is always the appointment's date (``EligibilityInquiry.date_of_service``).

``read_271`` walks the HL hierarchy of each 271 (2000A/2100A payer, 2000B/2100B provider, 2000C/2100C
subscriber, 2000D/2100D dependent) and returns one ``EligibilityResponse`` per subscriber or dependent
answered, with its EB loops (2110C/2110D; the 2120 benefit-related entity inside LS/LE is skipped),
coverage dates, and every AAA rejection (including the payer's and provider's) in plain words.
A 271 with no subscriber at all (the payer rejected the whole request in 2000A/2100A/2100B) yields one
response with an empty subscriber and those rejections, so a caller never gets an empty answer.

``read_270`` and ``write_271`` are the other halves, for the simulated payer and round-trip tests.
Readers raise ``X12ParseError`` on any bad input, never another exception.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import ParamSpec, TypeVar

from frontdesk.standards.x12.aaa import rejection_message
from frontdesk.standards.x12.envelope import (
    Delimiters,
    EnvelopeHeader,
    RawSegment,
    Repeated,
    Segment,
    Transaction,
    build,
    clean_text,
    format_amount,
    format_date,
    transactions_of,
)
from frontdesk.standards.x12.errors import X12BuildError, X12Error, X12ParseError

VERSION = "005010X279A1"

# Service type codes (EQ01 / EB03), X12 code list 1365 as used by 005010X279A1.
SERVICE_TYPES: dict[str, str] = {
    "1": "Medical care",
    "2": "Surgical",
    "3": "Consultation",
    "4": "Diagnostic X-ray",
    "5": "Diagnostic lab",
    "6": "Radiation therapy",
    "7": "Anesthesia",
    "8": "Surgical assistance",
    "9": "Other medical",
    "10": "Blood charges",
    "11": "Used durable medical equipment",
    "12": "Durable medical equipment purchase",
    "13": "Ambulatory service center facility",
    "14": "Renal supplies in the home",
    "15": "Alternate method dialysis",
    "16": "Chronic renal disease (CRD) equipment",
    "17": "Pre-admission testing",
    "18": "Durable medical equipment rental",
    "19": "Pneumonia vaccine",
    "20": "Second surgical opinion",
    "21": "Third surgical opinion",
    "22": "Social work",
    "23": "Diagnostic dental",
    "24": "Periodontics",
    "25": "Restorative",
    "26": "Endodontics",
    "27": "Maxillofacial prosthetics",
    "28": "Adjunctive dental services",
    "30": "Health benefit plan coverage",
    "32": "Plan waiting period",
    "33": "Chiropractic",
    "34": "Chiropractic office visits",
    "35": "Dental care",
    "36": "Dental crowns",
    "37": "Dental accident",
    "38": "Orthodontics",
    "39": "Prosthodontics",
    "40": "Oral surgery",
    "41": "Routine (preventive) dental",
    "42": "Home health care",
    "43": "Home health prescriptions",
    "44": "Home health visits",
    "45": "Hospice",
    "46": "Respite care",
    "47": "Hospital",
    "48": "Hospital - inpatient",
    "49": "Hospital - room and board",
    "50": "Hospital - outpatient",
    "51": "Hospital - emergency accident",
    "52": "Hospital - emergency medical",
    "53": "Hospital - ambulatory surgical",
    "54": "Long term care",
    "55": "Major medical",
    "56": "Medically related transportation",
    "57": "Air transportation",
    "58": "Cabulance",
    "59": "Licensed ambulance",
    "60": "General benefits",
    "61": "In-vitro fertilization",
    "62": "MRI/CAT scan",
    "63": "Donor procedures",
    "64": "Acupuncture",
    "65": "Newborn care",
    "66": "Pathology",
    "67": "Smoking cessation",
    "68": "Well baby care",
    "69": "Maternity",
    "70": "Transplants",
    "71": "Audiology exam",
    "72": "Inhalation therapy",
    "73": "Diagnostic medical",
    "74": "Private duty nursing",
    "75": "Prosthetic device",
    "76": "Dialysis",
    "77": "Otological exam",
    "78": "Chemotherapy",
    "79": "Allergy testing",
    "80": "Immunizations",
    "81": "Routine physical",
    "82": "Family planning",
    "83": "Infertility",
    "84": "Abortion",
    "85": "AIDS",
    "86": "Emergency services",
    "87": "Cancer",
    "88": "Pharmacy",
    "89": "Free standing prescription drug",
    "90": "Mail order prescription drug",
    "91": "Brand name prescription drug",
    "92": "Generic prescription drug",
    "93": "Podiatry",
    "94": "Podiatry - office visits",
    "95": "Podiatry - nursing home visits",
    "96": "Professional (physician)",
    "97": "Anesthesiologist",
    "98": "Professional (physician) visit - office",
    "99": "Professional (physician) visit - inpatient",
    "A0": "Professional (physician) visit - outpatient",
    "A1": "Professional (physician) visit - nursing home",
    "A2": "Professional (physician) visit - skilled nursing facility",
    "A3": "Professional (physician) visit - home",
    "A4": "Psychiatric",
    "A5": "Psychiatric - room and board",
    "A6": "Psychotherapy",
    "A7": "Psychiatric - inpatient",
    "A8": "Psychiatric - outpatient",
    "A9": "Rehabilitation",
    "AA": "Rehabilitation - room and board",
    "AB": "Rehabilitation - inpatient",
    "AC": "Rehabilitation - outpatient",
    "AD": "Occupational therapy",
    "AE": "Physical medicine",
    "AF": "Speech therapy",
    "AG": "Skilled nursing care",
    "AH": "Skilled nursing care - room and board",
    "AI": "Substance abuse",
    "AJ": "Alcoholism",
    "AK": "Drug addiction",
    "AL": "Vision (optometry)",
    "AM": "Frames",
    "AN": "Routine exam",
    "AO": "Lenses",
    "AQ": "Nonmedically necessary physical",
    "AR": "Experimental drug therapy",
    "B1": "Burn care",
    "B2": "Brand name prescription drug - formulary",
    "B3": "Brand name prescription drug - non-formulary",
    "BA": "Independent medical evaluation",
    "BB": "Partial hospitalization (psychiatric)",
    "BC": "Day care (psychiatric)",
    "BD": "Cognitive therapy",
    "BE": "Massage therapy",
    "BF": "Pulmonary rehabilitation",
    "BG": "Cardiac rehabilitation",
    "BH": "Pediatric",
    "BI": "Nursery",
    "BJ": "Skin",
    "BK": "Orthopedic",
    "BL": "Cardiac",
    "BM": "Lymphatic",
    "BN": "Gastrointestinal",
    "BP": "Endocrine",
    "BQ": "Neurology",
    "BR": "Eye",
    "BS": "Invasive procedures",
    "BT": "Gynecological",
    "BU": "Obstetrical",
    "BV": "Obstetrical/gynecological",
    "BW": "Mail order prescription drug: brand name",
    "BX": "Mail order prescription drug: generic",
    "BY": "Physician visit - office: sick",
    "BZ": "Physician visit - office: well",
    "C1": "Coronary care",
    "CA": "Private duty nursing - inpatient",
    "CB": "Private duty nursing - home",
    "CC": "Surgical benefits - professional (physician)",
    "CD": "Surgical benefits - facility",
    "CE": "Mental health provider - inpatient",
    "CF": "Mental health provider - outpatient",
    "CG": "Mental health facility - inpatient",
    "CH": "Mental health facility - outpatient",
    "CI": "Substance abuse facility - inpatient",
    "CJ": "Substance abuse facility - outpatient",
    "CK": "Screening X-ray",
    "CL": "Screening laboratory",
    "CM": "Mammogram, high risk patient",
    "CN": "Mammogram, low risk patient",
    "CO": "Flu vaccination",
    "CP": "Eyewear and eyewear accessories",
    "CQ": "Case management",
    "DG": "Dermatology",
    "DM": "Durable medical equipment",
    "DS": "Diabetic supplies",
    "GF": "Generic prescription drug - formulary",
    "GN": "Generic prescription drug - non-formulary",
    "GY": "Allergy",
    "IC": "Intensive care",
    "MH": "Mental health",
    "NI": "Neonatal intensive care",
    "ON": "Oncology",
    "PT": "Physical therapy",
    "PU": "Pulmonary",
    "RN": "Renal",
    "RT": "Residential psychiatric treatment",
    "TC": "Transitional care",
    "TN": "Transitional nursery care",
    "UC": "Urgent care",
}

# EB01 eligibility or benefit information codes.
BENEFIT_CODES: dict[str, str] = {
    "1": "Active coverage",
    "2": "Active - full risk capitation",
    "3": "Active - services capitated",
    "4": "Active - services capitated to primary care physician",
    "5": "Active - pending investigation",
    "6": "Inactive",
    "7": "Inactive - pending eligibility update",
    "8": "Inactive - pending investigation",
    "A": "Co-insurance",
    "B": "Co-payment",
    "C": "Deductible",
    "CB": "Coverage basis",
    "D": "Benefit description",
    "E": "Exclusions",
    "F": "Limitations",
    "G": "Out of pocket (stop loss)",
    "H": "Unlimited",
    "I": "Non-covered",
    "J": "Cost containment",
    "K": "Reserve",
    "L": "Primary care provider",
    "M": "Pre-existing condition",
    "MC": "Managed care coordinator",
    "N": "Services restricted to following provider",
    "O": "Not deemed a medical necessity",
    "P": "Benefit disclaimer",
    "Q": "Second surgical opinion required",
    "R": "Other or additional payer",
    "S": "Prior year(s) history",
    "T": "Card(s) reported lost/stolen",
    "U": "Contact following entity for eligibility or benefit information",
    "V": "Cannot process",
    "W": "Other source of data",
    "X": "Health care facility",
    "Y": "Spend down",
}
ACTIVE_CODES = frozenset({"1", "2", "3", "4", "5"})
INACTIVE_CODES = frozenset({"6", "7", "8"})

# EB02 coverage level codes.
COVERAGE_LEVELS: dict[str, str] = {
    "CHD": "Children only",
    "DEP": "Dependents only",
    "ECH": "Employee and children",
    "EMP": "Employee only",
    "ESP": "Employee and spouse",
    "FAM": "Family",
    "IND": "Individual",
    "SPC": "Spouse and children",
    "SPO": "Spouse only",
}

# EB06 time period qualifiers (the common ones).
TIME_PERIODS: dict[str, str] = {
    "6": "Hour",
    "7": "Day",
    "13": "24 hours",
    "21": "Years",
    "22": "Service year",
    "23": "Calendar year",
    "24": "Year to date",
    "25": "Contract",
    "26": "Episode",
    "27": "Visit",
    "28": "Outlier",
    "29": "Remaining",
    "30": "Exceeded",
    "31": "Not exceeded",
    "32": "Lifetime",
    "33": "Lifetime remaining",
    "34": "Month",
    "35": "Week",
    "36": "Admission",
}

# EB12 in plan network indicator.
NETWORK_INDICATORS: dict[str, str] = {
    "Y": "In network",
    "N": "Out of network",
    "W": "Applies to both in and out of network",
    "U": "Unknown",
}

# 2100D INS02 individual relationship codes allowed by 005010X279A1.
DEPENDENT_RELATIONSHIPS: dict[str, str] = {"01": "Spouse", "19": "Child", "34": "Other adult"}

_SEX_CODES = frozenset({"M", "F", "U"})
_DATE_RE = re.compile(r"[0-9]{8}")
_DECIMAL_RE = re.compile(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)")
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 \-./]*")


# ---------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Person:
    """A subscriber or dependent, as sent in a 270 or as returned in a 271."""

    last_name: str
    first_name: str = ""
    middle_name: str = ""
    suffix: str = ""
    member_id: str = ""
    date_of_birth: dt.date | None = None
    sex: str = ""  # "M" "F" "U" or ""
    group_number: str = ""
    group_name: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""


@dataclass(frozen=True)
class EligibilityInquiry:
    """One patient's eligibility question to one payer (one 270 transaction set)."""

    trace_number: str  # TRN02 (our reference, <= 50 chars), echoed back in the 271
    payer_name: str
    payer_id: str
    provider_name: str  # organization name, or the provider's last name with provider_first_name
    provider_npi: str
    subscriber: Person
    date_of_service: dt.date  # DTP*291 — the appointment's date, never the policy's effective date
    dependent: Person | None = None  # 2000D when the patient is not the subscriber
    relationship: str = "18"  # the dependent's INS02 relationship when dependent is set
    service_types: tuple[str, ...] = ("30",)
    provider_first_name: str = ""
    # TRN03: "1" + EIN, or "9" + a 9-character identifier we assign; "" = "9" + the ISA sender ID.
    originator_id: str = ""


@dataclass(frozen=True)
class Benefit:
    """One EB loop (2110C/2110D)."""

    code: str  # EB01
    coverage_level: str = ""  # EB02 IND / FAM / ...
    service_types: tuple[str, ...] = ()  # EB03 repetitions
    insurance_type: str = ""  # EB04
    plan_description: str = ""  # EB05
    time_period: str = ""  # EB06 ("23" calendar year, "29" remaining, "27" visit, ...)
    amount: Decimal | None = None  # EB07
    percent: Decimal | None = None  # EB08 as sent (0.2 = 20 %)
    quantity_qualifier: str = ""
    quantity: Decimal | None = None
    authorization_required: str = ""  # EB11
    in_network: str = ""  # EB12 Y / N / W / U
    procedure_code: str = ""  # EB13-2
    messages: tuple[str, ...] = ()  # MSG01s
    dates: tuple[tuple[str, str], ...] = ()  # (DTP01, DTP03)

    @property
    def description(self) -> str:
        return BENEFIT_CODES.get(self.code, self.code)


@dataclass(frozen=True)
class Rejection:
    """One AAA segment, with its meaning in plain words."""

    loop: str  # "2000A", "2100A", "2100B", "2100C", "2110C", "2100D", "2110D"
    valid: str  # AAA01
    reason: str  # AAA03 code, e.g. "72"
    follow_up: str  # AAA04, e.g. "C"
    message: str  # "Subscriber not found — check the member ID and date of birth."


@dataclass(frozen=True)
class EligibilityResponse:
    """The payer's answer for one subscriber (2000C) or dependent (2000D)."""

    control_number: str  # ST02
    trace_numbers: tuple[str, ...]  # TRN02 of TRN*2 (our inquiry's trace, echoed)
    payer_name: str
    payer_id: str
    provider_name: str
    provider_npi: str
    subscriber: Person
    dependent: Person | None
    benefits: tuple[Benefit, ...]
    rejections: tuple[Rejection, ...]
    plan_begin: dt.date | None = None
    plan_end: dt.date | None = None
    eligibility_begin: dt.date | None = None
    eligibility_end: dt.date | None = None
    plan_name: str = ""
    provider_first_name: str = ""

    @property
    def active(self) -> bool | None:
        """True with an active-coverage EB (1-5), False with only inactive ones (6-8), else None."""
        codes = {b.code for b in self.benefits}
        if codes & ACTIVE_CODES:
            return True
        if codes & INACTIVE_CODES:
            return False
        return None

    @property
    def patient(self) -> Person:
        return self.dependent or self.subscriber


# ---------------------------------------------------------------------------------------------
# Shared reading helpers

P = ParamSpec("P")
R = TypeVar("R")


def guarded(what: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Readers promise X12ParseError only: anything else that escapes is turned into one."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return func(*args, **kwargs)
            except X12ParseError:
                raise
            except X12Error as exc:
                raise X12ParseError(f"unreadable {what}: {exc}") from exc
            except (
                ValueError,
                TypeError,
                IndexError,
                KeyError,
                AttributeError,
                ArithmeticError,
            ) as exc:
                raise X12ParseError(f"unreadable {what}: {type(exc).__name__}") from exc

        return wrapper

    return decorate


def parse_date(seg: Segment, position: int, value: str | None = None) -> dt.date:
    text = seg.get(position) if value is None else value
    if not _DATE_RE.fullmatch(text):
        raise seg.error(f"{text!r} is not a date (CCYYMMDD)", position)
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise seg.error(f"{text!r} is not a real date", position) from None


def date_range(seg: Segment) -> tuple[dt.date, dt.date | None]:
    """DTP02/DTP03: a D8 date (end None) or an RD8 range."""
    fmt, value = seg.get(2), seg.get(3)
    if fmt == "RD8" or (not fmt and "-" in value):
        first, sep, last = value.partition("-")
        if not sep:
            raise seg.error(f"{value!r} is not a date range (CCYYMMDD-CCYYMMDD)", 3)
        return parse_date(seg, 3, first), parse_date(seg, 3, last)
    if fmt not in ("D8", ""):
        raise seg.error(f"date format {fmt!r} is not supported (D8 or RD8)", 2)
    return parse_date(seg, 3), None


def parse_decimal(seg: Segment, position: int) -> Decimal | None:
    text = seg.get(position)
    if not text:
        return None
    if not _DECIMAL_RE.fullmatch(text):
        raise seg.error(f"{text!r} is not a number", position)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise seg.error(f"{text!r} is not a number", position) from None


@dataclass
class HLBlock:
    """One HL segment and the segments up to the next HL."""

    hl: Segment
    segments: list[Segment] = field(default_factory=list)
    parent: HLBlock | None = None
    children: list[HLBlock] = field(default_factory=list)

    @property
    def level(self) -> str:
        return self.hl.get(3)


_PARENT_LEVEL = {"20": "", "21": "20", "22": "21", "23": "22"}


def hl_blocks(transaction: Transaction, levels: dict[str, str] | None = None) -> list[HLBlock]:
    """The HL hierarchy of a transaction, parent links and levels checked."""
    parents = levels or _PARENT_LEVEL
    blocks: list[HLBlock] = []
    by_id: dict[str, HLBlock] = {}
    body = transaction.body
    for seg in body:
        if seg.id == "HL":
            number = seg.require(1, "HL01 (hierarchical ID number)")
            if number in by_id:
                raise seg.error(f"HL01 {number!r} is used twice", 1)
            level = seg.require(3, "HL03 (hierarchical level code)")
            if level not in parents:
                raise seg.error(f"HL03 {level!r} is not a level of this transaction", 3)
            parent_id = seg.get(2)
            parent: HLBlock | None = None
            if parents[level]:
                if not parent_id or parent_id not in by_id:
                    raise seg.error(f"HL02 {parent_id!r} does not name an earlier HL", 2)
                parent = by_id[parent_id]
                if parent.level != parents[level]:
                    raise seg.error(
                        f"an HL level {level} must sit under level {parents[level]}, not "
                        f"{parent.level}",
                        2,
                    )
            elif parent_id:
                raise seg.error(f"an HL level {level} has no parent, found HL02 {parent_id!r}", 2)
            block = HLBlock(seg, parent=parent)
            if parent is not None:
                parent.children.append(block)
            by_id[number] = block
            blocks.append(block)
        elif blocks:
            blocks[-1].segments.append(seg)
        elif seg.id != "BHT":
            raise seg.error(f"{seg.id} before the first HL segment")
    if not blocks:
        raise transaction.st.error("the transaction set has no HL segments")
    return blocks


def first(segments: Sequence[Segment], tag: str, qualifier: str | None = None) -> Segment | None:
    for seg in segments:
        if seg.id == tag and (qualifier is None or seg.get(1) == qualifier):
            return seg
    return None


def _person(segments: Sequence[Segment], *, nm1: Segment | None) -> Person:
    """A Person from a 2100C/2100D name loop (NM1, REF, N3, N4, DMG)."""
    last = first_name = middle = suffix = member_id = ""
    if nm1 is not None:
        last, first_name, middle = nm1.get(3), nm1.get(4), nm1.get(5)
        suffix = nm1.get(7)
        if nm1.get(8) in ("MI", "II", "ZZ", "34"):
            member_id = nm1.get(9)
    group_number = group_name = ""
    line1 = line2 = city = state = postal = ""
    dob: dt.date | None = None
    sex = ""
    for seg in segments:
        if seg.id == "REF" and seg.get(1) in ("6P", "1L", "IG") and not group_number:
            group_number, group_name = seg.get(2), seg.get(3)
        elif seg.id == "N3" and not line1:
            line1, line2 = seg.get(1), seg.get(2)
        elif seg.id == "N4" and not city:
            city, state, postal = seg.get(1), seg.get(2), seg.get(3)
        elif seg.id == "DMG" and dob is None:
            if seg.get(2):
                if seg.get(1) not in ("D8", ""):
                    raise seg.error(f"DMG01 {seg.get(1)!r}: only D8 dates are read", 1)
                dob = parse_date(seg, 2)
            sex = seg.get(3)
    return Person(
        last_name=last,
        first_name=first_name,
        middle_name=middle,
        suffix=suffix,
        member_id=member_id,
        date_of_birth=dob,
        sex=sex,
        group_number=group_number,
        group_name=group_name,
        address_line1=line1,
        address_line2=line2,
        city=city,
        state=state,
        postal_code=postal,
    )


# ---------------------------------------------------------------------------------------------
# Writing helpers


def _name(value: str, max_length: int, field_name: str, *, required: bool = False) -> str:
    text = clean_text(value or "", max_length)
    if required and not text:
        raise X12BuildError("is required", field=field_name)
    return text


def _identifier(value: str, field_name: str, *, min_length: int = 2, max_length: int = 80) -> str:
    text = (value or "").strip()
    if not text:
        return ""
    if not _ID_RE.fullmatch(text):
        raise X12BuildError(
            f"{text!r} may hold only letters, digits, spaces, '-', '.' and '/'", field=field_name
        )
    if not min_length <= len(text) <= max_length:
        raise X12BuildError(f"must be {min_length} to {max_length} characters", field=field_name)
    return text


def _npi(value: str, field_name: str) -> str:
    from frontdesk.standards import npi

    try:
        return npi.validate(value)
    except npi.InvalidNPI as exc:
        raise X12BuildError(str(exc), field=field_name) from None


def _originator(inquiry: EligibilityInquiry, header: EnvelopeHeader) -> str:
    if inquiry.originator_id:
        value = inquiry.originator_id.strip()
        if not re.fullmatch(r"[139][A-Za-z0-9]{9}", value):
            raise X12BuildError(
                "must be 10 characters: 1 + EIN, 3 + DUNS or 9 + an assigned identifier",
                field="originator_id",
            )
        return value
    own = re.sub(r"[^A-Za-z0-9]", "", header.sender_id).upper()
    return "9" + own[:9].rjust(9, "0")


def _person_segments(
    person: Person, *, entity: str, with_id: bool, prefix: str
) -> list[RawSegment]:
    """NM1, REF*6P, N3, N4 and DMG of a 2100C/2100D loop (270 and 271 alike)."""
    last = _name(person.last_name, 60, f"{prefix}.last_name", required=True)
    nm1: list[str] = [
        "NM1",
        entity,
        "1",
        last,
        _name(person.first_name, 35, f"{prefix}.first_name"),
        _name(person.middle_name, 25, f"{prefix}.middle_name"),
        "",
        _name(person.suffix, 10, f"{prefix}.suffix"),
    ]
    member_id = _identifier(person.member_id, f"{prefix}.member_id") if with_id else ""
    if member_id:
        nm1 += ["MI", member_id]
    out: list[RawSegment] = [nm1]
    group = _identifier(person.group_number, f"{prefix}.group_number", min_length=1, max_length=50)
    if group:
        out.append(("REF", "6P", group, _name(person.group_name, 80, f"{prefix}.group_name")))
    # N4 needs a city (N401, 2-30 characters); an address without one is left out, N3 with it.
    city = _name(person.city, 30, f"{prefix}.city")
    has_city = len(city) >= 2
    if person.address_line1 and has_city:
        out.append(
            (
                "N3",
                _name(person.address_line1, 55, f"{prefix}.address_line1", required=True),
                _name(person.address_line2, 55, f"{prefix}.address_line2"),
            )
        )
    if has_city:
        state = (person.state or "").strip().upper()
        if state and not re.fullmatch(r"[A-Z]{2}", state):
            raise X12BuildError("must be a 2-letter state code", field=f"{prefix}.state")
        postal = re.sub(r"[^0-9A-Za-z]", "", person.postal_code or "")
        if postal and not 3 <= len(postal) <= 15:
            raise X12BuildError("must be 3 to 15 characters", field=f"{prefix}.postal_code")
        out.append(("N4", city, state, postal))
    return out


def _dmg(person: Person, prefix: str) -> list[RawSegment]:
    sex = (person.sex or "").upper()
    if sex and sex not in _SEX_CODES:
        raise X12BuildError("must be M, F or U", field=f"{prefix}.sex")
    if person.date_of_birth is None:
        return []
    return [("DMG", "D8", format_date(person.date_of_birth), sex)]


def _service_types(values: Sequence[str]) -> list[str]:
    codes = [v.strip().upper() for v in values if v and v.strip()] or ["30"]
    for code in codes:
        if code not in SERVICE_TYPES:
            raise X12BuildError(f"{code!r} is not a service type code", field="service_types")
    return list(dict.fromkeys(codes))


def _relationship(value: str) -> str:
    """INS02 of 2100D: 01 spouse, 19 child, anything else 34 other adult (the guide's only codes)."""
    code = (value or "").strip()
    return code if code in DEPENDENT_RELATIONSHIPS else "34"


# ---------------------------------------------------------------------------------------------
# 270


def _inquiry_body(inquiry: EligibilityInquiry, header: EnvelopeHeader) -> list[RawSegment]:
    trace = _name(inquiry.trace_number, 50, "trace_number", required=True)
    if trace != inquiry.trace_number.strip():
        raise X12BuildError("may hold only X12 text characters (<= 50)", field="trace_number")
    payer_id = _identifier(inquiry.payer_id, "payer_id")
    if not payer_id:
        raise X12BuildError("is required", field="payer_id")
    created = header.created_at
    body: list[RawSegment] = [
        ("BHT", "0022", "13", trace, format_date(created), created.strftime("%H%M")),
        ("HL", "1", "", "20", "1"),
        (
            "NM1",
            "PR",
            "2",
            _name(inquiry.payer_name, 60, "payer_name", required=True),
            "",
            "",
            "",
            "",
            "PI",
            payer_id,
        ),
        ("HL", "2", "1", "21", "1"),
    ]
    npi = _npi(inquiry.provider_npi, "provider_npi")
    provider = _name(inquiry.provider_name, 60, "provider_name", required=True)
    if inquiry.provider_first_name:
        body.append(
            (
                "NM1",
                "1P",
                "1",
                provider,
                _name(inquiry.provider_first_name, 35, "provider_first_name"),
                "",
                "",
                "",
                "XX",
                npi,
            )
        )
    else:
        body.append(("NM1", "1P", "2", provider, "", "", "", "", "XX", npi))
    originator = _originator(inquiry, header)
    dependent = inquiry.dependent
    service_types = _service_types(inquiry.service_types)
    dos = ("DTP", "291", "D8", format_date(inquiry.date_of_service))
    body.append(("HL", "3", "2", "22", "1" if dependent else "0"))
    if dependent is None:
        body.append(("TRN", "1", trace, originator))
    subscriber = inquiry.subscriber
    if not subscriber.member_id.strip():
        raise X12BuildError("is required", field="subscriber.member_id")
    body += _person_segments(subscriber, entity="IL", with_id=True, prefix="subscriber")
    body += _dmg(subscriber, "subscriber")
    if dependent is None:
        body.append(dos)
        body += [("EQ", code) for code in service_types]
        return body
    body.append(("HL", "4", "3", "23", "0"))
    body.append(("TRN", "1", trace, originator))
    # 2100D: dependents have no member ID of their own in 5010 (one who has is sent as a subscriber).
    body += _person_segments(dependent, entity="03", with_id=False, prefix="dependent")
    body += _dmg(dependent, "dependent")
    body.append(("INS", "N", _relationship(inquiry.relationship)))
    body.append(dos)
    body += [("EQ", code) for code in service_types]
    return body


def write_270(
    inquiries: Sequence[EligibilityInquiry],
    header: EnvelopeHeader,
    delimiters: Delimiters | None = None,
) -> str:
    """A 270 interchange: one transaction set per inquiry (GS01 HS, GS08 005010X279A1)."""
    if not inquiries:
        raise X12BuildError("a 270 needs at least one inquiry")
    if header.functional_id != "HS" or header.version != VERSION:
        header = _with(header, "HS")
    bodies = []
    for number, inquiry in enumerate(inquiries, start=1):
        try:
            bodies.append(_inquiry_body(inquiry, header))
        except X12BuildError as exc:
            where = f"inquiry {number} ({inquiry.trace_number})"
            raise X12BuildError(exc.message, field=f"{where} {exc.field}".strip()) from None
    return build(header, "270", bodies, delimiters)


def _with(header: EnvelopeHeader, functional_id: str) -> EnvelopeHeader:
    from dataclasses import replace

    return replace(header, functional_id=functional_id, version=VERSION)


@guarded("270")
def read_270(data: str | bytes) -> list[EligibilityInquiry]:
    """Every inquiry in a 270 (one per 2000C subscriber without dependents, one per 2000D)."""
    inquiries: list[EligibilityInquiry] = []
    for transaction in transactions_of(data, "270", versions=(VERSION,)):
        _check_bht(transaction, "13")
        for block in hl_blocks(transaction):
            if block.level == "22" and not block.children:
                inquiries.append(_inquiry_from(block, None))
            elif block.level == "23":
                inquiries.append(_inquiry_from(block.parent, block))  # type: ignore[arg-type]
    return inquiries


def _check_bht(transaction: Transaction, purpose: str) -> None:
    body = transaction.body
    if not body or body[0].id != "BHT":
        raise transaction.st.error("the BHT segment must follow ST")
    bht = body[0]
    if bht.get(1) != "0022":
        raise bht.error(f"BHT01 must be 0022, found {bht.get(1)!r}", 1)
    if purpose == "13" and bht.get(2) != "13":
        raise bht.error(f"BHT02 must be 13 (request), found {bht.get(2)!r}", 2)


def _name_loop(block: HLBlock) -> tuple[list[Segment], list[list[Segment]]]:
    """A 2000C/2000D block split into its name loop and its EB/EQ loops (LS..LE skipped)."""
    head: list[Segment] = []
    loops: list[list[Segment]] = []
    inside_ls: Segment | None = None
    for seg in block.segments:
        if inside_ls is not None:
            if seg.id == "LE":
                inside_ls = None
            continue
        if seg.id == "LS":
            if not loops:
                raise seg.error("LS outside an EB loop")
            inside_ls = seg
            continue
        if seg.id == "LE":
            raise seg.error("LE without LS")
        if seg.id in ("EB", "EQ"):
            loops.append([seg])
        elif loops:
            loops[-1].append(seg)
        else:
            head.append(seg)
    if inside_ls is not None:
        raise inside_ls.error("LS loop has no closing LE")
    return head, loops


def _party(block: HLBlock | None, entities: tuple[str, ...]) -> tuple[str, str, str]:
    """(last or organization name, first name, identifier) of a 2100A/2100B NM1."""
    if block is None:
        return "", "", ""
    nm1 = first(block.segments, "NM1")
    if nm1 is None:
        raise block.hl.error("the HL loop has no NM1 name segment")
    if nm1.get(1) not in entities:
        raise nm1.error(f"NM101 {nm1.get(1)!r} is not expected here ({'/'.join(entities)})", 1)
    return nm1.get(3), nm1.get(4), nm1.get(9)


_PAYER_ENTITIES = ("PR", "2B", "36", "GP", "P5")
_PROVIDER_ENTITIES = ("1P", "2B", "36", "80", "FA", "GP", "P5", "PR")


def _ancestor(block: HLBlock | None, level: str) -> HLBlock | None:
    while block is not None and block.level != level:
        block = block.parent
    return block


def _inquiry_from(subscriber_block: HLBlock, dependent_block: HLBlock | None) -> EligibilityInquiry:
    patient_block = dependent_block or subscriber_block
    payer_name, _, payer_id = _party(_ancestor(subscriber_block, "20"), _PAYER_ENTITIES)
    provider_name, provider_first, npi = _party(
        _ancestor(subscriber_block, "21"), _PROVIDER_ENTITIES
    )
    sub_head, sub_loops = _name_loop(subscriber_block)
    subscriber = _person(sub_head, nm1=first(sub_head, "NM1"))
    dependent: Person | None = None
    relationship = "18"
    head, loops = _name_loop(patient_block)
    if dependent_block is not None:
        dependent = _person(head, nm1=first(head, "NM1"))
        ins = first(head, "INS")
        relationship = ins.get(2) if ins is not None and ins.get(2) else "34"
    trn = first(head, "TRN", "1") or first(head, "TRN")
    if trn is None:
        raise patient_block.hl.error("the patient's loop has no TRN trace number")
    dtp = first(head, "DTP", "291") or next(
        (s for loop in loops for s in loop if s.id == "DTP" and s.get(1) == "291"), None
    )
    if dtp is None:
        raise patient_block.hl.error("the patient's loop has no DTP*291 date of service")
    service: list[str] = []
    for loop in loops:
        eq = loop[0]
        if eq.id != "EQ":
            raise eq.error("a 270 carries EQ, not EB, segments")
        service += eq.repeats(1)
    if sub_loops and dependent_block is not None:
        raise sub_loops[0][0].error("EQ in the subscriber loop of a dependent inquiry")
    return EligibilityInquiry(
        trace_number=trn.require(2, "TRN02 (trace number)"),
        payer_name=payer_name,
        payer_id=payer_id,
        provider_name=provider_name,
        provider_npi=npi,
        subscriber=subscriber,
        date_of_service=date_range(dtp)[0],
        dependent=dependent,
        relationship=relationship,
        service_types=tuple(dict.fromkeys(service)) or ("30",),
        provider_first_name=provider_first,
        originator_id=trn.get(3),
    )


# ---------------------------------------------------------------------------------------------
# 271


@guarded("271")
def read_271(data: str | bytes) -> list[EligibilityResponse]:
    """One EligibilityResponse per subscriber or dependent answered in each 271 of ``data``."""
    responses: list[EligibilityResponse] = []
    for transaction in transactions_of(data, "271", versions=(VERSION,)):
        _check_bht(transaction, "11")
        responses += _responses_of(transaction)
    return responses


def _aaa(segments: Sequence[Segment], loop: str) -> list[Rejection]:
    out = []
    for seg in segments:
        if seg.id == "AAA":
            reason, follow_up = seg.get(3), seg.get(4)
            out.append(
                Rejection(
                    loop=loop,
                    valid=seg.get(1),
                    reason=reason,
                    follow_up=follow_up,
                    message=rejection_message(reason, follow_up, loop),
                )
            )
    return out


def _benefit(loop: list[Segment]) -> Benefit:
    eb = loop[0]
    code = eb.require(1, "EB01 (eligibility or benefit information code)")
    messages: list[str] = []
    dates: list[tuple[str, str]] = []
    for seg in loop[1:]:
        if seg.id == "MSG" and seg.get(1):
            messages.append(seg.get(1))
        elif seg.id == "DTP":
            date_range(seg)  # checks it is a date
            dates.append((seg.get(1), seg.get(3)))
    return Benefit(
        code=code,
        coverage_level=eb.get(2),
        service_types=tuple(eb.repeats(3)),
        insurance_type=eb.get(4),
        plan_description=eb.get(5),
        time_period=eb.get(6),
        amount=parse_decimal(eb, 7),
        percent=parse_decimal(eb, 8),
        quantity_qualifier=eb.get(9),
        quantity=parse_decimal(eb, 10),
        authorization_required=eb.get(11),
        in_network=eb.get(12),
        procedure_code=eb.component(13, 2),
        messages=tuple(messages),
        dates=tuple(dates),
    )


@dataclass
class _Dates:
    plan_begin: dt.date | None = None
    plan_end: dt.date | None = None
    eligibility_begin: dt.date | None = None
    eligibility_end: dt.date | None = None

    def read(self, segments: Sequence[Segment]) -> None:
        for seg in segments:
            if seg.id != "DTP":
                continue
            qualifier = seg.get(1)
            begin, end = date_range(seg)
            if qualifier == "346":
                self.plan_begin = begin
            elif qualifier == "347":
                self.plan_end = begin
            elif qualifier == "291" and end is not None:  # a D8 291 echoes the inquiry's date
                self.plan_begin = self.plan_begin or begin
                self.plan_end = self.plan_end or end
            elif qualifier == "356":
                self.eligibility_begin = begin
            elif qualifier == "357":
                self.eligibility_end = begin
            elif qualifier == "307":
                self.eligibility_begin = self.eligibility_begin or begin
                self.eligibility_end = self.eligibility_end or end


def _plan_name(benefits: Sequence[Benefit], segments: Sequence[Segment]) -> str:
    for benefit in benefits:
        if benefit.code in ACTIVE_CODES and benefit.plan_description:
            return benefit.plan_description
    for qualifier in ("18", "CE"):
        ref = first(segments, "REF", qualifier)
        if ref is not None:
            return ref.get(3) or ref.get(2)
    return ""


def _responses_of(transaction: Transaction) -> list[EligibilityResponse]:
    blocks = hl_blocks(transaction)
    out: list[EligibilityResponse] = []
    control = transaction.control_number

    def upper_rejections(block: HLBlock | None) -> list[Rejection]:
        found: list[Rejection] = []
        for level, loops in (("20", ("2000A", "2100A")), ("21", ("2000B", "2100B"))):
            ancestor = _ancestor(block, level)
            if ancestor is None:
                continue
            nm1_at = next((i for i, s in enumerate(ancestor.segments) if s.id == "NM1"), None)
            if nm1_at is None:
                found += _aaa(ancestor.segments, loops[0])
            else:
                found += _aaa(ancestor.segments[:nm1_at], loops[0])
                found += _aaa(ancestor.segments[nm1_at:], loops[1])
        return found

    for block in blocks:
        if block.level == "22":
            head, loops = _name_loop(block)
            answered = bool(loops) or any(s.id == "AAA" for s in head) or not block.children
            if answered:
                out.append(_response(control, block, None, upper_rejections(block)))
        elif block.level == "23":
            assert block.parent is not None
            out.append(_response(control, block.parent, block, upper_rejections(block)))
    if not out:
        top = blocks[-1]
        payer_name, _, payer_id = _party(_ancestor(top, "20"), _PAYER_ENTITIES)
        provider = _ancestor(top, "21")
        provider_name, provider_first, npi = (
            _party(provider, _PROVIDER_ENTITIES)
            if provider and first(provider.segments, "NM1")
            else ("", "", "")
        )
        out.append(
            EligibilityResponse(
                control_number=control,
                trace_numbers=(),
                payer_name=payer_name,
                payer_id=payer_id,
                provider_name=provider_name,
                provider_npi=npi,
                subscriber=Person(last_name=""),
                dependent=None,
                benefits=(),
                rejections=tuple(upper_rejections(top)),
                provider_first_name=provider_first,
            )
        )
    return out


def _response(
    control: str,
    subscriber_block: HLBlock,
    dependent_block: HLBlock | None,
    rejections: list[Rejection],
) -> EligibilityResponse:
    payer_name, _, payer_id = _party(_ancestor(subscriber_block, "20"), _PAYER_ENTITIES)
    provider_name, provider_first, npi = _party(
        _ancestor(subscriber_block, "21"), _PROVIDER_ENTITIES
    )
    sub_head, sub_loops = _name_loop(subscriber_block)
    subscriber = _person(sub_head, nm1=first(sub_head, "NM1"))
    letter = "D" if dependent_block is not None else "C"
    head, loops = (sub_head, sub_loops) if dependent_block is None else _name_loop(dependent_block)
    dependent = _person(head, nm1=first(head, "NM1")) if dependent_block is not None else None
    traces = tuple(s.get(2) for s in head if s.id == "TRN" and s.get(1) == "2" and s.get(2))
    if dependent_block is not None:
        rejections = rejections + _aaa(sub_head, "2100C")
    rejections = rejections + _aaa(head, f"2100{letter}")
    benefits: list[Benefit] = []
    for loop in loops:
        if loop[0].id != "EB":
            raise loop[0].error("a 271 carries EB, not EQ, segments")
        benefits.append(_benefit(loop))
        rejections += _aaa(loop[1:], f"2110{letter}")
    dates = _Dates()
    if dependent_block is not None:
        dates.read(sub_head)
    dates.read(head)
    return EligibilityResponse(
        control_number=control,
        trace_numbers=traces,
        payer_name=payer_name,
        payer_id=payer_id,
        provider_name=provider_name,
        provider_npi=npi,
        subscriber=subscriber,
        dependent=dependent,
        benefits=tuple(benefits),
        rejections=tuple(rejections),
        plan_begin=dates.plan_begin,
        plan_end=dates.plan_end,
        eligibility_begin=dates.eligibility_begin,
        eligibility_end=dates.eligibility_end,
        plan_name=_plan_name(benefits, head) or (_plan_name((), sub_head) if dependent else ""),
        provider_first_name=provider_first,
    )


def _aaa_segment(rejection: Rejection) -> RawSegment:
    return ("AAA", rejection.valid or "N", "", rejection.reason, rejection.follow_up)


def _dtp(qualifier: str, value: str) -> RawSegment:
    return ("DTP", qualifier, "RD8" if "-" in value else "D8", value)


def _eb(benefit: Benefit) -> list[RawSegment]:
    if not benefit.code:
        raise X12BuildError("is required", field="benefit.code")
    eb: list[str | Sequence[str]] = [
        "EB",
        benefit.code,
        benefit.coverage_level,
        Repeated(benefit.service_types),
        benefit.insurance_type,
        clean_text(benefit.plan_description, 50),
        benefit.time_period,
        format_amount(benefit.amount) if benefit.amount is not None else "",
        _percent(benefit.percent),
        benefit.quantity_qualifier,
        _quantity(benefit.quantity),
        benefit.authorization_required,
        benefit.in_network,
        ["HC", benefit.procedure_code] if benefit.procedure_code else "",
    ]
    out: list[RawSegment] = [eb]
    out += [_dtp(q, v) for q, v in benefit.dates]
    out += [("MSG", clean_text(m, 264)) for m in benefit.messages if clean_text(m, 264)]
    return out


def _percent(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


def _quantity(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f")


def _response_body(response: EligibilityResponse, header: EnvelopeHeader) -> list[RawSegment]:
    created = header.created_at
    reference = response.trace_numbers[0] if response.trace_numbers else response.control_number
    by_loop: dict[str, list[Rejection]] = {}
    for rejection in response.rejections:
        by_loop.setdefault(rejection.loop, []).append(rejection)

    def aaa(*loops: str) -> list[RawSegment]:
        return [_aaa_segment(r) for loop in loops for r in by_loop.get(loop, [])]

    has_provider = bool(response.subscriber.last_name or response.provider_name)
    body: list[RawSegment] = [
        (
            "BHT",
            "0022",
            "11",
            clean_text(reference, 50) or "0",
            format_date(created),
            created.strftime("%H%M"),
        ),
        ("HL", "1", "", "20", "1" if has_provider else "0"),
        *aaa("2000A"),
        (
            "NM1",
            "PR",
            "2",
            _name(response.payer_name, 60, "payer_name", required=True),
            "",
            "",
            "",
            "",
            "PI",
            _identifier(response.payer_id, "payer_id") or "00000",
        ),
        *aaa("2100A"),
    ]
    if not response.subscriber.last_name:  # a payer-level rejection: nothing below 2000A/2100B
        if has_provider:
            body += _provider_271(response, "0")
            body += aaa("2000B", "2100B")
        return body
    body += _provider_271(response, "1")
    body += aaa("2000B", "2100B")
    dependent = response.dependent
    body.append(("HL", "3", "2", "22", "1" if dependent else "0"))
    originator = "9" + re.sub(r"[^A-Za-z0-9]", "", header.sender_id).upper()[:9].rjust(9, "0")
    traces = [("TRN", "2", clean_text(t, 50), originator) for t in response.trace_numbers]
    subscriber = response.subscriber
    benefit_segments: list[RawSegment] = []
    for benefit in response.benefits:
        benefit_segments += _eb(benefit)
    plan_ref: list[RawSegment] = []
    if response.plan_name and response.plan_name != _plan_name(response.benefits, ()):
        plan_ref = [
            ("REF", "18", clean_text(response.plan_name, 50), clean_text(response.plan_name, 80))
        ]
    dates: list[RawSegment] = []
    for qualifier, value in (
        ("346", response.plan_begin),
        ("347", response.plan_end),
        ("356", response.eligibility_begin),
        ("357", response.eligibility_end),
    ):
        if value is not None:
            dates.append(("DTP", qualifier, "D8", format_date(value)))
    if dependent is None:
        body += traces
        name = _person_segments(subscriber, entity="IL", with_id=True, prefix="subscriber")
        body += name[:1] + plan_ref + name[1:]
        body += aaa("2100C", "2110C")
        body += _dmg(subscriber, "subscriber")
        body += dates
        body += benefit_segments
        return body
    body += _person_segments(subscriber, entity="IL", with_id=True, prefix="subscriber")
    body += aaa("2100C", "2110C")
    body += _dmg(subscriber, "subscriber")
    body.append(("HL", "4", "3", "23", "0"))
    body += traces
    name = _person_segments(dependent, entity="03", with_id=False, prefix="dependent")
    body += name[:1] + plan_ref + name[1:]
    body += aaa("2100D", "2110D")
    body += _dmg(dependent, "dependent")
    body += dates
    body += benefit_segments
    return body


def _provider_271(response: EligibilityResponse, children: str) -> list[RawSegment]:
    npi = (response.provider_npi or "").strip()
    if response.provider_first_name:
        nm1: RawSegment = (
            "NM1",
            "1P",
            "1",
            _name(response.provider_name, 60, "provider_name"),
            _name(response.provider_first_name, 35, "provider_first_name"),
            "",
            "",
            "",
            "XX" if npi else "",
            npi,
        )
    else:
        nm1 = (
            "NM1",
            "1P",
            "2",
            _name(response.provider_name, 60, "provider_name"),
            "",
            "",
            "",
            "",
            "XX" if npi else "",
            npi,
        )
    return [("HL", "2", "1", "21", children), nm1]


def write_271(
    responses: Sequence[EligibilityResponse],
    header: EnvelopeHeader,
    delimiters: Delimiters | None = None,
) -> str:
    """A 271 interchange: one transaction set per response (GS01 HB, GS08 005010X279A1)."""
    if not responses:
        raise X12BuildError("a 271 needs at least one response")
    if header.functional_id != "HB" or header.version != VERSION:
        header = _with(header, "HB")
    return build(header, "271", [_response_body(r, header) for r in responses], delimiters)


def describe_benefit(benefit: Benefit) -> str:
    """A one-line summary: "Co-payment, Professional (physician) visit - office, in network: 25"."""
    parts = [benefit.description]
    if benefit.service_types:
        parts.append(", ".join(SERVICE_TYPES.get(s, s) for s in benefit.service_types))
    if benefit.coverage_level:
        parts.append(COVERAGE_LEVELS.get(benefit.coverage_level, benefit.coverage_level))
    if benefit.time_period:
        parts.append(TIME_PERIODS.get(benefit.time_period, benefit.time_period))
    if benefit.in_network:
        parts.append(NETWORK_INDICATORS.get(benefit.in_network, benefit.in_network))
    if benefit.amount is not None:
        parts.append(f"${format_amount(benefit.amount)}")
    if benefit.percent is not None:
        parts.append(f"{(benefit.percent * 100).normalize():f} %")
    return ", ".join(parts)


def find_benefits(
    response: EligibilityResponse,
    code: str,
    *,
    service_type: str | None = None,
    coverage_level: str | None = None,
    time_period: str | None = None,
    in_network: str | None = None,
) -> list[Benefit]:
    """The EB loops with EB01 ``code`` matching the filters (None = any).

    ``service_type`` matches an EB that lists it, or, when none does, one that lists "30" (health
    benefit plan coverage) or none at all — payers often state deductibles only for 30. ``in_network``
    "Y"/"N" also matches "W" (both) and an EB with no indicator.
    """

    def network_ok(benefit: Benefit) -> bool:
        return in_network is None or benefit.in_network in (in_network, "W", "")

    candidates = [
        b
        for b in response.benefits
        if b.code == code
        and (coverage_level is None or b.coverage_level == coverage_level)
        and (time_period is None or b.time_period == time_period)
        and network_ok(b)
    ]
    if service_type is None:
        return candidates
    exact = [b for b in candidates if service_type in b.service_types]
    if exact:
        return exact
    return [b for b in candidates if not b.service_types or "30" in b.service_types]


def response_mismatches(inquiry: EligibilityInquiry, response: EligibilityResponse) -> list[str]:
    """Why ``response`` may not answer ``inquiry`` (empty when it does), in plain words.

    A payer answering for a different member than asked must not be filed as this patient's benefits:
    the trace number must come back, and the member ID, last name and date of birth the payer returns
    must agree with what was sent (when the payer returns them).
    """
    problems: list[str] = []
    if response.trace_numbers and inquiry.trace_number not in response.trace_numbers:
        problems.append(
            f"The response answers trace {', '.join(response.trace_numbers)}, not this check "
            f"({inquiry.trace_number})."
        )
    sent, got = inquiry.subscriber, response.subscriber
    if got.member_id and sent.member_id and got.member_id.upper() != sent.member_id.strip().upper():
        problems.append(
            f"The payer answered for member ID {got.member_id}, but {sent.member_id} was asked."
        )
    pairs = [(sent, got, "subscriber")]
    if inquiry.dependent is not None:
        if response.dependent is None:
            if got.last_name:
                problems.append("The payer answered for the subscriber, not the dependent asked.")
        else:
            pairs.append((inquiry.dependent, response.dependent, "dependent"))
    for asked, answered, who in pairs:
        if (
            answered.last_name
            and clean_text(asked.last_name, 60).upper() != answered.last_name.upper()
        ):
            problems.append(
                f"The payer answered for {who} {answered.last_name}, but {asked.last_name} was asked."
            )
        if (
            answered.date_of_birth
            and asked.date_of_birth
            and answered.date_of_birth != asked.date_of_birth
        ):
            problems.append(
                f"The payer has the {who}'s date of birth as {answered.date_of_birth:%m/%d/%Y}, "
                f"not {asked.date_of_birth:%m/%d/%Y}."
            )
    return problems
