"""Filters of the message log (parsing only)."""

from __future__ import annotations

from django import forms

from frontdesk.notifications.choices import Channel, MessageStatus


class MessageFilterForm(forms.Form):
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *MessageStatus.choices], required=False)
    channel = forms.ChoiceField(choices=[("", "Any channel"), *Channel.choices], required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:  # type: ignore[operator]
            self.add_error("date_to", "Must be on or after the start date.")
        return data
