"""Forms of the printing screens: they only parse; the services validate the codes."""

from __future__ import annotations

from typing import Any

from django import forms

from frontdesk.practice.models import Provider


class EncounterFormConfigForm(forms.Form):
    """A provider's or a specialty's favourite codes, one per line."""

    provider = forms.ModelChoiceField(
        queryset=Provider.objects.none(),
        required=False,
        empty_label="- none: a specialty's form -",
        help_text="A provider's own form wins over their specialty's.",
    )
    specialty = forms.CharField(
        max_length=80,
        required=False,
        help_text="For every provider of this specialty without a form of their own (e.g. Family Medicine).",
    )
    procedures = forms.CharField(
        label="Procedure codes (CPT / HCPCS)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "class": "code-lines", "spellcheck": "false"}),
        help_text="One per line: 99213 | Office visit est, low | 25 (modifier optional). "
        "A line '# Title' starts a section.",
    )
    diagnoses = forms.CharField(
        label="Diagnosis codes (ICD-10-CM)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "class": "code-lines", "spellcheck": "false"}),
        help_text="One per line: E11.9 | Type 2 diabetes without complications. "
        "A line '# Title' starts a section.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["provider"]
        field.queryset = Provider.objects.filter(is_active=True).order_by("last_name", "first_name")
