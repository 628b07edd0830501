from __future__ import annotations

from django import forms

from frontdesk.clearinghouse.choices import ExchangeStatus, Kind


class ExchangeFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "All kinds"), *Kind.choices]
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "All statuses"), *ExchangeStatus.choices]
    )
