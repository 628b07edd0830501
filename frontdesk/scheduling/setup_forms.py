"""Forms of the schedule-setup screens. They parse input only; ``setup_services`` validates and writes.

Wall times are entered in the location's timezone and turned into instants here (the same DST rules
as the availability engine: a time in the spring-forward gap means the transition instant).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from frontdesk.practice.choices import RoomKind
from frontdesk.practice.forms import ServiceModelForm, apply_domain_error
from frontdesk.practice.models import Location, Provider
from frontdesk.scheduling import availability as av
from frontdesk.scheduling.choices import ExceptionReason, TemplateKind
from frontdesk.scheduling.models import AppointmentType
from frontdesk.scheduling.setup_rules import (
    APPOINTMENT_TYPE_FIELDS,
    MAX_BUFFER_MINUTES,
    MAX_DAILY_CAP,
    MAX_DURATION_MINUTES,
    WEEKDAY_NAMES,
    grid_minutes,
    known_equipment_kinds,
    known_specialties,
)

__all__ = [
    "AppointmentTypeForm",
    "ExceptionForm",
    "TemplateEndForm",
    "TemplateForm",
    "apply_domain_error",
]

WEEKDAY_CHOICES = [(str(n), name) for n, name in enumerate(WEEKDAY_NAMES)]


def _minutes(label: str, high: int, *, required: bool = True, help_text: str = "") -> forms.Field:
    return forms.IntegerField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"min": 0, "max": high, "step": 1, "inputmode": "numeric"}),
    )


class AppointmentTypeForm(ServiceModelForm):
    """Every field of an appointment type; the lists of choices come from the practice's data."""

    code = forms.CharField(
        max_length=40,
        required=False,
        help_text="Short code for interfaces and reports; empty = made from the name.",
    )
    duration_minutes = _minutes("Duration (minutes)", MAX_DURATION_MINUTES)
    color = forms.CharField(
        label="Colour", max_length=7, widget=forms.TextInput(attrs={"type": "color"})
    )
    buffer_before_minutes = _minutes(
        "Buffer before (minutes)",
        MAX_BUFFER_MINUTES,
        help_text="Time the provider needs before the visit (set-up).",
    )
    buffer_after_minutes = _minutes(
        "Buffer after (minutes)",
        MAX_BUFFER_MINUTES,
        help_text="Time the provider needs after the visit (notes, cleaning).",
    )
    daily_cap_per_provider = _minutes(
        "Daily limit per provider",
        MAX_DAILY_CAP,
        required=False,
        help_text="Empty = no limit.",
    )
    providers = forms.ModelMultipleChoiceField(
        queryset=Provider.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only these providers take it. Empty = by specialty (or every provider).",
    )
    specialties = forms.MultipleChoiceField(
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="When no provider is listed: providers of these specialties take it.",
    )
    required_room_kind = forms.ChoiceField(
        label="Room it needs", choices=[("", "No room"), *RoomKind.choices], required=False
    )
    required_equipment_kind = forms.ChoiceField(
        label="Equipment it needs", choices=[], required=False
    )

    class Meta:
        model = AppointmentType
        fields = [*APPOINTMENT_TYPE_FIELDS, "providers"]
        labels = {
            "patient_kind": "Patients",
            "modality": "Telehealth or in person",
            "requires_referral": "Needs a referral",
            "requires_prior_auth": "Needs prior authorization",
            "instructions": "Patient instructions",
            "estimate_codes": "Expected procedure codes",
        }
        help_texts = {
            "estimate_codes": "What the visit is expected to bill, for the patient's cost "
            'estimate at scheduling and check-in: CPT/HCPCS codes, comma-separated, "x2" for '
            "units (e.g. 99213, 36415 x2). Empty: no estimate from the type.",
        }
        widgets = {
            "instructions": forms.Textarea(attrs={"rows": 3}),
            "estimate_codes": forms.TextInput(attrs={"placeholder": "99213, 36415 x2"}),
        }

    def __init__(self, *args: Any, providers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance
        provider_field = self.fields["providers"]
        assert isinstance(provider_field, forms.ModelMultipleChoiceField)
        provider_field.queryset = providers if providers is not None else Provider.objects.none()
        specialties = set(known_specialties())
        gear = set(known_equipment_kinds())
        if instance.pk is not None:
            specialties |= set(instance.specialties or [])
            if instance.required_equipment_kind:
                gear.add(instance.required_equipment_kind)
            self.initial.setdefault("specialties", list(instance.specialties or []))
        specialty_field = self.fields["specialties"]
        assert isinstance(specialty_field, forms.MultipleChoiceField)
        specialty_field.choices = [(s, s) for s in sorted(specialties)]
        gear_field = self.fields["required_equipment_kind"]
        assert isinstance(gear_field, forms.ChoiceField)
        gear_field.choices = [("", "No equipment"), *((g, g) for g in sorted(gear))]
        if instance.pk is None:
            self.initial.setdefault("color", "#4a90d9")
            self.initial.setdefault("buffer_before_minutes", 0)
            self.initial.setdefault("buffer_after_minutes", 0)

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in APPOINTMENT_TYPE_FIELDS}
        data["specialties"] = list(self.cleaned_data.get("specialties") or [])
        if not data.get("code") and self.instance.pk is not None:
            data["code"] = self.instance.code
        return data

    def chosen_providers(self) -> list[Provider]:
        return list(self.cleaned_data.get("providers") or [])


