"""Small forms of the account page: charges, adjustments, reversals, plans, reports.

Amounts are plain text fields: the services parse them strictly (``parse_money``) and answer with
field errors, so a form never rounds what a person typed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from frontdesk.ledger.choices import AdjustmentCode, ChargeCode
from frontdesk.statements.choices import PlanFrequency

# Fees posted by the practice's no-show policy, not typed in by hand.
_MANUAL_CHARGES = [
    (value, label)
    for value, label in ChargeCode.choices
    if value not in ("no_show_fee", "late_cancel_fee")
]


class ChargeForm(forms.Form):
    patient = forms.TypedChoiceField(coerce=int)
    location = forms.TypedChoiceField(coerce=int)
    code = forms.ChoiceField(label="Charge for", choices=_MANUAL_CHARGES)
    amount = forms.CharField(max_length=20)
    memo = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, patients: list[Any], locations: list[Any], **kw: Any) -> None:
        super().__init__(*args, **kw)
        choices = [(p.pk, f"{p.display_name} (MRN {p.mrn})") for p in patients]
        self.fields["patient"].choices = choices  # type: ignore[attr-defined]
        self.fields["location"].choices = [(loc.pk, loc.name) for loc in locations]  # type: ignore[attr-defined]


class AdjustmentForm(forms.Form):
    location = forms.TypedChoiceField(coerce=int)
    code = forms.ChoiceField(label="Kind", choices=AdjustmentCode.choices)
    amount = forms.CharField(
        max_length=20, help_text="Negative lowers what is owed (a write-off), positive raises it."
    )
    reason = forms.CharField(max_length=200)

    def __init__(self, *args: Any, locations: list[Any], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["location"].choices = [(loc.pk, loc.name) for loc in locations]  # type: ignore[attr-defined]


class ReverseForm(forms.Form):
    reason = forms.CharField(max_length=200)


class PlanForm(forms.Form):
    total = forms.CharField(max_length=20)
    instalment_count = forms.IntegerField(label="Instalments", min_value=2, max_value=60)
    frequency = forms.ChoiceField(choices=PlanFrequency.choices)
    start_date = forms.DateField(
        label="First due date", widget=forms.DateInput(attrs={"type": "date"})
    )


class PlanCancelForm(forms.Form):
    reason = forms.CharField(max_length=200)


class CollectionsForm(forms.Form):
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if isinstance(start, dt.date) and isinstance(end, dt.date):
            if end < start:
                self.add_error("date_to", "The end date is before the start date.")
            elif (end - start).days > 366:
                self.add_error("date_to", "Report at most a year at a time.")
        return data
