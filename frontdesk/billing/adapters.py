"""Billing's bridges to the code sets (coding app), the clearinghouse and the disclosure log.

Billing calls those apps only through these functions, so the shapes billing relies on are written
down in one place.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MODIFIER_RE = re.compile(r"^[A-Z0-9]{2}$")
PROCEDURE_RE = re.compile(
    r"^([0-9]{4}[0-9A-Z]|[A-V][0-9]{4})$"
)  # CPT (incl. Cat II/III) / HCPCS II


def normalize_icd10(code: str) -> str:
    """ICD-10-CM as stored and sent: upper case, no dot, no spaces."""
    return re.sub(r"[\s.]", "", (code or "").upper())


def with_dot(code: str) -> str:
    code = normalize_icd10(code)
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


@dataclass(frozen=True)
class CodeHit:
    code: str  # no dot
    description: str

    @property
    def display(self) -> str:
        return with_dot(self.code)


def icd10_check(code: str, *, on: dt.date) -> str | None:
    """None when ``code`` is a billable ICD-10-CM code on ``on``; else what is wrong, in plain words."""
    from frontdesk.coding.selectors import icd10_check as coding_check

    check = coding_check(code, on=on)
    if check.ok:
        return None
    return check.message or f"{with_dot(code)} is not a billable code."


def icd10_search(query: str, *, limit: int = 20, on: dt.date | None = None) -> list[CodeHit]:
    """Codes matching a code prefix or words (coding's search)."""
    from frontdesk.coding.selectors import icd10_search as coding_search

    if len((query or "").strip()) < 2:
        return []
    return [
        CodeHit(normalize_icd10(row.code), row.description)
        for row in coding_search(query, limit=limit, on=on)
    ]


def modifier_check(code: str) -> str | None:
    """None when ``code`` is a well-formed, known modifier; else why not."""
    from frontdesk.coding.selectors import modifier_check as coding_modifier

    if not MODIFIER_RE.match(code or ""):
        return f"Modifier {code!r} is not two letters or digits."
    return coding_modifier(code)


def procedure_known(code: str) -> bool | None:
    """True/False: the code is/is not in the practice's code list (imported CPT, shipped HCPCS)."""
    from frontdesk.coding.selectors import procedure_lookup

    return procedure_lookup(code) is not None


def fee_for(
    *, code: str, modifiers: tuple[str, ...] = (), payer_id: int | None, on: dt.date
) -> Decimal | None:
    """The practice's standard charge for the code, or None when the fee schedule has none."""
    from frontdesk.coding.selectors import fee_for as coding_fee

    quote = coding_fee(code=code, modifiers=modifiers, payer_id=payer_id, on=on)
    return quote.standard_charge


def place_of_service_codes() -> dict[str, str]:
    from frontdesk.coding.selectors import POS_CODES

    return dict(POS_CODES)


def exchange_send(
    *, actor: Any, kind: str, payload: str, filename: str, patient_ids: tuple[int, ...]
) -> tuple[int, str] | None:
    """Send a batch file through the clearinghouse: (Exchange pk, "" or the reason it failed).

    The clearinghouse records the exchange and a disclosure for payment per patient it reached.
    """
    from frontdesk.clearinghouse.services import exchange_send as send

    exchange = send(
        actor=actor, kind=kind, payload=payload, filename=filename, patient_ids=patient_ids
    )
    error = "" if exchange.status == "sent" else (exchange.error or "The file was not delivered.")
    return int(exchange.pk), error


def disclosures_for_claims(
    *, actor: Any, patient_ids: tuple[int, ...], reference: str, at: dt.datetime
) -> int:
    """Record a disclosure for payment per patient of an exported claim file; how many were recorded.

    (Claims sent through the clearinghouse are recorded by ``exchange_send`` itself.)
    """
    from frontdesk.disclosures.services import DisclosureEntry, disclosures_record

    entries = [
        DisclosureEntry(
            patient_id=patient_id,
            recipient="Clearinghouse / payer (837P file export)",
            recipient_identifier="837P",
            purpose="payment",
            description="Professional claim (837P) exported for submission",
            reference=reference,
            at=at,
        )
        for patient_id in patient_ids
    ]
    disclosures_record(actor=actor, entries=entries)
    return len(entries)
