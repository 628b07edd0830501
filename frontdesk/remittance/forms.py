"""Forms of the remittance screens: the 835 upload, worklist filters and denial actions."""

from __future__ import annotations

from typing import Any

from django import forms

from frontdesk.remittance.choices import DenialStatus


class EraUploadForm(forms.Form):
    file = forms.FileField(label="835 file", help_text="An ANSI X12 835 (005010X221A1) file.")


class DenialFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Open (open, appealed, corrected)"), ("all", "All"), *DenialStatus.choices],
    )
    assigned = forms.ChoiceField(
        required=False, choices=[("", "Anyone"), ("me", "Me"), ("nobody", "Nobody")]
    )
    carc = forms.CharField(required=False, max_length=8, label="Reason code")


class DenialAssignForm(forms.Form):
    assigned_to = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args: Any, workers: list[Any], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["assigned_to"].choices = [("", "Nobody")] + [  # type: ignore[attr-defined]
            (u.pk, u.get_full_name() or u.get_username()) for u in workers
        ]


ACTIONS = {
    "appeal": "Mark appealed",
    "corrected": "Mark corrected (claim resent)",
    "write_off": "Write off",
    "bill_patient": "Bill to patient",
    "resolve": "Resolve",
    "note": "Add a note",
}


class DenialActionForm(forms.Form):
    action = forms.ChoiceField(choices=list(ACTIONS.items()))
    note = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The reason (required to appeal, write off, bill the patient or resolve).",
    )
