"""The "Record referral" form of the referrals worklist (parsing only: chart prep's service checks
the rules - dates in order, a valid NPI - and says what is wrong)."""

from __future__ import annotations

from typing import Any

from django import forms

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReferralForm(forms.Form):
    referring_provider_name = forms.CharField(max_length=120, required=False)
    referring_provider_npi = forms.CharField(
        max_length=10, required=False, label="Referring provider NPI"
    )
    number = forms.CharField(max_length=40, required=False, label="Referral number")
    valid_from = forms.DateField(widget=DATE)
    valid_until = forms.DateField(widget=DATE, required=False, help_text="Blank: open-ended.")
    units_approved = forms.IntegerField(
        required=False, min_value=0, label="Visits allowed", help_text="Blank: not limited."
    )
    note = forms.CharField(
        max_length=500,
        required=False,
        label="Work note",
        help_text="Kept on the document; administrative only.",
    )

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
