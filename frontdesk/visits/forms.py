"""Parsing the check-in checklist and the board's inputs (forms only parse; services decide)."""

from __future__ import annotations

from typing import Any

from django import forms

from frontdesk.visits.choices import IdentityMethod
from frontdesk.visits.services import CheckInInput

# Demographic fields the desk may say it changed while checking a patient in (the checklist).
DEMOGRAPHIC_FIELDS = [
    ("address", "Address"),
    ("phone", "Phone"),
    ("email", "E-mail"),
    ("emergency_contact", "Emergency contact"),
    ("guarantor", "Guarantor"),
    ("preferred_name", "Preferred name"),
    ("pharmacy", "Pharmacy"),
]


class CheckInForm(forms.Form):
    identity_confirmed = forms.BooleanField(required=False, label="Identity confirmed")
    identity_method = forms.ChoiceField(
        choices=IdentityMethod.choices, initial=IdentityMethod.DATE_OF_BIRTH, label="How"
    )
    demographics_confirmed = forms.BooleanField(required=False, label="Demographics confirmed")
    changed_fields = forms.MultipleChoiceField(
        choices=DEMOGRAPHIC_FIELDS, required=False, label="Changed today"
    )
    insurance_confirmed = forms.BooleanField(required=False, label="Insurance card confirmed")
    self_pay = forms.BooleanField(required=False, label="Self-pay visit")
    override_reason = forms.CharField(
        required=False, max_length=200, label="Manager override: reason"
    )
    note = forms.CharField(required=False, max_length=500, label="Note")

    def to_input(self) -> CheckInInput:
        data: dict[str, Any] = self.cleaned_data
        return CheckInInput(
            identity_confirmed=bool(data.get("identity_confirmed")),
            identity_method=data.get("identity_method") or "",
            demographics_confirmed=bool(data.get("demographics_confirmed")),
            changed_fields=tuple(data.get("changed_fields") or ()),
            insurance_confirmed=bool(data.get("insurance_confirmed")),
            self_pay=bool(data.get("self_pay")),
            override_reason=data.get("override_reason") or "",
            note=data.get("note") or "",
        )
