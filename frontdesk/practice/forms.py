"""Forms for the practice setup screens. They parse input only; services validate and write.

``ServiceModelForm`` borrows field types, labels and choices from the model but skips Django's model
validation (uniqueness, constraints): the service owns those rules, and its messages are shown
beside the fields through ``apply_domain_error``.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from django import forms

from frontdesk.core.errors import DomainError
from frontdesk.practice import services
from frontdesk.practice.choices import Weekday
from frontdesk.practice.models import (
    Equipment,
    Location,
    Organization,
    Payer,
    Plan,
    Provider,
    Room,
)


def apply_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Put a service's per-field messages beside their fields (others at the top of the form)."""
    if not error.fields:
        form.add_error(None, error.message)
        return
    for field, messages in error.fields.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)


class ServiceModelForm(forms.ModelForm):  # type: ignore[type-arg]
    """A ModelForm that parses only; the service decides what is valid."""

    def _post_clean(self) -> None:
        # Deliberately skip construct_instance/full_clean: the service validates and writes.
        return None


class OrganizationForm(ServiceModelForm):
    npi = forms.CharField(label="Group NPI", max_length=20, required=False)

    class Meta:
        model = Organization
        fields = list(services.ORGANIZATION_FIELDS)


class RoomForm(ServiceModelForm):
    class Meta:
        model = Room
        fields = list(services.ROOM_FIELDS)


class EquipmentForm(ServiceModelForm):
    class Meta:
        model = Equipment
        fields = list(services.EQUIPMENT_FIELDS)


class ProviderForm(ServiceModelForm):
    npi = forms.CharField(
        label="NPI", max_length=20, help_text="10 digits; the last is a check digit."
    )
    taxonomy_code = forms.CharField(
        max_length=20, required=False, help_text="NUCC taxonomy, e.g. 207Q00000X."
    )
    locations = forms.ModelMultipleChoiceField(
        queryset=Location.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Where this provider sees patients.",
    )

    class Meta:
        model = Provider
        fields = [*services.PROVIDER_FIELDS, "locations"]

    def __init__(self, *args: Any, locations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["locations"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = locations if locations is not None else Location.objects.none()


class PayerForm(ServiceModelForm):
    payer_id = forms.CharField(
        label="Payer ID", max_length=40, help_text="Electronic payer ID (clearinghouse)."
    )

    class Meta:
        model = Payer
        fields = list(services.PAYER_FIELDS)


class PlanForm(ServiceModelForm):
    class Meta:
        model = Plan
        fields = list(services.PLAN_FIELDS)


_INTERVAL_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")
HOURS_FORMAT_MESSAGE = "Write intervals as 08:00-12:00, separated by commas (24-hour clock)."


def parse_intervals(text: str) -> list[tuple[time, time]]:
    """Parse '08:00-12:00, 13:00-17:00' into (opens, closes) pairs; raise ValidationError."""
    intervals = []
    for chunk in (part for part in (text or "").split(",") if part.strip()):
        match = _INTERVAL_RE.match(chunk)
        if match is None:
            raise forms.ValidationError(HOURS_FORMAT_MESSAGE)
        oh, om, ch, cm = (int(group) for group in match.groups())
        if oh > 23 or ch > 23 or om > 59 or cm > 59:
            raise forms.ValidationError(HOURS_FORMAT_MESSAGE)
        intervals.append((time(oh, om), time(ch, cm)))
    return intervals


def format_intervals(intervals: list[tuple[time, time]]) -> str:
    return ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in intervals)


class LocationForm(ServiceModelForm):
    """A location and its weekly hours: one text box per weekday ('08:00-12:00, 13:00-17:00')."""

    npi = forms.CharField(label="Location NPI", max_length=20, required=False)
    code = forms.CharField(max_length=40, help_text="Short code used in lists, e.g. north.")

    class Meta:
        model = Location
        fields = list(services.LOCATION_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        existing: dict[int, list[tuple[time, time]]] = {}
        if self.instance.pk is not None:
            for item in self.instance.opening_hours.all():
                existing.setdefault(item.weekday, []).append((item.opens_at, item.closes_at))
        for weekday in Weekday:
            self.fields[f"hours_{weekday.value}"] = forms.CharField(
                label=f"{weekday.label} hours",
                required=False,
                initial=format_intervals(sorted(existing.get(weekday.value, []))),
                help_text="Empty = closed." if weekday.value == 0 else "",
                widget=forms.TextInput(attrs={"placeholder": "08:00-12:00, 13:00-17:00"}),
            )

    def hours_fields(self) -> list[forms.BoundField]:
        return [self[f"hours_{weekday.value}"] for weekday in Weekday]

    def detail_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.Meta.fields]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        intervals: list[services.HoursInterval] = []
        for weekday in Weekday:
            name = f"hours_{weekday.value}"
            try:
                pairs = parse_intervals(self.data.get(self.add_prefix(name), ""))
            except forms.ValidationError as exc:
                self.add_error(name, exc)
                continue
            intervals.extend(services.HoursInterval(weekday.value, a, b) for a, b in pairs)
        cleaned["hours"] = intervals
        return cleaned

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
