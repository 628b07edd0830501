"""Forms of chart prep and no-shows (parsing only; the services validate the rules)."""

from __future__ import annotations

from typing import Any

from django import forms

from frontdesk.chartprep.choices import (
    AuthorizationKind,
    AuthorizationStatus,
    CaseOutcome,
    ConsentKind,
    OutreachChannel,
    OutreachOutcome,
    ReadinessItem,
)
from frontdesk.practice.models import Location, Payer, Plan, Provider
from frontdesk.scheduling.models import AppointmentType

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class WorklistFilterForm(forms.Form):
    location = forms.ModelChoiceField(queryset=Location.objects.none(), required=False)
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.none(), required=False, empty_label="Any provider"
    )
    day = forms.DateField(required=False, widget=DATE, help_text="Blank: the next days.")
    item = forms.ChoiceField(
        choices=[("", "Anything missing"), *ReadinessItem.choices], required=False
    )

    def __init__(self, *args: Any, locations: list[Location], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        location_field: Any = self.fields["location"]
        location_field.queryset = Location.objects.filter(pk__in=[loc.pk for loc in locations])
        location_field.empty_label = "All my locations"
        provider_field: Any = self.fields["provider"]
        provider_field.queryset = Provider.objects.filter(is_active=True)


class AuthorizationForm(forms.Form):
    kind = forms.ChoiceField(choices=AuthorizationKind.choices)
    status = forms.ChoiceField(choices=AuthorizationStatus.choices)
    payer = forms.ModelChoiceField(queryset=Payer.objects.filter(is_active=True), required=False)
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.filter(is_active=True).select_related("payer"), required=False
    )
    number = forms.CharField(max_length=40, required=False, label="Authorization / referral number")
    referring_provider_name = forms.CharField(max_length=120, required=False)
    referring_provider_npi = forms.CharField(
        max_length=10, required=False, label="Referring provider NPI"
    )
    valid_from = forms.DateField(widget=DATE)
    valid_until = forms.DateField(widget=DATE, required=False, help_text="Blank: open-ended.")
    units_approved = forms.IntegerField(required=False, help_text="Visits; blank: not limited.")
    units_used = forms.IntegerField(required=False, initial=0)
    appointment_types = forms.ModelMultipleChoiceField(
        queryset=AppointmentType.objects.filter(is_active=True),
        required=False,
        help_text="None selected: every appointment type.",
    )
    cpt_codes = forms.CharField(
        max_length=200, required=False, label="CPT/HCPCS codes", help_text="Comma-separated."
    )
    note = forms.CharField(max_length=200, required=False, help_text="Administrative only.")

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("appointment_types", None)
        data["units_used"] = data.get("units_used") or 0
        data["cpt_codes"] = [c for c in (data.get("cpt_codes") or "").split(",") if c.strip()]
        return data


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(choices=ConsentKind.choices)


class RecordsRequestForm(forms.Form):
    requested_from = forms.CharField(max_length=120, label="Requested from")


class OutreachForm(forms.Form):
    channel = forms.ChoiceField(choices=OutreachChannel.choices)
    outcome = forms.ChoiceField(choices=OutreachOutcome.choices)
    note = forms.CharField(max_length=200, required=False)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("", "Choose…"), *CaseOutcome.choices], required=False)
    note = forms.CharField(max_length=200, required=False)
