"""Forms of the drawer, day close and settlement screens (field names only; services validate)."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from frontdesk.payments.choices import DENOMINATIONS
from frontdesk.practice.models import Location


def denomination_field(value: str) -> str:
    return "d_" + value.replace(".", "_")


class DenominationsMixin(forms.Form):
    """One whole-number field per denomination; ``counts()`` gives the service its dict."""

    def add_denominations(self) -> None:
        for value, label in DENOMINATIONS:
            self.fields[denomination_field(value)] = forms.IntegerField(
                label=label, min_value=0, max_value=100_000, required=False
            )

    def counts(self) -> dict[str, int]:
        return {
            value: self.cleaned_data[denomination_field(value)]
            for value, _label in DENOMINATIONS
            if self.cleaned_data.get(denomination_field(value))
        }

    def denomination_fields(self) -> list[Any]:
        return [self[denomination_field(value)] for value, _label in DENOMINATIONS]


class DrawerOpenForm(DenominationsMixin):
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    workstation = forms.CharField(max_length=60, label="Workstation (desk)")

    def __init__(self, *args: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.fields["location"].initial = locations.first()
        self.add_denominations()


class DrawerCountForm(DenominationsMixin):
    checks = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Checks (one per line: number and amount, e.g. 1042 30.00)",
    )
    card_batch_total = forms.CharField(max_length=20, required=False, label="Card batch total")
    variance_reason = forms.CharField(
        max_length=300, required=False, label="Reason for a variance (over the limit)"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_denominations()

    def clean_checks(self) -> list[tuple[str, str]]:
        listed: list[tuple[str, str]] = []
        for number, raw in enumerate(str(self.cleaned_data.get("checks") or "").splitlines(), 1):
            line = raw.strip()
            if not line:
                continue
            parts = [p for p in re.split(r"[,\s;]+", line) if p]
            if len(parts) != 2:
                raise forms.ValidationError(
                    f"Line {number}: write the check number and the amount, e.g. 1042 30.00."
                )
            listed.append((parts[0], parts[1]))
        return listed


class ApproveForm(forms.Form):
    note = forms.CharField(max_length=300, label="Approval note")


class DayForm(forms.Form):
    location = forms.ModelChoiceField(queryset=Location.objects.none(), required=False)
    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]


class ReopenForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Reason for reopening")


class SettlementUploadForm(forms.Form):
    file = forms.FileField(label="Settlement file (CSV)")
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(),
        required=False,
        empty_label="All my locations",
    )

    def __init__(self, *args: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
