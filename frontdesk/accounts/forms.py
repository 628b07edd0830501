"""Input shapes for the account pages. Business rules live in ``services``; these only parse."""

from __future__ import annotations

from typing import Any

from django import forms

from frontdesk.accounts.choices import Role
from frontdesk.core.errors import DomainError


def apply_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's error beside the field it names, or above the form."""
    if error.fields:
        for field, messages in error.fields.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
    else:
        form.add_error(None, error.message)


def _location_choices() -> list[tuple[int, str]]:
    from frontdesk.practice.models import Location

    return [(pk, name) for pk, name in Location.objects.order_by("name").values_list("pk", "name")]


class LocationsField(forms.TypedMultipleChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            coerce=int,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label="Locations",
            **kwargs,
        )


class TokenForm(forms.Form):
    token = forms.CharField(label="6-digit code", max_length=6, min_length=6, strip=True)


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label="Current password", strip=False, widget=forms.PasswordInput
    )
    new_password = forms.CharField(
        label="New password",
        strip=False,
        max_length=512,
        widget=forms.PasswordInput,
        help_text="At least 12 characters. A long passphrase of ordinary words is best.",
    )
    new_password_again = forms.CharField(
        label="New password again", strip=False, max_length=512, widget=forms.PasswordInput
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("new_password")
            and data.get("new_password_again")
            and data["new_password"] != data["new_password_again"]
        ):
            self.add_error("new_password_again", "The two new passwords differ.")
        return data


class UserCreateForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    email = forms.EmailField(label="E-mail", required=False)
    role = forms.ChoiceField(choices=Role.choices)
    location_ids = LocationsField()
    password = forms.CharField(
        label="Initial password",
        strip=False,
        max_length=512,
        widget=forms.PasswordInput,
        help_text="At least 12 characters; not a common password. Give it to the person privately.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location_ids"].choices = _location_choices()  # type: ignore[attr-defined]


class UserAccessForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    location_ids = LocationsField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location_ids"].choices = _location_choices()  # type: ignore[attr-defined]


class EmergencyAccessForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="Why you need records you normally cannot see. The privacy officer reviews it.",
    )
