"""The desk's "Take payment" form: fixed tender rows (cash, card, HSA/FSA, check, patient credit), the
charges to apply to, and a hidden idempotency key minted when the form is drawn (a double click or a
resent form replays the first payment instead of charging twice)."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import QueryDict

from frontdesk.payments.services import TenderInput


def new_key() -> str:
    return f"desk-{uuid.uuid4().hex}"


def tenders_from(data: QueryDict) -> list[TenderInput]:
    """The tender rows the desk filled in (a row counts when its amount is filled)."""

    def value(name: str) -> str:
        return str(data.get(name, "") or "").strip()

    tenders: list[TenderInput] = []
    if value("cash_amount"):
        tenders.append(
            TenderInput(
                kind="cash",
                amount=value("cash_amount"),
                cash_tendered=value("cash_tendered") or None,
            )
        )
    if value("card_amount"):
        tenders.append(
            TenderInput(kind="card", amount=value("card_amount"), card_token=value("card_token"))
        )
    if value("hsa_amount"):
        tenders.append(
            TenderInput(kind="hsa_fsa", amount=value("hsa_amount"), card_token=value("hsa_token"))
        )
    if value("check_amount"):
        tenders.append(
            TenderInput(
                kind="check",
                amount=value("check_amount"),
                check_number=value("check_number"),
                check_bank=value("check_bank"),
            )
        )
    if value("credit_amount"):
        tenders.append(TenderInput(kind="credit", amount=value("credit_amount")))
    return tenders


def apply_from(data: QueryDict, charge_ids: list[int]) -> list[tuple[Any, Any]] | None:
    """``None`` (oldest first) unless the desk chose specific charges and amounts."""
    if data.get("apply") != "specific":
        return None
    chosen = []
    for pk in charge_ids:
        amount = str(data.get(f"apply_{pk}", "") or "").strip()
        if amount:
            chosen.append((pk, amount))
    return chosen


# Map the services' field names (tenders.N.amount) back to the form's inputs.
def form_field(service_field: str, tenders: list[TenderInput]) -> str:
    parts = service_field.split(".")
    if parts[0] != "tenders" or len(parts) < 3:
        return service_field
    kind = tenders[int(parts[1])].kind if int(parts[1]) < len(tenders) else ""
    prefix = {"cash": "cash", "card": "card", "hsa_fsa": "hsa", "check": "check"}.get(
        kind, "credit"
    )
    rest = parts[2]
    if rest == "amount":
        return f"{prefix}_amount"
    if rest == "card_token":
        return f"{prefix}_token"
    return rest
