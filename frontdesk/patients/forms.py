"""Forms for the patient screens. They parse what staff typed; the patient services validate and write.

Each form's ``service_data()`` returns the plain dict the service contract takes (model field names,
``phones`` as a list of rows). Messages the services raise are put beside their fields by
``apply_patient_error`` (some service field names map onto differently named inputs).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from frontdesk.core.errors import DomainError
from frontdesk.patients.choices import (
    CoveragePriority,
    CoverageStatus,
    GenderIdentity,
    GuarantorKind,
    PhoneType,
    SexAtBirth,
    SubscriberRelationship,
)
from frontdesk.patients.normalize import phone_display

PHONE_ROWS = 3

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# Service field name -> form field name, where the form takes the value differently.
SERVICE_TO_FORM = {
    "guarantor_patient": "guarantor_mrn",
    "subscriber_patient": "subscriber_mrn",
    "merged": "other_mrn",
}


def _blank_choice(choices: Iterable[tuple[Any, Any]], label: str = "—") -> list[tuple[Any, Any]]:
    return [("", label), *choices]


def apply_patient_error(form: forms.BaseForm, error: DomainError) -> None:
    """Put a service's per-field messages beside their inputs; the rest above the form."""
    if not error.fields:
        form.add_error(None, error.message)
        return
    for field, messages in error.fields.items():
        target = SERVICE_TO_FORM.get(field, field)
        for message in messages:
            if target == "phones" and isinstance(form, PatientForm):
                form.phone_errors.append(message)
            elif target in form.fields:
                form.add_error(target, message)
            else:
                form.add_error(None, message)


