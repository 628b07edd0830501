"""Billing's bridges to the code sets (coding app) and the clearinghouse, in one place.

The coding and clearinghouse apps are built alongside billing; each bridge calls their published
selector or service when it is there and otherwise falls back to a small local rule (documented per
function), so billing works - and its tests run - either way. When those apps have landed the
fallbacks are dead code and can go.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import simple_icd_10_cm as icd

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
    try:
        from frontdesk.coding.selectors import icd10_check as coding_check  # type: ignore[attr-defined]
    except ImportError:
        coding_check = None
    if coding_check is not None:
        check: Any = coding_check(code, on=on)
        if getattr(check, "ok", False):
            return None
        return str(getattr(check, "message", "") or f"{with_dot(code)} is not a billable code.")
    # Fallback: the bundled FY code set of simple-icd-10-cm (no effective dates).
    bare = normalize_icd10(code)
    dotted = with_dot(bare)
    if not bare or not icd.is_valid_item(dotted):
        return f"{dotted or code!r} is not an ICD-10-CM code."
    if not icd.is_leaf(dotted):
        children = ", ".join(icd.remove_dot(c) for c in icd.get_children(dotted)[:4])
        return (
            f"{dotted} is a header code, not billable; pick a more specific code ({children}, ...)."
        )
    return None


def icd10_description(code: str) -> str:
    dotted = with_dot(code)
    try:
        return str(icd.get_description(dotted)) if icd.is_valid_item(dotted) else ""
    except ValueError:
        return ""


def icd10_search(query: str, *, limit: int = 20, on: dt.date | None = None) -> list[CodeHit]:
    """Codes matching a code prefix or words (billable codes first)."""
    try:
        from frontdesk.coding.selectors import icd10_search as coding_search  # type: ignore[attr-defined]
    except ImportError:
        coding_search = None
    if coding_search is not None:
        rows = coding_search(query, limit=limit, on=on)
        return [
            CodeHit(normalize_icd10(str(r.code)), str(getattr(r, "description", ""))) for r in rows
        ]
    text = (query or "").strip()
    if len(text) < 2:
        return []
    hits: list[CodeHit] = []
    prefix = normalize_icd10(text)
    words = text.lower().split()
    for code in _leaf_codes():
        bare = icd.remove_dot(code)
        if bare.startswith(prefix) or all(w in icd.get_description(code).lower() for w in words):
            hits.append(CodeHit(bare, icd.get_description(code)))
            if len(hits) >= limit:
                break
    return hits


_LEAVES: list[str] = []


def _leaf_codes() -> list[str]:
    if not _LEAVES:
        _LEAVES.extend(
            c for c in icd.get_all_codes(with_dots=True) if icd.is_leaf(c) and "-" not in c
        )
    return _LEAVES


def modifier_check(code: str) -> str | None:
    """None when ``code`` is a well-formed modifier; else why not."""
    try:
        from frontdesk.coding.selectors import modifier_check as coding_modifier  # type: ignore[attr-defined]
    except ImportError:
        coding_modifier = None
    if coding_modifier is not None:
        result = coding_modifier(code)
        return None if result is None else str(result)
    if not MODIFIER_RE.match(code or ""):
        return f"Modifier {code!r} is not two letters or digits."
    return None


def procedure_known(code: str) -> bool | None:
    """True/False: the code is/is not in the practice's code list; None: no code list to ask."""
    try:
        from frontdesk.coding.selectors import procedure_lookup  # type: ignore[attr-defined]
    except ImportError:
        return None
    return procedure_lookup(code) is not None


def fee_for(
    *, code: str, modifiers: tuple[str, ...] = (), payer_id: int | None, on: dt.date
) -> Decimal | None:
    """The practice's standard charge for the code, or None when there is no fee schedule entry."""
    try:
        from frontdesk.coding.selectors import fee_for as coding_fee  # type: ignore[attr-defined]
    except ImportError:
        return None
    quote = coding_fee(code=code, modifiers=modifiers, payer_id=payer_id, on=on)
    value = getattr(quote, "standard_charge", None)
    return value if isinstance(value, Decimal) else None


def place_of_service_codes() -> dict[str, str]:
    try:
        from frontdesk.coding.selectors import POS_CODES  # type: ignore[attr-defined]
    except ImportError:
        return dict(_POS_FALLBACK)
    return dict(POS_CODES)


_POS_FALLBACK = {
    "02": "Telehealth (not in patient's home)",
    "10": "Telehealth in patient's home",
    "11": "Office",
    "12": "Home",
    "19": "Off campus outpatient hospital",
    "20": "Urgent care facility",
    "21": "Inpatient hospital",
    "22": "On campus outpatient hospital",
    "23": "Emergency room - hospital",
    "31": "Skilled nursing facility",
    "32": "Nursing facility",
    "49": "Independent clinic",
    "50": "Federally qualified health center",
    "71": "Public health clinic",
    "72": "Rural health clinic",
    "81": "Independent laboratory",
    "99": "Other place of service",
}


def exchange_send(
    *, actor: Any, kind: str, payload: str, filename: str, patient_ids: tuple[int, ...]
) -> int | None:
    """Send a batch file through the clearinghouse; the Exchange pk, or None when there is none yet.

    The clearinghouse records the exchange and a disclosure for payment per patient.
    """
    try:
        from frontdesk.clearinghouse.services import exchange_send as send  # type: ignore[attr-defined]
    except ImportError:
        return None
    exchange = send(
        actor=actor, kind=kind, payload=payload, filename=filename, patient_ids=patient_ids
    )
    return int(exchange.pk)


def disclosures_for_claims(
    *, actor: Any, patient_ids: tuple[int, ...], reference: str, at: dt.datetime
) -> int:
    """Record a disclosure for payment per patient of an exported claim file; how many were recorded.

    (Claims sent through the clearinghouse are recorded by ``exchange_send`` itself.)
    """
    try:
        from frontdesk.disclosures.services import (  # type: ignore[attr-defined]
            DisclosureEntry,
            disclosures_record,
        )
    except ImportError:
        return 0
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
