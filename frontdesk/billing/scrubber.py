"""The claim scrubber: rules over plain data, run before anything is sent.

``scrub(facts, lookups)`` returns findings; each names the field and says how to fix it. An error holds
the claim; a warning does not. The rules need no database: the service gathers the facts (and the
already-billed claims for duplicate detection) and passes the code-set checks in as ``Lookups``.

Timely filing: the window is the payer's ``PayerClaimSettings.timely_filing_days`` when set, else a
default by payer type: commercial 90 days, Medicaid and Medicare Advantage 180, Medicare 365 (CMS:
one calendar year from the date of service), workers' compensation 365. A claim within 14 days of the
limit gets a warning; past it, an error (a late claim is denied, so send proof of timely filing
instead, or write it off).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from frontdesk.standards.npi import InvalidNPI
from frontdesk.standards.npi import validate as npi_validate

MAX_DIAGNOSES = 12
MAX_POINTERS = 4
MAX_MODIFIERS = 4
TIMELY_FILING_DEFAULTS = {
    "commercial": 90,
    "medicaid": 180,
    "medicare_advantage": 180,
    "medicare": 365,
    "workers_comp": 365,
    "self_pay": 365,
}
TIMELY_FILING_WARN_DAYS = 14
ZIP9_RE = re.compile(r"^[0-9]{5}-?[0-9]{4}$")
ZIP_RE = re.compile(r"^[0-9]{5}(-?[0-9]{4})?$")
TAX_ID_RE = re.compile(r"^[0-9]{2}-?[0-9]{7}$")
POS_RE = re.compile(r"^[0-9]{2}$")
STATE_RE = re.compile(r"^[A-Z]{2}$")

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" holds the claim, "warning" does not
    code: str  # stable machine code, e.g. "npi_check_digit"
    field: str  # where: "billing_provider.npi", "line 2.modifiers", "diagnoses[3]"
    message: str  # what is wrong
    fix: str  # how to fix it


@dataclass(frozen=True)
class PostalAddress:
    line1: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""


@dataclass(frozen=True)
class PersonFacts:
    last_name: str = ""
    first_name: str = ""
    date_of_birth: dt.date | None = None
    sex: str = ""  # M / F / U
    address: PostalAddress = PostalAddress()
    member_id: str = ""


@dataclass(frozen=True)
class LineFacts:
    line_number: int
    procedure_code: str
    modifiers: tuple[str, ...]
    units: Decimal
    charge: Decimal
    pointers: tuple[int, ...]
    service_date: dt.date | None


@dataclass(frozen=True)
class ClaimFacts:
    claim_id: str
    today: dt.date
    service_date: dt.date | None
    place_of_service: str
    diagnoses: tuple[str, ...]
    lines: tuple[LineFacts, ...]
    billing_name: str
    billing_npi: str
    billing_tax_id: str
    billing_address: PostalAddress
    rendering_npi: str
    rendering_name: str
    payer_name: str
    payer_id: str
    payer_type: str
    subscriber: PersonFacts
    relationship: str = "18"
    patient: PersonFacts | None = None  # the patient when not the subscriber
    frequency_code: str = "1"
    original_payer_claim_number: str = ""
    timely_filing_days: int | None = None
    duplicates: tuple[str, ...] = ()  # claim ids already billed for the same services
    is_secondary: bool = False
    has_prior_adjudication: bool = True


@dataclass(frozen=True)
class Lookups:
    """Code-set checks: each returns None when fine, else the message."""

    icd10_check: Callable[[str, dt.date], str | None]
    modifier_check: Callable[[str], str | None]
    procedure_known: Callable[[str], bool | None] = field(default=lambda code: None)


def timely_filing_limit(facts: ClaimFacts) -> int:
    if facts.timely_filing_days:
        return facts.timely_filing_days
    return TIMELY_FILING_DEFAULTS.get(facts.payer_type, 90)


def scrub(facts: ClaimFacts, lookups: Lookups) -> list[Finding]:
    """Every finding for the claim, errors and warnings, in a stable order."""
    out: list[Finding] = []

    def error(code: str, where: str, message: str, fix: str) -> None:
        out.append(Finding(ERROR, code, where, message, fix))

    def warning(code: str, where: str, message: str, fix: str) -> None:
        out.append(Finding(WARNING, code, where, message, fix))

    _billing_provider(facts, error)
    _rendering_provider(facts, error)
    _payer(facts, error)
    _subscriber(facts, error)
    _claim(facts, lookups, error, warning)
    _lines(facts, lookups, error, warning)
    return out


Report = Callable[[str, str, str, str], None]


def _npi(value: str, where: str, who: str, error: Report) -> None:
    if not value:
        error("npi_missing", where, f"The {who} has no NPI.", f"Enter the {who}'s NPI.")
        return
    try:
        npi_validate(value)
    except InvalidNPI as exc:
        error(
            "npi_invalid",
            where,
            f"The {who}'s NPI {value} is not valid: {exc}",
            "Correct the NPI (copy it from the NPPES registry).",
        )


def _billing_provider(facts: ClaimFacts, error: Report) -> None:
    if not facts.billing_name.strip():
        error(
            "billing_name_missing",
            "billing_provider.name",
            "The billing provider has no name.",
            "Enter the practice's legal name in the practice settings.",
        )
    _npi(facts.billing_npi, "billing_provider.npi", "billing provider", error)
    if not TAX_ID_RE.match(facts.billing_tax_id or ""):
        error(
            "billing_tax_id",
            "billing_provider.tax_id",
            "The billing provider's tax id (EIN) is missing or not 9 digits.",
            "Enter the practice's EIN (NN-NNNNNNN) in the practice settings.",
        )
    address = facts.billing_address
    if not (address.line1.strip() and address.city.strip() and STATE_RE.match(address.state)):
        error(
            "billing_address",
            "billing_provider.address",
            "The billing provider's street address, city or state is missing.",
            "Complete the practice's address (a street address, not a PO box) in the settings.",
        )
    if not ZIP9_RE.match(address.postal_code or ""):
        error(
            "billing_zip9",
            "billing_provider.postal_code",
            "The billing provider's ZIP code must have all 9 digits (ZIP+4) on a claim.",
            "Enter the practice's ZIP+4, e.g. 12345-6789.",
        )


def _rendering_provider(facts: ClaimFacts, error: Report) -> None:
    _npi(facts.rendering_npi, "rendering_provider.npi", "rendering provider", error)


def _payer(facts: ClaimFacts, error: Report) -> None:
    if not facts.payer_id.strip():
        error(
            "payer_id_missing",
            "payer.payer_id",
            f"The payer {facts.payer_name or ''} has no electronic payer ID.".replace("  ", " "),
            "Enter the payer ID from the clearinghouse's payer list on the payer.",
        )


def _person(
    person: PersonFacts, where: str, who: str, error: Report, *, member: bool = False
) -> None:
    if member and not person.member_id.strip():
        error(
            "member_id_missing",
            f"{where}.member_id",
            f"The {who}'s member ID is missing.",
            "Copy the member ID from the insurance card onto the coverage.",
        )
    if not person.last_name.strip() or not person.first_name.strip():
        error(
            "name_missing",
            f"{where}.name",
            f"The {who}'s first or last name is missing.",
            "Enter the name exactly as on the insurance card.",
        )
    if person.date_of_birth is None:
        error(
            "dob_missing",
            f"{where}.date_of_birth",
            f"The {who}'s date of birth is missing.",
            "Enter the date of birth on the coverage (subscriber) or the patient record.",
        )
    if person.sex not in ("M", "F", "U"):
        error(
            "sex_missing",
            f"{where}.sex",
            f"The {who}'s sex is missing.",
            "Enter the sex as the payer has it (M, F or unknown).",
        )
    address = person.address
    if not (
        address.line1.strip()
        and address.city.strip()
        and STATE_RE.match(address.state or "")
        and ZIP_RE.match(address.postal_code or "")
    ):
        error(
            "address_incomplete",
            f"{where}.address",
            f"The {who}'s address is incomplete (street, city, state and ZIP are required).",
            "Complete the address on the patient record.",
        )


def _subscriber(facts: ClaimFacts, error: Report) -> None:
    _person(facts.subscriber, "subscriber", "subscriber", error, member=True)
    if facts.relationship != "18":
        if facts.patient is None:
            error(
                "patient_missing",
                "patient",
                "The patient is not the subscriber, but the patient's data is missing.",
                "Check the coverage's relationship to the subscriber.",
            )
        else:
            _person(facts.patient, "patient", "patient", error)


def _claim(facts: ClaimFacts, lookups: Lookups, error: Report, warning: Report) -> None:
    if facts.service_date is None:
        error(
            "service_date_missing",
            "service_date",
            "The claim has no date of service.",
            "Enter the date of service.",
        )
    elif facts.service_date > facts.today:
        error(
            "service_date_future",
            "service_date",
            f"The date of service {facts.service_date.isoformat()} is in the future.",
            "Bill a visit after it happened; correct the date of service.",
        )
    if not POS_RE.match(facts.place_of_service or ""):
        error(
            "pos_invalid",
            "place_of_service",
            "The place of service is missing or not a 2-digit CMS code.",
            "Pick the place of service (11 = office).",
        )
    if not facts.diagnoses:
        error(
            "diagnosis_missing",
            "diagnoses",
            "The claim has no diagnosis.",
            "Enter at least one ICD-10-CM diagnosis.",
        )
    if len(facts.diagnoses) > MAX_DIAGNOSES:
        error(
            "too_many_diagnoses",
            "diagnoses",
            f"The claim has {len(facts.diagnoses)} diagnoses; an 837P carries at most 12.",
            "Keep the 12 most relevant diagnoses (split the claim if all are needed).",
        )
    seen: set[str] = set()
    for index, code in enumerate(facts.diagnoses, start=1):
        where = f"diagnoses[{index}]"
        if code in seen:
            error(
                "diagnosis_repeated",
                where,
                f"Diagnosis {code} is listed twice.",
                "Remove the repeated diagnosis and renumber the pointers.",
            )
        seen.add(code)
        if facts.service_date is not None:
            problem = lookups.icd10_check(code, facts.service_date)
            if problem:
                error(
                    "diagnosis_invalid",
                    where,
                    problem,
                    "Pick a billable ICD-10-CM code valid on the date of service.",
                )
    if facts.frequency_code in ("7", "8") and not facts.original_payer_claim_number.strip():
        error(
            "original_claim_number_missing",
            "original_payer_claim_number",
            "A corrected or void claim needs the payer's claim number of the original (REF*F8).",
            "Import the original's 277CA or 835, or enter the payer claim number from the payer.",
        )
    if facts.is_secondary and not facts.has_prior_adjudication:
        error(
            "cob_missing",
            "prior_adjudication",
            "A secondary claim needs the primary payer's adjudication.",
            "Post the primary payer's 835 first.",
        )
    if facts.service_date is not None:
        limit = timely_filing_limit(facts)
        age = (facts.today - facts.service_date).days
        if age > limit:
            error(
                "timely_filing_expired",
                "service_date",
                f"The date of service is {age} days ago; {facts.payer_name} accepts claims "
                f"for {limit} days.",
                "Send proof of timely filing with an appeal, or write the charge off.",
            )
        elif age > limit - TIMELY_FILING_WARN_DAYS:
            warning(
                "timely_filing_near",
                "service_date",
                f"Only {limit - age} days are left of {facts.payer_name}'s {limit}-day filing window.",
                "Send this claim today.",
            )
    if facts.duplicates:
        error(
            "duplicate_claim",
            "lines",
            "The same services for this patient and date were already billed to this payer "
            f"on claim {', '.join(facts.duplicates)}.",
            "Void this claim, or send a corrected claim (frequency 7) of the original instead.",
        )


def _lines(facts: ClaimFacts, lookups: Lookups, error: Report, warning: Report) -> None:
    if not facts.lines:
        error(
            "lines_missing",
            "lines",
            "The claim has no service lines.",
            "Enter at least one procedure code.",
        )
    if len(facts.lines) > 50:
        error(
            "too_many_lines",
            "lines",
            "An 837P claim carries at most 50 service lines.",
            "Split the claim.",
        )
    for line in facts.lines:
        where = f"line {line.line_number}"
        code = line.procedure_code
        if not re.match(r"^([0-9]{4}[0-9A-Z]|[A-V][0-9]{4})$", code or ""):
            error(
                "procedure_invalid",
                f"{where}.procedure_code",
                f"{code!r} is not a CPT or HCPCS code.",
                "Enter a 5-character CPT or HCPCS Level II code.",
            )
        elif lookups.procedure_known(code) is False:
            error(
                "procedure_unknown",
                f"{where}.procedure_code",
                f"CPT {code} is not in the practice's code list.",
                "Import it (frontdesk codes import-cpt) or correct the code.",
            )
        if len(line.modifiers) > MAX_MODIFIERS:
            error(
                "too_many_modifiers",
                f"{where}.modifiers",
                f"Line {line.line_number} has {len(line.modifiers)} modifiers; at most 4.",
                "Keep the 4 that matter for payment, pricing modifiers first.",
            )
        for modifier in line.modifiers:
            problem = lookups.modifier_check(modifier)
            if problem:
                error(
                    "modifier_invalid",
                    f"{where}.modifiers",
                    problem,
                    "Correct or remove the modifier.",
                )
        if line.units <= 0:
            error(
                "units_invalid",
                f"{where}.units",
                "Units must be more than zero.",
                "Enter the units (1 for most visits).",
            )
        if line.charge <= 0:
            error(
                "charge_invalid",
                f"{where}.charge",
                "The line's charge must be more than zero.",
                "Enter the practice's charge for the code.",
            )
        if not line.pointers:
            error(
                "pointer_missing",
                f"{where}.diagnosis_pointers",
                "The line points at no diagnosis.",
                "Point the line at the diagnosis it treats (1 = the first).",
            )
        if len(line.pointers) > MAX_POINTERS:
            error(
                "too_many_pointers",
                f"{where}.diagnosis_pointers",
                "A line points at 4 diagnoses at most.",
                "Keep the 4 most relevant pointers.",
            )
        for pointer in line.pointers:
            if not 1 <= pointer <= len(facts.diagnoses):
                error(
                    "pointer_out_of_range",
                    f"{where}.diagnosis_pointers",
                    f"Pointer {pointer} does not point at a diagnosis of the claim "
                    f"(it has {len(facts.diagnoses)}).",
                    "Point at one of the claim's diagnoses, or add the diagnosis.",
                )
        if len(set(line.pointers)) != len(line.pointers):
            warning(
                "pointer_repeated",
                f"{where}.diagnosis_pointers",
                "The line points at the same diagnosis twice.",
                "Remove the repeated pointer.",
            )
        if (
            line.service_date is not None
            and facts.service_date is not None
            and line.service_date != facts.service_date
        ):
            warning(
                "line_date_differs",
                f"{where}.service_date",
                "The line's date differs from the claim's date of service.",
                "Check the line's date of service.",
            )
