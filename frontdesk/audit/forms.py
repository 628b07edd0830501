"""Forms for the audit report filters and the break-glass review."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from frontdesk.audit.choices import AuditAction, AuditCategory, AuditOutcome


class _UserChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.username})"


def _any(label: str, choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", label), *choices]


class AuditReportForm(forms.Form):
    """The report's filters; every one optional. Dates are days in the practice's timezone."""

    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    user = _UserChoiceField(
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        empty_label="Anyone",
        label="User",
    )
    patient = forms.CharField(required=False, max_length=40, label="Patient id or MRN")
    action = forms.ChoiceField(
        required=False, choices=_any("Any action", AuditAction.choices), label="Action"
    )
    category = forms.ChoiceField(
        required=False, choices=_any("Any category", AuditCategory.choices), label="Category"
    )
    outcome = forms.ChoiceField(
        required=False, choices=_any("Any outcome", AuditOutcome.choices), label="Outcome"
    )
    emergency_only = forms.BooleanField(required=False, label="Emergency access only")

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def used_filter_names(self) -> list[str]:
        """Name the filters that narrow the report (names only: their values may identify people)."""
        return [name for name, value in self.cleaned_data.items() if value not in (None, "", False)]

    def selector_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "actor_id": data["user"].pk if data.get("user") else None,
            "patient": data.get("patient") or "",
            "action": data.get("action") or "",
            "category": data.get("category") or "",
            "outcome": data.get("outcome") or "",
            "emergency_only": bool(data.get("emergency_only")),
        }


class GrantReviewForm(forms.Form):
    note = forms.CharField(
        label="Review note",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the review found: was the emergency access justified?",
    )
