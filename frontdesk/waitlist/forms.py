"""Forms of the waitlist screens: they only parse; the services validate the business rules."""

from __future__ import annotations

from typing import Any

from django import forms

from frontdesk.accounts.policy import A
from frontdesk.practice.models import Location, Provider
from frontdesk.scheduling.models import AppointmentType
from frontdesk.scheduling.selectors import appointment_type_list
from frontdesk.waitlist.models import EntryStatus, OfferStatus

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
OPEN = "open"
ENTRY_STATUS_FILTER = [(OPEN, "Waiting or offered"), ("", "Any status"), *EntryStatus.choices]
OFFER_STATUS_FILTER = [("", "Any status"), *OfferStatus.choices]


def _locations(user: Any) -> Any:
    return (
        Location.objects.restrict(user, A.WAITLIST_MANAGE)
        .filter(is_active=True)
        .order_by("name", "pk")
    )


class EntryForm(forms.Form):
    """Put a patient on the waitlist: who, for what, where it is managed and what times suit them."""

    patient = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": "Search for and pick a patient."},
    )
    appointment_type = forms.ModelChoiceField(
        queryset=AppointmentType.objects.none(), empty_label="Choose…", label="Appointment type"
    )
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(),
        empty_label=None,
        label="Managed at",
        help_text="The location whose staff manage this entry.",
    )
    providers = forms.ModelMultipleChoiceField(
        queryset=Provider.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Clinicians (none ticked = any)",
    )
    locations = forms.ModelMultipleChoiceField(
        queryset=Location.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Locations (none ticked = any)",
    )
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Days (none ticked = any)",
    )
    earliest_time = forms.TimeField(
        required=False,
        label="Not before (time of day)",
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    latest_time = forms.TimeField(
        required=False,
        label="Finished by (time of day)",
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    available_from = forms.DateField(
        required=False, label="Can come from", widget=forms.DateInput(attrs={"type": "date"})
    )
    wanted_before = forms.DateField(
        required=False, label="Wanted before", widget=forms.DateInput(attrs={"type": "date"})
    )
    priority = forms.IntegerField(
        min_value=0,
        max_value=9,
        initial=0,
        label="Priority (0-9, higher first)",
    )
    note = forms.CharField(
        required=False,
        max_length=200,
        label="Scheduling note",
        help_text="Scheduling notes only; nothing clinical.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["appointment_type"].queryset = appointment_type_list(user=user)
        fields["location"].queryset = _locations(user)
        fields["locations"].queryset = _locations(user)
        fields["providers"].queryset = (
            Provider.objects.restrict(user, A.WAITLIST_MANAGE)
            .filter(is_active=True)
            .order_by("last_name", "first_name", "pk")
        )


class EntryFilterForm(forms.Form):
    status = forms.ChoiceField(choices=ENTRY_STATUS_FILTER, required=False, initial=OPEN)
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label="All locations"
    )
    appointment_type = forms.ModelChoiceField(
        queryset=AppointmentType.objects.none(),
        required=False,
        empty_label="All types",
        label="Appointment type",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["location"].queryset = _locations(user)
        fields["appointment_type"].queryset = appointment_type_list(user=user)


class OfferFilterForm(forms.Form):
    status = forms.ChoiceField(choices=OFFER_STATUS_FILTER, required=False)
    day = forms.DateField(
        required=False, label="Offered on", widget=forms.DateInput(attrs={"type": "date"})
    )
