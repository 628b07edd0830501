"""Forms of the code search, the code/fee import and fee schedule editing.

Amounts are plain text: the services parse them strictly (``parse_money``) and answer with field errors.
"""

from __future__ import annotations

from typing import Any

from django import forms

from frontdesk.practice.models import Payer


class SearchForm(forms.Form):
    q = forms.CharField(label="Code or words", max_length=100, required=False)
    on = forms.DateField(
        label="Date of service",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Codes are checked against the release in effect on this date (default today).",
    )


class CodesImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: code, description, standard_charge, "
        "modifier (optional), allowed:<payer ID> (optional, one per payer).",
    )
    effective_from = forms.DateField(
        label="Prices effective from",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The schedules in force on this date receive the prices (default today).",
    )


class FeeScheduleForm(forms.Form):
    name = forms.CharField(max_length=120)
    payer = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        help_text="Leave empty for the practice's standard charges.",
    )
    effective_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    effective_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, with_payer: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if with_payer:
            self.fields["payer"].choices = [("", "Standard charges (no payer)")] + [  # type: ignore[attr-defined]
                (p.pk, f"{p.name} ({p.payer_id})") for p in Payer.objects.order_by("name")
            ]
        else:
            del self.fields["payer"]


class FeeEntryForm(forms.Form):
    code = forms.CharField(max_length=5)
    modifier = forms.CharField(max_length=2, required=False)
    amount = forms.CharField(max_length=20)