class TemplateForm(forms.Form):
    """One weekly window. New: several weekdays at once. Edit: one weekday, and, for a template that
    already applied, the date the change starts (the old pattern stays on record until then)."""

    weekdays = forms.MultipleChoiceField(
        label="Weekdays", choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    weekday = forms.TypedChoiceField(label="Weekday", choices=WEEKDAY_CHOICES, coerce=int)
    kind = forms.ChoiceField(
        label="Kind",
        choices=TemplateKind.choices,
        help_text="Open: bookable. Block: nothing bookable (lunch, meetings). Reserved: only the "
        "chosen types, released to every type shortly before.",
    )
    start_time = forms.TimeField(label="From", widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(
        label="Until", widget=forms.TimeInput(attrs={"type": "time"}), help_text="Not included."
    )
    effective_from = forms.DateField(
        label="First day", widget=forms.DateInput(attrs={"type": "date"})
    )
    effective_until = forms.DateField(
        label="Last day",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Included. Empty = no end.",
    )
    appointment_types = forms.ModelMultipleChoiceField(
        queryset=AppointmentType.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Empty = every type may be booked in this window.",
    )
    release_minutes_before = forms.IntegerField(
        label="Release to every type (minutes before)",
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "step": 5, "inputmode": "numeric"}),
        help_text="Reserved windows only. Empty = never released.",
    )
    label = forms.CharField(max_length=60, required=False, help_text="e.g. Lunch, Same-day urgent.")
    change_from = forms.DateField(
        label="Changes apply from",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Earlier days keep the current pattern (they are history).",
    )

    def __init__(
        self,
        *args: Any,
        types: Any,
        creating: bool,
        applied: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        grid = grid_minutes() * 60
        for name in ("start_time", "end_time"):
            self.fields[name].widget.attrs["step"] = grid
        field = self.fields["appointment_types"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = types
        if creating:
            del self.fields["weekday"]
            del self.fields["change_from"]
        else:
            del self.fields["weekdays"]
            if applied:
                # The first day of a template that applied is history; only the change date moves.
                del self.fields["effective_from"]
            else:
                del self.fields["change_from"]

    def service_data(self) -> dict[str, Any]:
        names = (
            "kind",
            "start_time",
            "end_time",
            "effective_from",
            "effective_until",
            "release_minutes_before",
            "label",
            "weekday",
        )
        return {n: self.cleaned_data.get(n) for n in names if n in self.fields}

    def chosen_weekdays(self) -> list[int]:
        return [int(d) for d in self.cleaned_data.get("weekdays") or []]


class TemplateEndForm(forms.Form):
    last_day = forms.DateField(
        label="Last day it applies",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Included. Yesterday at the earliest.",
    )


APPLIES_TO_CHOICES = [
    ("provider", "This provider at this location"),
    ("provider_everywhere", "This provider at all their locations"),
    ("location", "Everyone at this location (holiday, closure)"),
]


class ExceptionForm(forms.Form):
    """Time off or a closure: a local date/time range at a location (its zone reads the times)."""

    applies_to = forms.ChoiceField(
        label="Applies to", choices=APPLIES_TO_CHOICES, widget=forms.RadioSelect, initial="provider"
    )
    location = forms.ModelChoiceField(queryset=Location.objects.none(), label="Location")
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.none(), label="Provider", required=False
    )
    start_date = forms.DateField(label="From date", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label="From time",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="Empty = from the start of the day.",
    )
    end_date = forms.DateField(
        label="Until date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty = the same day.",
    )
    end_time = forms.TimeField(
        label="Until time",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="Empty = to the end of the day.",
    )
    reason = forms.ChoiceField(label="Reason", choices=ExceptionReason.choices)
    note = forms.CharField(
        max_length=200, required=False, help_text="No patient details; staff see it on the list."
    )

    def __init__(self, *args: Any, locations: Any, providers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        location_field = self.fields["location"]
        provider_field = self.fields["provider"]
        assert isinstance(location_field, forms.ModelChoiceField)
        assert isinstance(provider_field, forms.ModelChoiceField)
        location_field.queryset = locations
        provider_field.queryset = providers

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        location: Location | None = cleaned.get("location")
        applies_to = cleaned.get("applies_to")
        if applies_to in ("provider", "provider_everywhere") and not cleaned.get("provider"):
            self.add_error("provider", "Choose the provider.")
        start_date = cleaned.get("start_date")
        if location is None or start_date is None:
            return cleaned
        tz = location.tzinfo
        end_date = cleaned.get("end_date") or start_date
        start_time = cleaned.get("start_time") or dt.time(0)
        cleaned["starts_at"] = av.wall_to_utc(start_date, start_time, tz)
        end_time = cleaned.get("end_time")
        if end_time is None:
            cleaned["ends_at"] = av.wall_to_utc(end_date + dt.timedelta(days=1), dt.time(0), tz)
        else:
            cleaned["ends_at"] = av.wall_to_utc(end_date, end_time, tz)
        return cleaned

    def service_args(self) -> dict[str, Any]:
        data = self.cleaned_data
        applies_to = data["applies_to"]
        return {
            "provider": data.get("provider") if applies_to != "location" else None,
            "location": data["location"] if applies_to != "provider_everywhere" else None,
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "reason": data["reason"],
            "note": data.get("note", ""),
        }


# Service field names that a form shows under another name.
EXCEPTION_FIELD_MAP = {"starts_at": "start_date", "ends_at": "end_date"}


def apply_exception_error(form: ExceptionForm, error: Any) -> None:
    """Service messages beside the exception form's fields (starts_at -> start_date, ...)."""
    if not error.fields:
        form.add_error(None, error.message)
        return
    for name, messages in error.fields.items():
        target = EXCEPTION_FIELD_MAP.get(name, name)
        for message in messages:
            form.add_error(target if target in form.fields else None, message)


def apply_template_error(form: TemplateForm, error: Any) -> None:
    """Service messages beside the template form's fields (weekday -> weekdays when creating)."""
    if not error.fields:
        form.add_error(None, error.message)
        return
    for name, messages in error.fields.items():
        target = name
        if name == "weekday" and "weekdays" in form.fields:
            target = "weekdays"
        if name == "effective_from" and "effective_from" not in form.fields:
            target = "change_from"
        for message in messages:
            form.add_error(target if target in form.fields else None, message)