class PatientForm(forms.Form):
    """Registration and demographics: everything the front desk asks a new patient."""

    first_name = forms.CharField(max_length=60, label="First name")
    middle_name = forms.CharField(max_length=60, required=False, label="Middle name")
    last_name = forms.CharField(max_length=60, label="Last name")
    suffix = forms.CharField(max_length=20, required=False, help_text="e.g. Jr., III")
    preferred_name = forms.CharField(max_length=60, required=False, label="Preferred name")
    previous_last_name = forms.CharField(max_length=60, required=False, label="Previous last name")
    date_of_birth = forms.DateField(label="Date of birth", widget=DATE_WIDGET)
    sex_at_birth = forms.ChoiceField(
        label="Sex assigned at birth", choices=_blank_choice(SexAtBirth.choices, "Choose…")
    )
    gender_identity = forms.ChoiceField(
        label="Gender identity", choices=_blank_choice(GenderIdentity.choices), required=False
    )
    pronouns = forms.CharField(max_length=40, required=False, help_text="e.g. she/her, they/them")
    ssn = forms.CharField(
        label="SSN",
        max_length=20,
        required=False,
        help_text="Optional. 9 digits; stored encrypted.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    email = forms.CharField(
        label="E-mail",
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    address_line1 = forms.CharField(max_length=100, required=False, label="Address line 1")
    address_line2 = forms.CharField(max_length=100, required=False, label="Address line 2")
    city = forms.CharField(max_length=60, required=False)
    state = forms.CharField(max_length=2, required=False, help_text="Two letters, e.g. IL")
    postal_code = forms.CharField(max_length=10, required=False, label="ZIP code")
    preferred_language = forms.CharField(
        max_length=16, initial="en", label="Preferred language", help_text="e.g. en, es, zh-Hant"
    )
    interpreter_needed = forms.BooleanField(required=False, label="Needs an interpreter")
    sms_consent_at = forms.DateField(
        required=False, label="SMS consent given on", widget=DATE_WIDGET
    )
    email_consent_at = forms.DateField(
        required=False, label="E-mail consent given on", widget=DATE_WIDGET
    )
    voice_consent_at = forms.DateField(
        required=False, label="Voice-call consent given on", widget=DATE_WIDGET
    )
    emergency_contact_name = forms.CharField(
        max_length=120, required=False, label="Emergency contact name"
    )
    emergency_contact_relationship = forms.CharField(
        max_length=40, required=False, label="Relationship"
    )
    emergency_contact_phone = forms.CharField(
        max_length=30, required=False, label="Emergency contact phone"
    )
    guarantor_kind = forms.ChoiceField(
        label="Guarantor", choices=GuarantorKind.choices, initial=GuarantorKind.SELF
    )
    guarantor_mrn = forms.CharField(
        max_length=20,
        required=False,
        label="Guarantor's MRN",
        help_text="When the guarantor is another patient.",
    )
    guarantor_name = forms.CharField(
        max_length=120, required=False, label="Guarantor's name", help_text="Another person."
    )
    guarantor_relationship = forms.ChoiceField(
        label="Guarantor's relationship",
        choices=_blank_choice(SubscriberRelationship.choices),
        required=False,
    )
    guarantor_phone = forms.CharField(max_length=30, required=False, label="Guarantor's phone")
    guarantor_address = forms.CharField(max_length=250, required=False, label="Guarantor's address")
    employer_name = forms.CharField(max_length=120, required=False, label="Employer")
    employer_phone = forms.CharField(max_length=30, required=False, label="Employer phone")

    SECTIONS: list[tuple[str, list[str]]] = [
        (
            "Name",
            [
                "first_name",
                "middle_name",
                "last_name",
                "suffix",
                "preferred_name",
                "previous_last_name",
            ],
        ),
        (
            "Identity",
            ["date_of_birth", "sex_at_birth", "gender_identity", "pronouns", "ssn"],
        ),
        (
            "Contact",
            [
                "email",
                "address_line1",
                "address_line2",
                "city",
                "state",
                "postal_code",
                "preferred_language",
                "interpreter_needed",
            ],
        ),
        ("Communication consent", ["sms_consent_at", "email_consent_at", "voice_consent_at"]),
        ("Photo", ["photo"]),
        (
            "Emergency contact",
            ["emergency_contact_name", "emergency_contact_relationship", "emergency_contact_phone"],
        ),
        (
            "Guarantor and employer",
            [
                "guarantor_kind",
                "guarantor_mrn",
                "guarantor_name",
                "guarantor_relationship",
                "guarantor_phone",
                "guarantor_address",
                "employer_name",
                "employer_phone",
            ],
        ),
    ]

    photo = forms.FileField(
        required=False,
        label="Patient photo",
        help_text="JPEG or PNG, e.g. taken at the desk; helps confirm identity at check-in.",
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.phone_errors: list[str] = []
        for row in range(1, PHONE_ROWS + 1):
            self.fields[f"phone_{row}_number"] = forms.CharField(
                max_length=30,
                required=False,
                label=f"Phone {row}",
                widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            )
            self.fields[f"phone_{row}_type"] = forms.ChoiceField(
                choices=PhoneType.choices, label=f"Phone {row} type", required=False
            )
            self.fields[f"phone_{row}_sms"] = forms.BooleanField(
                required=False, label=f"Phone {row} takes text messages"
            )
        if editing:
            self.fields["ssn"].help_text = "Leave empty to keep the SSN on file."

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]

    def phone_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (self[f"phone_{row}_number"], self[f"phone_{row}_type"], self[f"phone_{row}_sms"])
            for row in range(1, PHONE_ROWS + 1)
        ]

    def service_data(self, *, guarantor: Any = None) -> dict[str, Any]:
        """The service's input: model field names, phones as rows, the guarantor resolved."""
        data = dict(self.cleaned_data)
        data.pop("guarantor_mrn", None)
        phones = []
        for row in range(1, PHONE_ROWS + 1):
            number = data.pop(f"phone_{row}_number", "")
            phone_type = data.pop(f"phone_{row}_type", "") or PhoneType.MOBILE
            sms = data.pop(f"phone_{row}_sms", False)
            if number:
                phones.append({"number": number, "phone_type": phone_type, "sms_capable": sms})
        data["phones"] = phones
        if self.editing and not data.get("ssn"):
            data.pop("ssn", None)  # an empty box on the edit form keeps the SSN on file
        if not data.get("photo"):
            data.pop("photo", None)  # no new upload keeps the photo on file
        if data.get("guarantor_kind") == GuarantorKind.PATIENT:
            data["guarantor_patient"] = guarantor
        return data

    @classmethod
    def initial_for(cls, patient: Any) -> dict[str, Any]:
        """Prefill the edit form from a patient (the SSN is never sent back to the browser)."""
        names = [name for _title, fields in cls.SECTIONS for name in fields]
        initial = {
            name: getattr(patient, name)
            for name in names
            if name not in {"ssn", "guarantor_mrn", "photo"} and hasattr(patient, name)
        }
        if patient.guarantor_patient_id is not None and patient.guarantor_patient is not None:
            initial["guarantor_mrn"] = patient.guarantor_patient.mrn
        for row, phone in enumerate(patient.phones.all()[:PHONE_ROWS], start=1):
            initial[f"phone_{row}_number"] = phone_display(phone.number)
            initial[f"phone_{row}_type"] = phone.phone_type
            initial[f"phone_{row}_sms"] = phone.sms_capable
        return initial


