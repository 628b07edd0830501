"""Forms of billing. The charge-entry form has fixed rows (12 diagnoses, 6 procedure lines), parsed
into the service's ``EncounterInput``; the service validates and names each bad field."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from frontdesk.billing.services import EncounterInput, LineInput

DIAGNOSIS_ROWS = 12
LINE_ROWS = 6


def split_words(value: str) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", value or "") if part]


def parse_pointers(value: str) -> tuple[int, ...]:
    out = []
    for part in split_words(value):
        if part.isdigit():
            out.append(int(part))
        elif len(part) == 1 and part.upper() in "ABCDEFGHIJKL":
            out.append("ABCDEFGHIJKL".index(part.upper()) + 1)
        else:
            out.append(99)  # refused by the service with a clear message
    return tuple(out)


def charge_entry_input(data: Any) -> EncounterInput:
    """The posted charge-entry form as service input (blank rows skipped)."""
    diagnoses = tuple(
        str(data.get(f"diagnosis_{n}", "")).strip()
        for n in range(1, DIAGNOSIS_ROWS + 1)
        if str(data.get(f"diagnosis_{n}", "")).strip()
    )
    lines = []
    for n in range(1, LINE_ROWS + 1):
        code = str(data.get(f"line_{n}_procedure_code", "")).strip()
        if not code:
            continue
        lines.append(
            LineInput(
                procedure_code=code,
                charge=str(data.get(f"line_{n}_charge", "")).strip(),
                units=str(data.get(f"line_{n}_units", "") or "1").strip(),
                modifiers=tuple(split_words(str(data.get(f"line_{n}_modifiers", "")))),
                pointers=parse_pointers(str(data.get(f"line_{n}_pointers", "") or "1")),
            )
        )
    provider = str(data.get("rendering_provider", "")).strip()
    organization = str(data.get("billing_organization", "")).strip()
    return EncounterInput(
        diagnoses=diagnoses,
        lines=tuple(lines),
        place_of_service=str(data.get("place_of_service", "")).strip(),
        rendering_provider_id=int(provider) if provider.isdigit() else None,
        billing_organization_id=int(organization) if organization.isdigit() else None,
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=200, help_text="Why (shown on the claim's history).")


class AckImportForm(forms.Form):
    file = forms.FileField(help_text="A TA1, 999 or 277CA file from the clearinghouse.")