class DuplicateReasonForm(forms.Form):
    duplicate_override_reason = forms.CharField(
        label="Reason to register anyway",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when possible matches were found, e.g. 'twins, checked ID'.",
    )


class CoverageForm(forms.Form):
    """An insurance coverage, with optional card images (checked by the service)."""

    priority = forms.TypedChoiceField(
        choices=CoveragePriority.choices, coerce=int, initial=CoveragePriority.PRIMARY
    )
    status = forms.ChoiceField(choices=CoverageStatus.choices, initial=CoverageStatus.ACTIVE)
    payer = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Insurance company (payer)"
    )
    plan = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    member_id = forms.CharField(max_length=40, label="Member ID", required=False)
    group_number = forms.CharField(max_length=40, required=False, label="Group number")
    relationship = forms.ChoiceField(
        label="Patient's relationship to subscriber",
        choices=SubscriberRelationship.choices,
        initial=SubscriberRelationship.SELF,
    )
    subscriber_first_name = forms.CharField(
        max_length=60, required=False, label="Subscriber first name"
    )
    subscriber_last_name = forms.CharField(
        max_length=60, required=False, label="Subscriber last name"
    )
    subscriber_date_of_birth = forms.DateField(
        required=False, label="Subscriber date of birth", widget=DATE_WIDGET
    )
    subscriber_sex = forms.ChoiceField(
        required=False, label="Subscriber sex", choices=_blank_choice(SexAtBirth.choices)
    )
    effective_on = forms.DateField(required=False, label="Effective from", widget=DATE_WIDGET)
    terminates_on = forms.DateField(required=False, label="Terminates on", widget=DATE_WIDGET)
    copay_primary_care = forms.DecimalField(
        required=False, max_digits=8, decimal_places=2, label="Copay: primary care"
    )
    copay_specialist = forms.DecimalField(
        required=False, max_digits=8, decimal_places=2, label="Copay: specialist"
    )
    copay_urgent_care = forms.DecimalField(
        required=False, max_digits=8, decimal_places=2, label="Copay: urgent care"
    )
    copay_emergency = forms.DecimalField(
        required=False, max_digits=8, decimal_places=2, label="Copay: emergency"
    )
    card_front = forms.FileField(
        required=False,
        label="Card front image",
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    card_back = forms.FileField(
        required=False,
        label="Card back image",
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
    )

    def __init__(self, *args: Any, payers: Any = (), plans: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        payer_field = self.fields["payer"]
        plan_field = self.fields["plan"]
        assert isinstance(payer_field, forms.ChoiceField)
        assert isinstance(plan_field, forms.ChoiceField)
        payer_field.choices = _blank_choice(
            [(payer.pk, f"{payer.name} ({payer.payer_id})") for payer in payers], "Choose…"
        )
        plan_field.choices = _blank_choice(
            [(plan.pk, f"{plan.payer.name} — {plan.name}") for plan in plans]
        )

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in ("card_front", "card_back"):
            value = data.pop(name, None)
            if value:  # a new upload; nothing given keeps the current image
                data[name] = value
        return data


class VerificationForm(forms.Form):
    demographics_confirmed = forms.BooleanField(
        required=False, label="Demographics confirmed with the patient today"
    )
    insurance_confirmed = forms.BooleanField(
        required=False, label="Insurance card seen and confirmed today"
    )
    identity_document = forms.CharField(
        max_length=40, required=False, label="Identity document", help_text="e.g. driver's licence"
    )
    changed_fields = forms.CharField(
        max_length=500,
        required=False,
        label="What changed",
        help_text="Comma-separated, e.g. address, phone.",
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["changed_fields"] = [
            part.strip() for part in data.get("changed_fields", "").split(",") if part.strip()
        ]
        return data


class MergeForm(forms.Form):
    other_mrn = forms.CharField(
        max_length=20, label="MRN of the other record", help_text="e.g. M0000042"
    )
    keep = forms.ChoiceField(
        label="Which record survives?",
        choices=[("this", "This record"), ("other", "The other record")],
        initial="this",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Reason for the merge",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
